package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// outcome is everything Next reported for one input: the commands parsed,
// then either a protocol error or the number of bytes left waiting.
type outcome struct {
	Cmds [][]string
	Err  string
	Rest int
}

func (o outcome) String() string {
	var b strings.Builder
	for _, c := range o.Cmds {
		fmt.Fprintf(&b, "%q ", c)
	}
	fmt.Fprintf(&b, "err=%q rest=%d", o.Err, o.Rest)
	return b.String()
}

func strs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// parseWhole runs Next over in as one buffer until an error or an
// incomplete command.
func parseWhole(t testing.TB, r *Reader, in []byte) outcome {
	t.Helper()
	var o outcome
	buf := in
	for {
		args, n, err := r.Next(buf)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ProtocolError", err)
			}
			o.Err = err.Error()
			return o
		}
		if n == 0 {
			o.Rest = len(buf)
			return o
		}
		if n > len(buf) {
			t.Fatalf("n=%d > len(buf)=%d", n, len(buf))
		}
		o.Cmds = append(o.Cmds, strs(args))
		buf = buf[n:]
	}
}

// parseSplit feeds in as a connection would: the chunks between cuts arrive
// one at a time, every arrival moves the pending bytes to a new buffer and
// poisons the old one (so an argument pointing at stale memory shows), and
// Next runs until it wants more.
func parseSplit(t testing.TB, r *Reader, in []byte, cuts []int) outcome {
	t.Helper()
	var o outcome
	var pending []byte
	prev := 0
	need := 0
	for i := 0; i <= len(cuts); i++ {
		end := len(in)
		if i < len(cuts) {
			end = cuts[i]
		}
		if end < prev {
			continue
		}
		if len(in) <= 4096 || cap(pending)-len(pending) < end-prev {
			moved := make([]byte, 0, 2*(len(pending)+end-prev))
			moved = append(moved, pending...)
			for j := range pending {
				pending[j] = 0xEE
			}
			pending = moved
		}
		pending = append(pending, in[prev:end]...)
		prev = end
		for {
			args, n, err := r.Next(pending)
			if err != nil {
				o.Err = err.Error()
				return o
			}
			if n == 0 {
				if r.Need() > 0 && r.Need() <= len(pending) {
					t.Fatalf("Need()=%d but buffer already holds %d", r.Need(), len(pending))
				}
				need = r.Need()
				break
			}
			if n < need {
				t.Fatalf("command of %d bytes completed, but Need() said %d", n, need)
			}
			need = 0
			o.Cmds = append(o.Cmds, strs(args))
			pending = pending[n:]
		}
	}
	o.Rest = len(pending)
	return o
}

// isTooBig reports whether err text is one of the "too big" errors. Those
// depend on how much has arrived: Redis refuses an unterminated line once
// more than MaxInline bytes are buffered, so a line longer than that parses
// whole but fails when it trickles in. (Redis reads 16 KB at a time, so it
// too gives the "too big" answer.)
func isTooBig(s string) bool {
	return s == ErrTooBigInline.Error() || s == ErrTooBigMbulkCount.Error() || s == ErrTooBigBulkCount.Error()
}

// sameOutcome compares a split parse with the whole parse, allowing the one
// divergence Redis has: split may stop at a "too big" error where whole
// parsed a line longer than MaxInline.
func sameOutcome(whole, split outcome, inLen, maxInline int) bool {
	if reflect.DeepEqual(whole, split) {
		return true
	}
	if !isTooBig(split.Err) || inLen <= maxInline || len(split.Cmds) > len(whole.Cmds) {
		return false
	}
	for i, c := range split.Cmds {
		if !reflect.DeepEqual(whole.Cmds[i], c) {
			return false
		}
	}
	return true
}

func cmd(args ...string) []string {
	if args == nil {
		return []string{}
	}
	return args
}

func cmds(c ...[]string) [][]string { return c }

var big70k = strings.Repeat("1", 70000)

type readerCase struct {
	name   string
	in     string
	limits Limits
	want   outcome
}

