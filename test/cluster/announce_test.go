package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

const portsAnnounce = 17290

// CONFIG SET cluster-announce-port / -bus-port at run time change the
// address a node shows for itself in CLUSTER NODES at once, and its peers
// learn it by gossip; set back to 0 the real ports return. A Shoal and a
// redis-server node each change their own address, so gossip is checked
// both ways.
func TestAnnounceAtRuntime(t *testing.T) {
	nodes := startNodes(t, portsAnnounce, 5000, "shoal", "redis", "shoal")
	createMasters(t, nodes...)
	for i, n := range nodes[:2] {
		id := myID(t, n)
		c := n.Dial(t)
		port, bus := portsAnnounce+50+i, portsAnnounce+60+i
		c.MustDo(t, "CONFIG", "SET", "cluster-announce-port", fmt.Sprint(port))
		c.MustDo(t, "CONFIG", "SET", "cluster-announce-bus-port", fmt.Sprint(bus))
		want := fmt.Sprintf("127.0.0.1:%d@%d", port, bus)
		testutil.Equal(t, nodeAddr(t, n.Addr, id), want)
		testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
			for j, peer := range nodes {
				if got := nodeAddr(t, peer.Addr, id); got != want {
					return fmt.Errorf("node %d sees %s, want %s", j, got, want)
				}
			}
			return nil
		})
		c.MustDo(t, "CONFIG", "SET", "cluster-announce-port", "0")
		c.MustDo(t, "CONFIG", "SET", "cluster-announce-bus-port", "0")
		testutil.Equal(t, nodeAddr(t, n.Addr, id), fmt.Sprintf("127.0.0.1:%d@%d", n.Port, n.Port+10000))
	}
}

// nodeAddr is the ip:port@cport field of node id in addr's CLUSTER NODES.
func nodeAddr(t *testing.T, addr, id string) string {
	t.Helper()
	out, err := do(addr, "CLUSTER", "NODES")
	testutil.NoErr(t, err)
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == id {
			return f[1]
		}
	}
	return ""
}
