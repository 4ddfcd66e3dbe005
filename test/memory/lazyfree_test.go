package memory

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestLazyfreedObjects: INFO's lazyfreed_objects counts what Redis 7.0
// frees in its background thread — UNLINK (or DEL with
// lazyfree-lazy-user-del) of a value whose free effort passes 64, and the
// keys of FLUSHDB/FLUSHALL ASYNC — the same on Shoal as on a live
// redis-server (unit/lazyfree).
func TestLazyfreedObjects(t *testing.T) {
	testutil.EachKind(t, func(t *testing.T, n *testutil.Node) {
		c := n.Dial(t)
		c.Timeout = 30 * time.Second
		lazy := func() int64 { return infoField(t, c, "memory", "lazyfreed_objects") }
		bigSet := func(key string, members int) {
			args := []string{"SADD", key}
			for i := 0; i < members; i++ {
				args = append(args, strconv.Itoa(i))
			}
			c.MustDo(t, args...)
		}
		steps := []struct {
			name string
			run  func()
			want int64
		}{
			{"UNLINK hashtable set of 1000", func() { bigSet("s", 1000); c.MustDo(t, "UNLINK", "s") }, 1},
			{"UNLINK intset of 1000", func() {
				c.MustDo(t, "CONFIG", "SET", "set-max-intset-entries", "5000")
				bigSet("s", 1000)
				c.MustDo(t, "UNLINK", "s")
				c.MustDo(t, "CONFIG", "SET", "set-max-intset-entries", "512")
			}, 0},
			{"UNLINK hashtable set of 60", func() { bigSet("s", 600); c.MustDo(t, "SPOP", "s", "540"); c.MustDo(t, "UNLINK", "s") }, 0},
			{"DEL hashtable set", func() { bigSet("s", 1000); c.MustDo(t, "DEL", "s") }, 0},
			{"DEL with lazyfree-lazy-user-del", func() {
				c.MustDo(t, "CONFIG", "SET", "lazyfree-lazy-user-del", "yes")
				bigSet("s", 1000)
				c.MustDo(t, "DEL", "s")
				c.MustDo(t, "CONFIG", "SET", "lazyfree-lazy-user-del", "no")
			}, 1},
			{"UNLINK stream of 200 nodes with a group", func() {
				c.MustDo(t, "CONFIG", "SET", "stream-node-max-entries", "5")
				for i := 0; i < 1000; i++ {
					c.MustDo(t, "XADD", "st", "*", "f", strconv.Itoa(i))
				}
				c.MustDo(t, "XGROUP", "CREATE", "st", "g", "0")
				c.MustDo(t, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "st", ">")
				c.MustDo(t, "UNLINK", "st")
			}, 1},
			{"UNLINK small stream", func() { c.MustDo(t, "XADD", "st", "*", "a", "b"); c.MustDo(t, "UNLINK", "st") }, 0},
			{"UNLINK list of 200 nodes", func() {
				c.MustDo(t, "CONFIG", "SET", "list-max-listpack-size", "5")
				args := []string{"RPUSH", "l"}
				for i := 0; i < 1000; i++ {
					args = append(args, strconv.Itoa(i))
				}
				c.MustDo(t, args...)
				c.MustDo(t, "UNLINK", "l")
			}, 1},
			{"FLUSHDB ASYNC of 3 keys", func() {
				c.MustDo(t, "MSET", "a", "1", "b", "2", "c", "3")
				c.MustDo(t, "FLUSHDB", "ASYNC")
			}, 3},
			{"FLUSHALL SYNC", func() { c.MustDo(t, "MSET", "a", "1", "b", "2"); c.MustDo(t, "FLUSHALL", "SYNC") }, 0},
		}
		for _, st := range steps {
			before := lazy()
			st.run()
			// Redis counts once its background thread is done.
			testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				if got := lazy() - before; got != st.want {
					return fmt.Errorf("%s: lazyfreed_objects +%d, want +%d", st.name, got, st.want)
				}
				return nil
			})
		}
		c.MustDo(t, "CONFIG", "RESETSTAT")
		testutil.Equal(t, lazy(), 0)
	})
}

// TestUnlinkReclaimsMemory: after UNLINK of a 100,000-member set,
// used_memory falls back near where it was before the set was built,
// within Redis's suite's 5 s (unit/lazyfree "UNLINK can reclaim memory in
// background").
func TestUnlinkReclaimsMemory(t *testing.T) {
	n := testutil.StartShoal(t)
	c := n.Dial(t)
	c.Timeout = 30 * time.Second
	orig := infoField(t, c, "memory", "used_memory")
	args := []string{"SADD", "myset"}
	for i := 0; i < 100000; i++ {
		args = append(args, strconv.Itoa(i))
	}
	c.MustDo(t, args...)
	peak := infoField(t, c, "memory", "used_memory")
	if peak < orig+1_000_000 {
		t.Fatalf("used_memory %d after the set, %d before", peak, orig)
	}
	testutil.Equal(t, c.MustDo(t, "UNLINK", "myset").Int, 1)
	testutil.CheckFor(t, 5*time.Second, 100*time.Millisecond, func() error {
		if used := infoField(t, c, "memory", "used_memory"); used >= peak || used >= 2*orig {
			return fmt.Errorf("used_memory %d after UNLINK: peak %d, before %d", used, peak, orig)
		}
		return nil
	})
}