var readerCases = []readerCase{
	// Multibulk.
	{name: "set", in: "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
		want: outcome{Cmds: cmds(cmd("SET", "key", "value"))}},
	{name: "pipeline", in: "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$4\r\nMSET\r\n$1\r\na\r\n$0\r\n\r\n",
		want: outcome{Cmds: cmds(cmd("PING"), cmd("GET", "k"), cmd("MSET", "a", ""))}},
	{name: "zero length bulk", in: "*2\r\n$0\r\n\r\n$0\r\n\r\n",
		want: outcome{Cmds: cmds(cmd("", ""))}},
	{name: "binary", in: "*2\r\n$4\r\nECHO\r\n$6\r\n\x00\r\n\xff*$\r\n",
		want: outcome{Cmds: cmds(cmd("ECHO", "\x00\r\n\xff*$"))}},
	{name: "count zero", in: "*0\r\n*1\r\n$4\r\nPING\r\n",
		want: outcome{Cmds: cmds(cmd(), cmd("PING"))}},
	{name: "count negative", in: "*-1\r\n*-20\r\n",
		want: outcome{Cmds: cmds(cmd(), cmd())}},
	{name: "incomplete header", in: "*3\r", want: outcome{Rest: 3}},
	{name: "incomplete bulk", in: "*1\r\n$4\r\nPIN", want: outcome{Rest: 11}},
	{name: "incomplete trailing crlf", in: "*1\r\n$4\r\nPING\r", want: outcome{Rest: 13}},
	{name: "bytes after CR are not checked", in: "*1\rx$4\rxPINGxy*1\r\n$1\r\na\r\n",
		want: outcome{Cmds: cmds(cmd("PING"), cmd("a"))}},
	{name: "count 2^31-1 waits", in: "*2147483647\r\n", want: outcome{Rest: 13}},
	{name: "count 2^31", in: "*2147483648\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count -0", in: "*-0\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count +1", in: "*+1\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count 01", in: "*01\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count empty", in: "*\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count space", in: "*1 \r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count LF only", in: "*1\n$1\r\na\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count overflow", in: "*99999999999999999999\r\n", want: outcome{Err: "ERR Protocol error: invalid multibulk length"}},
	{name: "count NUL never ends", in: "*1\x00\r\n$4\r\nPING\r\n", want: outcome{Rest: 15}},
	{name: "count too big", in: "*" + big70k, want: outcome{Err: "ERR Protocol error: too big mbulk count string"}},
	{name: "count line of exactly 64KB waits", in: "*" + big70k[:DefaultMaxInline-1], want: outcome{Rest: DefaultMaxInline}},
	{name: "unauth count 10", in: "*10\r\n", limits: Limits{Unauthenticated: true}, want: outcome{Rest: 5}},
	{name: "unauth count 11", in: "*11\r\n", limits: Limits{Unauthenticated: true},
		want: outcome{Err: "ERR Protocol error: unauthenticated multibulk length"}},
	{name: "unauth count negative", in: "*-5\r\n", limits: Limits{Unauthenticated: true}, want: outcome{Cmds: cmds(cmd())}},
	{name: "expected dollar", in: "*1\r\nX3\r\n", want: outcome{Err: "ERR Protocol error: expected '$', got 'X'"}},
	{name: "expected dollar CR", in: "*1\r\n\r\n", want: outcome{Err: "ERR Protocol error: expected '$', got ' '"}},
	{name: "expected dollar LF", in: "*1\r\n\n\r\n", want: outcome{Err: "ERR Protocol error: expected '$', got ' '"}},
	{name: "expected dollar ctl", in: "*1\r\n\x01\r\n", want: outcome{Err: "ERR Protocol error: expected '$', got '\x01'"}},
	{name: "expected dollar high", in: "*1\r\n\xff\r\n", want: outcome{Err: "ERR Protocol error: expected '$', got '\xff'"}},
	{name: "expected dollar waits for CR", in: "*1\r\nX", want: outcome{Rest: 5}},
	{name: "expected dollar second arg", in: "*2\r\n$1\r\na\r\n:1\r\n", want: outcome{Err: "ERR Protocol error: expected '$', got ':'"}},
	{name: "bulk -1", in: "*1\r\n$-1\r\n", want: outcome{Err: "ERR Protocol error: invalid bulk length"}},
	{name: "bulk empty", in: "*1\r\n$\r\n", want: outcome{Err: "ERR Protocol error: invalid bulk length"}},
	{name: "bulk junk", in: "*1\r\n$3x\r\n", want: outcome{Err: "ERR Protocol error: invalid bulk length"}},
	{name: "bulk over default max", in: "*1\r\n$536870913\r\n", want: outcome{Err: "ERR Protocol error: invalid bulk length"}},
	{name: "bulk at default max waits", in: "*1\r\n$536870912\r\n", want: outcome{Rest: 16}},
	{name: "bulk over custom max", in: "*1\r\n$11\r\n", limits: Limits{MaxBulkLen: 10}, want: outcome{Err: "ERR Protocol error: invalid bulk length"}},
	{name: "bulk at custom max", in: "*1\r\n$10\r\n0123456789\r\n", limits: Limits{MaxBulkLen: 10}, want: outcome{Cmds: cmds(cmd("0123456789"))}},
	{name: "unauth bulk 16384 waits", in: "*1\r\n$16384\r\n", limits: Limits{Unauthenticated: true}, want: outcome{Rest: 12}},
	{name: "unauth bulk 16385", in: "*1\r\n$16385\r\n", limits: Limits{Unauthenticated: true},
		want: outcome{Err: "ERR Protocol error: unauthenticated bulk length"}},
	{name: "bulk count too big", in: "*1\r\n$" + big70k, want: outcome{Err: "ERR Protocol error: too big bulk count string"}},
	{name: "too big checked before dollar", in: "*1\r\nX" + big70k, want: outcome{Err: "ERR Protocol error: too big bulk count string"}},
	{name: "small MaxInline", in: "*1\r\n$12345", limits: Limits{MaxInline: 5}, want: outcome{Err: "ERR Protocol error: too big bulk count string"}},

	// Inline.
	{name: "inline", in: "PING\r\n", want: outcome{Cmds: cmds(cmd("PING"))}},
	{name: "inline LF", in: "SET a b\nGET a\n", want: outcome{Cmds: cmds(cmd("SET", "a", "b"), cmd("GET", "a"))}},
	{name: "inline empty lines", in: "\r\n\n  \r\n\t\nPING\n", want: outcome{Cmds: cmds(cmd(), cmd(), cmd(), cmd(), cmd("PING"))}},
	{name: "inline blanks", in: " \t SET\t a  b \x0b\x0c\r\n", want: outcome{Cmds: cmds(cmd("SET", "a", "b"))}},
	{name: "inline VT inside word", in: "ECHO a\x0bb\r\n", want: outcome{Cmds: cmds(cmd("ECHO", "a\x0bb"))}},
	{name: "inline CR inside line", in: "a\rb\r\r\n", want: outcome{Cmds: cmds(cmd("a", "b"))}},
	{name: "inline double quotes", in: `SET "a b" "\x41\x4a\x4G\n\r\t\b\a\\\"\q"` + "\r\n",
		want: outcome{Cmds: cmds(cmd("SET", "a b", "AJx4G\n\r\t\b\a\\\"q"))}},
	{name: "inline single quotes", in: `SET 'it\'s' 'a\nb"'` + "\n", want: outcome{Cmds: cmds(cmd("SET", "it's", `a\nb"`))}},
	{name: "inline empty quotes", in: `SET "" ''` + "\n", want: outcome{Cmds: cmds(cmd("SET", "", ""))}},
	{name: "inline quote mid word", in: `a"b c"d` + "\n", want: outcome{Err: "ERR Protocol error: unbalanced quotes in request"}},
	{name: "inline quote opens mid word", in: `a"b c" d` + "\n", want: outcome{Cmds: cmds(cmd("ab c", "d"))}},
	{name: "inline quote then VT", in: "ECHO \"a\"\x0bb\r\n", want: outcome{Cmds: cmds(cmd("ECHO", "a", "b"))}},
	{name: "inline unbalanced", in: "ECHO \"a\r\n", want: outcome{Err: "ERR Protocol error: unbalanced quotes in request"}},
	{name: "inline unbalanced single", in: "ECHO 'a\n", want: outcome{Err: "ERR Protocol error: unbalanced quotes in request"}},
	{name: "inline text after quote", in: "ECHO \"a\"b\r\n", want: outcome{Err: "ERR Protocol error: unbalanced quotes in request"}},
	{name: "inline trailing backslash", in: "ECHO \"a\\\n", want: outcome{Err: "ERR Protocol error: unbalanced quotes in request"}},
	{name: "inline then multibulk", in: "PING\r\n*1\r\n$4\r\nPING\r\n", want: outcome{Cmds: cmds(cmd("PING"), cmd("PING"))}},
	{name: "inline incomplete", in: "PIN", want: outcome{Rest: 3}},
	{name: "inline NUL never ends", in: "PI\x00NG\r\n", want: outcome{Rest: 7}},
	{name: "inline too big", in: "PING" + big70k, want: outcome{Err: "ERR Protocol error: too big inline request"}},
	{name: "inline too big counts pipeline", in: "PI\x00NG\r\n" + big70k, want: outcome{Err: "ERR Protocol error: too big inline request"}},
	{name: "inline 64KB waits", in: big70k[:DefaultMaxInline], want: outcome{Rest: DefaultMaxInline}},
	{name: "inline 64KB+1", in: big70k[:DefaultMaxInline+1], want: outcome{Err: "ERR Protocol error: too big inline request"}},
}

