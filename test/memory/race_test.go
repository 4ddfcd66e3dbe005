package memory

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestEvictionRace drives a race-enabled node over its limit from several
// clients at once (writes, reads, a MULTI, CONFIG SET of the policy and of
// the limit meanwhile, the AOF on): eviction, the access clocks and the
// accounting must not race with the commands.
func TestEvictionRace(t *testing.T) {
	n := testutil.StartShoalRace(t, "--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "yes", "--appendfsync", "no")
	val := strings.Repeat("r", 2000)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, err := testutil.DialTimeout(n.Addr, 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.Timeout = 30 * time.Second
			for start := 0; start < 3000; start += 200 {
				var buf []byte
				for i := start; i < start+200; i++ {
					k := fmt.Sprintf("w%d:%d", w, i)
					buf = testutil.AppendCommand(buf, "SET", k, val, "EX", "1000")
					buf = testutil.AppendCommand(buf, "GET", fmt.Sprintf("w%d:%d", w, i/2))
				}
				buf = testutil.AppendCommand(buf, "MULTI")
				buf = testutil.AppendCommand(buf, "LPUSH", fmt.Sprintf("l%d", w), val)
				buf = testutil.AppendCommand(buf, "EXEC")
				if err := c.SendRaw(buf); err != nil {
					t.Error(err)
					return
				}
				for j := 0; j < 403; j++ {
					if _, _, err := c.Read(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}(w)
	}
	admin := n.Dial(t)
	for _, p := range []string{"allkeys-lfu", "volatile-ttl", "allkeys-random", "volatile-lru", "allkeys-lru"} {
		admin.MustDo(t, "CONFIG", "SET", "maxmemory-policy", p)
		admin.MustDo(t, "INFO", "memory")
		admin.MustDo(t, "OBJECT", "FREQ", "w0:1")
	}
	admin.MustDo(t, "CONFIG", "SET", "maxmemory", "9mb")
	wg.Wait()
	if ev := infoField(t, admin, "stats", "evicted_keys"); ev == 0 {
		t.Errorf("no evictions")
	}
	if r := n.RaceReports(); r != "" {
		t.Fatalf("data race:\n%s", r)
	}
}
