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

// TestPartialResyncAfterLinkKill: CLIENT KILL TYPE master on the replica
// cuts its link; it reconnects and continues from the backlog:
// sync_partial_ok goes up on the master, sync_full does not. Shoal as
// master and as replica, each with Redis on the other side too.
func TestPartialResyncAfterLinkKill(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m, r := start(t, pair[0]), start(t, pair[1])
			preload(t, m, 1000)
			follow(t, r, m)
			caughtUp(t, m, r)
			for round := 1; round <= 3; round++ {
				if v := do(t, r, "CLIENT", "KILL", "TYPE", "master"); str(v) != "1" {
					t.Fatalf("CLIENT KILL TYPE master: %q", str(v))
				}
				for i := 0; i < 200; i++ {
					do(t, m, "SET", "after:"+strconv.Itoa(round)+":"+strconv.Itoa(i), "v")
				}
				linkUp(t, r)
				caughtUp(t, m, r)
				st := info(t, m, "stats")
				if st["sync_full"] != "1" || st["sync_partial_ok"] != strconv.Itoa(round) {
					t.Fatalf("round %d: sync_full %s sync_partial_ok %s", round, st["sync_full"], st["sync_partial_ok"])
				}
			}
			sameData(t, m, r)
		})
	}
}

// TestPromotionKeepsSiblingsPartial: after REPLICAOF NO ONE on one
// replica, its sibling follows it with a partial resync (the promoted
// node keeps its old master's ID as master_replid2), and the old master
// can follow it too.
func TestPromotionKeepsSiblingsPartial(t *testing.T) {
	for _, kind := range []string{"shoal", "redis"} {
		t.Run("sibling-"+kind, func(t *testing.T) {
			m, r1, r2 := start(t, "shoal"), start(t, "shoal"), start(t, kind)
			preload(t, m, 1000)
			follow(t, r1, m)
			follow(t, r2, m)
			testutil.NewWorkload(t, 3).Run(m, 300)
			caughtUp(t, m, r1, r2)
			oldID := info(t, m, "replication")["master_replid"]
			if v := do(t, r1, "REPLICAOF", "NO", "ONE"); str(v) != "OK" {
				t.Fatalf("REPLICAOF NO ONE: %q", str(v))
			}
			ri := info(t, r1, "replication")
			if ri["role"] != "master" || ri["master_replid2"] != oldID || ri["master_replid"] == oldID {
				t.Fatalf("after promotion: role %s replid %s replid2 %s (old %s)", ri["role"], ri["master_replid"], ri["master_replid2"], oldID)
			}
			do(t, r1, "SET", "written-on-new-master", "1")
			follow(t, r2, r1)
			caughtUp(t, r1, r2)
			st := info(t, r1, "stats")
			if st["sync_full"] != "0" || st["sync_partial_ok"] != "1" {
				t.Fatalf("sibling resync: sync_full %s sync_partial_ok %s", st["sync_full"], st["sync_partial_ok"])
			}
			sameData(t, r1, r2)
			if v := do(t, r2, "GET", "written-on-new-master"); str(v) != "1" {
				t.Fatalf("sibling lacks the new master's write")
			}
		})
	}
}

// TestWaitAndMinReplicas: WAIT counts the replicas that acknowledged the
// client's writes; with the replica gone it returns 0 after the timeout,
// and min-replicas-to-write refuses writes with NOREPLICAS.
func TestWaitAndMinReplicas(t *testing.T) {
	m, r := start(t, "shoal"), start(t, "shoal")
	follow(t, r, m)
	c := m.Dial(t)
	defer c.Close()
	c.MustDo(t, "SET", "k", "v")
	if v := c.MustDo(t, "WAIT", "1", "5000"); str(v) != "1" {
		t.Fatalf("WAIT 1 with one replica: %s", str(v))
	}
	if v := c.MustDo(t, "WAIT", "2", "200"); str(v) != "1" {
		t.Fatalf("WAIT 2 with one replica: %s", str(v))
	}
	if v := do(t, r, "WAIT", "1", "10"); str(v) != "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated." {
		t.Fatalf("WAIT on a replica: %q", str(v))
	}
	c.MustDo(t, "CONFIG", "SET", "min-replicas-to-write", "1")
	c.MustDo(t, "CONFIG", "SET", "min-replicas-max-lag", "2")
	if v := c.MustDo(t, "SET", "k2", "v"); str(v) != "OK" {
		t.Fatalf("write with a good replica: %q", str(v))
	}
	r.Stop()
	c.MustDo(t, "SET", "k3", "v")
	if v := c.MustDo(t, "WAIT", "1", "300"); str(v) != "0" {
		t.Fatalf("WAIT with the replica gone: %s", str(v))
	}
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if v := c.MustDo(t, "SET", "k4", "v"); str(v) != "NOREPLICAS Not enough good replicas to write." {
			return fmt.Errorf("write without a good replica: %q", str(v))
		}
		return nil
	})
	if v := c.MustDo(t, "GET", "k"); str(v) != "v" {
		t.Fatalf("reads go on: %q", str(v))
	}
}

