package cli_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/testutil"
)

// lockedBuf is a bytes.Buffer two goroutines can use.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var (
	pingLineRE  = regexp.MustCompile(`(?m)^"PING"\n`)
	syncBytesRE = regexp.MustCompile(`\d+ bytes`)
)

// replicaRun runs bin --replica against srv, writes three keys once the
// stream is being logged, and returns stdout and stderr (PINGs dropped).
func replicaRun(t *testing.T, bin string, srv *testutil.Node) result {
	t.Helper()
	cmd := exec.Command(bin, "-p", strconv.Itoa(srv.Port), "--replica")
	cmd.Env = append(os.Environ(), "TERM=dumb")
	var out, errb lockedBuf
	cmd.Stdout, cmd.Stderr = &out, &errb
	testutil.NoErr(t, cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		e := errb.String()
		if strings.Contains(e, "SYNC done. Logging") || strings.Contains(e, "sending REPLCONF ACK 0") {
			return nil
		}
		return &expectErr{"SYNC done", e}
	})
	// After the EOF-marked transfer redis-cli's REPLCONF ACK waits for (and
	// eats) the first thing the master sends: let it get there first.
	time.Sleep(200 * time.Millisecond)
	do(t, srv.Addr, "SET", "a", "1")
	do(t, srv.Addr, "SET", "b", "2")
	do(t, srv.Addr, "INCR", "c")
	testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if o := out.String(); !strings.Contains(strings.ToLower(o), `"incr","c"`) {
			return &expectErr{`"incr","c"`, o}
		}
		return nil
	})
	// The first command the master streams is eaten as the ACK's reply:
	// the SELECT before SET a, or a PING when the ping period fell first
	// (then the SELECT shows). Either is fine; drop a leading SELECT 0.
	o := pingLineRE.ReplaceAllString(out.String(), "")
	o = strings.TrimPrefix(o, "\"SELECT\",\"0\"\n")
	return result{o, syncBytesRE.ReplaceAllString(errb.String(), "N bytes"), 0}
}

// TestReplicaAndFunctionsRDB: --replica logs what the master streams as
// redis-cli does; --functions-rdb fetches an RDB with the functions and
// not the keys (from redis-server; shoal-server is compared on the
// client's side of the exchange).
func TestReplicaAndFunctionsRDB(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"redis", "shoal"} {
		kind := kind
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var srv *testutil.Node
			if kind == "redis" {
				srv = testutil.StartRedis(t, "--repl-diskless-sync-delay", "0")
			} else {
				srv = testutil.StartShoal(t, "--repl-diskless-sync-delay", "0")
			}
			want := replicaRun(t, testutil.RedisCLI(), srv)
			do(t, srv.Addr, "FLUSHALL")
			got := replicaRun(t, shoalCLI(t), srv)
			if want != got {
				t.Errorf("--replica differs\nredis-cli:\n%s\nshoal-cli:\n%s", want, got)
			}

			do(t, srv.Addr, "FUNCTION", "LOAD", "#!lua name=clilib\nredis.register_function('clif', function() return 1 end)")
			do(t, srv.Addr, "SET", "plainkey", "v")
			dir := t.TempDir()
			var files [2][]byte
			var res [2]result
			for i, bin := range []string{testutil.RedisCLI(), shoalCLI(t)} {
				path := filepath.Join(dir, strconv.Itoa(i)+".rdb")
				res[i] = run(t, 20*time.Second, "", nil, bin, "-p", strconv.Itoa(srv.Port), "--functions-rdb", path)
				res[i].stderr = strings.ReplaceAll(res[i].stderr, path, "FILE")
				res[i].stderr = syncBytesRE.ReplaceAllString(res[i].stderr, "N bytes")
				files[i], _ = os.ReadFile(path)
			}
			if res[0] != res[1] {
				t.Errorf("--functions-rdb differs\nredis-cli:\n%s\nshoal-cli:\n%s", res[0], res[1])
			}
			// The two files hold the same parts: aux fields (their values
			// are times and sizes), the library, no key.
			wantParts, gotParts := rdbParts(t, files[0]), rdbParts(t, files[1])
			if wantParts != gotParts {
				t.Errorf("--functions-rdb files differ\nredis-cli: %s\nshoal-cli: %s", wantParts, gotParts)
			}
			testutil.True(t, strings.Contains(gotParts, "function:#!lua name=clilib") && !strings.Contains(gotParts, "key:"), "the functions RDB: "+gotParts)
		})
	}
}

// rdbParts lists an RDB file's items: aux field names, function
// libraries' first lines, keys.
func rdbParts(t *testing.T, file []byte) string {
	t.Helper()
	r := rdb.NewReader(bytes.NewReader(file), rdb.DefaultSettings())
	var parts []string
	for {
		it, err := r.Next()
		if err == io.EOF {
			return strings.Join(parts, " ")
		}
		testutil.NoErr(t, err)
		switch it.Kind {
		case rdb.ItemAux:
			parts = append(parts, "aux:"+string(it.Aux))
		case rdb.ItemFunction:
			parts = append(parts, "function:"+strings.SplitN(string(it.Function), "\n", 2)[0])
		case rdb.ItemKey:
			parts = append(parts, "key:"+string(it.Key))
		}
	}
}

