package persist

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// infoInt reads one integer field of INFO persistence.
func infoInt(t *testing.T, info, field string) int64 {
	t.Helper()
	v := strings.TrimPrefix(grep(info, field), field+":")
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v in\n%s", field, err, info)
	}
	return n
}

// TestCowInfoDuringBgsave: while a BGSAVE runs, writes raise
// current_cow_size (Redis: the fork child's copied pages; Shoal: what
// writers serialized ahead of the snapshot's walk) and current_fork_perc
// tells the progress; both are 0 before and after, and rdb_last_cow_size
// keeps the last save's figure (integration/rdb "Test child sending info").
func TestCowInfoDuringBgsave(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--save", "")
			c := client(t, n)
			const keys = 3000
			val := strings.Repeat("A", 500)
			pipe := c.Pipeline()
			for i := 0; i < keys; i++ {
				pipe.Set(ctx, "key"+strconv.Itoa(i), val, 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			info := c.Info(ctx, "persistence").Val()
			if grep(info, "current_cow_size") != "current_cow_size:0" || grep(info, "current_fork_perc") != "current_fork_perc:0.00" {
				t.Fatalf("before BGSAVE:\n%s", info)
			}
			c.ConfigSet(ctx, "rdb-key-save-delay", "2000") // ~6 s for 3000 keys
			if err := c.BgSave(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			// Rewrite keys from the end (the walk has not reached most of
			// them) until the figures show it; Redis reports them once a
			// second.
			next := keys - 1
			testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
				for i := 0; i < 16 && next >= 0; i++ {
					c.SetRange(ctx, "key"+strconv.Itoa(next), 0, strings.Repeat("B", 500))
					next--
				}
				info := c.Info(ctx, "persistence").Val()
				if grep(info, "rdb_bgsave_in_progress") != "rdb_bgsave_in_progress:1" {
					t.Fatalf("BGSAVE ended before the figures moved:\n%s", info)
				}
				perc, _ := strconv.ParseFloat(strings.TrimPrefix(grep(info, "current_fork_perc"), "current_fork_perc:"), 64)
				if infoInt(t, info, "current_cow_size") < 4096 || perc <= 0 || perc > 100 ||
					infoInt(t, info, "current_save_keys_processed") == 0 || infoInt(t, info, "current_save_keys_total") != keys {
					return fmt.Errorf("not reported yet:\n%s", info)
				}
				return nil
			})
			c.ConfigSet(ctx, "rdb-key-save-delay", "0")
			testutil.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
				if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") {
					return fmt.Errorf("bgsave running")
				}
				return nil
			})
			info = c.Info(ctx, "persistence").Val()
			if grep(info, "current_cow_size") != "current_cow_size:0" || grep(info, "current_fork_perc") != "current_fork_perc:0.00" ||
				infoInt(t, info, "rdb_last_cow_size") == 0 || grep(info, "rdb_last_bgsave_status") != "rdb_last_bgsave_status:ok" {
				t.Fatalf("after BGSAVE:\n%s", info)
			}
		})
	}
}

// childPids lists the children of pid (pgrep -P, as the suite's
// get_child_pid does).
func childPids(pid int) []int {
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// TestBgsaveChildKilled: a BGSAVE's child process (Redis: the fork child;
// Shoal: the file writer child) is there as soon as BGSAVE replies, counts
// in total_forks, and killing it fails the save: rdb_last_bgsave_status:err,
// MISCONF for writes, reads still served; the next BGSAVE succeeds and
// writes are taken again (integration/rdb "failed bgsave prevents writes").
func TestBgsaveChildKilled(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep")
	}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--save", "900 1")
			c := client(t, n)
			setKeys(t, c, 100)
			forks := infoInt(t, c.Info(ctx, "stats").Val(), "total_forks")
			c.ConfigSet(ctx, "rdb-key-save-delay", "100000") // 0.1 s a key
			if err := c.BgSave(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			kids := childPids(n.Pid)
			if len(kids) != 1 {
				t.Fatalf("children of %d right after BGSAVE: %v", n.Pid, kids)
			}
			if got := infoInt(t, c.Info(ctx, "stats").Val(), "total_forks"); got != forks+1 {
				t.Fatalf("total_forks %d, want %d", got, forks+1)
			}
			if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") {
					return fmt.Errorf("bgsave running")
				}
				return nil
			})
			info := c.Info(ctx, "persistence").Val()
			if grep(info, "rdb_last_bgsave_status") != "rdb_last_bgsave_status:err" {
				t.Fatalf("after the kill:\n%s", info)
			}
			if v := c.Get(ctx, "k1").Val(); v != "1" {
				t.Fatalf("GET k1 = %q", v)
			}
			if err := c.Set(ctx, "x", "y", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF ") {
				t.Fatalf("SET after a failed save: %v", err)
			}
			// Scripts: a write through redis.call/pcall, or a script that
			// may write (shebang without no-writes), gets MISCONF too.
			for _, sc := range []struct{ src, want string }{
				{"return redis.call('set','x',1)", "MISCONF "},
				{"return redis.call('get','k1')", "1"},
				{"#!lua\nreturn redis.call('set','x',1)", "MISCONF "},
				{"#!lua flags=no-writes\nreturn redis.call('get','k1')", "1"},
				{"redis.call('get','k1'); return redis.pcall('set','x',1)", "MISCONF "},
			} {
				v, err := c.Eval(ctx, sc.src, []string{"x"}).Result()
				got := fmt.Sprint(v)
				if err != nil {
					got = err.Error()
				}
				if !strings.HasPrefix(got, sc.want) {
					t.Fatalf("EVAL %q: %q, want %q...", sc.src, got, sc.want)
				}
			}
			if left := childPids(n.Pid); len(left) != 0 {
				t.Fatalf("children left: %v", left)
			}
			c.ConfigSet(ctx, "rdb-key-save-delay", "0")
			if err := c.BgSave(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:ok") {
					return fmt.Errorf("bgsave not done")
				}
				return nil
			})
			if err := c.Set(ctx, "x", "y", 0).Err(); err != nil {
				t.Fatalf("SET after a good save: %v", err)
			}
			if tmps, _ := filepath.Glob(filepath.Join(n.Dir, "temp-*")); len(tmps) != 0 {
				t.Fatalf("temp files left: %v", tmps)
			}
			if _, err := os.Stat(filepath.Join(n.Dir, "dump.rdb")); err != nil {
				t.Fatal(err)
			}
		})
	}
}
