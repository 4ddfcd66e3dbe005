package durability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// persistenceField is one field of INFO persistence.
func persistenceField(t *testing.T, c *testutil.Conn, name string) string {
	t.Helper()
	for _, l := range strings.Split(str(do(t, c, "INFO", "persistence")), "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO persistence has no %s", name)
	return ""
}

// TestAutoRewrite: with auto-aof-rewrite-min-size 1mb and percentage 100,
// overwriting the same 100 keys past the minimum starts a rewrite on its
// own (Redis's log line, aof_rewrites:1), and the rewrite's new base holds about
// the dataset, not its history; below the minimum nothing starts.
func TestAutoRewrite(t *testing.T) {
	n := testutil.StartShoal(t, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "1mb",
		"--auto-aof-rewrite-percentage", "100")
	c := n.Dial(t)
	defer c.Close()
	val := strings.Repeat("v", 1000)
	write := func(rounds int) {
		for r := 0; r < rounds; r++ {
			for k := 0; k < 100; k++ {
				do(t, c, "SET", fmt.Sprintf("key:%d", k), val)
			}
		}
	}
	infoField := func(name string) string { return persistenceField(t, c, name) }
	write(5) // ~0.5 MB: under the minimum
	time.Sleep(300 * time.Millisecond)
	if got := infoField("aof_rewrites"); got != "0" {
		t.Fatalf("aof_rewrites = %s under auto-aof-rewrite-min-size", got)
	}
	write(10) // ~1.5 MB, all overwrites of 100 keys
	testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if infoField("aof_rewrites") != "1" || infoField("aof_rewrite_in_progress") != "0" {
			return fmt.Errorf("no automatic rewrite yet: aof_current_size %s", infoField("aof_current_size"))
		}
		return nil
	})
	log, _ := os.ReadFile(n.Log)
	if !strings.Contains(string(log), "Starting automatic rewriting of AOF on") {
		t.Fatalf("log lacks Redis's automatic rewrite line")
	}
	// The new base holds the dataset (100 keys of 1 KB, LZF-compressed in
	// the RDB preamble), not the 1.5 MB history;
	// writes that went on meanwhile are in the incremental file.
	var base int
	fmt.Sscan(infoField("aof_base_size"), &base)
	if base <= 0 || base > 200_000 {
		t.Fatalf("aof_base_size %d after the rewrite of 100 keys of 1 KB", base)
	}
}

// TestAutoRewriteBacksOff: after three rewrites fail in a row (the AOF
// directory replaced by a file, so the rewrite cannot create its files),
// automatic rewrites wait as Redis 7.0's do, logging "triggered the limit"
// once, and INFO counts the failures; a rewrite that succeeds resets them.
func TestAutoRewriteBacksOff(t *testing.T) {
	n := testutil.StartShoal(t, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "1kb",
		"--auto-aof-rewrite-percentage", "0")
	c := n.Dial(t)
	defer c.Close()
	info := func(name string) string { return persistenceField(t, c, name) }
	waitRewrite := func(status string) {
		t.Helper()
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if info("aof_rewrite_in_progress") != "0" || info("aof_last_bgrewrite_status") != status {
				return fmt.Errorf("rewrite in progress %s, last status %s", info("aof_rewrite_in_progress"), info("aof_last_bgrewrite_status"))
			}
			return nil
		})
	}
	dir := n.Dir + "/appendonlydir"
	if err := os.Rename(dir, dir+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		do(t, c, "BGREWRITEAOF")
		waitRewrite("err")
		if got := info("aof_rewrites_consecutive_failures"); got != fmt.Sprint(i) {
			t.Fatalf("after %d failed rewrites aof_rewrites_consecutive_failures = %s", i, got)
		}
	}
	do(t, c, "CONFIG", "SET", "auto-aof-rewrite-percentage", "1")
	do(t, c, "SET", "x", strings.Repeat("x", 2048)) // past min-size and 1% growth
	const limited = "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes"
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if log, _ := os.ReadFile(n.Log); !strings.Contains(string(log), limited) {
			return fmt.Errorf("no back-off line in the log")
		}
		return nil
	})
	time.Sleep(time.Second) // cron runs meanwhile: no attempt, no second line
	log, _ := os.ReadFile(n.Log)
	if k := strings.Count(string(log), "triggered the limit"); k != 1 || info("aof_rewrites_consecutive_failures") != "3" {
		t.Fatalf("back-off logged %d times, failures %s: automatic rewrites went on", k, info("aof_rewrites_consecutive_failures"))
	}
	os.Remove(dir)
	if err := os.Rename(dir+".real", dir); err != nil {
		t.Fatal(err)
	}
	do(t, c, "BGREWRITEAOF") // a rewrite asked for runs, and its success ends the back-off
	waitRewrite("ok")
	if got := info("aof_rewrites_consecutive_failures"); got != "0" {
		t.Fatalf("after a successful rewrite aof_rewrites_consecutive_failures = %s", got)
	}
	// The new base says it is one (aof-base 1), as Redis's do; dump.rdb does not.
	bases, _ := filepath.Glob(dir + "/*.base.rdb")
	if len(bases) != 1 {
		t.Fatalf("base files %v", bases)
	}
	do(t, c, "SAVE")
	for path, want := range map[string]string{bases[0]: "aof-base\xc0\x01", n.Dir + "/dump.rdb": "aof-base\xc0\x00"} {
		if b, _ := os.ReadFile(path); !strings.Contains(string(b), want) {
			t.Fatalf("%s lacks the aux field %q", path, want)
		}
	}
}