func TestReaderCases(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Reader{Limits: tc.limits}
			got := parseWhole(t, r, []byte(tc.in))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestReaderSplit feeds every case one byte at a time and in two pieces cut
// at every point, with one Reader reused throughout, and expects what the
// whole buffer gave.
func TestReaderSplit(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			r := &Reader{Limits: tc.limits}
			maxInline := r.maxInline()
			whole := parseWhole(t, &Reader{Limits: tc.limits}, in)
			every := make([]int, len(in))
			for i := range every {
				every[i] = i
			}
			if got := parseSplit(t, r, in, every); !sameOutcome(whole, got, len(in), maxInline) {
				t.Fatalf("byte at a time:\ngot  %v\nwant %v", got, whole)
			}
			if len(in) > 4096 {
				return // quadratic below
			}
			for cut := 0; cut <= len(in); cut++ {
				r.Reset()
				if got := parseSplit(t, r, in, []int{cut}); !sameOutcome(whole, got, len(in), maxInline) {
					t.Fatalf("cut at %d:\ngot  %v\nwant %v", cut, got, whole)
				}
			}
		})
	}
}

func TestReaderNeed(t *testing.T) {
	var r Reader
	in := []byte("*2\r\n$3\r\nSET\r\n$100\r\n")
	if _, n, err := r.Next(in); n != 0 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if got, want := r.Need(), len(in)+102; got != want {
		t.Fatalf("Need()=%d, want %d", got, want)
	}
	in = append(in, bytes.Repeat([]byte("v"), 100)...)
	in = append(in, "\r\n"...)
	args, n, err := r.Next(in)
	if err != nil || n != len(in) || len(args) != 2 || len(args[1]) != 100 {
		t.Fatalf("n=%d err=%v args=%q", n, err, args)
	}
	if r.Need() != 0 {
		t.Fatalf("Need()=%d after a complete command", r.Need())
	}
}

