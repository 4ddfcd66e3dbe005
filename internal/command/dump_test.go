package command

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/stream"
)

// TestRestorePropagation: RESTORE's effects in the write stream, as Redis
// 7.0 rewrites them: a relative TTL becomes absolute with ABSTTL appended,
// a past TTL that removed a key becomes DEL, otherwise the command goes
// verbatim (no explicit Propagate).
func TestRestorePropagation(t *testing.T) {
	e := newTestEnv(t)
	e.effects = &stream.Batch{}
	e.do("SET", "src", "v")
	p := e.do("DUMP", "src")
	// Raw bulk reply: $n\r\n<payload>\r\n
	payload := p[strings.Index(p, "\r\n")+2 : len(p)-2]
	cmdRESP := func(args ...string) string {
		var b [][]byte
		for _, a := range args {
			b = append(b, []byte(a))
		}
		return string(stream.AppendCommand(nil, b))
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"RESTORE", "k", "0", payload}, ""},
		{[]string{"RESTORE", "k", "5000", payload, "REPLACE"},
			cmdRESP("RESTORE", "k", strconv.FormatInt(e.now+5000, 10), payload, "REPLACE", "ABSTTL")},
		{[]string{"RESTORE", "k", "1", payload, "REPLACE", "ABSTTL"}, cmdRESP("DEL", "k")},
		{[]string{"RESTORE", "gone", "1", payload, "ABSTTL"}, ""},
	}
	for _, tc := range cases {
		e.effects.Reset()
		if r := e.do(tc.args...); r != "+OK\r\n" {
			t.Fatalf("%v: %q", tc.args[:3], r)
		}
		if got := string(e.effects.Bytes()); got != tc.want {
			t.Errorf("%v propagated %q, want %q", tc.args[:3], got, tc.want)
		}
	}
	if r := e.do("EXISTS", "k", "gone"); r != ":0\r\n" {
		t.Fatalf("EXISTS after past-TTL restores: %q", r)
	}
}