// ptyUntil runs bin args in a pseudo-terminal (so redis-cli's stdout is
// line-buffered) until its output holds n times mark, then kills it.
func ptyUntil(t *testing.T, bin string, mark string, n int, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 100})
	testutil.NoErr(t, err)
	var out lockedBuf
	go io.Copy(&out, f)
	defer func() { cmd.Process.Kill(); cmd.Wait(); f.Close() }()
	testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if o := out.String(); strings.Count(o, mark) < n {
			return &expectErr{strconv.Itoa(n) + " × " + mark, o}
		}
		return nil
	})
	o := out.String()
	// Up to the n-th mark's line end: the kill may cut the next line.
	end := 0
	for i := 0; i < n; i++ {
		end += strings.Index(o[end:], mark) + len(mark)
	}
	if j := strings.IndexByte(o[end:], '\n'); j >= 0 {
		end += j + 1
	}
	return o[:end]
}

var (
	bgColorRE = regexp.MustCompile(`\x1b\[48;5;\d+m`)
	digitsRE  = regexp.MustCompile(`\d+(\.\d+)?`)
)

// TestLatencyDistAndLRUTest: the never-ending modes, cut after a few
// reports and compared with their numbers (and spectrum colours) masked.
func TestLatencyDistAndLRUTest(t *testing.T) {
	t.Parallel()
	srv := testutil.StartShoal(t)
	p := strconv.Itoa(srv.Port)
	for _, c := range []struct {
		mark string
		n    int
		args []string
		norm *regexp.Regexp
	}{
		{"\x1b[0m\r\n", 3, []string{"-p", p, "--latency-dist", "-i", "0.2"}, bgColorRE},
		{"\x1b[0m\r\n", 2, []string{"-p", p, "--latency-dist", "--mono", "-i", "0.2"}, bgColorRE},
		{"Gets/sec", 1, []string{"-p", p, "--lru-test", "500"}, digitsRE},
	} {
		want := c.norm.ReplaceAllString(ptyUntil(t, testutil.RedisCLI(), c.mark, c.n, c.args...), "N")
		got := c.norm.ReplaceAllString(ptyUntil(t, shoalCLI(t), c.mark, c.n, c.args...), "N")
		if want != got {
			t.Errorf("%q differs\nredis-cli: %q\nshoal-cli: %q", c.args, want, got)
		}
	}
}

// TestLuaDebugger: --ldb and --ldb-sync-mode with --eval, driven through
// piped input (step, print, help, eval, restart, abort, continue, a
// command after the session), a script that does not compile, and --ldb
// without --eval; coloured as on an xterm. On shoal-server --ldb-sync-mode
// runs a real session; SCRIPT DEBUG YES (--ldb) is refused, and both
// clients carry on alike.
func TestLuaDebugger(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := filepath.Join(dir, "s.lua")
	bad := filepath.Join(dir, "bad.lua")
	testutil.NoErr(t, os.WriteFile(script, []byte("local a = 1\nlocal b = redis.call('set', KEYS[1], ARGV[1])\nreturn {a, b}\n"), 0o644))
	testutil.NoErr(t, os.WriteFile(bad, []byte("bad syntax here(\n"), 0o644))
	xterm := []string{"TERM=xterm"}
	for _, kind := range []string{"redis", "shoal"} {
		kind := kind
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, kind)
			p := strconv.Itoa(srv.Port)
			for _, c := range []struct {
				stdin string
				args  []string
			}{
				{"step\nprint\nhelp\nrestart\nnext\ne redis.call('get', KEYS[1])\nbreak 3\ncontinue\nget k1\n", []string{"--ldb", "--eval", script, "k1", ",", "v1"}},
				{"step\nabort\nget k2\n", []string{"--ldb-sync-mode", "--eval", script, "k2", ",", "v2"}},
				{"step\n", []string{"--ldb", "--eval", bad}},
				{"", []string{"--ldb"}},
			} {
				args := append([]string{"-p", p}, c.args...)
				do(t, srv.Addr, "FLUSHALL")
				want := run(t, 20*time.Second, c.stdin, xterm, testutil.RedisCLI(), args...)
				do(t, srv.Addr, "FLUSHALL")
				got := run(t, 20*time.Second, c.stdin, xterm, shoalCLI(t), args...)
				want.stderr = strings.ReplaceAll(want.stderr, "Try "+testutil.RedisCLI(), "Try "+shoalCLI(t))
				if want != got {
					t.Errorf("%q differs\nredis-cli:\n%s\nshoal-cli:\n%s", args, want, got)
				}
			}
		})
	}
}
