package replication

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// preloadKeys is the dataset size of the full syncs (SHOAL_REPL_BIG=1:
// the million keys).
func preloadKeys() int {
	if os.Getenv("SHOAL_REPL_BIG") != "" {
		return 1_000_000
	}
	return 30_000
}

// TestFullSyncAndStream: for every pairing of Shoal and Redis as master
// and replica, a full sync of a preloaded dataset of every type, then a
// random workload over every type (expiring keys, SPOP, INCRBYFLOAT,
// blocking pops, MULTI/EXEC, SELECT, FLUSHDB) applied through the stream:
// the replica ends with the master's DEBUG DIGEST.
func TestFullSyncAndStream(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := start(t, pair[0])
			r := start(t, pair[1])
			preload(t, m, preloadKeys())
			follow(t, r, m)
			caughtUp(t, m, r)
			sameData(t, m, r)
			testutil.NewWorkload(t, 7).Run(m, 3000)
			caughtUp(t, m, r)
			sameData(t, m, r)
			// The replica refuses writes in Redis's words.
			if v := do(t, r, "SET", "x", "y"); str(v) != "READONLY You can't write against a read only replica." {
				t.Fatalf("write on a replica: %q", v.Str)
			}
		})
	}
}

// TestChain: a replica passes its master's stream on to its own replica,
// byte for byte (offsets agree along the chain), mixing both servers:
// Redis → Shoal → Redis and Shoal → Redis → Shoal.
func TestChain(t *testing.T) {
	for _, kinds := range [][3]string{{"redis", "shoal", "redis"}, {"shoal", "redis", "shoal"}} {
		t.Run(kinds[0]+"-"+kinds[1]+"-"+kinds[2], func(t *testing.T) {
			a, b, c := start(t, kinds[0]), start(t, kinds[1]), start(t, kinds[2])
			preload(t, a, 3000)
			follow(t, b, a)
			follow(t, c, b)
			testutil.NewWorkload(t, 11).Run(a, 1500)
			caughtUp(t, a, b)
			caughtUp(t, b, c)
			if oa, oc := info(t, a, "replication")["master_repl_offset"], info(t, c, "replication")["master_repl_offset"]; oa != oc {
				t.Fatalf("offsets differ along the chain: %s vs %s", oa, oc)
			}
			sameData(t, a, b, c)
		})
	}
}

// TestDisklessAndDiskTransfers: the payload as a length-prefixed file
// (repl-diskless-sync no) and streamed with an EOF marker, loaded to disk
// first or parsed from the socket (repl-diskless-load), Shoal to Shoal.
func TestDisklessAndDiskTransfers(t *testing.T) {
	for _, c := range []struct{ sync, load string }{{"no", "disabled"}, {"yes", "on-empty-db"}, {"no", "swapdb"}} {
		t.Run("diskless-sync-"+c.sync+"-load-"+c.load, func(t *testing.T) {
			m := start(t, "shoal", "--repl-diskless-sync", c.sync)
			r := start(t, "shoal", "--repl-diskless-load", c.load)
			preload(t, m, 5000)
			follow(t, r, m)
			caughtUp(t, m, r)
			sameData(t, m, r)
			if got := info(t, m, "stats")["sync_full"]; got != "1" {
				t.Fatalf("sync_full %s", got)
			}
			if c.load == "disabled" {
				// The payload went through a file, which became the RDB.
				if _, err := os.Stat(r.Dir + "/dump.rdb"); err != nil {
					t.Fatalf("no dump.rdb after a disk load: %v", err)
				}
			}
		})
	}
}

// TestSharedSnapshot: two replicas attaching within the diskless delay
// share one snapshot (one BGSAVE for SYNC in the master's log).
func TestSharedSnapshot(t *testing.T) {
	m := start(t, "shoal", "--repl-diskless-sync-delay", "2")
	preload(t, m, 2000)
	r1, r2 := start(t, "shoal"), start(t, "shoal")
	do(t, r1, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
	do(t, r2, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
	linkUp(t, r1)
	linkUp(t, r2)
	caughtUp(t, m, r1, r2)
	sameData(t, m, r1, r2)
	log, _ := os.ReadFile(m.Log)
	if n := strings.Count(string(log), "Starting BGSAVE for SYNC"); n != 1 {
		t.Fatalf("%d snapshots for two replicas attaching together", n)
	}
}

// TestMaxReplicasCutsTheDelay: repl-diskless-sync-max-replicas starts the
// shared snapshot as soon as that many replicas wait, however long the
// diskless delay (here 120 s, longer than linkUp waits): at once for the
// first replica with 1, at the second with 2 (Redis's
// integration/replication-buffer sets max-replicas 1 and a 5 s delay and
// waits 5 s for the sync).
func TestMaxReplicasCutsTheDelay(t *testing.T) {
	t.Run("one", func(t *testing.T) {
		m := start(t, "shoal", "--repl-diskless-sync-delay", "120", "--repl-diskless-sync-max-replicas", "1")
		r := start(t, "shoal")
		follow(t, r, m)
	})
	t.Run("two", func(t *testing.T) {
		m := start(t, "shoal", "--repl-diskless-sync-delay", "120", "--repl-diskless-sync-max-replicas", "2")
		r1, r2 := start(t, "shoal"), start(t, "shoal")
		do(t, r1, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if log, _ := os.ReadFile(m.Log); !strings.Contains(string(log), "Delay next BGSAVE for diskless SYNC") {
				return fmt.Errorf("the first replica's sync is not waiting")
			}
			return nil
		})
		if log, _ := os.ReadFile(m.Log); strings.Contains(string(log), "Starting BGSAVE for SYNC") {
			t.Fatal("the snapshot started with one replica of max-replicas 2")
		}
		do(t, r2, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
		linkUp(t, r1)
		linkUp(t, r2)
		log, _ := os.ReadFile(m.Log)
		if n := strings.Count(string(log), "Starting BGSAVE for SYNC"); n != 1 {
			t.Fatalf("%d snapshots for two replicas", n)
		}
	})
}

// TestReplicaAOF: with appendonly yes (the tutorial's), a replica's AOF
// holds its master's data: the full sync restarts the AOF from the loaded
// dataset, and the stream that follows is appended; a replica killed with
// SIGKILL and restarted as a master from its AOF has the master's digest.
func TestReplicaAOF(t *testing.T) {
	m := start(t, "shoal")
	r := start(t, "shoal", "--appendonly", "yes")
	preload(t, m, 3000)
	follow(t, r, m)
	testutil.NewWorkload(t, 5).Run(m, 1000)
	caughtUp(t, m, r)
	want := digest(t, m)
	// Let the rewrite started by the sync finish, and the stream reach
	// the file, before the kill (a kill -9 keeps what was written).
	testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		p := info(t, r, "persistence")
		if p["aof_rewrite_in_progress"] != "0" || p["aof_buffer_length"] != "0" {
			return fmt.Errorf("rewrite in progress %s, aof buffer %s", p["aof_rewrite_in_progress"], p["aof_buffer_length"])
		}
		return nil
	})
	r.Kill()
	r.Restart()
	do(t, r, "REPLICAOF", "NO", "ONE")
	if got := digest(t, r); got != want {
		t.Fatalf("replica restarted from its AOF: digest %s, master %s", got, want)
	}
}
