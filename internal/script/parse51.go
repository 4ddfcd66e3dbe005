package script

import "fmt"

// Lua 5.1's syntax errors (lparser.c). gopher-lua's yacc parser words them
// "syntax error near 'x'"; parse51 walks the chunk with lparser.c's
// recursive descent (no code is generated) and returns its first lexical
// or syntax error in Lua's words and at Lua's line: "'=' expected near
// 'x'", "unexpected symbol near 'x'", "'end' expected (to close 'function'
// at line 1) near '<eof>'", "no loop to break", "ambiguous syntax
// (function call x new statement)"… The size limits of lparser.c (locals,
// upvalues, nesting) are not checked here.

type parse51 struct {
	l        lex51
	tok      int
	text     string // the current token's saved text
	line     int    // ls->linenumber: where the lexer stands
	lastLine int    // ls->lastline: the line of the token before
	// lookahead (constructor fields only)
	ahead     int
	aheadText string
	aheadLine int
	// loops counts the enclosing loops of each function being parsed.
	loops  []int
	vararg []bool
	level  int
}

// syntaxError is a parse error: "line: msg" with the line Lua names.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

// parse51Check returns src's first lexical or syntax error as Lua 5.1's
// parser reports it, or nil.
func parse51Check(src []byte) (err *syntaxError) {
	p := &parse51{l: lex51{src: src, line: 1}, ahead: -1}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*syntaxError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	p.next()
	p.loops = []int{0}
	p.vararg = []bool{true} // the main chunk is a vararg function
	p.chunk()
	p.check(tokEOS)
	return nil
}

func (p *parse51) scan() (int, string) {
	tok, err := p.l.scan()
	if err != nil {
		panic(&syntaxError{line: err.line, msg: err.msg})
	}
	return tok, string(p.l.buf)
}

// next is luaX_next.
func (p *parse51) next() {
	p.lastLine = p.line
	if p.ahead >= 0 {
		p.tok, p.text = p.ahead, p.aheadText
		p.ahead = -1
		return
	}
	p.tok, p.text = p.scan()
	p.line = p.l.line
}

// lookahead is luaX_lookahead.
func (p *parse51) lookahead() int {
	p.ahead, p.aheadText = p.scan()
	p.aheadLine = p.l.line
	p.line = p.l.line
	return p.ahead
}

// tokenText is txtToken: the saved text of a name, string or number, else
// luaX_token2str.
func (p *parse51) tokenText() string {
	switch p.tok {
	case tokName, tokString, tokNumber:
		return p.text
	}
	return token2str(p.tok)
}

func token2str(tok int) string {
	if tok < 257 {
		if tok < 32 || tok == 127 {
			return fmt.Sprintf("char(%d)", tok)
		}
		return string([]byte{byte(tok)})
	}
	return tokNames[tok-tokAnd]
}

// fail is luaX_syntaxerror.
func (p *parse51) fail(msg string) {
	panic(&syntaxError{line: p.line, msg: fmt.Sprintf("%s near '%s'", msg, p.tokenText())})
}

func (p *parse51) errorExpected(tok int) { p.fail("'" + token2str(tok) + "' expected") }

func (p *parse51) testNext(tok int) bool {
	if p.tok == tok {
		p.next()
		return true
	}
	return false
}

func (p *parse51) check(tok int) {
	if p.tok != tok {
		p.errorExpected(tok)
	}
}

func (p *parse51) checkNext(tok int) {
	p.check(tok)
	p.next()
}

// checkMatch is check_match.
func (p *parse51) checkMatch(what, who, where int) {
	if p.testNext(what) {
		return
	}
	if where == p.line {
		p.errorExpected(what)
	}
	p.fail(fmt.Sprintf("'%s' expected (to close '%s' at line %d)", token2str(what), token2str(who), where))
}

func (p *parse51) checkName() {
	p.check(tokName)
	p.next()
}

