package replication

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// The replication buffer (Redis 7.0's one buffer shared by the backlog and
// the replicas; Shoal's write stream), checked on redis-server 7.0.15 and
// on Shoal alike.

func infoInt(t *testing.T, n *testutil.Node, section, field string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(info(t, n, section)[field], 10, 64)
	if err != nil {
		t.Fatalf("%s: INFO %s %s: %v", n.Addr, section, field, err)
	}
	return v
}

// CLIENT LIST TYPE replica (and slave) lists the replica's link, flagged S,
// with its output buffer in omem/tot-mem; INFO's connected_clients does
// not count it.
func TestClientListTypeReplica(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			follow(t, r, m)
			for _, typ := range []string{"replica", "slave", "REPLICA"} {
				lines := strings.Split(strings.TrimSpace(str(do(t, m, "CLIENT", "LIST", "TYPE", typ))), "\n")
				if len(lines) != 1 || !strings.Contains(lines[0], " flags=S ") || !strings.Contains(lines[0], " tot-mem=") {
					t.Fatalf("CLIENT LIST TYPE %s: %q", typ, lines)
				}
			}
			if got := strings.TrimSpace(str(do(t, m, "CLIENT", "LIST", "TYPE", "pubsub"))); got != "" {
				t.Fatalf("CLIENT LIST TYPE pubsub: %q", got)
			}
			// connected_clients leaves the replicas out: INFO's own
			// connection only (the helpers' earlier ones may take a
			// moment to be gone).
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if n := info(t, m, "clients")["connected_clients"]; n != "1" {
					return fmt.Errorf("connected_clients %s on a master with one replica and one connection", n)
				}
				return nil
			})
		})
	}
}

// TestReplicaLinkIdle: a replica's link on its master counts as used at
// each ACK (once a second), as Redis's lastinteraction does, so CLIENT
// LIST shows it idle=0 or 1 however old it is.
func TestReplicaLinkIdle(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			follow(t, r, m)
			var f map[string]string
			testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
				f = clientFields(strings.TrimSpace(str(do(t, m, "CLIENT", "LIST", "TYPE", "replica"))))
				if age, _ := strconv.Atoi(f["age"]); age < 4 {
					return fmt.Errorf("replica link age %s", f["age"])
				}
				return nil
			})
			if idle, _ := strconv.Atoi(f["idle"]); idle > 1 {
				t.Fatalf("replica link age %s idle %s, want idle 0 or 1", f["age"], f["idle"])
			}
		})
	}
}

// A hard output-buffer limit for replicas below repl-backlog-size is
// raised to it (Redis's checkClientOutputBufferLimits): a replica whose
// unsent stream passes the configured limit but not the backlog stays, and
// continues partially after a link kill.
func TestReplicaHardLimitRaisedToBacklog(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			do(t, m, "CONFIG", "SET", "repl-backlog-size", "100mb")
			do(t, m, "CONFIG", "SET", "client-output-buffer-limit", "replica 512k 0 0")
			follow(t, r, m)
			big := strings.Repeat("A", 4<<20)
			c := m.Dial(t)
			c.MustDo(t, "MULTI")
			c.MustDo(t, "CLIENT", "KILL", "TYPE", "replica")
			c.MustDo(t, "SET", "key", big)
			c.MustDo(t, "SET", "key", big)
			c.MustDo(t, "EXEC")
			linkUp(t, r)
			c.MustDo(t, "SET", "key", big)
			caughtUp(t, m, r)
			st := info(t, m, "stats")
			if st["sync_full"] != "1" || st["sync_partial_ok"] != "1" {
				t.Fatalf("sync_full %s sync_partial_ok %s, want 1 and 1", st["sync_full"], st["sync_partial_ok"])
			}
			// CONFIG RESETSTAT clears them (Redis's resetServerStats).
			do(t, m, "CONFIG", "RESETSTAT")
			st = info(t, m, "stats")
			if st["sync_full"] != "0" || st["sync_partial_ok"] != "0" || st["sync_partial_err"] != "0" {
				t.Fatalf("after CONFIG RESETSTAT: sync_full %s sync_partial_ok %s sync_partial_err %s", st["sync_full"], st["sync_partial_ok"], st["sync_partial_err"])
			}
		})
	}
}

// A replica dropped while its full sync's snapshot still runs (here over
// its output-buffer limit, the snapshot slowed by rdb-key-save-delay)
// stops holding the stream at once: the backlog shrinks back without
// waiting for the snapshot, and mem_total_replication_buffers with it.
func TestDroppedSyncingReplicaReleasesBuffer(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			do(t, m, "CONFIG", "SET", "save", "")
			do(t, m, "CONFIG", "SET", "repl-backlog-size", "16384")
			do(t, m, "CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0")
			do(t, m, "DEBUG", "POPULATE", "100", "pre", "10")
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "1000000") // 1 s a key: the sync never ends here
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
				if infoInt(t, m, "persistence", "rdb_bgsave_in_progress") != 1 {
					return fmt.Errorf("no sync in progress")
				}
				return nil
			})
			val := strings.Repeat("x", 10000)
			c := m.Dial(t)
			for i := 0; i < 300; i++ { // 3 MB the syncing replica holds
				c.MustDo(t, "SET", "k"+strconv.Itoa(i), val)
			}
			if h := infoInt(t, m, "replication", "repl_backlog_histlen"); h < 3_000_000 {
				t.Fatalf("repl_backlog_histlen %d with a syncing replica holding 3 MB", h)
			}
			if b := infoInt(t, m, "memory", "mem_total_replication_buffers"); b < 3_000_000 {
				t.Fatalf("mem_total_replication_buffers %d with a syncing replica holding 3 MB", b)
			}
			do(t, m, "CONFIG", "SET", "client-output-buffer-limit", "replica 128k 0 0")
			c.MustDo(t, "SET", "trigger", val)
			testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
				if n := infoInt(t, m, "replication", "connected_slaves"); n != 0 {
					return fmt.Errorf("connected_slaves %d", n)
				}
				if h := infoInt(t, m, "replication", "repl_backlog_histlen"); h > 1_000_000 {
					return fmt.Errorf("repl_backlog_histlen %d after the replica was dropped", h)
				}
				if b := infoInt(t, m, "memory", "mem_total_replication_buffers"); b > 1_000_000 {
					return fmt.Errorf("mem_total_replication_buffers %d after the replica was dropped", b)
				}
				return nil
			})
			do(t, r, "REPLICAOF", "NO", "ONE")
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0")
		})
	}
}
