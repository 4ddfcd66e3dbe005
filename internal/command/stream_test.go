package command

import (
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/stream"
)

func cmdRESP(args ...string) string {
	var b [][]byte
	for _, a := range args {
		b = append(b, []byte(a))
	}
	return string(stream.AppendCommand(nil, b))
}

// TestStreamPropagation: XADD/XTRIM effects as Redis 7.0 rewrites them:
// the generated ID replaces * and ms-*, and "~ n" becomes "= <resulting
// length>" (MAXLEN) or "= <first ID>" (MINID).
func TestStreamPropagation(t *testing.T) {
	e := newTestEnv(t)
	e.effects = &stream.Batch{}
	now := strconv.FormatInt(e.now, 10)
	e.settings.Limits.StreamNodeMaxEntries = 2
	// "" where the command goes verbatim (the dispatcher copies its
	// arguments; nothing is recorded through Propagate).
	cases := []struct {
		args  []string
		reply string
		want  string
	}{
		{[]string{"XADD", "s", "1-1", "f", "v"}, "$3\r\n1-1\r\n", ""},
		{[]string{"XADD", "s", "1-*", "f", "v"}, "$3\r\n1-2\r\n", cmdRESP("XADD", "s", "1-2", "f", "v")},
		{[]string{"XADD", "s", "*", "f", "v"}, "$15\r\n" + now + "-0\r\n", cmdRESP("XADD", "s", now+"-0", "f", "v")},
		// Nodes of 2 entries: "~ 1" drops the first node only.
		{[]string{"XADD", "s", "NOMKSTREAM", "MAXLEN", "~", "1", "*", "f", "v"}, "$15\r\n" + now + "-1\r\n",
			cmdRESP("XADD", "s", "NOMKSTREAM", "MAXLEN", "=", "2", now+"-1", "f", "v")},
		{[]string{"XADD", "s", "MINID", "~", "0", "9999999999999-0", "f", "v"}, "$15\r\n9999999999999-0\r\n",
			cmdRESP("XADD", "s", "MINID", "=", now+"-0", "9999999999999-0", "f", "v")},
		{[]string{"XADD", "s", "MAXLEN", "100", "9999999999999-1", "f", "v"}, "$15\r\n9999999999999-1\r\n", ""},
		{[]string{"XTRIM", "s", "MAXLEN", "~", "3"}, ":0\r\n", ""},
		{[]string{"XTRIM", "s", "MAXLEN", "~", "1"}, ":2\r\n", cmdRESP("XTRIM", "s", "MAXLEN", "=", "2")},
		{[]string{"XTRIM", "s", "MINID", "~", "9999999999999-1"}, ":0\r\n", ""},
		{[]string{"XTRIM", "s", "MINID", "~", "9999999999999-2"}, ":2\r\n",
			cmdRESP("XTRIM", "s", "MINID", "=", "18446744073709551615-18446744073709551615")},
		{[]string{"XADD", "nomk", "NOMKSTREAM", "*", "f", "v"}, "$-1\r\n", ""},
	}
	for _, tc := range cases {
		e.effects.Reset()
		if r := e.do(tc.args...); r != tc.reply {
			t.Fatalf("%v: reply %q, want %q", tc.args, r, tc.reply)
		}
		if got := string(e.effects.Bytes()); got != tc.want {
			t.Errorf("%v propagated %q, want %q", tc.args, got, tc.want)
		}
	}
	if r := e.do("XLEN", "s"); r != ":0\r\n" {
		t.Fatalf("XLEN: %q", r)
	}
}

// FuzzStreamID: parseStreamID never panics, and what it accepts prints
// back to an ID it parses to the same value.
func FuzzStreamID(f *testing.F) {
	for _, s := range []string{"-", "+", "1", "1-2", "1-*", "  5-1", "+5", "1--0", "01-01", "18446744073709551615-18446744073709551615", "18446744073709551616", "", "-1", "1-", "a-b"} {
		f.Add(s)
	}
	e := newTestEnv(f)
	c := &Ctx{W: &resp.Writer{Proto: 2}, KS: e.ks}
	f.Fuzz(func(t *testing.T, s string) {
		var seqGiven bool
		id, ok := parseStreamID(c, []byte(s), 7, false, &seqGiven)
		if !ok {
			return
		}
		back, ok := parseStreamID(c, id.Append(nil), 0, true, nil)
		if !ok || back != id {
			t.Fatalf("%q -> %v -> %v %v", s, id, back, ok)
		}
	})
}

// TestSetDeferredLen: the deferred header becomes the right length
// whatever its width, the body intact.
func TestSetDeferredLen(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 99, 100, 12345} {
		for _, proto := range []int{2, 3} {
			for _, isMap := range []bool{false, true} {
				c := &Ctx{W: &resp.Writer{Proto: proto}}
				c.W.Buf = append(c.W.Buf, "prefix"...)
				start := len(c.W.Buf)
				c.W.Array(0)
				hdr := len(c.W.Buf)
				c.W.Buf = append(c.W.Buf, "BODY-BYTES"...)
				setDeferredLen(c, start, hdr, n, isMap)
				want := &resp.Writer{Proto: proto}
				want.Buf = append(want.Buf, "prefix"...)
				if isMap {
					want.Map(n)
				} else {
					want.Array(n)
				}
				want.Buf = append(want.Buf, "BODY-BYTES"...)
				if string(c.W.Buf) != string(want.Buf) {
					t.Fatalf("n=%d proto=%d map=%v: %q, want %q", n, proto, isMap, c.W.Buf, want.Buf)
				}
			}
		}
	}
}
