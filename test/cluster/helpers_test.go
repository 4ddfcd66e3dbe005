package cluster_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Bounds of every wait in this package.
const (
	cliTimeout      = 60 * time.Second // one redis-cli run (create waits for the join)
	agreeTimeout    = 30 * time.Second // nodes agreeing after create or a restart
	replyTimeout    = 2 * time.Second  // one command to one node
	deliveryTimeout = 5 * time.Second  // a PUBLISH reaching a subscriber
)

// tutorialConf writes the redis.conf of the Redis Cluster tutorial — the
// five lines, plus bind — and returns its path. appendonly is parsed by
// Shoal; persistence comes later (and the harness passes --appendonly no
// after the file in any case).
func tutorialConf(t *testing.T, port, nodeTimeout int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.conf")
	conf := fmt.Sprintf("port %d\ncluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout %d\nappendonly yes\nbind 127.0.0.1\n",
		port, nodeTimeout)
	testutil.NoErr(t, os.WriteFile(path, []byte(conf), 0o644))
	return path
}

// startNodes starts one node per kind ("shoal" or "redis") on ports
// base, base+1, ...
func startNodes(t *testing.T, base, nodeTimeout int, kinds ...string) []*testutil.Node {
	t.Helper()
	var nodes []*testutil.Node
	for i, kind := range kinds {
		port := base + i
		nodes = append(nodes, testutil.StartKindAt(t, kind, port, tutorialConf(t, port, nodeTimeout)))
	}
	return nodes
}

func repeat(kind string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = kind
	}
	return out
}

// cli runs the real redis-cli, bounded by d, and returns its combined output.
func cli(t *testing.T, d time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := exec.CommandContext(ctx, testutil.RedisCLI(), args...).CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("redis-cli %q: no answer within %v", args, d)
	}
	return string(out), err
}

// mustCLI is cli that fails the test on an error, and returns the output
// without its trailing newline.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := cli(t, cliTimeout, args...)
	if err != nil {
		t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
	}
	return strings.TrimRight(out, "\n")
}

// create runs `redis-cli --cluster create` over nodes and returns its
// output and how long it took.
func create(t *testing.T, replicas int, nodes ...*testutil.Node) (string, time.Duration) {
	t.Helper()
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	start := time.Now()
	out := mustCLI(t, args...)
	return out, time.Since(start)
}

// requireClean fails unless a --cluster create/check output reports
// agreement and full coverage, and no error.
func requireClean(t *testing.T, what, out string) {
	t.Helper()
	for _, want := range []string{"[OK] All nodes agree about slots configuration.", "[OK] All 16384 slots covered."} {
		if !strings.Contains(out, want) {
			t.Fatalf("%s: output lacks %q:\n%s", what, want, out)
		}
	}
	if strings.Contains(out, "[ERR]") {
		t.Fatalf("%s: output reports an error:\n%s", what, out)
	}
}

// do sends one command to addr on a fresh connection.
func do(addr string, args ...string) (string, error) {
	return testutil.Command(addr, replyTimeout, args...)
}

// nodeLine is one parsed CLUSTER NODES line.
type nodeLine struct {
	id, addr, master, link string
	flags                  []string
	ping, pong             int64
	epoch                  string
	slots                  []string
}

func (l nodeLine) has(flag string) bool {
	for _, f := range l.flags {
		if f == flag {
			return true
		}
	}
	return false
}

// failing reports the fail or fail? flag.
func (l nodeLine) failing() bool { return l.has("fail") || l.has("fail?") }

// clusterNodes asks addr for CLUSTER NODES and parses it by node ID.
func clusterNodes(addr string) (map[string]nodeLine, error) {
	text, err := do(addr, "CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	out := map[string]nodeLine{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("%s: bad CLUSTER NODES line %q", addr, line)
		}
		ping, _ := strconv.ParseInt(f[4], 10, 64)
		pong, _ := strconv.ParseInt(f[5], 10, 64)
		out[f[0]] = nodeLine{id: f[0], addr: f[1], flags: strings.Split(f[2], ","), master: f[3], ping: ping,
			pong: pong, epoch: f[6], link: f[7], slots: f[8:]}
	}
	return out, nil
}