// enterLevel is enterlevel: LUAI_MAXCCALLS (200) nested chunks and
// expressions.
func (p *parse51) enterLevel() {
	p.level++
	if p.level > 200 {
		panic(&syntaxError{line: p.line, msg: "chunk has too many syntax levels"})
	}
}

func blockFollow(tok int) bool {
	switch tok {
	case tokElse, tokElseif, tokEnd, tokUntil, tokEOS:
		return true
	}
	return false
}

func (p *parse51) chunk() {
	p.enterLevel()
	for last := false; !last && !blockFollow(p.tok); {
		last = p.statement()
		p.testNext(';')
	}
	p.level--
}

// statement returns true for return and break, which must end a block.
func (p *parse51) statement() bool {
	line := p.line
	switch p.tok {
	case tokIf:
		p.testThenBlock()
		for p.tok == tokElseif {
			p.testThenBlock()
		}
		if p.testNext(tokElse) {
			p.chunk()
		}
		p.checkMatch(tokEnd, tokIf, line)
	case tokWhile:
		p.next()
		p.expr()
		p.checkNext(tokDo)
		p.loopBlock()
		p.checkMatch(tokEnd, tokWhile, line)
	case tokDo:
		p.next()
		p.chunk()
		p.checkMatch(tokEnd, tokDo, line)
	case tokFor:
		p.next()
		p.checkName()
		switch p.tok {
		case '=':
			p.next()
			p.expr()
			p.checkNext(',')
			p.expr()
			if p.testNext(',') {
				p.expr()
			}
		case ',', tokIn:
			for p.testNext(',') {
				p.checkName()
			}
			p.checkNext(tokIn)
			p.exprList()
		default:
			p.fail("'=' or 'in' expected")
		}
		p.checkNext(tokDo)
		p.loopBlock()
		p.checkMatch(tokEnd, tokFor, line)
	case tokRepeat:
		p.next()
		p.loops[len(p.loops)-1]++
		p.chunk()
		p.checkMatch(tokUntil, tokRepeat, line)
		p.expr()
		p.loops[len(p.loops)-1]--
	case tokFunction:
		p.next()
		p.checkName()
		for p.tok == '.' {
			p.next()
			p.checkName()
		}
		method := false
		if p.tok == ':' {
			p.next()
			p.checkName()
			method = true
		}
		p.body(method, line)
	case tokLocal:
		p.next()
		if p.testNext(tokFunction) {
			p.checkName()
			p.body(false, p.line)
		} else {
			p.checkName()
			for p.testNext(',') {
				p.checkName()
			}
			if p.testNext('=') {
				p.exprList()
			}
		}
	case tokReturn:
		p.next()
		if !blockFollow(p.tok) && p.tok != ';' {
			p.exprList()
		}
		return true
	case tokBreak:
		p.next()
		if p.loops[len(p.loops)-1] == 0 {
			p.fail("no loop to break")
		}
		return true
	default:
		if k := p.primaryExp(); k != expCall {
			p.assignment(k)
		}
	}
	return false
}

func (p *parse51) testThenBlock() {
	p.next()
	p.expr()
	p.checkNext(tokThen)
	p.chunk()
}

func (p *parse51) loopBlock() {
	p.loops[len(p.loops)-1]++
	p.chunk()
	p.loops[len(p.loops)-1]--
}

// body is a function's parameters and block (body).
func (p *parse51) body(method bool, line int) {
	p.checkNext('(')
	vararg := false
	if p.tok != ')' {
		for {
			switch p.tok {
			case tokName:
				p.next()
			case tokDots:
				p.next()
				vararg = true
			default:
				p.fail("<name> or '...' expected")
			}
			if vararg || !p.testNext(',') {
				break
			}
		}
	}
	p.checkNext(')')
	p.loops = append(p.loops, 0)
	p.vararg = append(p.vararg, vararg)
	p.chunk()
	p.loops = p.loops[:len(p.loops)-1]
	p.vararg = p.vararg[:len(p.vararg)-1]
	p.checkMatch(tokEnd, tokFunction, line)
}

