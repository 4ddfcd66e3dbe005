package replication

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestSyncChildDiesWithMaster: a full sync through a file (repl-diskless-sync
// no) has a child process on the master while it runs (Redis: the fork
// child; Shoal: the file's writer child), and that child ends when the
// master is killed (integration/replication "replication child dies when
// parent is killed - diskless: no").
func TestSyncChildDiesWithMaster(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep")
	}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind, "--repl-diskless-sync", "no")
			r := start(t, kind)
			preload(t, m, 2000)
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "5000") // ~10 s
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			waitSyncSave(t, m, "1")
			out, _ := exec.Command("pgrep", "-P", strconv.Itoa(m.Pid)).Output()
			kids := strings.Fields(string(out))
			if len(kids) != 1 {
				t.Fatalf("children of the master during the sync: %q", kids)
			}
			child, _ := strconv.Atoi(kids[0])
			m.Kill()
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if err := syscall.Kill(child, 0); err == nil {
					// A zombie is gone too (its parent is dead: init reaps it).
					if st, _ := exec.Command("ps", "-o", "stat=", "-p", kids[0]).Output(); !strings.HasPrefix(strings.TrimSpace(string(st)), "Z") {
						return fmt.Errorf("child %d still alive", child)
					}
				}
				return nil
			})
		})
	}
}

// TestBacklogAfterKilledSync: a replica killed (CLIENT KILL TYPE replica)
// while its full sync is under way leaves nothing that holds the master's
// backlog: after repl-backlog-size shrinks and more is written, the backlog
// keeps about that much (integration/replication "diskless loading short
// read" then needs a full sync, not a partial one).
func TestBacklogAfterKilledSync(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		for _, diskless := range []string{"yes", "no"} {
			t.Run(kind+"-diskless-"+diskless, func(t *testing.T) {
				m := start(t, kind, "--repl-diskless-sync", diskless)
				r := start(t, kind)
				preload(t, m, 1000)
				do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "2000") // ~2 s
				do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
				waitSyncSave(t, m, "1")
				do(t, r, "REPLICAOF", "NO", "ONE")
				do(t, m, "CLIENT", "KILL", "TYPE", "replica")
				do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0")
				waitSyncSave(t, m, "0")
				do(t, m, "CONFIG", "SET", "repl-backlog-size", "16384")
				big := strings.Repeat("A", 16384)
				for i := 0; i < 10; i++ {
					do(t, m, "SET", "big"+strconv.Itoa(i), big)
				}
				testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
					repl := info(t, m, "replication")
					if n, _ := strconv.Atoi(repl["repl_backlog_histlen"]); n > 64<<10 {
						return fmt.Errorf("backlog holds %d bytes (size 16384): %v", n, repl)
					}
					return nil
				})
			})
		}
	}
}

// TestDiskSyncStopsWhenUseless: a full sync through a file shows its
// replicas as wait_bgsave while the file is written; when the last of them
// leaves and no save point wants the file, the save stops; with save
// points it goes on (integration/replication "Kill rdb child process if
// its dumping RDB is not useful"); compared with redis-server.
func TestDiskSyncStopsWhenUseless(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind, "--repl-diskless-sync", "no", "--save", "")
			r1, r2 := start(t, kind), start(t, kind)
			for i := 0; i < 10; i++ {
				do(t, m, "SET", strconv.Itoa(i), strconv.Itoa(i))
			}
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "1000000") // 1 s a key
			waiting := func() {
				t.Helper()
				testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
					p, r := info(t, m, "persistence"), info(t, m, "replication")
					if p["rdb_bgsave_in_progress"] != "1" || !strings.Contains(r["slave0"], "state=wait_bgsave") || !strings.Contains(r["slave1"], "state=wait_bgsave") {
						return fmt.Errorf("not both waiting: %v %q %q", p["rdb_bgsave_in_progress"], r["slave0"], r["slave1"])
					}
					return nil
				})
			}
			for _, r := range []*testutil.Node{r1, r2} {
				do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			}
			waiting()
			do(t, r1, "REPLICAOF", "NO", "ONE")
			time.Sleep(100 * time.Millisecond)
			if v := info(t, m, "persistence")["rdb_bgsave_in_progress"]; v != "1" {
				t.Fatalf("save stopped while a replica still waits: %s", v)
			}
			do(t, r2, "REPLICAOF", "NO", "ONE")
			testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
				if info(t, m, "persistence")["rdb_bgsave_in_progress"] != "0" {
					return fmt.Errorf("useless save still running")
				}
				return nil
			})
			do(t, m, "CONFIG", "SET", "save", "900 1")
			for _, r := range []*testutil.Node{r1, r2} {
				do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			}
			waiting()
			do(t, r1, "REPLICAOF", "NO", "ONE")
			do(t, r2, "REPLICAOF", "NO", "ONE")
			time.Sleep(200 * time.Millisecond)
			if v := info(t, m, "persistence")["rdb_bgsave_in_progress"]; v != "1" {
				t.Fatalf("save with save points stopped: %s", v)
			}
			c := m.Dial(t)
			c.Do("SHUTDOWN", "NOSAVE") // the connection ends: no reply
			c.Close()
		})
	}
}