// TestReplicaHidesExpiredKeys: a replica does not expire keys itself: a
// key whose TTL passed reads as missing but stays until the master's DEL
// (Redis's rule), the same on a Redis replica.
func TestReplicaHidesExpiredKeys(t *testing.T) {
	for _, kind := range []string{"shoal", "redis"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, "shoal"), start(t, kind)
			follow(t, r, m)
			do(t, m, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
			do(t, m, "SET", "short", "v", "PX", "100")
			do(t, m, "SET", "long", "v")
			caughtUp(t, m, r)
			time.Sleep(200 * time.Millisecond)
			if v := do(t, r, "GET", "short"); !v.Null {
				t.Fatalf("expired key read on the replica: %q", v.Str)
			}
			if v := do(t, r, "DBSIZE"); str(v) != "2" {
				t.Fatalf("replica deleted the key itself: dbsize %s", str(v))
			}
			do(t, m, "GET", "short") // the master expires it and sends DEL
			caughtUp(t, m, r)
			if v := do(t, r, "DBSIZE"); str(v) != "1" {
				t.Fatalf("master's DEL not applied: dbsize %s", str(v))
			}
		})
	}
}

// TestReplicaRestartContinues: a replica restarted from the RDB it saved
// at shutdown (SHUTDOWN SAVE records repl-id and repl-offset) continues
// partially: sync_partial_ok goes up on the master, sync_full does not;
// with Redis on either side too.
func TestReplicaRestartContinues(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"shoal", "redis"}, {"redis", "shoal"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := start(t, pair[0])
			r := start(t, pair[1], "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
			preload(t, m, 2000)
			linkUp(t, r)
			caughtUp(t, m, r)
			c := r.Dial(t)
			c.Send("SHUTDOWN", "SAVE")
			c.Read()
			c.Close()
			r.Stop()
			for i := 0; i < 100; i++ {
				do(t, m, "SET", "while-down:"+strconv.Itoa(i), "v")
			}
			r.Restart()
			linkUp(t, r)
			caughtUp(t, m, r)
			st := info(t, m, "stats")
			if st["sync_full"] != "1" || st["sync_partial_ok"] != "1" {
				t.Fatalf("after the replica's restart: sync_full %s sync_partial_ok %s", st["sync_full"], st["sync_partial_ok"])
			}
			sameData(t, m, r)
		})
	}
}

// TestPublishReachesReplicas: standalone, a subscriber on a replica gets
// what is published on the master, with Redis on either side.
func TestPublishReachesReplicas(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"shoal", "redis"}, {"redis", "shoal"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m, r := start(t, pair[0]), start(t, pair[1])
			follow(t, r, m)
			sub := r.Dial(t)
			defer sub.Close()
			sub.MustDo(t, "SUBSCRIBE", "news")
			do(t, m, "PUBLISH", "news", "hello")
			v, _, err := sub.Read()
			testutil.NoErr(t, err)
			if len(v.Elems) != 3 || string(v.Elems[2].Str) != "hello" {
				t.Fatalf("subscriber on the replica got %+v", v)
			}
		})
	}
}