// Expression kinds that matter to a statement.
const (
	expOther  = iota
	expVar    // VLOCAL, VUPVAL, VGLOBAL, VINDEXED: assignable
	expCall   // VCALL
	expClosed // a parenthesized expression (VNONRELOC)
)

// assignment is assignment: a list of variables, then '=' and values.
func (p *parse51) assignment(k int) {
	if k != expVar {
		p.fail("syntax error")
	}
	if p.testNext(',') {
		p.assignment(p.primaryExp())
		return
	}
	p.checkNext('=')
	p.exprList()
}

func (p *parse51) primaryExp() int {
	var k int
	switch p.tok {
	case tokName:
		p.next()
		k = expVar
	case '(':
		line := p.line
		p.next()
		p.expr()
		p.checkMatch(')', '(', line)
		k = expClosed
	default:
		p.fail("unexpected symbol")
	}
	for {
		switch p.tok {
		case '.':
			p.next()
			p.checkName()
			k = expVar
		case '[':
			p.next()
			p.expr()
			p.checkNext(']')
			k = expVar
		case ':':
			p.next()
			p.checkName()
			p.funcArgs()
			k = expCall
		case '(', tokString, '{':
			p.funcArgs()
			k = expCall
		default:
			return k
		}
	}
}

func (p *parse51) funcArgs() {
	line := p.line
	switch p.tok {
	case '(':
		if line != p.lastLine {
			p.fail("ambiguous syntax (function call x new statement)")
		}
		p.next()
		if p.tok != ')' {
			p.exprList()
		}
		p.checkMatch(')', '(', line)
	case '{':
		p.constructor()
	case tokString:
		p.next()
	default:
		p.fail("function arguments expected")
	}
}

func (p *parse51) constructor() {
	line := p.line
	p.checkNext('{')
	for p.tok != '}' {
		switch p.tok {
		case tokName:
			if p.lookahead() != '=' {
				p.expr()
			} else {
				p.next()
				p.checkNext('=')
				p.expr()
			}
		case '[':
			p.next()
			p.expr()
			p.checkNext(']')
			p.checkNext('=')
			p.expr()
		default:
			p.expr()
		}
		if !p.testNext(',') && !p.testNext(';') {
			break
		}
	}
	p.checkMatch('}', '{', line)
}

func (p *parse51) exprList() {
	p.expr()
	for p.testNext(',') {
		p.expr()
	}
}

func (p *parse51) expr() { p.subExpr(0) }

// binary operator priorities (left, right) of lparser.c.
func binaryPriority(tok int) (int, int, bool) {
	switch tok {
	case '+', '-':
		return 6, 6, true
	case '*', '/', '%':
		return 7, 7, true
	case '^':
		return 10, 9, true
	case tokConcat:
		return 5, 4, true
	case tokNE, tokEq, '<', tokLE, '>', tokGE:
		return 3, 3, true
	case tokAnd:
		return 2, 2, true
	case tokOr:
		return 1, 1, true
	}
	return 0, 0, false
}

// subExpr is subexpr: operators whose priority is above limit.
func (p *parse51) subExpr(limit int) {
	p.enterLevel()
	switch p.tok {
	case tokNot, '-', '#':
		p.next()
		p.subExpr(8)
	default:
		p.simpleExp()
	}
	for {
		left, right, ok := binaryPriority(p.tok)
		if !ok || left <= limit {
			break
		}
		p.next()
		p.subExpr(right)
	}
	p.level--
}

func (p *parse51) simpleExp() {
	switch p.tok {
	case tokNumber, tokString, tokNil, tokTrue, tokFalse:
	case tokDots:
		if !p.vararg[len(p.vararg)-1] {
			p.fail("cannot use '...' outside a vararg function")
		}
	case '{':
		p.constructor()
		return
	case tokFunction:
		p.next()
		p.body(false, p.line)
		return
	default:
		p.primaryExp()
		return
	}
	p.next()
}
