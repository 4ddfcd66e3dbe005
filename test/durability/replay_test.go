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

const ops = 3000

// loadInto replaces node n's appendonlydir with the files of src and
// restarts it, so it loads them.
func loadInto(t *testing.T, n *testutil.Node, src string) {
	t.Helper()
	n.Stop()
	dst := filepath.Join(n.Dir, "appendonlydir")
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	copyDir(t, src, dst)
	n.Restart()
}

// TestRedisReplaysShoalAOF: a random workload on Shoal; a real redis-server
// 7.0 started on a copy of Shoal's appendonlydir holds the same dataset
// (DEBUG DIGEST), and so does Shoal itself after a restart.
func TestRedisReplaysShoalAOF(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	sh := testutil.StartShoal(t, "--appendonly", "yes")
	w := testutil.NewWorkload(t, seed)
	w.Run(sh, ops/2)
	// A rewrite in the middle: a new base of the dataset, a new incr file.
	bgrewriteaof(t, sh)
	w.Run(sh, ops/2)
	want := digest(t, sh)
	if want == "0000000000000000000000000000000000000000" {
		t.Fatal("empty dataset after the workload")
	}
	sh.Stop() // the AOF is flushed and fsynced on shutdown
	dir := filepath.Join(sh.Dir, "appendonlydir")
	checkAOF(t, filepath.Join(dir, "appendonly.aof.manifest"))
	if m := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); m != "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Fatalf("manifest after one rewrite:\n%s", m)
	}

	rd := testutil.StartRedis(t, "--appendonly", "yes", "--enable-debug-command", "yes")
	loadInto(t, rd, dir)
	if got := digest(t, rd); got != want {
		t.Fatalf("redis-server loaded Shoal's AOF into digest %s, Shoal had %s", got, want)
	}
	sh.Restart()
	if got := digest(t, sh); got != want {
		t.Fatalf("Shoal reloaded its AOF into digest %s, had %s", got, want)
	}
}

// TestShoalLoadsRedisAOF: the same workload on redis-server (command-format
// base, and the default RDB-preamble base Redis creates for an empty
// dataset); Shoal started on a copy of its appendonlydir holds the same
// dataset.
func TestShoalLoadsRedisAOF(t *testing.T) {
	for _, preamble := range []string{"no", "yes"} {
		t.Run("preamble-"+preamble, func(t *testing.T) {
			seed := time.Now().UnixNano()
			t.Logf("seed %d", seed)
			rd := testutil.StartRedis(t, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble, "--enable-debug-command", "yes")
			w := testutil.NewWorkload(t, seed)
			w.Run(rd, ops/2)
			bgrewriteaof(t, rd) // a base of the dataset: RDB with preamble yes
			w.Run(rd, ops/2)
			want := digest(t, rd)
			rd.Stop()
			sh := testutil.StartShoal(t, "--appendonly", "yes")
			loadInto(t, sh, filepath.Join(rd.Dir, "appendonlydir"))
			if got := digest(t, sh); got != want {
				t.Fatalf("Shoal loaded Redis's AOF into digest %s, Redis had %s", got, want)
			}
		})
	}
}

// bgrewriteaof runs BGREWRITEAOF and waits (bounded) until it is done.
func bgrewriteaof(t *testing.T, n *testutil.Node) {
	t.Helper()
	c := n.Dial(t)
	defer c.Close()
	if v := do(t, c, "BGREWRITEAOF"); str(v) != "Background append only file rewriting started" {
		t.Fatalf("BGREWRITEAOF: %s", str(v))
	}
	testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		info := str(do(t, c, "INFO", "persistence"))
		if !strings.Contains(info, "aof_rewrite_in_progress:0") || !strings.Contains(info, "aof_rewrites:1") {
			return fmt.Errorf("rewrite not done: %s", info)
		}
		return nil
	})
}

// TestRaceAOF runs the race-enabled server with the AOF on (appendfsync
// always, group commit from several connections), a workload, a rewrite
// and CONFIG SET appendfsync under way, and fails on any race report.
func TestRaceAOF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a race-enabled binary")
	}
	sh := testutil.StartShoalRace(t, "--appendonly", "yes", "--appendfsync", "always")
	done := make(chan struct{})
	for g := 0; g < 3; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			c := sh.Dial(t)
			defer c.Close()
			for i := 0; i < 300; i++ {
				c.Do("INCR", fmt.Sprintf("n%d", g))
				c.Do("MULTI")
				c.Do("SET", fmt.Sprintf("k%d", i%7), "v", "EX", "100")
				c.Do("SPOP", "noset")
				c.Do("EXEC")
			}
		}(g)
	}
	w := testutil.NewWorkload(t, 1)
	w.Run(sh, 300)
	bgrewriteaof(t, sh)
	c := sh.Dial(t)
	do(t, c, "CONFIG", "SET", "appendfsync", "everysec")
	c.Close()
	w.Run(sh, 300)
	for g := 0; g < 3; g++ {
		<-done
	}
	if r := sh.RaceReports(); r != "" {
		t.Fatalf("data races:\n%s", r)
	}
}
