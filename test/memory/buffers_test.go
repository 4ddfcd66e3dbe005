package memory

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Client buffers count in used_memory as they grow and leave it as they
// are freed, on shoal-server as on redis-server: a client holding a 4 MB
// query buffer shows at once, and once it is closed used_memory is back
// where it was (Go frees the buffer only at its next collection; counting
// it until then made an eviction right after a client closed evict keys
// for garbage: unit/maxmemory's "eviction due to … client eviction:
// false"). CONFIG RESETSTAT zeroes evicted_keys, and an idle node starts
// small (databases 1-15 take no slot tables until written).
func TestClientBuffersCountedAtOnce(t *testing.T) {
	testutil.EachKind(t, func(t *testing.T, n *testutil.Node) {
		ctl := n.Dial(t)
		used0 := infoField(t, ctl, "memory", "used_memory")
		if used0 > 2<<20 {
			t.Fatalf("used_memory %d at start, want under 2 MB", used0)
		}

		const held = 4 << 20
		c := n.Dial(t)
		holdQuery(t, c, held)
		testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			if u := infoField(t, ctl, "memory", "used_memory"); u < used0+held*9/10 {
				return fmt.Errorf("used_memory %d with a %d-byte query buffer held (was %d)", u, held, used0)
			}
			return nil
		})
		c.C.Close()
		testutil.CheckFor(t, 2*time.Second, 20*time.Millisecond, func() error {
			if u := infoField(t, ctl, "memory", "used_memory"); u > used0+256<<10 {
				return fmt.Errorf("used_memory %d after the client closed (was %d)", u, used0)
			}
			return nil
		})

		// evicted_keys counts evictions, and CONFIG RESETSTAT zeroes it.
		ctl.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
		ctl.MustDo(t, "CONFIG", "SET", "maxmemory", fmt.Sprint(used0+2<<20))
		for i := 0; i < 100 && infoField(t, ctl, "stats", "evicted_keys") == 0; i++ {
			ctl.MustDo(t, "SETRANGE", fmt.Sprint("k", i), "100000", "x")
		}
		testutil.True(t, infoField(t, ctl, "stats", "evicted_keys") > 0, "no key evicted")
		ctl.MustDo(t, "CONFIG", "RESETSTAT")
		testutil.Equal(t, infoField(t, ctl, "stats", "evicted_keys"), int64(0))
	})
}
