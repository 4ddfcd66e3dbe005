package script

import "fmt"

// Lua 5.1's lexical errors (llex.c), which gopher-lua's scanner words its
// own way or does not raise at all ("1e" or "3x" are malformed numbers in
// Lua; gopher-lua read "1e" as a number). lex51 scans a chunk as llex.c
// does and returns its first lexical error, worded and placed as
// luaX_lexerror does: "chunk:line: msg near 'token'".

// lexError is a lexical error: its message (without the chunk prefix) and
// where the offending token starts (1-based line and column).
type lexError struct {
	line            int // the line the message names (where the lexer stopped)
	tokLine, tokCol int
	msg             string
}

type lex51 struct {
	src       []byte
	i         int // position of the current character
	line      int
	lineStart int
	buf       []byte // the token's saved text, as llex.c's buffer
	tokLine   int
	tokCol    int
}

const lexEOZ = -1

func (l *lex51) cur() int {
	if l.i >= len(l.src) {
		return lexEOZ
	}
	return int(l.src[l.i])
}

func (l *lex51) next() { l.i++ }

func (l *lex51) saveAndNext() {
	l.buf = append(l.buf, l.src[l.i])
	l.i++
}

func (l *lex51) isNewline() bool { c := l.cur(); return c == '\n' || c == '\r' }

// incLine skips a newline ("\n", "\r", "\n\r" or "\r\n") as inclinenumber.
func (l *lex51) incLine() {
	old := l.cur()
	l.next()
	if l.isNewline() && l.cur() != old {
		l.next()
	}
	l.line++
	l.lineStart = l.i
}

// fail is luaX_lexerror: near the saved text, or '<eof>' / a symbol.
func (l *lex51) fail(msg, near string) *lexError {
	return &lexError{line: l.line, tokLine: l.tokLine, tokCol: l.tokCol, msg: fmt.Sprintf("%s near '%s'", msg, near)}
}

func (l *lex51) failText(msg string) *lexError { return l.fail(msg, string(l.buf)) }

func isDigit(c int) bool { return c >= '0' && c <= '9' }
func isAlpha(c int) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c int) bool { return isAlpha(c) || isDigit(c) }
func isSpace(c int) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// lexCheck returns the first lexical error of src as Lua 5.1 reports it,
// or nil.
func lexCheck(src []byte) *lexError {
	l := &lex51{src: src, line: 1}
	for {
		tok, err := l.scan()
		if err != nil || tok == tokEOS {
			return err
		}
	}
}

// Tokens: a byte stands for itself; the rest follow llex.h's order.
const (
	tokAnd = 257 + iota
	tokBreak
	tokDo
	tokElse
	tokElseif
	tokEnd
	tokFalse
	tokFor
	tokFunction
	tokIf
	tokIn
	tokLocal
	tokNil
	tokNot
	tokOr
	tokRepeat
	tokReturn
	tokThen
	tokTrue
	tokUntil
	tokWhile
	tokConcat
	tokDots
	tokEq
	tokGE
	tokLE
	tokNE
	tokNumber
	tokName
	tokString
	tokEOS
)

var tokNames = [...]string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in",
	"local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
	"..", "...", "==", ">=", "<=", "~=", "<number>", "<name>", "<string>", "<eof>"}

var reserved = func() map[string]int {
	m := map[string]int{}
	for i := tokAnd; i <= tokWhile; i++ {
		m[tokNames[i-tokAnd]] = i
	}
	return m
}()

// scan is llex: the next token; names, strings and numbers leave their
// text in l.buf (as txtToken shows it).
func (l *lex51) scan() (int, *lexError) {
	l.buf = l.buf[:0]
	for {
		l.tokLine, l.tokCol = l.line, l.i-l.lineStart+1
		c := l.cur()
		switch {
		case c == lexEOZ:
			return tokEOS, nil
		case c == '\n' || c == '\r':
			l.incLine()
		case c == '-':
			l.next()
			if l.cur() != '-' {
				return '-', nil
			}
			l.next()
			if l.cur() == '[' {
				l.buf = l.buf[:0]
				if sep := l.skipSep(); sep >= 0 {
					if err := l.longString(sep, false); err != nil {
						return 0, err
					}
					l.buf = l.buf[:0]
					continue
				}
				l.buf = l.buf[:0]
			}
			for !l.isNewline() && l.cur() != lexEOZ {
				l.next()
			}
		case c == '[':
			sep := l.skipSep()
			if sep >= 0 {
				if err := l.longString(sep, true); err != nil {
					return 0, err
				}
				return tokString, nil
			} else if sep != -1 {
				return 0, l.failText("invalid long string delimiter")
			}
			l.buf = l.buf[:0]
			return '[', nil
		case c == '=' || c == '<' || c == '>' || c == '~':
			l.next()
			if l.cur() != '=' {
				return c, nil
			}
			l.next()
			switch c {
			case '=':
				return tokEq, nil
			case '<':
				return tokLE, nil
			case '>':
				return tokGE, nil
			}
			return tokNE, nil
		case c == '"' || c == '\'':
			if err := l.shortString(c); err != nil {
				return 0, err
			}
			return tokString, nil
		case c == '.':
			l.saveAndNext()
			if l.cur() == '.' {
				l.next()
				l.buf = l.buf[:0]
				if l.cur() == '.' {
					l.next()
					return tokDots, nil
				}
				return tokConcat, nil
			}
			if !isDigit(l.cur()) {
				l.buf = l.buf[:0]
				return '.', nil
			}
			if err := l.numeral(); err != nil {
				return 0, err
			}
			return tokNumber, nil
		case isDigit(c):
			if err := l.numeral(); err != nil {
				return 0, err
			}
			return tokNumber, nil
		case isAlpha(c) || c == '_':
			for isAlnum(l.cur()) || l.cur() == '_' {
				l.saveAndNext()
			}
			if r, ok := reserved[string(l.buf)]; ok {
				return r, nil
			}
			return tokName, nil
		case isSpace(c):
			l.next()
		default:
			l.next()
			return c, nil
		}
	}
}

