package memory

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestMaxmemoryHonouredSmallHeadroom: with maxmemory set 100 KB above
// used_memory, keys with a TTL are added until the limit is near, then as
// many again: each policy evicts to make room and no write is refused,
// and used_memory stays under the limit + 4 KB — on Shoal as on
// redis-server 7.0 (unit/maxmemory "is the memory limit honoured?"). A
// key on its own in a slot costs Shoal a slot table: eviction drops the
// table it empties, or the evictions could never make room.
func TestMaxmemoryHonouredSmallHeadroom(t *testing.T) {
	testutil.EachKind(t, func(t *testing.T, n *testutil.Node) {
		c := n.Dial(t)
		c.Timeout = 30 * time.Second
		rnd := rand.New(rand.NewPCG(1, 2))
		// As in the suite, where earlier tests ran first: the first
		// round of commands (INFO, SETEX, CONFIG SET, eviction)
		// allocates the server's lazily built state, which a fresh
		// Shoal counts in used_memory once a collection sees it.
		for i := 0; i < 300; i++ {
			c.MustDo(t, "SETEX", fmt.Sprintf("key:%d", i), "10000", "x")
			infoField(t, c, "memory", "used_memory")
		}
		c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
		c.MustDo(t, "CONFIG", "SET", "maxmemory", "1")
		c.Do("SET", "a", "b")
		c.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
		c.MustDo(t, "MEMORY", "PURGE")
		for _, policy := range []string{"allkeys-random", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
			c.MustDo(t, "FLUSHALL")
			used := infoField(t, c, "memory", "used_memory")
			limit := used + 100*1024
			c.MustDo(t, "CONFIG", "SET", "maxmemory", fmt.Sprint(limit))
			c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", policy)
			numkeys := 0
			for infoField(t, c, "memory", "used_memory")+4096 <= limit {
				c.MustDo(t, "SETEX", fmt.Sprintf("key:%d", rnd.IntN(1_000_000)), "10000", "x")
				numkeys++
			}
			if numkeys <= 10 {
				t.Fatalf("%s: limit reached after %d keys", policy, numkeys)
			}
			for j := 0; j < numkeys; j++ {
				if v, err := c.Do("SETEX", fmt.Sprintf("key:%d", rnd.IntN(1_000_000)), "10000", "x"); err != nil || v.Kind == '-' {
					t.Fatalf("%s: SETEX %d of %d: %v %q (used_memory %d, limit %d, dbsize %d)", policy, j, numkeys, err, v.Str, infoField(t, c, "memory", "used_memory"), limit, c.MustDo(t, "DBSIZE").Int)
				}
			}
			if got := infoField(t, c, "memory", "used_memory"); got >= limit+4096 {
				t.Errorf("%s: used_memory %d, limit %d", policy, got, limit)
			}
			c.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
		}
	})
}
