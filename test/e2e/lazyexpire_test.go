package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// SCAN and RANDOMKEY reclaim the expired keys they come across (Redis
// propagates a DEL for each): with active expiry off, DBSIZE still counts
// two logically expired keys until one of them runs, then none, and
// expired_keys says 2; compared with redis-server.
func TestScanRandomkeyReclaimExpired(t *testing.T) {
	expired := regexp.MustCompile(`expired_keys:(\d+)`)
	got := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind)
		c := n.Dial(t)
		var out []string
		for _, cmd := range []string{"SCAN", "RANDOMKEY"} {
			c.MustDo(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
			c.MustDo(t, "FLUSHALL")
			c.MustDo(t, "CONFIG", "RESETSTAT")
			c.MustDo(t, "SET", "foo1", "bar", "PX", "1")
			c.MustDo(t, "SET", "foo2", "bar", "PX", "1")
			time.Sleep(10 * time.Millisecond)
			before := c.MustDo(t, "DBSIZE").String()
			var r string
			if cmd == "SCAN" {
				r = c.MustDo(t, "SCAN", "0").String()
			} else {
				r = c.MustDo(t, "RANDOMKEY").String()
			}
			after := c.MustDo(t, "DBSIZE").String()
			info := c.MustDo(t, "INFO", "stats").String()
			m := expired.FindStringSubmatch(info)
			testutil.True(t, m != nil, "no expired_keys")
			out = append(out, cmd+": "+before+" "+r+" "+after+" expired="+m[1])
		}
		got[kind] = strings.Join(out, "\n")
	}
	testutil.Equal(t, got["shoal"], got["redis"])
	testutil.True(t, strings.Contains(got["shoal"], "(integer) 2 "), got["shoal"])
}