// TestDebugPopulate: DEBUG POPULATE makes the same keys and values as on
// redis-server (digest equal), skips keys that exist, and pads or cuts
// values to the size asked.
func TestDebugPopulate(t *testing.T) {
	for _, args := range [][]string{{"1000"}, {"500", "p"}, {"300", "s", "20"}, {"300", "s", "3"}} {
		var digests []string
		for _, kind := range []string{"redis", "shoal"} {
			n := start(t, kind)
			do(t, n, "SET", "key:7", "mine")
			if v := do(t, n, append([]string{"DEBUG", "POPULATE"}, args...)...); str(v) != "OK" {
				t.Fatalf("%s DEBUG POPULATE %v: %q", kind, args, str(v))
			}
			digests = append(digests, digest(t, n))
		}
		if digests[0] != digests[1] {
			t.Fatalf("DEBUG POPULATE %v: digest redis %s shoal %s", args, digests[0], digests[1])
		}
	}
}

// TestFullSyncReplacesFunctions: a full sync leaves the replica exactly
// the master's function libraries (its own are dropped), so a later
// FUNCTION LOAD from the master applies cleanly.
func TestFullSyncReplacesFunctions(t *testing.T) {
	for _, kind := range []string{"shoal", "redis"} {
		t.Run("master-"+kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, "shoal")
			lib := "#!lua name=test\nredis.register_function('f', function() return 1 end)"
			do(t, r, "FUNCTION", "LOAD", lib) // the replica's own, before it follows
			follow(t, r, m)
			if v := do(t, r, "FUNCTION", "LIST"); len(v.Elems) != 0 {
				t.Fatalf("replica kept its own libraries after a full sync: %d", len(v.Elems))
			}
			if v := do(t, m, "FUNCTION", "LOAD", lib); v.IsError() {
				t.Fatal(str(v))
			}
			caughtUp(t, m, r)
			if v := do(t, r, "FCALL_RO", "f", "0"); v.IsError() {
				// f has no no-writes flag: FCALL_RO refuses it in Redis's words on both.
				if want := "ERR Can not execute a script with write flag using *_ro command."; str(v) != want {
					t.Fatalf("FCALL_RO on the replica: %q", str(v))
				}
			}
			log, _ := os.ReadFile(r.Log)
			if strings.Contains(string(log), "CRITICAL") {
				t.Fatalf("the replica failed a command from its master")
			}
		})
	}
}

// TestWritableReplicaKeepsMasterOffset: the writes a writable replica's
// own clients make stay out of its replication stream (Redis's
// replicationFeedSlaves returns on a replica): its offset stays its
// master's, its sub-replicas get only the master's stream, and after a
// cut link it continues partially at the right place.
func TestWritableReplicaKeepsMasterOffset(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := start(t, pair[0])
			r := start(t, pair[1], "--replica-read-only", "no")
			sub := start(t, "shoal")
			preload(t, m, 300)
			follow(t, r, m)
			follow(t, sub, r)
			for i := 0; i < 50; i++ {
				do(t, r, "SET", "local:"+strconv.Itoa(i), "mine")
			}
			do(t, r, "FUNCTION", "LOAD", "#!lua name=local\nredis.register_function('f', function() return 1 end)")
			for i := 0; i < 50; i++ {
				do(t, m, "SET", "master:"+strconv.Itoa(i), "v")
			}
			caughtUp(t, m, r, sub)
			if v := str(do(t, sub, "EXISTS", "local:1")); v != "0" {
				t.Fatalf("the sub-replica got the replica's own write (EXISTS %s)", v)
			}
			if v := str(do(t, r, "CLIENT", "KILL", "TYPE", "master")); v != "1" {
				t.Fatalf("CLIENT KILL TYPE master: %s", v)
			}
			for i := 0; i < 50; i++ {
				do(t, m, "SET", "after:"+strconv.Itoa(i), "v")
			}
			linkUp(t, r)
			caughtUp(t, m, r, sub)
			if st := info(t, m, "stats"); st["sync_full"] != "1" || st["sync_partial_ok"] != "1" {
				t.Fatalf("master: sync_full %s sync_partial_ok %s", st["sync_full"], st["sync_partial_ok"])
			}
			do(t, r, "DEL", "local:"+strconv.Itoa(0))
			for i := 1; i < 50; i++ {
				do(t, r, "DEL", "local:"+strconv.Itoa(i))
			}
			do(t, r, "FUNCTION", "DELETE", "local")
			caughtUp(t, m, r, sub)
			sameData(t, m, r, sub)
		})
	}
}
