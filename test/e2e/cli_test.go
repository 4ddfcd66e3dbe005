package e2e

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// cliCase is one redis-cli invocation, run against redis-server and then
// shoal-server; stdout, stderr and the exit code must be identical.
type cliCase struct {
	name  string
	args  []string // after -p PORT
	stdin string
	norm  func(string) string // applied to stdout before comparing, if set
	want  string              // stdout must contain this (checked on both)
}

// TestCLI drives both servers with the real redis-cli, one-shot and piped,
// and compares the outputs byte for byte. The cases run in order and change
// both servers' data the same way.
func TestCLI(t *testing.T) {
	t.Parallel()
	rd, sh := testutil.StartRedis(t), testutil.StartShoal(t)
	cases := []cliCase{
		{name: "set", args: []string{"set", "k", "v"}, want: "OK\n"},
		{name: "get", args: []string{"get", "k"}, want: "v\n"},
		{name: "get missing", args: []string{"get", "missing"}},
		{name: "get missing no-raw", args: []string{"--no-raw", "get", "missing"}, want: "(nil)\n"},
		{name: "error plain", args: []string{"incr", "k"}, want: "ERR value is not an integer or out of range\n"},
		{name: "error no-raw", args: []string{"--no-raw", "incr", "k"}, want: "(error) ERR value is not an integer or out of range\n"},
		{name: "error exit code", args: []string{"-e", "incr", "k"}},
		{name: "unknown command", args: []string{"nosuch", "a", "b"}, want: "ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \n"},
		{name: "wrong arity", args: []string{"get"}},
		{name: "mset", args: []string{"mset", "a", "1", "b", "2", "sp ace", "x y"}},
		{name: "mget", args: []string{"mget", "a", "b", "nope", "sp ace"}},
		{name: "mget no-raw", args: []string{"--no-raw", "mget", "a", "b", "nope", "sp ace"}, want: "1) \"1\"\n2) \"2\"\n3) (nil)\n4) \"x y\"\n"},
		{name: "incr no-raw", args: []string{"--no-raw", "incr", "a"}, want: "(integer) 2\n"},
		{name: "binary no-raw", args: []string{"--no-raw", "echo", "a\x01\xffb\"\n"}},
		{name: "binary raw", args: []string{"--raw", "echo", "a\x01\xffb\"\n"}},
		{name: "csv", args: []string{"--csv", "mget", "a", "b", "nope"}},
		{name: "zadd", args: []string{"zadd", "z", "1", "one", "2.5", "two"}},
		{name: "zrange withscores", args: []string{"--no-raw", "zrange", "z", "0", "-1", "withscores"}},
		{name: "type", args: []string{"type", "z"}, want: "zset\n"},
		{name: "wrongtype", args: []string{"--no-raw", "get", "z"}, want: "(error) WRONGTYPE"},
		{name: "ttl", args: []string{"--no-raw", "ttl", "a"}, want: "(integer) -1\n"},
		{name: "resp3 zrange", args: []string{"-3", "--no-raw", "zrange", "z", "0", "-1", "withscores"}, want: "   2) (double) 2.5\n"},
		{name: "resp3 zscore", args: []string{"-3", "--no-raw", "zscore", "z", "two"}, want: "(double) 2.5\n"},
		{name: "resp3 nil", args: []string{"-3", "--no-raw", "get", "missing"}, want: "(nil)\n"},
		{name: "resp3 map", args: []string{"-3", "--no-raw", "config", "get", "maxmemory"}, want: "1# \"maxmemory\" => \"0\"\n"},
		{name: "resp3 raw", args: []string{"-3", "zrange", "z", "0", "-1", "withscores"}},
		{name: "repeat", args: []string{"-r", "5", "incr", "x"}, want: "1\n2\n3\n4\n5\n"},
		{name: "repeat no-raw", args: []string{"--no-raw", "-r", "3", "incr", "x"}, want: "(integer) 6\n(integer) 7\n(integer) 8\n"},
		{name: "stdin -x", args: []string{"-x", "set", "fromstdin"}, stdin: "line1\nline2\n"},
		{name: "stdin -x get", args: []string{"--no-raw", "get", "fromstdin"}, want: "\"line1\\nline2\\n\"\n"},
		{name: "db select", args: []string{"-n", "2", "set", "indb2", "v"}},
		{name: "db dbsize", args: []string{"-n", "2", "dbsize"}, want: "1\n"},
		{name: "piped", stdin: "SET a 1\nINCR a\nGET a\n", want: "OK\n2\n2\n"},
		{name: "piped errors", stdin: "SET a 1\nINCR nope nope\nFOO\nGET \"a\"\nECHO 'x y'\n"},
		{name: "piped quotes", stdin: "SET q \"a\\nb\"\nGET q\nSET bad \"unterminated\n"},
		{name: "scan", args: []string{"--scan", "--pattern", "*"}, norm: sortLines},
		{name: "scan pattern", args: []string{"--scan", "--pattern", "[ab]"}, norm: sortLines, want: "a\nb\n"},
		{name: "bigkeys", args: []string{"--bigkeys"}, norm: bigkeysSummary, want: "Biggest   zset found '\"z\"' has 2 members"},
		{name: "del", args: []string{"del", "a", "b", "z", "nope"}, want: "3\n"},
		{name: "flushall", args: []string{"flushall"}},
		{name: "dbsize", args: []string{"dbsize"}, want: "0\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdin *strings.Reader
			if tc.stdin != "" {
				stdin = strings.NewReader(tc.stdin)
			}
			want := cliRun(t, stdin, rd.Port, tc.args)
			if tc.stdin != "" {
				stdin = strings.NewReader(tc.stdin)
			}
			got := cliRun(t, stdin, sh.Port, tc.args)
			if tc.norm != nil {
				want.Stdout, got.Stdout = tc.norm(want.Stdout), tc.norm(got.Stdout)
			}
			sameTool(t, got, want)
			testutil.True(t, strings.Contains(got.Stdout, tc.want), fmt.Sprintf("stdout %q does not contain %q", got.Stdout, tc.want))
		})
	}

	t.Run("eval", func(t *testing.T) {
		got := cli(t, nil, sh.Port, "--eval", "/dev/null")
		if strings.Contains(got.Stdout, "unknown command 'EVAL'") {
			t.Skip("no scripting in shoal-server yet: " + strings.TrimSpace(got.Stdout))
		}
		sameTool(t, got, cli(t, nil, rd.Port, "--eval", "/dev/null"))
	})
}

