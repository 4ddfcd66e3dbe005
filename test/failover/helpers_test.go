package failover

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Bounds of every wait in this package.
const (
	cliTimeout      = 60 * time.Second // one redis-cli run
	failoverTimeout = 60 * time.Second // a failover and the cluster ok again
	replyTimeout    = 2 * time.Second  // one command to one node
	nodeTimeout     = 3000             // cluster-node-timeout of every node (ms)
)

// startCluster starts one node per kind ("shoal" or "redis") on ports
// base, base+1, ... and joins them with `redis-cli --cluster create
// --cluster-replicas 1`: the first half are masters. Replicas do not
// check how old their data is (cluster-replica-validity-factor 0), since
// a replica of a Shoal master does not replicate data yet.
func startCluster(t *testing.T, base int, kinds ...string) []*testutil.Node {
	t.Helper()
	return startClusterWith(t, base, "", kinds...)
}

// startClusterWith is startCluster with shoalConf added to the redis.conf
// of the Shoal nodes (Redis refuses to start on a directive it does not
// know).
func startClusterWith(t *testing.T, base int, shoalConf string, kinds ...string) []*testutil.Node {
	t.Helper()
	var nodes []*testutil.Node
	args := []string{"--cluster", "create"}
	for i, kind := range kinds {
		port := base + i
		conf := shoalConf
		if kind == "redis" {
			conf = ""
		}
		n := testutil.StartKindAt(t, kind, port, clusterConf(t, port, conf))
		nodes = append(nodes, n)
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := cli(cliTimeout, args...); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error { return healthy(nodes) })
	return nodes
}

// clusterConf writes the redis.conf of a cluster node on port, plus the
// extra lines, and returns its path.
func clusterConf(t *testing.T, port int, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.conf")
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ncluster-enabled yes\ncluster-config-file nodes.conf\n"+
		"cluster-node-timeout %d\ncluster-replica-validity-factor 0\n", port, nodeTimeout) + strings.Join(extra, "")
	testutil.NoErr(t, os.WriteFile(path, []byte(conf), 0o644))
	return path
}

// cli runs the real redis-cli, bounded by d.
func cli(d time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := exec.CommandContext(ctx, testutil.RedisCLI(), args...).CombinedOutput()
	return string(out), err
}

// do sends one command to addr on a fresh connection; an error reply is
// an error.
func do(addr string, args ...string) (string, error) {
	return testutil.Command(addr, replyTimeout, args...)
}

// role is one line of CLUSTER NODES, reduced to what failover changes.
type role struct {
	id, addr, master string
	flags            string
	slots            int
}

func (r role) isMaster() bool { return strings.Contains(r.flags, "master") }
func (r role) failing() bool  { return strings.Contains(r.flags, "fail") }

// roles is addr's CLUSTER NODES by node address.
func roles(addr string) (map[string]role, error) {
	text, err := do(addr, "CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	out := map[string]role{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("%s: bad CLUSTER NODES line %q", addr, line)
		}
		a, _, _ := strings.Cut(f[1], "@")
		r := role{id: f[0], addr: a, flags: f[2], master: f[3]}
		for _, s := range f[8:] {
			if lo, hi, ok := strings.Cut(s, "-"); ok {
				l, _ := strconv.Atoi(lo)
				h, _ := strconv.Atoi(hi)
				r.slots += h - l + 1
			} else if !strings.HasPrefix(s, "[") {
				r.slots++
			}
		}
		out[a] = r
	}
	return out, nil
}

// healthy is nil once every running node says cluster_state:ok, sees no
// running node failing, and all agree on who is master of whom.
func healthy(nodes []*testutil.Node) error {
	var ref map[string]role
	for _, n := range nodes {
		if !n.Running() {
			continue
		}
		info, err := do(n.Addr, "CLUSTER", "INFO")
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster state not ok", n.Addr)
		}
		view, err := roles(n.Addr)
		if err != nil {
			return err
		}
		for _, m := range nodes {
			if r, ok := view[m.Addr]; m.Running() && (!ok || r.failing()) {
				return fmt.Errorf("%s sees running %s as %q", n.Addr, m.Addr, r.flags)
			}
		}
		if ref == nil {
			ref = view
			continue
		}
		for a, r := range view {
			if o := ref[a]; o.isMaster() != r.isMaster() || o.master != r.master || o.slots != r.slots {
				return fmt.Errorf("%s and %s disagree about %s", nodes[0].Addr, n.Addr, a)
			}
		}
	}
	return nil
}