func TestReaderErrorsAreSentinels(t *testing.T) {
	var r Reader
	_, _, err := r.Next([]byte("*x\r\n"))
	if !errors.Is(err, ErrInvalidMultibulkLen) {
		t.Fatalf("got %v", err)
	}
	// The Reader is usable again after an error.
	args, n, err := r.Next([]byte("*1\r\n$4\r\nPING\r\n"))
	if err != nil || n != 14 || len(args) != 1 || string(args[0]) != "PING" {
		t.Fatalf("after error: %q %d %v", args, n, err)
	}
}

// TestReaderShorterBuffer: a caller that breaks the contract (a shorter
// buffer after an incomplete command) gets a fresh parse, not a panic.
func TestReaderShorterBuffer(t *testing.T) {
	var r Reader
	if _, n, _ := r.Next([]byte("*2\r\n$3\r\nGET\r\n$1\r\n")); n != 0 {
		t.Fatal("want incomplete")
	}
	args, n, err := r.Next([]byte("PING\r\n"))
	if err != nil || n != 6 || len(args) != 1 || string(args[0]) != "PING" {
		t.Fatalf("%q %d %v", args, n, err)
	}
	if _, n, _ := r.Next([]byte("*2\r\n$3\r\nGET\r\n$1\r\n")); n != 0 {
		t.Fatal("want incomplete")
	}
	args, n, err = r.Next([]byte("*1\r\n$1\r\na\r\n"))
	if err != nil || n != 11 || len(args) != 1 || string(args[0]) != "a" {
		t.Fatalf("%q %d %v", args, n, err)
	}
}

