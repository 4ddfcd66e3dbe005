package replication

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestWritableReplicaAOF: a writable replica's own writes (replica-read-only
// no) stay out of its replication stream but reach its AOF, as Redis's do:
// killed and restarted from the AOF, the replica has its own keys (in
// several databases, one set by a transaction) beside its master's, and a
// sub-replica never saw them. Against Shoal and Redis masters, and with a
// Redis replica as the reference.
func TestWritableReplicaAOF(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := start(t, pair[0])
			r := start(t, pair[1], "--replica-read-only", "no", "--appendonly", "yes", "--appendfsync", "always")
			sub := start(t, "shoal")
			preload(t, m, 300)
			follow(t, r, m)
			follow(t, sub, r)
			waitAOFIdle(t, r) // the rewrite the full sync started
			c := r.Dial(t)
			defer c.Close()
			for i := 0; i < 30; i++ {
				k := strconv.Itoa(i)
				do(t, m, "SET", "master:"+k, "v"+k)
				c.MustDo(t, "SET", "local:"+k, "mine")
				c.MustDo(t, "SELECT", "3")
				c.MustDo(t, "INCRBY", "local3:"+k, k)
				c.MustDo(t, "SELECT", "0")
			}
			// The master's stream in another database, then a replica
			// transaction across databases.
			mc := m.Dial(t)
			defer mc.Close()
			mc.MustDo(t, "SELECT", "5")
			mc.MustDo(t, "MULTI")
			mc.MustDo(t, "SET", "m5", "x")
			mc.MustDo(t, "SELECT", "6")
			mc.MustDo(t, "SET", "m6", "y")
			mc.MustDo(t, "EXEC")
			c.MustDo(t, "MULTI")
			c.MustDo(t, "SET", "tx0", "a")
			c.MustDo(t, "SELECT", "2")
			c.MustDo(t, "SET", "tx2", "b")
			c.MustDo(t, "EXEC")
			mc.MustDo(t, "SET", "m5b", "z") // in db 6: the EXEC selected it
			caughtUp(t, m, r, sub)
			if v := str(do(t, sub, "EXISTS", "local:1")); v != "0" {
				t.Fatalf("the sub-replica got the replica's own write (EXISTS %s)", v)
			}
			want := digest(t, r)
			if want == digest(t, m) {
				t.Fatal("the replica's own writes are not in its dataset")
			}
			waitAOFIdle(t, r)
			r.Kill()
			r.Restart() // a master now, loading its AOF
			if got := digest(t, r); got != want {
				t.Fatalf("restarted from its AOF: digest %s, before the kill %s", got, want)
			}
			rc := r.Dial(t)
			defer rc.Close()
			for _, kv := range [][3]string{{"0", "local:7", "mine"}, {"3", "local3:7", "7"}, {"0", "tx0", "a"}, {"2", "tx2", "b"}, {"6", "m5b", "z"}, {"5", "m5", "x"}, {"6", "m6", "y"}} {
				rc.MustDo(t, "SELECT", kv[0])
				if v := str(rc.MustDo(t, "GET", kv[1])); v != kv[2] {
					t.Fatalf("db %s %s: %q, want %q", kv[0], kv[1], v, kv[2])
				}
			}
		})
	}
}

// waitAOFIdle waits until no AOF rewrite runs and the AOF buffer is empty.
func waitAOFIdle(t *testing.T, n *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		p := info(t, n, "persistence")
		if p["aof_rewrite_in_progress"] != "0" || p["aof_rewrite_scheduled"] != "0" || p["aof_buffer_length"] != "0" {
			return fmt.Errorf("rewrite in progress %s scheduled %s, aof buffer %s", p["aof_rewrite_in_progress"], p["aof_rewrite_scheduled"], p["aof_buffer_length"])
		}
		return nil
	})
}
