package script

import (
	"bytes"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestLDBParseCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string // nil: read more
		err  string
	}{
		{"", nil, ""},
		{"*1\r\n$1\r\ns\r\n", []string{"s"}, ""},
		{"junk*2\r\n$1\r\np\r\n$3\r\nfoo\r\n", []string{"p", "foo"}, ""},
		{"*2\r\n$1\r\np\r\n", nil, ""},
		{"*2\r\n$1\r\np\r\n$3\r\nfo", nil, ""},
		{"*1", nil, ""},
		{"*1\r\n$5\r\nhe\x00lo\r\n", []string{"he\x00lo"}, ""},
		{"PING\r\n", nil, "protocol error"},
		{"*0\r\n", nil, "protocol error"},
		{"*1025\r\n", nil, "protocol error"},
		{"*1\r\n$0\r\n\r\n", nil, "protocol error"},
		{"*1\r\n$1025\r\n", nil, "protocol error"},
		{"*1\r\n+s\r\n", nil, "protocol error"},
		{"*1\r\n$1\r\nsXY", nil, "protocol error"},
	} {
		d := &Debug{cbuf: []byte(c.in)}
		argv, err := d.parseCommand()
		var got []string
		for _, a := range argv {
			got = append(got, string(a))
		}
		if err != c.err || strings.Join(got, "|") != strings.Join(c.want, "|") || (got == nil) != (c.want == nil) {
			t.Errorf("parseCommand(%q) = %q, %q; want %q, %q", c.in, got, err, c.want, c.err)
		}
	}
}

func FuzzLDBParseCommand(f *testing.F) {
	for _, s := range []string{"*1\r\n$1\r\ns\r\n", "*2\r\n$1\r\np\r\n$3\r\nfoo\r\n", "*101\r\n$5\r\nredis\r\n", "*1\r\n$-1\r\n", "x*"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := &Debug{cbuf: b}
		argv, err := d.parseCommand()
		if argv != nil && err != "" {
			t.Fatalf("both a command and an error for %q", b)
		}
		for _, a := range argv {
			if len(a) == 0 || len(a) > 1024 || !bytes.Contains(b, a) {
				t.Fatalf("bad argument %q from %q", a, b)
			}
		}
	})
}

func TestLDBNumbers(t *testing.T) {
	for in, want := range map[string]int{"12": 12, "  7x": 7, "-3": -3, "+4": 4, "x": 0, "": 0} {
		if got := cAtoi([]byte(in)); got != want {
			t.Errorf("cAtoi(%q) = %d, want %d", in, got, want)
		}
	}
	for in, ok := range map[string]bool{"0": true, "7": true, "-7": true, "-0": false, "07": false, "+7": false, " 7": false, "x": false, "": false} {
		if _, got := string2l(in); got != ok {
			t.Errorf("string2l(%q) ok = %v, want %v", in, got, ok)
		}
	}
	for f, want := range map[float64]string{1: "1", 3.14159265: "3.14159", 1e6: "1e+06", 1234567: "1.23457e+06", 0.5: "0.5", -2: "-2", 1e-5: "1e-05"} {
		if got := formatG(f); got != want {
			t.Errorf("formatG(%v) = %q, want %q", f, got, want)
		}
	}
}

// The human forms of replies and values, as eval.c writes them.
func TestLDBRepr(t *testing.T) {
	for in, want := range map[string]string{
		":5\r\n":                     "5",
		"$3\r\nfoo\r\n":              `"foo"`,
		"$-1\r\n":                    "NULL",
		"+OK\r\n":                    `"+OK"`,
		"-ERR x\r\n":                 `"-ERR x"`,
		"*2\r\n:1\r\n$1\r\na\r\n":    `[1,"a"]`,
		"*-1\r\n":                    "NULL",
		"~1\r\n:1\r\n":               "~(1)",
		"%1\r\n$1\r\nk\r\n:2\r\n":    `{"k" => 2}`,
		"_\r\n":                      "(null)",
		"#t\r\n":                     "#true",
		",1.5\r\n":                   "(double) 1.5",
		"$4\r\na\nb\x01\r\n":         `"a\nb\x01"`,
		"*1\r\n*1\r\n$2\r\n\"\\\r\n": `[["\"\\"]]`,
	} {
		var sb strings.Builder
		respToHuman(&sb, []byte(in))
		if sb.String() != want {
			t.Errorf("respToHuman(%q) = %q, want %q", in, sb.String(), want)
		}
	}
	L := lua.NewState()
	defer L.Close()
	arr := L.CreateTable(2, 0)
	arr.Append(lua.LNumber(1))
	arr.Append(lua.LString("x"))
	nested := L.CreateTable(0, 1)
	nested.RawSetString("k", arr)
	deep := L.CreateTable(1, 0)
	cur := deep
	for i := 0; i < 12; i++ {
		n := L.CreateTable(1, 0)
		cur.Append(n)
		cur = n
	}
	d := &Debug{}
	for _, c := range []struct {
		v    lua.LValue
		want string
	}{
		{lua.LNil, "nil"}, {lua.LTrue, "true"}, {lua.LNumber(2.5), "2.5"}, {lua.LString("a\"b"), `"a\"b"`},
		{arr, `{1; "x"}`}, {nested, `{["k"]={1; "x"}}`}, {L.CreateTable(0, 0), "{}"},
		{deep, "{{{{{{{{{{<max recursion level reached! Nested table?>}}}}}}}}}}"},
	} {
		if got := d.repr(c.v); got != c.want {
			t.Errorf("repr = %q, want %q", got, c.want)
		}
	}
}

// Source lines, list and breakpoints (eval.c's ldbList, ldbBreak).
func TestLDBListAndBreak(t *testing.T) {
	d := NewDebug(nil, []byte("a\nb\nc\nd\n\r\n"))
	if len(d.src) != 4 {
		t.Fatalf("src = %q", d.src)
	}
	d.line = 2
	d.breakCmd([][]byte{[]byte("b"), []byte("3"), []byte("9"), []byte("-1"), []byte("x\x00y")})
	d.list(2, 1)
	want := []string{"-> 2   b", "  #3   c", "   4   d", "Wrong line number.", "No breakpoint in the specified line.", "Invalid argument:'x'",
		"   1   a", "-> 2   b", "  #3   c"}
	if strings.Join(d.logs, "|") != strings.Join(want, "|") {
		t.Fatalf("logs = %q\nwant %q", d.logs, want)
	}
	if d.sourceLine(0) != "<out of range source code line>" || d.sourceLine(5) != "<out of range source code line>" {
		t.Fatal("out of range lines")
	}
}
