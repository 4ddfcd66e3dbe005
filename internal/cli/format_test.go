package cli

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/resp"
)

func parse(t testing.TB, wire string) client.Value {
	t.Helper()
	v, _, err := resp.ReadReply(bufio.NewReader(strings.NewReader(wire)))
	if err != nil {
		t.Fatalf("parse %q: %v", wire, err)
	}
	return v
}

// The expected texts are what redis-cli 7.0.15 prints for the same frames
// (the process tests in test/cli compare the two binaries directly).
func TestFormats(t *testing.T) {
	cases := []struct {
		name, wire, tty, raw, csv string
	}{
		{"status", "+OK\r\n", "OK\n", "OK", `"OK"`},
		{"error", "-ERR bad\r\n", "(error) ERR bad\n", "ERR bad\n", `ERROR,"ERR bad"`},
		{"int", ":-3\r\n", "(integer) -3\n", "-3", "-3"},
		{"bulk", "$5\r\na\"b\nc\r\n", "\"a\\\"b\\nc\"\n", "a\"b\nc", `"a\"b\nc"`},
		{"nil", "$-1\r\n", "(nil)\n", "", "NULL"},
		{"nil array", "*-1\r\n", "(nil)\n", "", "NULL"},
		{"empty", "*0\r\n", "(empty array)\n", "", ""},
		{"array", "*2\r\n$1\r\na\r\n:1\r\n", "1) \"a\"\n2) (integer) 1\n", "a\n1", `"a",1`},
		{"nested", "*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n", "1) 1) (integer) 1\n   2) (integer) 2\n2) \"x\"\n", "1\n2\nx", `1,2,"x"`},
		{"ten", "*10\r\n" + strings.Repeat(":0\r\n", 10), tenTTY(), strings.TrimSuffix(strings.Repeat("0\n", 10), "\n"), strings.TrimSuffix(strings.Repeat("0,", 10), ",")},
		{"map", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*2\r\n:1\r\n:2\r\n", "1# \"a\" => (integer) 1\n2# \"b\" => \n   1) (integer) 1\n   2) (integer) 2\n", "a 1\nb 1\n2", `"a",1,"b",1,2`},
		{"empty map", "%0\r\n", "(empty hash)\n", "", ""},
		{"set", "~1\r\n$1\r\nx\r\n", "1~ \"x\"\n", "x", `"x"`},
		{"double", ",1.5\r\n", "(double) 1.5\n", "1.5", "1.5"},
		{"bool", "#t\r\n", "(true)\n", "(true)", "true"},
		{"null", "_\r\n", "(nil)\n", "", "NULL"},
		{"verbatim", "=7\r\ntxt:a b\r\n", "a b\n", "a b", `"a b"`},
	}
	for _, c := range cases {
		v := parse(t, c.wire)
		if got := FormatTTY(v, ""); got != c.tty {
			t.Errorf("%s tty: got %q want %q", c.name, got, c.tty)
		}
		if got := FormatRaw(v, "\n"); got != c.raw {
			t.Errorf("%s raw: got %q want %q", c.name, got, c.raw)
		}
		if got := FormatCSV(v); got != c.csv {
			t.Errorf("%s csv: got %q want %q", c.name, got, c.csv)
		}
	}
}

// tenTTY is a ten-element array on a terminal: indexes right-aligned.
func tenTTY() string {
	var b strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "%2d) (integer) 0\n", i)
	}
	return b.String()
}

func TestParseURI(t *testing.T) {
	cases := []struct {
		uri        string
		host       string
		port, db   int
		user, auth string
		err        string
	}{
		{uri: "redis://h:7001/3", host: "h", port: 7001, db: 3},
		{uri: "redis://u:p%40ss@h", host: "h", port: 6379, user: "u", auth: "p@ss"},
		{uri: "redis://pw@127.0.0.1:1", host: "127.0.0.1", port: 1, auth: "pw"},
		{uri: "REDIS://h", host: "h", port: 6379},
		{uri: "redis://", host: "127.0.0.1", port: 6379},
		{uri: "http://h", err: "Invalid URI scheme\n"},
		{uri: "redis://a%4@h", err: "Illegal character in URI encoding\n"},
		{uri: "redis://a%@h", err: "Incomplete URI encoding\n"},
	}
	for _, c := range cases {
		cfg := &Config{Host: "127.0.0.1", Port: 6379}
		err := parseURI(c.uri, cfg)
		if c.err != "" {
			if err == nil || err.(*exitError).msg != c.err {
				t.Errorf("%s: err %v, want %q", c.uri, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Host != c.host || cfg.Port != c.port || cfg.DB != c.db || cfg.User != c.user || cfg.Auth != c.auth {
			t.Errorf("%s: got %+v err %v", c.uri, cfg, err)
		}
	}
}

// FuzzParseArgs: no command line makes the option parser panic.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"-h x -p 1 get a", "--cluster create a:1 b:2 --cluster-replicas 1", "-u redis://u:p@h:1/2 -3",
		"--cluster-weight a=1 b=2 --cluster-yes", "--cluster rebalance h:1 --cluster-weight", "-x -X t", "-p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ParseArgs(strings.Fields(line), false)
	})
}

// FuzzFormat: any reply the protocol reader accepts formats without a
// panic in every mode.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n%1\r\n:1\r\n~0\r\n=5\r\ntxt:a\r\n", "*1\r\n*1\r\n*0\r\n", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, _, err := resp.ReadReply(bufio.NewReader(strings.NewReader(string(b))))
		if err != nil {
			return
		}
		FormatTTY(v, "")
		FormatRaw(v, "\n")
		FormatCSV(v)
		if isInvalidate(v) {
			formatInvalidate(v)
		}
	})
}
