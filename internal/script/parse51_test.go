package script

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/command"
)

// The wanted texts are redis-server 7.0.15's (EVAL "<src>" 0), after
// "ERR Error compiling script (new function): ".
func TestParse51Errors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"x", "user_script:1: '=' expected near '<eof>'"},
		{"return 1 +", "user_script:1: unexpected symbol near '<eof>'"},
		{"local x = = 1", "user_script:1: unexpected symbol near '='"},
		{"function f() return 1", "user_script:1: 'end' expected near '<eof>'"},
		{"function f()\nreturn 1", "user_script:2: 'end' expected (to close 'function' at line 1) near '<eof>'"},
		{"if x then\n\nreturn 1", "user_script:3: 'end' expected (to close 'if' at line 1) near '<eof>'"},
		{"local t = {\n1,\n2", "user_script:3: '}' expected (to close '{' at line 1) near '<eof>'"},
		{"return (\n1", "user_script:2: ')' expected (to close '(' at line 1) near '<eof>'"},
		{"f\n(g)", "user_script:2: ambiguous syntax (function call x new statement) near '('"},
		{"do\nlocal x = 1\nwhile true do\n", "user_script:4: 'end' expected (to close 'while' at line 3) near '<eof>'"},
		{"x = [[a\nb]] y", "user_script:2: '=' expected near '<eof>'"},
		{"repeat\nx = 1", "user_script:2: 'until' expected (to close 'repeat' at line 1) near '<eof>'"},
		{"local s = [[\nabc\n]] s s", "user_script:3: '=' expected near 's'"},
		{"for i = 1, 2\ndo\nend end", "user_script:3: '<eof>' expected near 'end'"},
		{"for i=1 do end", "user_script:1: ',' expected near 'do'"},
		{"return 1 2", "user_script:1: '<eof>' expected near '2'"},
		{"local function f() return 1 end f(", "user_script:1: unexpected symbol near '<eof>'"},
		{"local a = {1,2", "user_script:1: '}' expected near '<eof>'"},
		{"break", "user_script:1: no loop to break near '<eof>'"},
		{"goto x", "user_script:1: '=' expected near 'x'"},
		{"return 'abc", "user_script:1: unfinished string near '<eof>'"},
		{"return " + strings.Repeat("(", 199) + "1" + strings.Repeat(")", 199), "user_script:1: chunk has too many syntax levels"},
	} {
		_, err := compile([]byte(c.src), evalChunk)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	for _, ok := range []string{
		"return " + strings.Repeat("(", 198) + "1" + strings.Repeat(")", 198),
		"return ...", "local function f(...) return ... end return f(1)", "local t = {a = 1; 2, [3] = 4,} return #t",
		"for k, v in pairs({}) do break end", "repeat local x = 1 until x", "local a, b = 1 return a:x'y'",
		"f{1}.x = 2", "return -2 ^ -2 .. 'x' == 'y' and not nil or #'z'", "do return end",
	} {
		if e := parse51Check([]byte(ok)); e != nil {
			t.Errorf("%q: %v", ok, e)
		}
	}
}

// FuzzParse51: any input is parsed without a panic or a hang, and an
// error names a line inside the source.
func FuzzParse51(f *testing.F) {
	for _, s := range []string{"x", "function f()\nreturn 1", "local t = {a b}", "f\n(g)", "return ...", "for a, b in c do break end",
		"return (((1)))", "x, y.z, w[1] = 1", "a:b'c'{d}", "repeat until nil", "return [[\n]] .. 1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e := parse51Check([]byte(src))
		if e == nil {
			return
		}
		lines := strings.Count(src, "\n") + strings.Count(src, "\r") + 1
		if e.line < 1 || e.line > lines || e.msg == "" {
			t.Fatalf("%q: bad error %+v", src, e)
		}
	})
}

// The wanted texts are redis-server 7.0.15's (EVAL "<src>" 0), between
// "ERR user_script:1: " and " script: <sha>…".
func TestLua51Named(t *testing.T) {
	e := NewEngine(command.NewTable())
	for _, c := range []struct{ src, want string }{
		{"local t; return t.x", "attempt to index local 't' (a nil value)"},
		{"local a = 'x'; return a + 1", "attempt to perform arithmetic on local 'a' (a string value)"},
		{"local t = {} return t.x.y", "attempt to index field 'x' (a nil value)"},
		{"local t = {} ; t.x()", "attempt to call field 'x' (a nil value)"},
		{"local a; return -a", "attempt to perform arithmetic on local 'a' (a nil value)"},
		{"local s = 'x' return s:foo()", "attempt to call method 'foo' (a nil value)"},
		{"local a = {} return #a.b", "attempt to get length of field 'b' (a nil value)"},
		{"local a = {} return 'x' .. a.b .. 'y'", "attempt to concatenate field 'b' (a nil value)"},
		{"local f = 5; f()", "attempt to call local 'f' (a number value)"},
		{"local up = nil; local function g() return up.x end return g()", "attempt to index upvalue 'up' (a nil value)"},
		{"return ARGV[1].x", "attempt to index field '?' (a nil value)"},
		{"return #nil", "attempt to get length of a nil value"},
		{"return 2 * nil", "attempt to perform arithmetic on a nil value"},
	} {
		got := runEval(t, e, c.src, 2)
		want := "-ERR user_script:1: " + c.want + " script: "
		if !strings.HasPrefix(got, want) {
			t.Errorf("%q: got %q, want %q…", c.src, got, want)
		}
	}
}