// replicaOf returns the node replicating m, in m's own view.
func replicaOf(t *testing.T, nodes []*testutil.Node, m *testutil.Node) *testutil.Node {
	t.Helper()
	view, err := roles(m.Addr)
	testutil.NoErr(t, err)
	me := view[m.Addr]
	for _, n := range nodes {
		if view[n.Addr].master == me.id {
			return n
		}
	}
	t.Fatalf("%s has no replica", m.Addr)
	return nil
}

// requireMasterOf waits until every running node sees master as a master
// with slots and replica as its replica.
func requireMasterOf(t *testing.T, nodes []*testutil.Node, master, replica *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		if err := healthy(nodes); err != nil {
			return err
		}
		for _, n := range nodes {
			if !n.Running() {
				continue
			}
			view, err := roles(n.Addr)
			if err != nil {
				return err
			}
			m, r := view[master.Addr], view[replica.Addr]
			if !m.isMaster() || m.slots == 0 {
				return fmt.Errorf("%s sees %s as %q with %d slots", n.Addr, master.Addr, m.flags, m.slots)
			}
			if r.master != m.id {
				return fmt.Errorf("%s sees %s replicating %s, not %s", n.Addr, replica.Addr, r.master, m.id)
			}
		}
		return nil
	})
}

// requireWrite waits until a write through addr (following MOVED) works.
func requireWrite(t *testing.T, addr, key string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		out, err := cli(replyTimeout*5, "-c", "-h", host, "-p", port, "SET", key, "v")
		if err != nil || strings.TrimSpace(out) != "OK" {
			return fmt.Errorf("SET %s: %v %s", key, err, out)
		}
		return nil
	})
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// writeOwned sets up to n keys that master serves (a MOVED reply skips
// the key), each to its own name, then waits until a replica acknowledged
// them (WAIT 1) and returns them.
func writeOwned(t *testing.T, master *testutil.Node, n int) []string {
	t.Helper()
	c := master.Dial(t)
	defer c.Close()
	var keys []string
	for i := 0; len(keys) < n && i < 100*n; i++ {
		k := "key:" + strconv.Itoa(i)
		if v := c.MustDo(t, "SET", k, k); !v.IsError() {
			keys = append(keys, k)
		}
	}
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		if v := c.MustDo(t, "WAIT", "1", "1000"); v.Int < 1 {
			return errorf("WAIT 1: %d replicas acknowledged", v.Int)
		}
		return nil
	})
	return keys
}

// requireKeys waits until every key reads back as its own name on n
// (through READONLY if n is a replica).
func requireKeys(t *testing.T, n *testutil.Node, keys []string) {
	t.Helper()
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		c, err := testutil.DialTimeout(n.Addr, replyTimeout)
		if err != nil {
			return err
		}
		defer c.Close()
		c.Timeout = replyTimeout
		if _, err := c.Do("READONLY"); err != nil {
			return err
		}
		for _, k := range keys {
			v, err := c.Do("GET", k)
			if err != nil {
				return err
			}
			if string(v.Str) != k {
				return errorf("%s: GET %s = %q", n.Addr, k, v.Str)
			}
		}
		return nil
	})
}

// writer sets keys prefix:0, prefix:1, ... on one node, each to its own
// name, until stopped or refused, and keeps the ones acknowledged with OK.
type writer struct {
	quit  chan struct{}
	done  chan struct{}
	acked []string
}

func startWriter(t *testing.T, n *testutil.Node, prefix string) *writer {
	t.Helper()
	c := n.Dial(t)
	// A hash tag the node serves: every key of the writer is in its slot.
	tag := ""
	for j := 0; tag == "" && j < 1000; j++ {
		if v := c.MustDo(t, "SET", "{"+prefix+strconv.Itoa(j)+"}:probe", "x"); !v.IsError() {
			tag = prefix + strconv.Itoa(j)
		}
	}
	if tag == "" {
		t.Fatalf("%s serves none of the tags tried", n.Addr)
	}
	prefix = tag
	w := &writer{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer c.Close()
		c.Timeout = failoverTimeout // a write may wait out the pause
		for i := 0; ; i++ {
			select {
			case <-w.quit:
				return
			default:
			}
			k := "{" + prefix + "}:" + strconv.Itoa(i)
			v, err := c.Do("SET", k, k)
			if err != nil || v.IsError() {
				return // MOVED once the roles swapped, or the link is gone
			}
			w.acked = append(w.acked, k)
		}
	}()
	return w
}

// stop ends the writer and returns the keys it saw acknowledged.
func (w *writer) stop() []string {
	close(w.quit)
	<-w.done
	return w.acked
}
