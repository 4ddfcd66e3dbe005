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

// The repl-diskless-load swapdb tests follow Redis 7.0.15's own
// (integration/replication "Diskless load swapdb"): the replica loads the
// master's payload aside and keeps its old data until the load succeeds;
// a failed load leaves the old data and functions in place. Each runs
// with Shoal as the replica behind a Shoal and a Redis master, and with
// Redis as the replica, which calibrates what the test expects.

var swapdbPairs = [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}}

const (
	swapdbLib1 = "#!lua name=test\nredis.register_function('test', function() return 'hello1' end)"
	swapdbLib2 = "#!lua name=test\nredis.register_function('test', function() return 'hello2' end)"
)

// swapdbPair starts a master with diskless sync and a writable swapdb
// replica (not yet following).
func swapdbPair(t *testing.T, mkind, rkind string) (m, r *testutil.Node) {
	m = start(t, mkind, "--repl-diskless-sync", "yes", "--rdbcompression", "no")
	// propagation-error-behavior panic: the master's FUNCTION LOAD of a
	// library the writable replica has fails there, which must not stop it.
	args := []string{"--repl-diskless-load", "swapdb", "--replica-read-only", "no", "--propagation-error-behavior", "panic"}
	if rkind == "redis" {
		// Redis answers clients during a load every this many bytes
		// (2 MB by default, more than these payloads).
		args = append(args, "--loading-process-events-interval-bytes", "1024")
	}
	r = start(t, rkind, args...)
	return m, r
}

// waitInfo waits until INFO field k of n reads v.
func waitInfo(t *testing.T, n *testutil.Node, section, k, v string) {
	t.Helper()
	testutil.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if got := info(t, n, section)[k]; got != v {
			return fmt.Errorf("%s %s: %q, want %q", n.Addr, k, got, v)
		}
		return nil
	})
}

// checkOld checks the replica still serves its own data and function.
func checkOld(t *testing.T, r *testutil.Node, keys int) {
	t.Helper()
	if v := str(do(t, r, "GET", "mykey")); v != "myvalue" {
		t.Fatalf("GET mykey on the replica: %q, want its old value", v)
	}
	if v := str(do(t, r, "FCALL", "test", "0")); v != "hello1" {
		t.Fatalf("FCALL test on the replica: %q, want its old function", v)
	}
	if v := str(do(t, r, "DBSIZE")); v != strconv.Itoa(keys) {
		t.Fatalf("DBSIZE on the replica: %s, want %d", v, keys)
	}
}

// TestSwapdbAsyncLoading: a resync of the same replication ID loads
// asynchronously (async_loading:1, loading:0): the old keys and function
// keep being served, REPLICAOF and CONFIG SET appendonly get -LOADING; the
// master dropping the link mid-load leaves the old data; the next sync
// swaps in the master's keys and function.
func TestSwapdbAsyncLoading(t *testing.T) {
	for _, pair := range swapdbPairs {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m, r := swapdbPair(t, pair[0], pair[1])
			follow(t, r, m)
			do(t, r, "DEBUG", "POPULATE", "300", "slave", "10")
			do(t, m, "DEBUG", "POPULATE", "400", "master", "1000")
			do(t, r, "SET", "mykey", "myvalue")
			do(t, r, "FUNCTION", "LOAD", swapdbLib1)
			do(t, m, "FUNCTION", "LOAD", swapdbLib2)
			// A full resync of the same history, as Redis's test forces
			// it: in one transaction the link is cut and the backlog,
			// made small, is filled past the replica's offset.
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "20000")
			mc := m.Dial(t)
			defer mc.Close()
			mc.MustDo(t, "MULTI")
			mc.MustDo(t, "CLIENT", "KILL", "TYPE", "replica")
			mc.MustDo(t, "CONFIG", "SET", "repl-backlog-size", "16384")
			for i := 0; i < 10; i++ {
				mc.MustDo(t, "SET", "big:"+strconv.Itoa(i), strings.Repeat("A", 16384))
			}
			if v := mc.MustDo(t, "EXEC"); v.IsError() {
				t.Fatalf("EXEC: %s", str(v))
			}
			waitInfo(t, r, "persistence", "async_loading", "1")
			if v := info(t, r, "persistence")["loading"]; v != "0" {
				t.Fatalf("loading:%s during an async load", v)
			}
			checkOld(t, r, 301)
			if v := str(do(t, r, "REPLICAOF", "NO", "ONE")); !strings.HasPrefix(v, "LOADING") {
				t.Fatalf("REPLICAOF NO ONE during an async load: %q", v)
			}
			if v := str(do(t, r, "CONFIG", "SET", "appendonly", "no")); !strings.HasPrefix(v, "LOADING") {
				t.Fatalf("CONFIG SET appendonly during an async load: %q", v)
			}
			if v := info(t, r, "persistence")["async_loading"]; v != "1" {
				t.Fatalf("the load ended before the checks (async_loading:%s); the master is too fast", v)
			}
			// The master drops the link mid-load: the old data stays.
			do(t, m, "CONFIG", "SET", "repl-diskless-sync-delay", "5")
			do(t, m, "CLIENT", "KILL", "TYPE", "replica")
			waitInfo(t, r, "persistence", "async_loading", "0")
			checkOld(t, r, 301)
			// The next sync succeeds and swaps the master's data in.
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0", "repl-diskless-sync-delay", "0")
			linkUp(t, r)
			caughtUp(t, m, r)
			if v := do(t, r, "GET", "mykey"); !v.Null {
				t.Fatalf("GET mykey after the swap: %q", str(v))
			}
			if v := str(do(t, r, "FCALL", "test", "0")); v != "hello2" {
				t.Fatalf("FCALL test after the swap: %q", v)
			}
			if v := str(do(t, r, "DBSIZE")); v != "410" {
				t.Fatalf("DBSIZE after the swap: %s", v)
			}
			sameData(t, m, r)
		})
	}
}