// skipSep is skip_sep: at '[' or ']', the level of a long bracket, or
// -(level)-1 when the second bracket is missing.
func (l *lex51) skipSep() int {
	s := l.cur()
	count := 0
	l.saveAndNext()
	for l.cur() == '=' {
		l.saveAndNext()
		count++
	}
	if l.cur() == s {
		return count
	}
	return -count - 1
}

// longString is read_long_string, for a string or a comment.
func (l *lex51) longString(sep int, str bool) *lexError {
	l.saveAndNext()
	if l.isNewline() {
		l.incLine()
	}
	for {
		switch l.cur() {
		case lexEOZ:
			if str {
				return l.fail("unfinished long string", "<eof>")
			}
			return l.fail("unfinished long comment", "<eof>")
		case '[':
			l.skipSep() // no nesting: Redis's Lua has no LUA_COMPAT_LSTR
		case ']':
			if l.skipSep() == sep {
				l.saveAndNext()
				return nil
			}
		case '\n', '\r':
			l.buf = append(l.buf, '\n')
			l.incLine()
		default:
			l.saveAndNext()
		}
	}
}

// shortString is read_string, escapes included (the saved text an error
// shows is the decoded one).
func (l *lex51) shortString(del int) *lexError {
	l.saveAndNext()
	for l.cur() != del {
		switch c := l.cur(); c {
		case lexEOZ:
			return l.fail("unfinished string", "<eof>")
		case '\n', '\r':
			return l.failText("unfinished string")
		case '\\':
			l.next()
			switch e := l.cur(); e {
			case 'a', 'b', 'f', 'n', 'r', 't', 'v':
				l.buf = append(l.buf, "\a\b\f\n\r\t\v"[indexByte("abfnrtv", byte(e))])
				l.next()
			case '\n', '\r':
				l.buf = append(l.buf, '\n')
				l.incLine()
			case lexEOZ:
				// the loop reports it
			default:
				if !isDigit(e) {
					l.saveAndNext()
					continue
				}
				v := 0
				for n := 0; n < 3 && isDigit(l.cur()); n++ {
					v = 10*v + l.cur() - '0'
					l.next()
				}
				if v > 255 {
					return l.failText("escape sequence too large")
				}
				l.buf = append(l.buf, byte(v))
			}
		default:
			l.saveAndNext()
		}
	}
	l.saveAndNext() // the closing quote
	return nil
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// numeral is read_numeral: digits and dots, an optional exponent sign
// after E, then any letters, digits or underscores; the whole text must be
// a number for strtod (luaO_str2d) or it is "malformed number".
func (l *lex51) numeral() *lexError {
	for isDigit(l.cur()) || l.cur() == '.' {
		l.saveAndNext()
	}
	if c := l.cur(); c == 'e' || c == 'E' {
		l.saveAndNext()
		if c := l.cur(); c == '+' || c == '-' {
			l.saveAndNext()
		}
	}
	for isAlnum(l.cur()) || l.cur() == '_' {
		l.saveAndNext()
	}
	if !strtodWhole(l.buf) {
		return l.failText("malformed number")
	}
	return nil
}

// strtodWhole reports whether C's strtod reads all of s (glibc: decimal
// or hexadecimal, with an optional exponent), as luaO_str2d requires.
func strtodWhole(s []byte) bool {
	i := 0
	digits := func(hex bool) int {
		n := 0
		for i < len(s) && (isDigit(int(s[i])) || hex && (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'f')) {
			i++
			n++
		}
		return n
	}
	hex := len(s) > 2 && s[0] == '0' && s[1]|0x20 == 'x'
	if hex {
		i = 2
	}
	n := digits(hex)
	if i < len(s) && s[i] == '.' {
		i++
		n += digits(hex)
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (!hex && s[i]|0x20 == 'e' || hex && s[i]|0x20 == 'p') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(int(s[k])) {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i == len(s)
}
