package cluster_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

const portsLinks = 17296

// CLUSTER LINKS lists, on a Shoal node as on a redis-server node of the
// same cluster, one link to and one link from every other node, each with
// Redis's six fields.
func TestClusterLinks(t *testing.T) {
	nodes := startNodes(t, portsLinks, 5000, "shoal", "redis", "shoal")
	createMasters(t, nodes...)
	ids := map[string]bool{}
	for _, n := range nodes {
		ids[myID(t, n)] = true
	}
	shapes := map[string]string{}
	for i, n := range nodes[:2] {
		me := myID(t, n)
		c := n.Dial(t)
		var shape string
		testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
			v := c.MustDo(t, "CLUSTER", "LINKS")
			var lines []string
			for _, l := range v.Elems {
				f := map[string]string{}
				var keys []string
				for k := 0; k+1 < len(l.Elems); k += 2 {
					key := string(l.Elems[k].Str)
					keys = append(keys, key)
					f[key] = string(l.Elems[k+1].Str)
				}
				if !ids[f["node"]] || f["node"] == me {
					return fmt.Errorf("node %d: link to unknown node %q", i, f["node"])
				}
				if l.Elems[5].Int <= 0 {
					return fmt.Errorf("node %d: create-time %d", i, l.Elems[5].Int)
				}
				peer := "a"
				if f["node"] != myID(t, nodes[(i+1)%3]) {
					peer = "b"
				}
				lines = append(lines, strings.Join(keys, ",")+" "+f["direction"]+" "+peer+" events="+f["events"])
			}
			sort.Strings(lines)
			shape = strings.Join(lines, "\n")
			if len(lines) != 4 {
				return fmt.Errorf("node %d: %d links:\n%s", i, len(lines), shape)
			}
			return nil
		})
		shapes[fmt.Sprint(i)] = shape
	}
	testutil.Equal(t, shapes["0"], shapes["1"])

	// DEBUG CLUSTERLINK KILL: the links go, the cluster dials them again;
	// an unknown node is refused in Redis's words on both.
	for i, n := range nodes[:2] {
		c := n.Dial(t)
		peer := myID(t, nodes[(i+1)%3])
		testutil.Equal(t, c.MustDo(t, "DEBUG", "CLUSTERLINK", "KILL", "all", peer).String(), "OK")
		testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
			if v := c.MustDo(t, "CLUSTER", "LINKS"); len(v.Elems) != 4 {
				return fmt.Errorf("node %d: %d links", i, len(v.Elems))
			}
			return nil
		})
		v := c.MustDo(t, "DEBUG", "CLUSTERLINK", "KILL", "to", strings.Repeat("0", 40))
		testutil.Equal(t, v.String(), "(error) ERR Unknown node "+strings.Repeat("0", 40))
	}
}