// TestSwapdbNewHistory: following a master of another history, a swapdb
// replica is loading (loading:1, async_loading:0, clients get -LOADING);
// a transfer cut short leaves the replica its own data.
func TestSwapdbNewHistory(t *testing.T) {
	for _, pair := range swapdbPairs {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m, r := swapdbPair(t, pair[0], pair[1])
			do(t, r, "DEBUG", "POPULATE", "200", "slave", "10")
			do(t, m, "DEBUG", "POPULATE", "400", "master", "1000")
			do(t, r, "SET", "mykey", "myvalue")
			do(t, r, "FUNCTION", "LOAD", swapdbLib1)
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "20000")
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			waitInfo(t, r, "persistence", "loading", "1")
			if v := info(t, r, "persistence")["async_loading"]; v != "0" {
				t.Fatalf("async_loading:%s following a new history", v)
			}
			if v := str(do(t, r, "GET", "mykey")); !strings.HasPrefix(v, "LOADING") {
				t.Fatalf("GET during a load of a new history: %q", v)
			}
			do(t, m, "CONFIG", "SET", "repl-diskless-sync-delay", "5")
			do(t, m, "CLIENT", "KILL", "TYPE", "replica")
			waitInfo(t, r, "persistence", "loading", "0")
			checkOld(t, r, 201)
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0", "repl-diskless-sync-delay", "0")
			linkUp(t, r)
			caughtUp(t, m, r)
			sameData(t, m, r)
		})
	}
}

// TestOnEmptyDBWithKeys: repl-diskless-load on-empty-db reads from the
// socket only into a dataset without keys; a replica holding keys
// receives the payload to disk, serving its old data meanwhile and
// keeping it if the transfer is cut.
func TestOnEmptyDBWithKeys(t *testing.T) {
	for _, pair := range swapdbPairs {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := start(t, pair[0], "--repl-diskless-sync", "yes", "--rdbcompression", "no")
			r := start(t, pair[1], "--repl-diskless-load", "on-empty-db")
			do(t, r, "DEBUG", "POPULATE", "200", "slave", "10")
			do(t, r, "SET", "mykey", "myvalue")
			do(t, m, "DEBUG", "POPULATE", "400", "master", "1000")
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "20000")
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			testutil.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
				if n, _ := strconv.Atoi(info(t, r, "replication")["master_sync_read_bytes"]); n <= 0 {
					return fmt.Errorf("no payload byte received yet")
				}
				return nil
			})
			if v := str(do(t, r, "GET", "mykey")); v != "myvalue" {
				t.Fatalf("GET during a transfer to disk: %q", v)
			}
			do(t, m, "CONFIG", "SET", "repl-diskless-sync-delay", "5")
			do(t, m, "CLIENT", "KILL", "TYPE", "replica")
			waitInfo(t, r, "replication", "master_sync_in_progress", "0")
			if v := str(do(t, r, "GET", "mykey")); v != "myvalue" {
				t.Fatalf("GET after a cut transfer: %q", v)
			}
			if v := str(do(t, r, "DBSIZE")); v != "201" {
				t.Fatalf("DBSIZE after a cut transfer: %s", v)
			}
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0", "repl-diskless-sync-delay", "0")
			linkUp(t, r)
			caughtUp(t, m, r)
			sameData(t, m, r)
		})
	}
}

// TestSyncSnapshotIsABgsave: while a master sends a diskless snapshot,
// INFO shows rdb_bgsave_in_progress:1 (Redis forks a BGSAVE for it), and
// its log tells how the transfer ended in Redis's words, which Redis's
// own replication tests wait for.
func TestSyncSnapshotIsABgsave(t *testing.T) {
	for _, kind := range []string{"shoal", "redis"} {
		t.Run("master-"+kind, func(t *testing.T) {
			m := start(t, kind, "--repl-diskless-sync", "yes")
			r := start(t, "shoal")
			do(t, m, "DEBUG", "POPULATE", "200", "k", "100")
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "10000")
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			waitInfo(t, m, "persistence", "rdb_bgsave_in_progress", "1")
			linkUp(t, r)
			waitInfo(t, m, "persistence", "rdb_bgsave_in_progress", "0")
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				log, _ := os.ReadFile(m.Log)
				if !strings.Contains(string(log), "Diskless rdb transfer, done reading from pipe, 1 replicas still up.") {
					return fmt.Errorf("the master did not log the end of the transfer")
				}
				return nil
			})
		})
	}
}
