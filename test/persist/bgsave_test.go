package persist

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// bgsaveSession drives BGSAVE, SAVE and LASTSAVE around a slow background
// save (rdb-key-save-delay) and records the replies.
func bgsaveSession(t *testing.T, n *testutil.Node) []string {
	c := client(t, n)
	var out []string
	rec := func(cmd ...any) {
		v, err := c.Do(ctx, cmd...).Result()
		if err != nil && err != redis.Nil {
			out = append(out, fmt.Sprintf("%v -> err %v", cmd, err))
		} else {
			out = append(out, fmt.Sprintf("%v -> %v", cmd, v))
		}
	}
	setKeys(t, c, 2000)
	last := c.LastSave(ctx).Val()
	rec("bgsave", "now")
	rec("config", "set", "rdb-key-save-delay", "1000") // ~2 s for 2000 keys
	rec("bgsave")
	rec("bgsave")
	rec("bgsave", "schedule")
	rec("save")
	info := c.Info(ctx, "persistence").Val()
	out = append(out, grep(info, "rdb_bgsave_in_progress"))
	rec("set", "during", "1") // writes go on
	testutil.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") {
			return fmt.Errorf("bgsave running")
		}
		return nil
	})
	rec("config", "set", "rdb-key-save-delay", "0")
	info = c.Info(ctx, "persistence").Val()
	out = append(out, grep(info, "rdb_last_bgsave_status"), grep(info, "rdb_saves"), grep(info, "rdb_changes_since_last_save"))
	out = append(out, fmt.Sprintf("lastsave moved: %v", c.LastSave(ctx).Val() >= last))
	c2 := c.Conn()
	defer c2.Close()
	c2.Do(ctx, "multi")
	v, err := c2.Do(ctx, "bgsave").Result()
	out = append(out, fmt.Sprintf("bgsave in multi queued: %v %v", v, err))
	r, err := c2.Do(ctx, "exec").Result()
	out = append(out, fmt.Sprintf("exec: %v %v", r, err))
	// The scheduled BGSAVE starts from the cron.
	testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_saves:2") {
			return fmt.Errorf("scheduled bgsave not run yet")
		}
		return nil
	})
	return out
}

// TestBgsaveReplies: the replies around a running BGSAVE are Redis's.
func TestBgsaveReplies(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	want := bgsaveSession(t, testutil.StartRedis(t))
	t.Logf("redis session:\n%s", strings.Join(want, "\n"))
	got := bgsaveSession(t, testutil.StartShoal(t))
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			g := ""
			if i < len(got) {
				g = got[i]
			}
			t.Errorf("step %d:\n got  %s\n want %s", i, g, want[i])
		}
	}
}

// TestLoadingReplies: while dump.rdb loads (slowed by key-load-delay),
// commands get -LOADING and INFO shows the progress; then the data is there.
func TestLoadingReplies(t *testing.T) {
	sh := testutil.StartShoal(t)
	c := client(t, sh)
	setKeys(t, c, 3000)
	c.Save(ctx)
	sh.Stop()
	dir := t.TempDir()
	copyFile(t, filepath.Join(sh.Dir, "dump.rdb"), filepath.Join(dir, "dump.rdb"))
	port, _ := testutil.FreePort()
	logf, _ := os.Create(filepath.Join(dir, "log"))
	cmd := exec.Command(testutil.ShoalServerPath(t), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--key-load-delay", "1000", // ~3 s
		// Clients are served (-LOADING) once 1 KB is loaded; before that a
		// command waits for the load, as in Redis (default 2 MB).
		"--loading-process-events-interval-bytes", "1024")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var conn net.Conn
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		var err error
		conn, err = net.Dial("tcp", addr)
		return err
	})
	defer conn.Close()
	r := bufio.NewReader(conn)
	do := func(cmd string) string {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "%s\r\n", cmd)
		line, _ := r.ReadString('\n')
		if strings.HasPrefix(line, "$") {
			n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
			buf := make([]byte, n+2)
			_, err := io.ReadFull(r, buf)
			if err != nil {
				t.Fatal(err)
			}
			return string(buf)
		}
		return strings.TrimSpace(line)
	}
	if got := do("GET k1"); got != "-LOADING Redis is loading the dataset in memory" {
		t.Fatalf("GET during load: %q", got)
	}
	if got := do("PING"); got != "-LOADING Redis is loading the dataset in memory" {
		t.Fatalf("PING during load: %q", got)
	}
	info := do("INFO persistence")
	for _, f := range []string{"loading:1", "loading_start_time:", "loading_total_bytes:", "loading_loaded_bytes:", "loading_loaded_perc:", "loading_eta_seconds:"} {
		if !strings.Contains(info, f) {
			t.Errorf("INFO during load lacks %q:\n%s", f, info)
		}
	}
	testutil.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		if got := do("GET k1"); got != "1\r\n" {
			return fmt.Errorf("GET k1: %q", got)
		}
		return nil
	})
	if got := do("DBSIZE"); got != ":3000" {
		t.Fatalf("DBSIZE after load: %q", got)
	}
}

// bgsaveDuringRewriteSession: BGSAVE while an AOF rewrite runs (slowed by
// rdb-key-save-delay) is refused, or scheduled with SCHEDULE, and the
// scheduled one runs once the rewrite is done; BGREWRITEAOF meanwhile is
// refused. Only one snapshot runs at a time, as only one child in Redis.
func bgsaveDuringRewriteSession(t *testing.T, n *testutil.Node) []string {
	c := client(t, n)
	setKeys(t, c, 2000)
	c.ConfigSet(ctx, "rdb-key-save-delay", "1000") // 2000 keys: ~2 s
	var out []string
	for _, args := range [][]any{{"bgrewriteaof"}, {"bgsave"}, {"bgsave", "schedule"}, {"bgrewriteaof"}} {
		v, err := c.Do(ctx, args...).Result()
		out = append(out, fmt.Sprintf("%v: %v %v", args, v, err))
	}
	c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	testutil.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		info := c.Info(ctx, "persistence").Val()
		for _, f := range []string{"rdb_bgsave_in_progress:0", "aof_rewrite_in_progress:0", "rdb_saves:1", "rdb_last_bgsave_status:ok", "aof_last_bgrewrite_status:ok"} {
			if !strings.Contains(info, f+"\r\n") {
				return fmt.Errorf("waiting for %s", f)
			}
		}
		return nil
	})
	return out
}

func TestBgsaveDuringRewrite(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	want := bgsaveDuringRewriteSession(t, testutil.StartRedis(t, "--appendonly", "yes"))
	t.Logf("redis session:\n%s", strings.Join(want, "\n"))
	got := bgsaveDuringRewriteSession(t, testutil.StartShoal(t, "--appendonly", "yes"))
	testutil.DeepEqual(t, got, want)
}