func TestReaderDropsHugeArgTable(t *testing.T) {
	var r Reader
	in := []byte("*2000\r\n")
	for range 2000 {
		in = append(in, "$1\r\nx\r\n"...)
	}
	args, n, err := r.Next(in)
	if err != nil || n != len(in) || len(args) != 2000 {
		t.Fatal(len(args), n, err)
	}
	if cap(r.offs) != 0 || cap(r.args) != 0 {
		t.Fatalf("kept %d offsets, %d args", cap(r.offs), cap(r.args))
	}
	if string(args[1999]) != "x" {
		t.Fatal("returned args clobbered")
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"  \t ", nil, false},
		{"set a b", []string{"set", "a", "b"}, false},
		{`"a b" 'c d'`, []string{"a b", "c d"}, false},
		{`"\x00\xff\xFf"`, []string{"\x00\xff\xff"}, false},
		{`"\x0"`, []string{"x0"}, false},
		{`'\x41\''`, []string{`\x41'`}, false},
		{`a"b"`, []string{"ab"}, false},
		{`"a"b`, nil, true},
		{`'a'b`, nil, true},
		{`"a`, nil, true},
		{`'a`, nil, true},
		{"a\x00b c", []string{"a"}, false},
		{"\"a\x00b\"", nil, true},
		{"x \"a\"\x0c", []string{"x", "a"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			dst := [][]byte{[]byte("keep")}
			scratch := []byte("s")
			dst, scratch, err := SplitArgs([]byte(tc.in), dst, scratch)
			if tc.err {
				if !errors.Is(err, ErrUnbalancedQuotes) || len(dst) != 1 || len(scratch) != 1 {
					t.Fatalf("err=%v dst=%q scratch=%q", err, dst, scratch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := strs(dst[1:])
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tc.want) || string(dst[0]) != "keep" || scratch[0] != 's' {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSplitArgsScratchGrowth: quoted words stay intact when scratch has to
// grow in the middle of a line.
func TestSplitArgsScratchGrowth(t *testing.T) {
	var line []byte
	var want []string
	for i := range 50 {
		w := strings.Repeat(string(rune('a'+i%26)), i)
		line = fmt.Appendf(line, "%q plain%d ", w, i)
		want = append(want, w, fmt.Sprintf("plain%d", i))
	}
	dst, _, err := SplitArgs(line, nil, make([]byte, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := strs(dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

var setCmd = []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")

func pipeline(n int) []byte {
	var b []byte
	for i := range n {
		switch i % 3 {
		case 0:
			b = append(b, setCmd...)
		case 1:
			b = append(b, "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"...)
		default:
			b = append(b, "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"...)
		}
	}
	return b
}

func TestReaderAllocs(t *testing.T) {
	var r Reader
	r.Next(setCmd) // warm up: the first command sizes the Reader
	if a := testing.AllocsPerRun(1000, func() {
		if _, n, err := r.Next(setCmd); n != len(setCmd) || err != nil {
			t.Fatal(n, err)
		}
	}); a != 0 {
		t.Errorf("SET: %v allocs per command", a)
	}

	batch := pipeline(64)
	run := func() {
		buf := batch
		for len(buf) > 0 {
			_, n, err := r.Next(buf)
			if n == 0 || err != nil {
				t.Fatal(n, err)
			}
			buf = buf[n:]
		}
	}
	run()
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("pipeline: %v allocs per batch", a)
	}

	// Resumed: a command arriving in pieces.
	split := func() {
		for i := 1; i < len(setCmd); i += 7 {
			if _, n, _ := r.Next(setCmd[:i]); n != 0 {
				t.Fatal("complete too early")
			}
		}
		if _, n, _ := r.Next(setCmd); n != len(setCmd) {
			t.Fatal("incomplete")
		}
	}
	if a := testing.AllocsPerRun(100, split); a != 0 {
		t.Errorf("split: %v allocs", a)
	}

	// Inline, with and without quotes, once scratch is warm.
	inline := []byte("SET \"a key\" 'a value' plain\r\n")
	r.Next(inline)
	if a := testing.AllocsPerRun(1000, func() { r.Next(inline) }); a != 0 {
		t.Errorf("inline: %v allocs", a)
	}
}

// TestReaderResumeIsCheap: re-calling Next on a big incomplete bulk must not
// rescan the payload.
func TestReaderResumeIsCheap(t *testing.T) {
	const size = 1 << 20
	in := fmt.Appendf(nil, "*2\r\n$3\r\nSET\r\n$%d\r\n", size)
	hdr := len(in)
	in = append(in, bytes.Repeat([]byte{'\r'}, size)...)
	in = append(in, "\r\n"...)
	var r Reader
	for end := hdr; end < len(in); end += 4096 {
		if _, n, err := r.Next(in[:end]); n != 0 || err != nil {
			t.Fatal(n, err)
		}
		if r.pos != hdr {
			t.Fatalf("pos %d moved while the payload is incomplete", r.pos)
		}
	}
	args, n, err := r.Next(in)
	if err != nil || n != len(in) || len(args[1]) != size {
		t.Fatal(n, err)
	}
}

func BenchmarkReaderSet(b *testing.B) {
	var r Reader
	b.ReportAllocs()
	b.SetBytes(int64(len(setCmd)))
	for b.Loop() {
		if _, n, err := r.Next(setCmd); n != len(setCmd) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkReaderPipeline(b *testing.B) {
	var r Reader
	batch := pipeline(100)
	b.ReportAllocs()
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		buf := batch
		for len(buf) > 0 {
			_, n, err := r.Next(buf)
			if n == 0 || err != nil {
				b.Fatal(n, err)
			}
			buf = buf[n:]
		}
	}
}

func BenchmarkReaderInline(b *testing.B) {
	var r Reader
	line := []byte("SET key \"a quoted value\"\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, n, err := r.Next(line); n != len(line) || err != nil {
			b.Fatal(n, err)
		}
	}
}

// startRedis starts a throwaway redis-server on a free loopback port in
// 16200-16299 and stops it, by pid, when the test ends.
func startRedis(t *testing.T, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	for port := 16200; port < 16300; port++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		addr := l.Addr().String()
		args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return addr
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("redis-server on %s did not start", addr)
	}
	t.Fatal("no free port in 16200-16299")
	return ""
}

// redisReply sends in and returns what the server sends until it closes
// the connection or goes quiet.
func redisReply(t *testing.T, addr string, in []byte) (out []byte, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(in); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	out, err = io.ReadAll(c)
	return out, err == nil
}

// TestReaderMatchesRedis sends every error case of the table to a real
// redis-server 7.0 and checks that it answers with the same error as its
// last reply and closes the connection.
func TestReaderMatchesRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	open := startRedis(t)
	locked := startRedis(t, "--requirepass", "pw")
	for _, tc := range readerCases {
		if tc.want.Err == "" || tc.limits.MaxBulkLen != 0 || tc.limits.MaxInline != 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			addr := open
			if tc.limits.Unauthenticated {
				addr = locked
			}
			out, closed := redisReply(t, addr, []byte(tc.in))
			if !closed {
				t.Errorf("connection still open after %q", out)
			}
			if want := "-" + tc.want.Err + "\r\n"; !bytes.HasSuffix(out, []byte(want)) {
				t.Errorf("redis replied %q, want it to end with %q", out, want)
			}
			if n := strings.Count(string(out), "Protocol error"); n != 1 {
				t.Errorf("%d protocol errors in %q", n, out)
			}
		})
	}
}

func TestPeekKeyArg(t *testing.T) {
	for _, c := range []struct {
		in  string
		key string
		n   int
	}{
		{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "key", 22},
		{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n", "key", 22},
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", "k", 26},
		{"*2\r\n$3\r\nGET\r\n$3\r\nkey\r", "", 0},   // incomplete
		{"*1\r\n$4\r\nPING\r\n", "", 0},             // no key argument
		{"GET key\r\n", "", 0},                      // inline
		{"*2\r\n$3\r\nGET\r\n:3\r\nkey\r\n", "", 0}, // not a bulk
		{"*2\r\n$3\r\nGET\r\n$9\r\nkey\r\n", "", 0}, // length past the end
	} {
		key, n := PeekKeyArg([]byte(c.in))
		if string(key) != c.key || n != c.n {
			t.Errorf("PeekKeyArg(%q) = %q, %d; want %q, %d", c.in, key, n, c.key, c.n)
		}
	}
}
