package durability

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestConfigSetAppendonly: CONFIG SET appendonly yes on a node with data
// writes a base of the dataset; later writes go to the incr file; a
// restart with appendonly yes has everything.
func TestConfigSetAppendonly(t *testing.T) {
	// A command-format base (the RDB one is covered by the replay test).
	sh := testutil.StartShoal(t, "--enable-debug-command", "yes", "--aof-use-rdb-preamble", "no")
	c := sh.Dial(t)
	do(t, c, "SET", "before", "1", "EX", "5000")
	do(t, c, "RPUSH", "list", "a", "b", "c")
	do(t, c, "HSET", "h", "f", "v")
	do(t, c, "ZADD", "z", "1.5", "m", "-inf", "n")
	do(t, c, "SADD", "s", "1", "2", "x")
	if v := do(t, c, "CONFIG", "SET", "appendonly", "yes"); str(v) != "OK" {
		t.Fatalf("CONFIG SET appendonly yes: %s", str(v))
	}
	do(t, c, "SET", "after", "2")
	do(t, c, "LPOP", "list")
	// The base is written in the background, as Redis's rewrite is.
	testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		info := str(do(t, c, "INFO", "persistence"))
		for _, f := range []string{"aof_enabled:1", "aof_last_write_status:ok", "aof_rewrites:1", "aof_rewrite_in_progress:0"} {
			if !strings.Contains(info, f) {
				return fmt.Errorf("INFO persistence lacks %s:\n%s", f, info)
			}
		}
		return nil
	})
	want := digest(t, sh)
	c.Close()
	sh.Stop()
	checkAOF(t, filepath.Join(sh.Dir, "appendonlydir", "appendonly.aof.manifest"))
	rd := testutil.StartRedis(t, "--appendonly", "yes", "--enable-debug-command", "yes")
	loadInto(t, rd, filepath.Join(sh.Dir, "appendonlydir"))
	if got := digest(t, rd); got != want {
		t.Fatalf("redis-server loaded digest %s, Shoal had %s", got, want)
	}
}

