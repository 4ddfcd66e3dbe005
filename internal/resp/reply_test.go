package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in, str string
		check         func(t *testing.T, v Value)
	}{
		{"simple", "+OK\r\n", "OK", nil},
		{"empty simple", "+\r\n", "", nil},
		{"error", "-ERR unknown command 'x'\r\n", "(error) ERR unknown command 'x'", nil},
		{"int", ":-42\r\n", "(integer) -42", func(t *testing.T, v Value) { eq(t, v.Int, -42) }},
		{"int max", ":9223372036854775807\r\n", "(integer) 9223372036854775807", nil},
		{"bulk", "$5\r\nhello\r\n", `"hello"`, nil},
		{"bulk binary", "$4\r\na\r\n\x00\r\n", `"a\r\n\x00"`, nil},
		{"bulk empty", "$0\r\n\r\n", `""`, func(t *testing.T, v Value) { eq(t, v.Null, false) }},
		{"bulk null", "$-1\r\n", "(nil)", func(t *testing.T, v Value) { eq(t, v.Null, true) }},
		{"array null", "*-1\r\n", "(nil array)", func(t *testing.T, v Value) { eq(t, v.Null, true) }},
		{"array empty", "*0\r\n", "[]", nil},
		{"array", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", `[(integer) 1, "a", [x]]`, func(t *testing.T, v Value) {
			eq(t, len(v.Elems), 3)
			eq(t, string(v.Elems[2].Elems[0].Str), "x")
		}},
		{"null", "_\r\n", "(nil)", func(t *testing.T, v Value) { eq(t, v.Null, true) }},
		{"double", ",3.25\r\n", "(double) 3.25", func(t *testing.T, v Value) {
			f, ok := v.Float()
			eq(t, ok, true)
			eq(t, f, 3.25)
		}},
		{"double inf", ",-inf\r\n", "(double) -inf", nil},
		{"double nan", ",nan\r\n", "(double) nan", nil},
		{"bool true", "#t\r\n", "(true)", func(t *testing.T, v Value) { eq(t, v.Int, 1) }},
		{"bool false", "#f\r\n", "(false)", nil},
		{"blob error", "!10\r\nSYNTAX bad\r\n", `(blob error) "SYNTAX bad"`, func(t *testing.T, v Value) { eq(t, v.IsError(), true) }},
		{"verbatim", "=15\r\ntxt:Some string\r\n", `(verbatim txt) "Some string"`, nil},
		{"big number", "(-3492890328409238509324850943850943825024385\r\n", "(big number) -3492890328409238509324850943850943825024385", nil},
		{"map", "%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n_\r\n", `{first: (integer) 1, "second": (nil)}`, func(t *testing.T, v Value) { eq(t, len(v.Elems), 4) }},
		{"set", "~2\r\n:1\r\n:2\r\n", "(set) [(integer) 1, (integer) 2]", nil},
		{"push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", `(push) ["message", "ch", "hi"]`, nil},
		{"attribute", "|1\r\n+ttl\r\n:3600\r\n:7\r\n", "(attr) {ttl: (integer) 3600} (integer) 7", func(t *testing.T, v Value) {
			eq(t, v.Kind, KindInt)
			eq(t, len(v.Attrs), 2)
		}},
		{"attribute inside array", "*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", "[(attr) {a: b} (integer) 1, (integer) 2]", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A trailing frame proves the reader stops at the frame's end.
			r := bufio.NewReader(strings.NewReader(tc.in + "+NEXT\r\n"))
			v, raw, err := ReadReply(r)
			if err != nil {
				t.Fatalf("ReadReply(%q): %v", tc.in, err)
			}
			eq(t, string(raw), tc.in)
			eq(t, v.String(), tc.str)
			eq(t, string(AppendValue(nil, v)), tc.in)
			if tc.check != nil {
				tc.check(t, v)
			}
			next, _, err := ReadReply(r)
			if err != nil || next.String() != "NEXT" {
				t.Fatalf("next frame: %v %v", next, err)
			}

			// Byte by byte through the smallest bufio buffer: lines longer
			// than the buffer take the ErrBufferFull path.
			r = bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(tc.in)), 16)
			v2, raw2, err := ReadReply(r)
			if err != nil {
				t.Fatalf("byte by byte: %v", err)
			}
			eq(t, string(raw2), tc.in)
			eq(t, v2.String(), tc.str)
		})
	}
}

func TestReadReplyErrors(t *testing.T) {
	tests := []struct {
		name, in string
		proto    bool // a protocol error, not an I/O error
	}{
		{"eof", "", false},
		{"truncated line", "+OK", false},
		{"truncated bulk", "$5\r\nhel", false},
		{"truncated array", "*2\r\n:1\r\n", false},
		{"no CR", "+OK\n", true},
		{"empty line", "\r\n", true},
		{"unknown type", "?x\r\n", true},
		{"bad int", ":12a\r\n", true},
		{"bad length", "$-2\r\n", true},
		{"bulk too long", "$1099511627776\r\n", true},
		{"bad bulk terminator", "$2\r\nabcd", true},
		{"bad bool", "#x\r\n", true},
		{"bad null", "_x\r\n", true},
		{"bad double", ",abc\r\n", true},
		{"bad big number", "(12x\r\n", true},
		{"verbatim without format", "=2\r\nab\r\n", true},
		{"null map", "%-1\r\n", true},
		{"too deep", strings.Repeat("*1\r\n", MaxReplyDepth+2) + ":1\r\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadReply(bufio.NewReader(strings.NewReader(tc.in)))
			if err == nil {
				t.Fatalf("ReadReply(%q): no error", tc.in)
			}
			eq(t, errors.Is(err, ErrReplyProtocol), tc.proto)
			if !tc.proto && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("want EOF, got %v", err)
			}
		})
	}
}

func TestQuoteCLI(t *testing.T) {
	eq(t, QuoteCLI([]byte("a\"b\\c\n\r\t\a\b\x00\xff~")), `"a\"b\\c\n\r\t\a\b\x00\xff~"`)
}

// FuzzReadReply checks that no input panics the reader, that it consumes
// only a prefix of its input, and that what it accepts survives
// AppendValue → ReadReply unchanged.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n:2\r\n", "_\r\n", ",1.5\r\n", "#t\r\n", "!3\r\nerr\r\n",
		"=7\r\ntxt:abc\r\n", "(123\r\n", "%1\r\n+a\r\n+b\r\n", "~1\r\n:1\r\n",
		">2\r\n+a\r\n+b\r\n", "|1\r\n+a\r\n+b\r\n+c\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, raw, err := ReadReply(bufio.NewReader(bytes.NewReader(in)))
		if err != nil {
			return
		}
		if !bytes.HasPrefix(in, raw) {
			t.Fatalf("raw %q is not a prefix of input %q", raw, in)
		}
		// The reader accepts non-canonical numbers ("%00"), so compare the
		// canonical encoding with itself after a second round trip.
		enc := AppendValue(nil, v)
		v2, raw2, err := ReadReply(bufio.NewReader(bytes.NewReader(enc)))
		if err != nil {
			t.Fatalf("re-read %q: %v", enc, err)
		}
		if !bytes.Equal(raw2, enc) || !bytes.Equal(AppendValue(nil, v2), enc) || v.String() != v2.String() {
			t.Fatalf("round trip of %q: %q then %q", raw, enc, raw2)
		}
	})
}

func eq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}
