package cli_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

type oneshot struct {
	name  string
	setup [][]string // commands sent before each run (after FLUSHALL)
	args  []string   // after -h/-p
	stdin string
	env   []string
	noHP  bool // do not add -h/-p (the case names its own server)
}

var fakeTTY = []string{"FAKETTY=1"}

var (
	clientIDRE = regexp.MustCompile(`"id"(?: => \(integer\) |:)\d+`)
	numberRE   = regexp.MustCompile(`\d+(\.\d+)?`)
)

func oneshotCorpus() []oneshot {
	data := [][]string{
		{"SET", "s", "hello"}, {"SET", "bin", "a\x00b\n\"q\"\t\xff"}, {"RPUSH", "l", "a", "b c", "", "3"},
		{"HSET", "h", "f1", "v1", "f2", "2"}, {"SADD", "set", "x"}, {"ZADD", "z", "1.5", "m1", "2", "m2"},
		{"SET", "n", "10"},
	}
	c := []oneshot{
		{name: "ping", args: []string{"ping"}},
		{name: "ping tty", args: []string{"ping"}, env: fakeTTY},
		{name: "get raw", setup: data, args: []string{"get", "s"}},
		{name: "get tty", setup: data, args: []string{"get", "s"}, env: fakeTTY},
		{name: "get binary tty", setup: data, args: []string{"get", "bin"}, env: fakeTTY},
		{name: "get binary csv", setup: data, args: []string{"--csv", "get", "bin"}},
		{name: "get missing raw", args: []string{"get", "nokey"}},
		{name: "get missing tty", args: []string{"--no-raw", "get", "nokey"}},
		{name: "get missing csv", args: []string{"--csv", "get", "nokey"}},
		{name: "incr tty", setup: data, args: []string{"--no-raw", "incr", "n"}},
		{name: "incr raw", setup: data, args: []string{"incr", "n"}},
		{name: "lrange tty", setup: data, args: []string{"--no-raw", "lrange", "l", "0", "-1"}},
		{name: "lrange raw", setup: data, args: []string{"lrange", "l", "0", "-1"}},
		{name: "lrange csv", setup: data, args: []string{"--csv", "lrange", "l", "0", "-1"}},
		{name: "lrange -d", setup: data, args: []string{"-d", "|", "lrange", "l", "0", "-1"}},
		{name: "get -D", setup: data, args: []string{"-D", "<>", "get", "s"}},
		{name: "empty array tty", args: []string{"--no-raw", "lrange", "none", "0", "-1"}},
		{name: "hgetall tty", setup: data, args: []string{"--no-raw", "hgetall", "h"}},
		{name: "hgetall resp3 tty", setup: data, args: []string{"-3", "--no-raw", "hgetall", "h"}},
		{name: "hgetall resp3 raw", setup: data, args: []string{"-3", "hgetall", "h"}},
		{name: "hgetall resp3 csv", setup: data, args: []string{"-3", "--csv", "hgetall", "h"}},
		{name: "empty map resp3", args: []string{"-3", "--no-raw", "hgetall", "none"}},
		{name: "smembers resp3 tty", setup: data, args: []string{"-3", "--no-raw", "smembers", "set"}},
		{name: "empty set resp3", args: []string{"-3", "--no-raw", "smembers", "none"}},
		{name: "zscore resp3 double", setup: data, args: []string{"-3", "--no-raw", "zscore", "z", "m1"}},
		{name: "zscore resp3 raw", setup: data, args: []string{"-3", "zscore", "z", "m1"}},
		{name: "zrange withscores resp3", setup: data, args: []string{"-3", "--no-raw", "zrange", "z", "0", "-1", "withscores"}},
		{name: "get missing resp3", args: []string{"-3", "--no-raw", "get", "nokey"}},
		{name: "nested exec tty", setup: data, args: []string{"--no-raw", "eval", "return {1,'a',{2,{'x'}},{}}", "0"}},
		{name: "nested exec raw", setup: data, args: []string{"eval", "return {1,'a',{2,{'x'}}}", "0"}},
		{name: "error tty", args: []string{"--no-raw", "nosuchcommand", "x"}},
		{name: "error raw", args: []string{"nosuchcommand"}},
		{name: "error csv", args: []string{"--csv", "nosuchcommand"}},
		{name: "error -e", args: []string{"-e", "nosuchcommand"}},
		{name: "wrongtype -e", setup: data, args: []string{"-e", "--no-raw", "lpush", "s", "x"}},
		{name: "repeat", args: []string{"-r", "3", "incr", "cnt"}},
		{name: "repeat tty", args: []string{"-r", "3", "--no-raw", "incr", "cnt"}},
		{name: "repeat interval", args: []string{"-r", "2", "-i", "0.01", "ping"}},
		{name: "db select", args: []string{"-n", "3", "--no-raw", "set", "k", "v"}},
		{name: "db select bad", args: []string{"-n", "99", "ping"}},
		{name: "-x", args: []string{"-x", "set", "fromstdin"}, stdin: "line1\nline2\n"},
		{name: "-x then get", setup: [][]string{{"SET", "fromstdin", "a\nb\n"}}, args: []string{"--no-raw", "get", "fromstdin"}},
		{name: "-X", args: []string{"-X", "TAG", "set", "k", "TAG"}, stdin: "tagged"},
		{name: "-X no match", args: []string{"-X", "TAG", "set", "k", "v"}, stdin: "tagged"},
		{name: "quoted input", args: []string{"--quoted-input", "--no-raw", "echo", `"a\x41\n"`}},
		{name: "info raw formatting", args: []string{"--no-raw", "info", "keyspace"}},
		{name: "auth without password", args: []string{"-a", "secret", "ping"}},
		{name: "auth warning hidden", args: []string{"-a", "secret", "--no-auth-warning", "ping"}},
		{name: "user and pass", args: []string{"--user", "bob", "--pass", "secret", "ping"}},
		{name: "resp2 explicit", args: []string{"-2", "--no-raw", "hgetall", "none"}},
		{name: "hello 3 map", args: []string{"--no-raw", "-3", "hello", "3"}},
		{name: "unknown flag", args: []string{"--nope"}},
		{name: "-2 and -3", args: []string{"-2", "-3", "ping"}},
		{name: "-x and -X", args: []string{"-x", "-X", "t", "ping"}},
		{name: "piped commands raw", setup: data, stdin: "get s\nlrange l 0 -1\nincr n\nnosuch\n"},
		{name: "piped commands tty", setup: data, stdin: "get s\nlrange l 0 -1\nincr n\nnosuch\n\"unbalanced\n", env: fakeTTY},
		{name: "piped select prompt", stdin: "select 2\nset a b\nget a\nmulti\nincr x\nexec\n", env: fakeTTY},
		{name: "piped repeat prefix", stdin: "3 incr c\n0 incr c\n", env: fakeTTY},
		{name: "piped quit", stdin: "ping\nquit\nping\n"},
		{name: "piped preferences", stdin: ":set hints\n:set nope\n:foo\nrestart\n", env: fakeTTY},
		{name: "json get", setup: data, args: []string{"--json", "get", "bin"}},
		{name: "quoted-json get", setup: data, args: []string{"--quoted-json", "get", "bin"}},
		{name: "json hgetall map", setup: data, args: []string{"--json", "hgetall", "h"}},
		{name: "json -2 hgetall", setup: data, args: []string{"--json", "-2", "hgetall", "h"}},
		{name: "json nested", args: []string{"--json", "eval", "return {1,'a',{2,{'x'}},{}, false, {err='bad'}}", "0"}},
		{name: "json error", args: []string{"--json", "nosuchcommand"}},
		{name: "json nil", args: []string{"--json", "get", "nokey"}},
		{name: "json double and set", setup: data, args: []string{"--json", "zscore", "z", "m1"}},
		{name: "json smembers", setup: data, args: []string{"--quoted-json", "smembers", "set"}},
		{name: "json int keys", args: []string{"--json", "hello", "3"}},
		{name: "json piped", setup: data, stdin: "lrange l 0 -1\nincr n\nreset\nhgetall h\n", args: []string{"--json"}},
		{name: "json latency", args: []string{"--json", "--latency", "-i", "0.2"}},
		{name: "hotkeys", setup: [][]string{{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}, {"SET", "k1", "v"}, {"SET", "k2", "v"}, {"GET", "k2"}, {"SET", "k\x003", "v"}}, args: []string{"--hotkeys"}},
		{name: "hotkeys pattern", setup: [][]string{{"CONFIG", "SET", "maxmemory-policy", "volatile-lfu"}, {"SET", "k1", "v"}, {"SET", "x2", "v"}}, args: []string{"--hotkeys", "--pattern", "k*"}},
		{name: "hotkeys without lfu", setup: [][]string{{"SET", "k1", "v"}}, args: []string{"--hotkeys"}},
		{name: "functions-rdb and rdb", args: []string{"--functions-rdb", "x", "--rdb", "y"}},
		{name: "help command", args: []string{"help", "get"}},
		{name: "help subcommand", args: []string{"help", "CLIENT", "kill"}},
		{name: "help container", args: []string{"help", "config"}},
		{name: "help group", args: []string{"help", "@hyperloglog"}},
		{name: "help unknown", args: []string{"?", "nosuch"}},
		{name: "piped help", stdin: "help lpush\nhelp @connection\n"},
		{name: "scan", setup: data, args: []string{"--scan"}},
		{name: "scan pattern", setup: data, args: []string{"--scan", "--pattern", "*e*"}},
		{name: "scan tty", setup: data, args: []string{"--scan", "--pattern", "bin"}, env: fakeTTY},
		{name: "bigkeys", setup: data, args: []string{"--bigkeys"}},
		{name: "pipe", args: []string{"--pipe"}, stdin: "SET a 1\r\nINCR a\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nBADCMD\r\n"},
		{name: "latency raw", args: []string{"--latency", "-i", "0.2"}},
		{name: "connection refused", noHP: true, args: []string{"-p", "1", "ping"}},
		{name: "uri", noHP: true, args: []string{"-u", "redis://127.0.0.1:1/2", "ping"}},
		{name: "bad uri", noHP: true, args: []string{"-u", "http://x", "ping"}},
		{name: "socket with -c", noHP: true, args: []string{"-s", "/tmp/x", "-c", "ping"}},
	}
	return c
}