// cliRun is cli with a possibly-nil *strings.Reader (a nil interface for
// exec when there is no input).
func cliRun(t *testing.T, stdin *strings.Reader, port int, args []string) toolResult {
	t.Helper()
	if stdin == nil {
		return cli(t, nil, port, args...)
	}
	return cli(t, stdin, port, args...)
}

// sameTool fails the test unless got (shoal) equals want (redis).
func sameTool(t *testing.T, got, want toolResult) {
	t.Helper()
	if got != want {
		t.Fatalf("shoal and redis differ\nshoal: code %d stdout %q stderr %q\nredis: code %d stdout %q stderr %q",
			got.Code, got.Stdout, got.Stderr, want.Code, want.Stdout, want.Stderr)
	}
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// bigkeysSummary keeps the part of --bigkeys output that does not depend on
// SCAN order: from the summary on.
func bigkeysSummary(s string) string {
	if i := strings.Index(s, "-------- summary -------"); i >= 0 {
		return s[i:]
	}
	return s
}

// TestCLIPipe is mass insertion with redis-cli --pipe: 10000 SETs in RESP,
// with the same summary from both servers, then the data is there.
func TestCLIPipe(t *testing.T) {
	t.Parallel()
	rd, sh := testutil.StartRedis(t), testutil.StartShoal(t)
	const total = 10000
	var in []byte
	for i := range total {
		in = testutil.AppendCommand(in, "SET", "key:"+strconv.Itoa(i), strings.Repeat("v", i%100))
	}
	want := cli(t, strings.NewReader(string(in)), rd.Port, "--pipe")
	got := cli(t, strings.NewReader(string(in)), sh.Port, "--pipe")
	sameTool(t, got, want)
	testutil.True(t, strings.HasSuffix(got.Stdout, "errors: 0, replies: 10000\n"), "--pipe summary: "+got.Stdout)
	testutil.Equal(t, cli(t, nil, sh.Port, "dbsize").Stdout, "10000\n")
	testutil.Equal(t, cli(t, nil, sh.Port, "strlen", "key:9999").Stdout, "99\n")

	// Errors are counted, not fatal.
	in = testutil.AppendCommand(nil, "INCR", "key:1")
	in = testutil.AppendCommand(in, "SET", "x", "1")
	in = testutil.AppendCommand(in, "NOSUCH")
	want = cli(t, strings.NewReader(string(in)), rd.Port, "--pipe")
	got = cli(t, strings.NewReader(string(in)), sh.Port, "--pipe")
	sameTool(t, got, want)
	testutil.True(t, strings.HasSuffix(got.Stdout, "errors: 2, replies: 3\n"), "--pipe summary: "+got.Stdout)
}

// TestCLITTY checks redis-cli's two output modes: with a terminal on stdout
// it formats replies ((error), (integer), quoted strings); without one it
// prints them plain. The terminal comes from script(1).
func TestCLITTY(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) not found; cannot give redis-cli a terminal")
	}
	testutil.SkipIfNoRedis(t)
	rd, sh := testutil.StartRedis(t), testutil.StartShoal(t)
	cases := []struct {
		cmd      string
		tty, raw string
	}{
		{"set k v", "OK\r\n", "OK\n"},
		{"get k", "\"v\"\r\n", "v\n"},
		{"incr k", "(error) ERR value is not an integer or out of range\r\n", "ERR value is not an integer or out of range\n\n"},
		{"get missing", "(nil)\r\n", "\n"},
		{"append k w", "(integer) 2\r\n", "2\n"},
		{"mget k missing", "1) \"vw\"\r\n2) (nil)\r\n", "vw\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			var outs [2]toolResult
			for i, n := range []*testutil.Node{rd, sh} {
				line := fmt.Sprintf("%s -p %d %s", testutil.RedisCLI(), n.Port, tc.cmd)
				outs[i] = runTool(t, nil, script, "-qec", line, "/dev/null")
			}
			sameTool(t, outs[1], outs[0])
			testutil.Equal(t, outs[1].Stdout, tc.tty)
			// Without a terminal, output is plain (the same command, once
			// more, leaves the data as it was except for APPEND; compare
			// with redis anyway).
			if tc.cmd == "append k w" {
				return
			}
			plain := cli(t, nil, sh.Port, strings.Fields(tc.cmd)...)
			sameTool(t, plain, cli(t, nil, rd.Port, strings.Fields(tc.cmd)...))
			testutil.Equal(t, plain.Stdout, tc.raw)
		})
	}
}
