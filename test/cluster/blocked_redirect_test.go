package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

const portsBlockedRedirect = 17300

// A client blocked in BRPOP on a key whose slot moves to another node is
// answered -MOVED <slot> <new owner> (clusterRedirectBlockedClientIfNeeded)
// instead of waiting forever, and no client stays blocked; the same runs
// on a Shoal-only and a redis-server-only cluster.
func TestBlockedClientRedirectedAfterReshard(t *testing.T) {
	for i, kind := range []string{"shoal", "redis"} {
		nodes := startNodes(t, portsBlockedRedirect+3*i, 5000, repeat(kind, 3)...)
		createMasters(t, nodes...)
		// key9184688 is in slot 10923, the first slot of the third node.
		rd := nodes[2].Dial(t)
		testutil.NoErr(t, rd.Send("BRPOP", "key9184688", "0"))
		c := nodes[2].Dial(t)
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if info := c.MustDo(t, "INFO", "clients").String(); !strings.Contains(info, "blocked_clients:1") {
				return fmt.Errorf("not blocked yet")
			}
			return nil
		})
		mustCLI(t, "--cluster", "reshard", nodes[2].Addr, "--cluster-yes",
			"--cluster-from", myID(t, nodes[2]), "--cluster-to", myID(t, nodes[0]), "--cluster-slots", "1")
		v, _, err := rd.ReadWithin(10 * time.Second)
		testutil.NoErr(t, err)
		testutil.Equal(t, v.String(), fmt.Sprintf("(error) MOVED 10923 %s", nodes[0].Addr))
		testutil.True(t, strings.Contains(c.MustDo(t, "INFO", "clients").String(), "blocked_clients:0"), kind+": still blocked")
	}
}