// normLatency masks the numbers of --latency's summary line.
func normLatency(r result) result {
	r.stdout = numberRE.ReplaceAllString(r.stdout, "N")
	return r
}

// TestOneShotAgainstRedis and TestOneShotAgainstShoal run every invocation
// of the corpus with redis-cli and shoal-cli against the same server, the
// data reset before each run, and compare stdout, stderr and exit code.
func TestOneShotAgainstRedis(t *testing.T) {
	t.Parallel()
	oneShotAgainst(t, testutil.StartRedis(t))
}

func TestOneShotAgainstShoal(t *testing.T) {
	t.Parallel()
	oneShotAgainst(t, testutil.StartShoal(t))
}

func oneShotAgainst(t *testing.T, srv *testutil.Node) {
	cli := shoalCLI(t)
	testutil.SkipIfNoRedis(t)
	hp := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port)}
	for _, tc := range oneshotCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !tc.noHP {
				args = append(append([]string{}, hp...), tc.args...)
			}
			reset := func() {
				for db := 0; db < 4; db++ {
					do(t, srv.Addr, "SELECT", strconv.Itoa(db))
				}
				do(t, srv.Addr, "FLUSHALL")
				do(t, srv.Addr, "CONFIG", "SET", "maxmemory-policy", "noeviction")
				for _, c := range tc.setup {
					do(t, srv.Addr, c...)
				}
			}
			reset()
			want := run(t, 20*time.Second, tc.stdin, tc.env, testutil.RedisCLI(), args...)
			reset()
			got := run(t, 20*time.Second, tc.stdin, tc.env, cli, args...)
			if tc.name == "hello 3 map" || tc.name == "json int keys" { // client ids differ
				want.stdout = clientIDRE.ReplaceAllString(want.stdout, "id")
				got.stdout = clientIDRE.ReplaceAllString(got.stdout, "id")
			}
			if strings.Contains(tc.name, "latency") {
				want, got = normLatency(want), normLatency(got)
			}
			if want != got {
				t.Errorf("shoal-cli %q differs\nredis-cli:\n%s\nshoal-cli:\n%s", args, want, got)
			}
		})
	}
}

// TestHelpAndVersion: --help and --version are redis-cli's, under
// shoal-cli's name; --cluster help is redis-cli's word for word.
func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	cli := shoalCLI(t)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--version"}, {"-v"}, {"--cluster", "help"}, {"--cluster"}, {"--cluster", "nope"}, {"--cluster", "create"}} {
		want := run(t, 10*time.Second, "", nil, testutil.RedisCLI(), args...)
		got := run(t, 10*time.Second, "", nil, cli, args...)
		want.stdout = strings.ReplaceAll(want.stdout, "redis-cli", "shoal-cli")
		want.stderr = strings.ReplaceAll(want.stderr, "redis-cli", "shoal-cli")
		if want != got {
			t.Errorf("%q differs\nredis-cli:\n%s\nshoal-cli:\n%s", args, want, got)
		}
	}
}
