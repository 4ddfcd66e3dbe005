package race_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// spin is a read-only script that holds its loop for ARGV[1] milliseconds.
const spin = "redis.call('get', KEYS[1]); local t0 = redis.call('time'); " +
	"local function ms(t) return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end; " +
	"while ms(redis.call('time')) - ms(t0) < tonumber(ARGV[1]) do end; return 'spun'"

// TestRaceHandoff drives the event loop's hand-off (internal/netloop,
// handoff_linux.go) in a race-enabled server with one loop: one client's
// scripts hold the loop for 300 ms at a time, each followed in the same
// pipeline by a write, a blocking pop that times out (a detach from the
// handed-off goroutine) and an INCR, while other clients pipeline writes
// with appendfsync always (replies that wait for the turn's end) and
// blocking pops. Every reply must come, in order; no INCR may be lost; the
// detector must report nothing.
func TestRaceHandoff(t *testing.T) {
	t.Setenv("SHOAL_LOOPS", "1")
	n := testutil.StartShoalRace(t, "--appendonly", "yes", "--appendfsync", "always", "--busy-reply-threshold", "5000")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	incrs := 0
	worker := func(name string, body func(c *testutil.Conn, i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			defer c.Close()
			c.Timeout = 30 * time.Second
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := body(c, i); err != nil {
					t.Errorf("%s round %d: %v", name, i, err)
					return
				}
			}
		}()
	}
	// expect reads one reply per want; a want ending in "*" is a prefix.
	expect := func(c *testutil.Conn, wants ...string) error {
		for _, want := range wants {
			v, _, err := c.Read()
			if err != nil {
				return fmt.Errorf("want %q: %v", want, err)
			}
			got := v.String()
			if p, ok := strings.CutSuffix(want, "*"); ok && strings.HasPrefix(got, p) || got == want {
				continue
			}
			return fmt.Errorf("got %q, want %q", got, want)
		}
		return nil
	}
	worker("spinner", func(c *testutil.Conn, i int) error {
		buf := testutil.AppendCommand(nil, "EVAL", spin, "1", "s:"+strconv.Itoa(i%7), "300")
		buf = testutil.AppendCommand(buf, "SET", "after:spin", strconv.Itoa(i))
		buf = testutil.AppendCommand(buf, "BLPOP", "empty:list", "0.05")
		buf = testutil.AppendCommand(buf, "INCR", "counter")
		if err := c.SendRaw(buf); err != nil {
			return err
		}
		if err := expect(c, `"spun"`, "OK", "(nil array)", "(integer) *"); err != nil {
			return err
		}
		mu.Lock()
		incrs++
		mu.Unlock()
		return nil
	})
	for w := range 4 {
		worker(fmt.Sprintf("writer%d", w), func(c *testutil.Conn, i int) error {
			k := fmt.Sprintf("w%d:%d", w, i%100)
			var buf []byte
			buf = testutil.AppendCommand(buf, "SET", k, strconv.Itoa(i))
			buf = testutil.AppendCommand(buf, "MULTI")
			buf = testutil.AppendCommand(buf, "INCR", "counter")
			buf = testutil.AppendCommand(buf, "RPUSH", "q", k)
			buf = testutil.AppendCommand(buf, "EXEC")
			buf = testutil.AppendCommand(buf, "GET", k)
			if err := c.SendRaw(buf); err != nil {
				return err
			}
			if err := expect(c, "OK", "OK", "QUEUED", "QUEUED", "[(integer) *", strconv.Quote(strconv.Itoa(i))); err != nil {
				return err
			}
			mu.Lock()
			incrs++
			mu.Unlock()
			return nil
		})
	}
	worker("popper", func(c *testutil.Conn, i int) error {
		if err := c.Send("BLPOP", "q", "1"); err != nil {
			return err
		}
		return expect(c, "*")
	})
	time.Sleep(8 * time.Second)
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	c := n.Dial(t)
	mustStr(t, "GET counter", c.MustDo(t, "GET", "counter"), strconv.Itoa(incrs))
	t.Logf("%d acknowledged INCRs", incrs)
	requireAlive(t, n)
	requireNoRace(t, n)
}
