package ops

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// The per-client buffers Redis 7.0 sizes, beside redis-server: the query
// buffer a client reads into (16 KB, freed after 2 s idle, sized for a
// large argument and trimmed back to the latest peak), the reply buffer
// (shrunk to 1 KB when idle, grown back to 16 KB by large replies, under
// DEBUG REPLYBUFFER) and maxmemory-clients counting them
// (docs/output-buffers.md).

// clientNum reads numeric field f of the CLIENT LIST line of the client named name.
func clientNum(t *testing.T, ctl *testutil.Conn, name, f string) (int64, bool) {
	t.Helper()
	list := string(ctl.MustDo(t, "CLIENT", "LIST").Str)
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		m := regexp.MustCompile(` ` + regexp.QuoteMeta(f) + `=(\d+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("no %s in %q", f, line)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n, true
	}
	return 0, false
}

func mustField(t *testing.T, ctl *testutil.Conn, name, f string) int64 {
	t.Helper()
	n, ok := clientNum(t, ctl, name, f)
	if !ok {
		t.Fatalf("no client named %s", name)
	}
	return n
}

func TestQueryBufferSizedAsRedis(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			ctl := s.node.Dial(t)
			c := s.node.Dial(t)
			c.MustDo(t, "CLIENT", "SETNAME", "qb")
			size := func() int64 { return mustField(t, ctl, "qb", "qbuf") + mustField(t, ctl, "qb", "qbuf-free") }
			// A client that has sent a command reads into a 16 KB buffer.
			if n := size(); n < 16384 || n >= 32768 {
				t.Fatalf("%s: query buffer after one command = %d, want [16384, 32768)", s.name, n)
			}
			// A large argument gets a buffer of its size, kept after it ran.
			c.MustDo(t, "SET", "x", strings.Repeat("A", 400000))
			big := size()
			if big <= 32768 {
				t.Fatalf("%s: query buffer after a 400 KB argument = %d, want > 32768", s.name, big)
			}
			// Small commands: the cron trims it to their peak, not to 0.
			testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				c.MustDo(t, "SET", "x", "small")
				if n := size(); n == 0 || n >= big {
					return fmt.Errorf("query buffer %d, want (0, %d)", n, big)
				}
				return nil
			})
			// The cron may have trimmed the buffer to the 31-byte peak of
			// the small SET, under the 4 KB of spare room Redis needs
			// before it frees an idle buffer: one more command reads into
			// a 16 KB buffer again, which is too small for the peak rule.
			c.MustDo(t, "SET", "x", "small")
			if n := size(); n < 16384 || n >= 32768 {
				t.Fatalf("%s: query buffer after a small command = %d, want [16384, 32768)", s.name, n)
			}
			// Idle for over 2 s: freed.
			testutil.CheckFor(t, 8*time.Second, 100*time.Millisecond, func() error {
				if n := size(); n != 0 {
					return fmt.Errorf("query buffer of an idle client = %d, want 0", n)
				}
				return nil
			})
		})
	}
}

func TestReplyBufferResizedAsRedis(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			ctl := s.node.Dial(t)
			ctl.MustDo(t, "DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100")
			t.Cleanup(func() { ctl.Do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset") })
			c := s.node.Dial(t)
			c.MustDo(t, "CLIENT", "SETNAME", "rb")
			testutil.CheckFor(t, 3*time.Second, 50*time.Millisecond, func() error {
				if n := mustField(t, ctl, "rb", "rbs"); n < 1024 || n >= 2046 {
					return fmt.Errorf("reply buffer of an idle client = %d, want [1024, 2046)", n)
				}
				return nil
			})
			ctl.MustDo(t, "SET", "big", strings.Repeat("x", 32768))
			ctl.MustDo(t, "DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never")
			testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
				c.MustDo(t, "GET", "big")
				if n := mustField(t, ctl, "rb", "rbs"); n < 16384 || n >= 32768 {
					return fmt.Errorf("reply buffer of a busy client = %d, want [16384, 32768)", n)
				}
				return nil
			})
			info := ctl.MustDo(t, "INFO", "stats").String()
			for _, f := range []string{"reply_buffer_shrinks", "reply_buffer_expands"} {
				m := regexp.MustCompile(f + `:(\d+)`).FindStringSubmatch(info)
				if m == nil || m[1] == "0" {
					t.Fatalf("%s: INFO %s = %v, want > 0", s.name, f, m)
				}
			}
			// With resizing off the buffer keeps its size.
			ctl.MustDo(t, "DEBUG", "REPLYBUFFER", "RESIZING", "0")
			t.Cleanup(func() { ctl.Do("DEBUG", "REPLYBUFFER", "RESIZING", "1") })
			ctl.MustDo(t, "DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100")
			before := mustField(t, ctl, "rb", "rbs")
			time.Sleep(500 * time.Millisecond) // several cron ticks: nothing may change
			if n := mustField(t, ctl, "rb", "rbs"); n != before {
				t.Fatalf("%s: rbs %d → %d with RESIZING 0", s.name, before, n)
			}
		})
	}
}

// A pending large argument counts in the client's memory (in Shoal at its
// full length from its first bytes), qbuf shows only its payload, and the
// CONFIG SET that lowers maxmemory-clients under it evicts at once.
func TestClientEvictionCountsPendingArgument(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			ctl := s.node.Dial(t)
			ctl.MustDo(t, "CLIENT", "NO-EVICT", "ON")
			ctl.MustDo(t, "CONFIG", "SET", "maxmemory-clients", "4000000")
			c := s.node.Dial(t)
			c.MustDo(t, "CLIENT", "SETNAME", "big")
			// Half of a 1 MB argument: the client counts the whole.
			const n = 1 << 20
			testutil.NoErr(t, c.SendRaw([]byte(fmt.Sprintf("*2\r\n$%d\r\n%s", n, strings.Repeat("v", n/2)))))
			testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
				if m := mustField(t, ctl, "big", "qbuf"); m != n/2 {
					return fmt.Errorf("qbuf %d, want the %d payload bytes sent", m, n/2)
				}
				return nil
			})
			if s.name == "shoal" {
				// Shoal sizes the buffer for the whole argument at once, as
				// Redis does when the header arrives before the payload.
				if m := mustField(t, ctl, "big", "qbuf") + mustField(t, ctl, "big", "qbuf-free"); m < n {
					t.Fatalf("query buffer %d with a 1 MB argument pending, want >= %d", m, n)
				}
			}
			ctl.MustDo(t, "CONFIG", "SET", "maxmemory-clients", "500000")
			if _, ok := clientNum(t, ctl, "big", "tot-mem"); ok {
				t.Fatalf("%s: client still listed after CONFIG SET lowered maxmemory-clients under it", s.name)
			}
			testutil.True(t, logHas(s.node, "Evicting client: "), "no Evicting client log line")
		})
	}
}