// canonical is a node's view of the cluster with what legitimately differs
// between views removed: the myself flag, ping/pong times. What remains —
// IDs, addresses, roles, masters, config epochs, slots — must be the same
// on every node of a healthy cluster.
func canonical(view map[string]nodeLine) string {
	var lines []string
	for _, l := range view {
		var flags []string
		for _, f := range l.flags {
			if f != "myself" {
				flags = append(flags, f)
			}
		}
		lines = append(lines, strings.Join([]string{l.id, l.addr, strings.Join(flags, ","), l.master, l.epoch,
			strings.Join(l.slots, " ")}, " "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// agreed returns nil once every node sees all of them, connected, none
// failing or in handshake, with the same canonical view, and cluster_state
// ok; the error says what is still off.
func agreed(nodes []*testutil.Node) error {
	var first string
	for i, n := range nodes {
		view, err := clusterNodes(n.Addr)
		if err != nil {
			return err
		}
		if len(view) != len(nodes) {
			return fmt.Errorf("%s knows %d nodes, want %d", n.Addr, len(view), len(nodes))
		}
		for _, l := range view {
			if l.failing() || l.has("handshake") || l.has("noaddr") || l.link != "connected" {
				return fmt.Errorf("%s sees %s as %v %s", n.Addr, l.addr, l.flags, l.link)
			}
		}
		c := canonical(view)
		if i == 0 {
			first = c
		} else if c != first {
			return fmt.Errorf("%s's view differs from %s's:\n%s\n---\n%s", n.Addr, nodes[0].Addr, c, first)
		}
		info, err := do(n.Addr, "CLUSTER", "INFO")
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster state not ok", n.Addr)
		}
	}
	return nil
}

// waitAgreed waits (bounded) for agreed and returns how long it took.
func waitAgreed(t *testing.T, nodes []*testutil.Node) time.Duration {
	t.Helper()
	start := time.Now()
	testutil.CheckFor(t, agreeTimeout, 100*time.Millisecond, func() error { return agreed(nodes) })
	return time.Since(start)
}

// myID is CLUSTER MYID of n.
func myID(t *testing.T, n *testutil.Node) string {
	t.Helper()
	id, err := do(n.Addr, "CLUSTER", "MYID")
	testutil.NoErr(t, err)
	return id
}

// keys used through every node: between them they hit all three masters of
// a three-master cluster (slots 12182, 866, 2515, 6680, 8157).
var keys = []string{"foo", "hello", "key:{hash_tag}:111", "counter", "z"}

// requireReadWriteEverywhere sets every key through each node with
// `redis-cli -c` (following MOVED) and reads it back through the next one.
func requireReadWriteEverywhere(t *testing.T, nodes []*testutil.Node) {
	t.Helper()
	for i, n := range nodes {
		next := nodes[(i+1)%len(nodes)]
		for _, k := range keys {
			val := "v" + strconv.Itoa(n.Port)
			if got := mustCLI(t, "-c", "-p", strconv.Itoa(n.Port), "set", k, val); got != "OK" {
				t.Fatalf("set %s via %s: %q", k, n.Addr, got)
			}
			if got := mustCLI(t, "-c", "-p", strconv.Itoa(next.Port), "get", k); got != val {
				t.Fatalf("get %s via %s after set via %s: %q, want %q", k, next.Addr, n.Addr, got, val)
			}
		}
	}
}

// requirePublishEverywhere subscribes to a channel on every node, then
// publishes on each node in turn: every subscriber must get every message.
func requirePublishEverywhere(t *testing.T, nodes []*testutil.Node) {
	t.Helper()
	subs := make([]*testutil.Conn, len(nodes))
	for i, n := range nodes {
		subs[i] = n.Dial(t)
		v := subs[i].MustDo(t, "SUBSCRIBE", "news")
		if len(v.Elems) != 3 || string(v.Elems[0].Str) != "subscribe" {
			t.Fatalf("SUBSCRIBE on %s: %s", n.Addr, v)
		}
	}
	for _, from := range nodes {
		msg := "hello from " + from.Addr
		if got := mustCLI(t, "-p", strconv.Itoa(from.Port), "publish", "news", msg); got != "1" {
			t.Fatalf("PUBLISH on %s counted %s local receivers, want 1", from.Addr, got)
		}
		for i, s := range subs {
			v, _, err := s.ReadWithin(deliveryTimeout)
			if err != nil {
				t.Fatalf("subscriber on %s: no message published on %s: %v", nodes[i].Addr, from.Addr, err)
			}
			if len(v.Elems) != 3 || string(v.Elems[0].Str) != "message" || string(v.Elems[2].Str) != msg {
				t.Fatalf("subscriber on %s got %s, want %q", nodes[i].Addr, v, msg)
			}
		}
	}
}

// redisBenchmark returns the path of redis-benchmark, next to redis-cli.
func redisBenchmark(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("redis-benchmark"); err == nil {
		return p
	}
	if p := filepath.Join(filepath.Dir(testutil.RedisCLI()), "redis-benchmark"); fileExists(p) {
		return p
	}
	t.Skip("redis-benchmark not found")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// requireReplicasHoldData: every replica holds its master's keys. With
// READONLY, each key written through the cluster reads the same on the
// replica as on its master, and DBSIZE agrees (the tutorial's replicas
// are real copies, whichever server plays which role).
func requireReplicasHoldData(t *testing.T, nodes []*testutil.Node) {
	t.Helper()
	view, err := clusterNodes(nodes[0].Addr)
	testutil.NoErr(t, err)
	byAddr := map[string]*testutil.Node{}
	for _, n := range nodes {
		byAddr[n.Addr] = n
	}
	addrOf := func(l nodeLine) string { return strings.SplitN(l.addr, "@", 2)[0] }
	replicas := 0
	for _, l := range view {
		if !l.has("slave") {
			continue
		}
		replicas++
		r, m := byAddr[addrOf(l)], byAddr[addrOf(view[l.master])]
		// The tutorial's nodes keep Redis's repl-diskless-sync-delay of 5 s.
		testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
			rc, mc := r.Dial(t), m.Dial(t)
			defer rc.Close()
			defer mc.Close()
			rs, ms := rc.MustDo(t, "DBSIZE").Int, mc.MustDo(t, "DBSIZE").Int
			if rs != ms || ms == 0 {
				return fmt.Errorf("replica %s has %d keys, master %s has %d", r.Addr, rs, m.Addr, ms)
			}
			return nil
		})
		c := r.Dial(t)
		c.MustDo(t, "READONLY")
		for _, k := range keys {
			want, err := do(m.Addr, "GET", k)
			if err != nil && strings.HasPrefix(err.Error(), "MOVED") {
				continue // another shard's key
			}
			testutil.NoErr(t, err)
			// Replication is asynchronous (in Redis too): the last
			// overwrite may still be on its way once DBSIZE agrees.
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if got := c.MustDo(t, "GET", k); string(got.Str) != want {
					return fmt.Errorf("READONLY GET %s on replica %s: %q, master %s has %q", k, r.Addr, got.Str, m.Addr, want)
				}
				return nil
			})
		}
		c.Close()
	}
	if replicas != len(nodes)/2 {
		t.Fatalf("%d replicas in the cluster view", replicas)
	}
}
