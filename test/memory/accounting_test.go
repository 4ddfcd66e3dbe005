package memory

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

func rssOf(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestUsedMemoryFollowsRSS: after a 1M-key load, once the node is idle,
// the growth of used_memory is within 10% of the growth of its RSS (issue
// #13), and INFO memory prints every field Redis 7.0 prints.
func TestUsedMemoryFollowsRSS(t *testing.T) {
	n := testutil.StartShoal(t)
	c := n.Dial(t)
	c.Timeout = 60 * time.Second
	usedBefore := infoField(t, c, "memory", "used_memory")
	rssBefore := rssOf(t, n.Pid)
	var buf []byte
	const total = 1_000_000
	for start := 0; start < total; start += 10_000 {
		buf = buf[:0]
		for i := start; i < start+10_000; i++ {
			buf = testutil.AppendCommand(buf, "SET", fmt.Sprintf("key:%012d", i), "xxxxxxxxxxxx")
		}
		pipeline(t, c, buf, 10_000, &result{})
	}
	if got := c.MustDo(t, "DBSIZE").Int; got != total {
		t.Fatalf("DBSIZE %d", got)
	}
	// Idle, the node collects and gives back what it no longer uses.
	var usedGrowth, rssGrowth int64
	testutil.CheckFor(t, 15*time.Second, 500*time.Millisecond, func() error {
		usedGrowth = infoField(t, c, "memory", "used_memory") - usedBefore
		rssGrowth = rssOf(t, n.Pid) - rssBefore
		if r := float64(usedGrowth) / float64(rssGrowth); r < 0.9 || r > 1.1 {
			return fmt.Errorf("used_memory grew %d, RSS %d (%.2f)", usedGrowth, rssGrowth, r)
		}
		return nil
	})
	t.Logf("1M keys: used_memory +%d (%.1f B/key), RSS +%d", usedGrowth, float64(usedGrowth)/total, rssGrowth)

	// Every field of Redis 7.0's INFO memory, in its order.
	if testutil.RedisBinary() == "" {
		return
	}
	r := testutil.StartRedis(t)
	names := func(c *testutil.Conn) []string {
		var out []string
		for _, line := range strings.Split(string(c.MustDo(t, "INFO", "memory").Str), "\r\n") {
			if k, _, ok := strings.Cut(line, ":"); ok {
				out = append(out, k)
			}
		}
		return out
	}
	if got, want := names(c), names(r.Dial(t)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("INFO memory fields:\n got %v\nwant %v", got, want)
	}
	for _, f := range []string{"used_memory_dataset", "used_memory_overhead", "used_memory_startup", "used_memory_rss", "allocator_allocated"} {
		if v := infoField(t, c, "memory", f); v <= 0 {
			t.Errorf("%s is %d", f, v)
		}
	}
}

// TestObjectIdleFreq compares OBJECT IDLETIME/FREQ and RESTORE
// IDLETIME/FREQ with Redis: real idle times that reads reset, and the
// LFU counter of a new key.
func TestObjectIdleFreq(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			n := tg.start(t)
			c := n.Dial(t)
			c.MustDo(t, "SET", "k", "v")
			dump := c.MustDo(t, "DUMP", "k")
			c.MustDo(t, "RESTORE", "old", "0", string(dump.Str), "IDLETIME", "1000")
			idle := c.MustDo(t, "OBJECT", "IDLETIME", "old").Int
			if idle < 1000 || idle > 1002 {
				t.Errorf("IDLETIME after RESTORE IDLETIME 1000: %d", idle)
			}
			// OBJECT and EXISTS do not touch the key; GET does.
			c.MustDo(t, "EXISTS", "old")
			if idle := c.MustDo(t, "OBJECT", "IDLETIME", "old").Int; idle < 1000 {
				t.Errorf("IDLETIME after EXISTS: %d", idle)
			}
			c.MustDo(t, "GET", "old")
			if idle := c.MustDo(t, "OBJECT", "IDLETIME", "old").Int; idle > 1 {
				t.Errorf("IDLETIME after GET: %d", idle)
			}
			c.MustDo(t, "RESTORE", "touched", "0", string(dump.Str), "IDLETIME", "500")
			c.MustDo(t, "TOUCH", "touched")
			if idle := c.MustDo(t, "OBJECT", "IDLETIME", "touched").Int; idle > 1 {
				t.Errorf("IDLETIME after TOUCH: %d", idle)
			}
			v := c.MustDo(t, "OBJECT", "FREQ", "k")
			if v.Kind != resp.KindError || !strings.HasPrefix(string(v.Str), "ERR An LFU maxmemory policy is not selected") {
				t.Errorf("OBJECT FREQ under LRU: %v", v)
			}

			c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
			c.MustDo(t, "SET", "new", "v")
			if f := c.MustDo(t, "OBJECT", "FREQ", "new").Int; f != 5 {
				t.Errorf("OBJECT FREQ of a new key: %d", f)
			}
			c.MustDo(t, "RESTORE", "hot", "0", string(dump.Str), "FREQ", "100")
			if f := c.MustDo(t, "OBJECT", "FREQ", "hot").Int; f != 100 {
				t.Errorf("OBJECT FREQ after RESTORE FREQ 100: %d", f)
			}
			for i := 0; i < 200; i++ {
				c.MustDo(t, "GET", "new")
			}
			if f := c.MustDo(t, "OBJECT", "FREQ", "new").Int; f < 6 || f > 20 {
				t.Errorf("OBJECT FREQ after 200 reads: %d", f)
			}
			v = c.MustDo(t, "OBJECT", "IDLETIME", "new")
			if v.Kind != resp.KindError || !strings.HasPrefix(string(v.Str), "ERR An LFU maxmemory policy is selected") {
				t.Errorf("OBJECT IDLETIME under LFU: %v", v)
			}
		})
	}
}

// TestOOMUnderNoeviction: Redis's exact OOM text for a deny-oom command
// and for a command queued in MULTI, EXECABORT after it, while reads and
// DEL still run.
func TestOOMUnderNoeviction(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			n := tg.start(t)
			c := n.Dial(t)
			c.MustDo(t, "SET", "a", "1")
			c.MustDo(t, "CONFIG", "SET", "maxmemory", "1") // anything is over
			for _, cmd := range [][]string{{"SET", "b", "2"}, {"LPUSH", "l", "x"}, {"APPEND", "a", "x"}} {
				if v := c.MustDo(t, cmd...); v.Kind != resp.KindError || string(v.Str) != oomText {
					t.Errorf("%v: %v", cmd, v)
				}
			}
			if v := c.MustDo(t, "GET", "a"); string(v.Str) != "1" {
				t.Errorf("GET under OOM: %v", v)
			}
			c.MustDo(t, "MULTI")
			if v := c.MustDo(t, "GET", "a"); v.Kind != resp.KindError || string(v.Str) != oomText {
				t.Errorf("GET queued under OOM: %v", v)
			}
			if v := c.MustDo(t, "EXEC"); v.Kind != resp.KindError || !strings.HasPrefix(string(v.Str), "EXECABORT") {
				t.Errorf("EXEC: %v", v)
			}
			if v := c.MustDo(t, "DEL", "a"); v.Int != 1 {
				t.Errorf("DEL under OOM: %v", v)
			}
			if got := infoField(t, c, "stats", "evicted_keys"); got != 0 {
				t.Errorf("evicted_keys %d under noeviction", got)
			}
			c.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
			if v := c.MustDo(t, "SET", "b", "2"); string(v.Str) != "OK" {
				t.Errorf("SET after the limit was lifted: %v", v)
			}
		})
	}
}
