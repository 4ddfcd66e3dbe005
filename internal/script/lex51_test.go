package script

import (
	"strings"
	"testing"
)

// The wanted texts are redis-server 7.0.15's (EVAL "<src>" 0), after
// "ERR Error compiling script (new function): ".
func TestLex51Errors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"return 1e", "user_script:1: malformed number near '1e'"},
		{"return 3x", "user_script:1: malformed number near '3x'"},
		{"return 0x", "user_script:1: malformed number near '0x'"},
		{"return 1..2", "user_script:1: malformed number near '1..2'"},
		{"return 'abc", "user_script:1: unfinished string near '<eof>'"},
		{"return 'ab\nc'", "user_script:1: unfinished string near ''ab'"},
		{"return 'ab\\300c'", "user_script:1: escape sequence too large near ''ab'"},
		{"return [==[ x", "user_script:1: unfinished long string near '<eof>'"},
		{"--[[ open comment", "user_script:1: unfinished long comment near '<eof>'"},
		{"return [=x", "user_script:1: invalid long string delimiter near '[='"},
		{"return 2 3x", "user_script:1: malformed number near '3x'"},
		{"return 1e + 'x", "user_script:1: malformed number near '1e'"},
		{"local x = 1\nlocal y = 'open\nreturn x", "user_script:2: unfinished string near ''open'"},
		{"return 'a\\\nb", "user_script:2: unfinished string near '<eof>'"},
	} {
		_, err := compile([]byte(c.src), evalChunk)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	for _, ok := range []string{"return 0x1F + 1.5e+3 + .5 + 08 + 5. + 1E-2", "return [[ a [[ b ]]",
		"--[==[ c ]==] return 'x\\65\\n'", "return \"q\\\"\" .. 'r\\''", "local t = {[[a]]} return t[1]", "return -- c\n1"} {
		if _, err := compile([]byte(ok), evalChunk); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// FuzzLex51: any input is scanned without a panic or a hang, and an
// error's position lies inside the source.
func FuzzLex51(f *testing.F) {
	for _, s := range []string{"return 1e", "return 'a\\300'", "--[==[ x ]==]", "return [[\n]]", "x = 0x1p4", "'\\\r\n'", "[=[", "..5e+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e := lexCheck([]byte(src))
		if e == nil {
			return
		}
		lines := strings.Count(src, "\n") + strings.Count(src, "\r") + 1
		if e.line < 1 || e.line > lines || e.tokLine < 1 || e.tokLine > e.line || e.tokCol < 1 || !strings.Contains(e.msg, " near '") {
			t.Fatalf("%q: bad error %+v", src, e)
		}
	})
}

// The wanted texts are redis-server 7.0.15's for the same expressions.
func TestLua51Wording(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"user_script:1: cannot perform add operation between string and number", "user_script:1: attempt to perform arithmetic on a string value"},
		{"user_script:1: cannot perform mul operation between number and nil", "user_script:1: attempt to perform arithmetic on a nil value"},
		{"user_script:1: cannot perform concat operation between table and string", "user_script:1: attempt to concatenate a table value"},
		{"user_script:1: cannot perform concat operation between number and nil", "user_script:1: attempt to concatenate a nil value"},
		{"user_script:1: attempt to compare table with table", "user_script:1: attempt to compare two table values"},
		{"user_script:1: attempt to compare nil with number", "user_script:1: attempt to compare nil with number"},
		{"user_script:1: attempt to index a non-table object(nil) with key 'x'", "user_script:1: attempt to index a nil value"},
		{"user_script:1: boom", "user_script:1: boom"},
	} {
		if got := lua51Wording(c.in, nil); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}