// TestTruncatedTail: a tail cut in the middle of a command is dropped with
// Redis's log lines when aof-load-truncated is yes, and refuses to load
// when it is no.
func TestTruncatedTail(t *testing.T) {
	sh := testutil.StartShoal(t, "--appendonly", "yes")
	c := sh.Dial(t)
	do(t, c, "SET", "k1", "v1")
	do(t, c, "SET", "k2", "v2")
	c.Close()
	sh.Stop()
	incr := filepath.Join(sh.Dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	f, err := os.OpenFile(incr, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$5\r\nv") // cut short
	f.Close()
	sh.Restart()
	c = sh.Dial(t)
	if v := str(do(t, c, "MGET", "k1", "k2", "k3")); v != "[v1 v2 <nil>]" {
		t.Fatalf("after a truncated tail: %s", v)
	}
	do(t, c, "SET", "k4", "v4") // appended after the cut
	c.Close()
	log := readFile(t, sh.Log)
	for _, line := range []string{"!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!",
		"!!! Truncating the AOF appendonly.aof.1.incr.aof at offset ",
		"AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"} {
		if !strings.Contains(log, line) {
			t.Fatalf("log lacks %q:\n%s", line, log)
		}
	}
	sh.Stop()
	checkAOF(t, filepath.Join(sh.Dir, "appendonlydir", "appendonly.aof.manifest"))

	// aof-load-truncated no: the node refuses to start.
	f, _ = os.OpenFile(incr, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("*1\r\n$4\r\nPI")
	f.Close()
	out, _ := exec.Command(testutil.ShoalServerPath(t), "--port", "0", "--dir", sh.Dir, "--appendonly", "yes", "--aof-load-truncated", "no").CombinedOutput()
	if !strings.Contains(string(out), "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof") {
		t.Fatalf("aof-load-truncated no: %s", out)
	}
}

// TestTimestampAnnotations: aof-timestamp-enabled writes #TS: lines, which
// the loader (Shoal's and Redis's) skips; a command-format base starts
// with one (rewriteAppendOnlyFileRio's).
func TestTimestampAnnotations(t *testing.T) {
	sh := testutil.StartShoal(t, "--appendonly", "yes", "--aof-timestamp-enabled", "yes", "--aof-use-rdb-preamble", "no")
	if base := readFile(t, filepath.Join(sh.Dir, "appendonlydir", "appendonly.aof.1.base.aof")); !strings.HasPrefix(base, "#TS:") {
		t.Fatalf("base without a #TS: annotation:\n%q", base)
	}
	c := sh.Dial(t)
	do(t, c, "SET", "a", "1")
	do(t, c, "INCR", "a")
	c.Close()
	want := digest(t, sh)
	sh.Stop()
	incr := readFile(t, filepath.Join(sh.Dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
	if !strings.HasPrefix(incr, "#TS:") {
		t.Fatalf("no #TS: annotation:\n%q", incr)
	}
	rd := testutil.StartRedis(t, "--appendonly", "yes", "--enable-debug-command", "yes")
	loadInto(t, rd, filepath.Join(sh.Dir, "appendonlydir"))
	sh.Restart()
	if a, b := digest(t, rd), digest(t, sh); a != want || b != want {
		t.Fatalf("digests: redis %s shoal %s, want %s", a, b, want)
	}
}

// TestOldSingleFileAOF: an appendonly.aof from Redis before 7.0 in dir is
// moved into appendonlydir as the base, as 7.0 upgrades it.
func TestOldSingleFileAOF(t *testing.T) {
	old := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$3\r\nyes\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n"
	sh2 := testutil.StartShoal(t, "--appendonly", "yes")
	sh2.Stop()
	if err := os.WriteFile(filepath.Join(sh2.Dir, "appendonly.aof"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(sh2.Dir, "appendonlydir"))
	sh2.Restart()
	c := sh2.Dial(t)
	if v := str(do(t, c, "GET", "old")); v != "yes" {
		t.Fatalf("GET old after the upgrade: %s", v)
	}
	c.Close()
	m := readFile(t, filepath.Join(sh2.Dir, "appendonlydir", "appendonly.aof.manifest"))
	if m != "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("manifest after the upgrade:\n%s", m)
	}
	if _, err := os.Stat(filepath.Join(sh2.Dir, "appendonly.aof")); !os.IsNotExist(err) {
		t.Fatal("the old file is still in dir")
	}
	if !strings.Contains(readFile(t, sh2.Log), "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir).") {
		t.Fatal("no migration log line")
	}
}

// TestLoadingReply: a client connecting during a long load gets Redis's
// -LOADING error (key-load-delay makes the load long), INFO says loading:1.
func TestLoadingReply(t *testing.T) {
	sh := testutil.StartShoal(t, "--appendonly", "yes")
	c := sh.Dial(t)
	for i := 0; i < 200; i++ {
		do(t, c, "SET", "k"+strconv.Itoa(i), "v")
	}
	c.Close()
	sh.Stop()
	port, err := testutil.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testutil.ShoalServerPath(t), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", sh.Dir, "--appendonly", "yes", "--key-load-delay", "20000") // 200 × 20 ms
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var conn net.Conn
	testutil.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		conn, err = net.Dial("tcp", addr)
		return err
	})
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(conn)
	fmt.Fprint(conn, "GET k1\r\n")
	if line, _ := rd.ReadString('\n'); line != "-LOADING Redis is loading the dataset in memory\r\n" {
		t.Fatalf("GET during the load: %q", line)
	}
	fmt.Fprint(conn, "INFO persistence\r\n")
	hdr, _ := rd.ReadString('\n')
	n, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
	body := make([]byte, n+2)
	if _, err := readFull(rd, body); err != nil || !strings.Contains(string(body), "loading:1") {
		t.Fatalf("INFO during the load: %q", body)
	}
	// After the load the same connection is served.
	testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		fmt.Fprint(conn, "GET k1\r\n")
		line, _ := rd.ReadString('\n')
		if line != "$1\r\n" {
			return fmt.Errorf("GET k1: %q", line)
		}
		rd.ReadString('\n')
		return nil
	})
}

// TestFunctionsInRDBBase: FUNCTION libraries survive a rewrite with an RDB
// base (its functions section) both ways; each node loads the other's
// directory.
func TestFunctionsInRDBBase(t *testing.T) {
	const lib = "#!lua name=mylib\nredis.register_function('echo1', function(keys, args) return args[1] end)"
	check := func(t *testing.T, n *testutil.Node) {
		t.Helper()
		c := n.Dial(t)
		defer c.Close()
		if v := str(do(t, c, "FCALL", "echo1", "0", "hello")); v != "hello" {
			t.Fatalf("FCALL after loading: %s", v)
		}
		if v := str(do(t, c, "GET", "k")); v != "v" {
			t.Fatalf("GET k after loading: %s", v)
		}
	}
	prepare := func(t *testing.T, n *testutil.Node) {
		c := n.Dial(t)
		do(t, c, "FUNCTION", "LOAD", lib)
		do(t, c, "SET", "k", "v")
		c.Close()
		bgrewriteaof(t, n)
		n.Stop()
	}
	t.Run("redis-to-shoal", func(t *testing.T) {
		rd := testutil.StartRedis(t, "--appendonly", "yes")
		prepare(t, rd)
		sh := testutil.StartShoal(t, "--appendonly", "yes")
		loadInto(t, sh, filepath.Join(rd.Dir, "appendonlydir"))
		check(t, sh)
	})
	t.Run("shoal-to-redis", func(t *testing.T) {
		sh := testutil.StartShoal(t, "--appendonly", "yes")
		prepare(t, sh)
		checkAOF(t, filepath.Join(sh.Dir, "appendonlydir", "appendonly.aof.manifest"))
		rd := testutil.StartRedis(t, "--appendonly", "yes")
		loadInto(t, rd, filepath.Join(sh.Dir, "appendonlydir"))
		check(t, rd)
		sh.Restart()
		check(t, sh)
	})
}