// TestDisklessSyncReplicaState: during a diskless full sync the master
// lists the replica as wait_bgsave (Redis's replica waits for the child
// that streams to it), then online; compared with redis-server.
func TestDisklessSyncReplicaState(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind, "--repl-diskless-sync", "yes")
			r := start(t, kind)
			preload(t, m, 1000)
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "3000") // ~3 s
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			testutil.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
				p, rp := info(t, m, "persistence"), info(t, m, "replication")
				if p["rdb_bgsave_in_progress"] != "1" || rp["slave0"] == "" {
					return fmt.Errorf("no transfer yet")
				}
				if !strings.Contains(rp["slave0"], "state=wait_bgsave") {
					t.Fatalf("replica during the transfer: %q", rp["slave0"])
				}
				return nil
			})
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0")
			testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
				if rp := info(t, m, "replication"); !strings.Contains(rp["slave0"], "state=online") {
					return fmt.Errorf("not online: %q", rp["slave0"])
				}
				return nil
			})
		})
	}
}

// waitSyncSave waits (bounded) for m's rdb_bgsave_in_progress to be want.
func waitSyncSave(t *testing.T, m *testutil.Node, want string) {
	t.Helper()
	testutil.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if got := info(t, m, "persistence")["rdb_bgsave_in_progress"]; got != want {
			return fmt.Errorf("rdb_bgsave_in_progress:%s, waiting for %s", got, want)
		}
		return nil
	})
}

// TestCommandsOnReplicaLink: a command other than REPLCONF on a replica's
// link ends the link (a reply must never go down it) with Redis's log
// lines, a keyspace command logged as a CRITICAL error first; PSYNC with
// an offset that is not a number is refused (integration/replication
// "replica do not write the reply to the replication link", "PSYNC with
// wrong offset should throw error"); compared with redis-server.
func TestCommandsOnReplicaLink(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind, "--save", "")
			c := m.Dial(t)
			defer c.Close()
			v, err := c.Do("PSYNC", "replicationid", "offset_str")
			if err != nil || str(v) != "ERR value is not an integer or out of range" {
				t.Fatalf("PSYNC with a bad offset: %q %v", str(v), err)
			}
			if v := str(c.MustDo(t, "PING")); v != "PONG" {
				t.Fatalf("PING after it: %q", v)
			}
			for _, tc := range []struct {
				sync []string
				cmd  []string
				logs []string
			}{
				{[]string{"SYNC"}, []string{"PING"}, []string{"Replica generated a reply to command 'ping', disconnecting it: "}},
				{[]string{"PSYNC", "replicationid", "-1"}, []string{"XINFO", "HELP"}, []string{"Replica generated a reply to command 'xinfo|help', disconnecting it: "}},
				{[]string{"PSYNC", "replicationid", "-1"}, []string{"GET", "foo"}, []string{
					"== CRITICAL == This master is sending an error to its replica: ", "Replica can't interact with the keyspace",
					"Replica generated a reply to command 'get', disconnecting it: "}},
			} {
				r := m.Dial(t)
				if err := r.Send(tc.sync...); err != nil {
					t.Fatal(err)
				}
				if err := r.Send(tc.cmd...); err != nil {
					t.Fatal(err)
				}
				// The link ends: reading what the master sent (the
				// FULLRESYNC line, the payload) runs into EOF.
				testutil.CheckFor(t, 30*time.Second, 0, func() error {
					if _, _, err := r.ReadWithin(30 * time.Second); err == nil {
						return fmt.Errorf("link still open")
					}
					return nil
				})
				r.Close()
				testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
					log, _ := os.ReadFile(m.Log)
					for _, l := range tc.logs {
						if !strings.Contains(string(log), l) {
							return fmt.Errorf("no %q in the log", l)
						}
					}
					return nil
				})
				waitSyncSave(t, m, "0")
			}
		})
	}
}
