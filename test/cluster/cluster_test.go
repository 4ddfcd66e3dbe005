package cluster_test

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// Ports: each test has its own block of 10 in 17200-17399 (bus: +10000).
const (
	portsShoal   = 17200
	portsMixed   = 17210
	portsFailure = 17220
	portsLoad    = 17230
)

// TestCreateShoal: six shoal nodes from the tutorial redis.conf, joined by
// `redis-cli --cluster create --cluster-replicas 1`, pass `--cluster
// check`, serve keys on all three masters through every node, replicate
// them to the replicas, and carry PUBLISH to subscribers on every node.
func TestCreateShoal(t *testing.T) {
	t.Parallel()
	nodes := startNodes(t, portsShoal, 5000, repeat("shoal", 6)...)
	out, took := create(t, 1, nodes...)
	requireClean(t, "create", out)
	converged := waitAgreed(t, nodes)
	t.Logf("create took %v; all six agreed %v later", took.Round(time.Millisecond), converged.Round(time.Millisecond))

	requireClean(t, "check", mustCLI(t, "--cluster", "check", nodes[0].Addr))
	requireReadWriteEverywhere(t, nodes)
	requireReplicasHoldData(t, nodes)
	requirePublishEverywhere(t, nodes)
}

// TestCreateMixed: three shoal and three redis-server nodes, interleaved,
// joined by redis-cli: all six agree on node IDs, roles, slots and epochs
// (waitAgreed compares every node's CLUSTER NODES), --cluster check is
// clean, keys and PUBLISH work through every node.
func TestCreateMixed(t *testing.T) {
	t.Parallel()
	nodes := startNodes(t, portsMixed, 5000, "shoal", "redis", "shoal", "redis", "shoal", "redis")
	out, took := create(t, 1, nodes...)
	requireClean(t, "create", out)
	converged := waitAgreed(t, nodes)
	t.Logf("create took %v; all six agreed %v later", took.Round(time.Millisecond), converged.Round(time.Millisecond))

	for _, n := range nodes {
		requireClean(t, "check via "+n.Addr, mustCLI(t, "--cluster", "check", n.Addr))
	}
	requireReadWriteEverywhere(t, nodes)
	requireReplicasHoldData(t, nodes)
	requirePublishEverywhere(t, nodes)
}

// TestFailureDetectionAndRejoin: a shoal master killed with SIGKILL is
// marked fail by every other node within 2 × cluster-node-timeout (plus
// slack); restarted on its nodes.conf it comes back with the same ID, the
// fail flag clears everywhere and the cluster is ok again.
func TestFailureDetectionAndRejoin(t *testing.T) {
	const nodeTimeout = 2000
	nodes := startNodes(t, portsFailure, nodeTimeout, repeat("shoal", 6)...)
	out, _ := create(t, 1, nodes...)
	requireClean(t, "create", out)
	waitAgreed(t, nodes)

	var victim *testutil.Node
	var others []*testutil.Node
	for _, n := range nodes {
		view, err := clusterNodes(n.Addr)
		testutil.NoErr(t, err)
		if victim == nil && view[myID(t, n)].has("master") {
			victim = n
			continue
		}
		others = append(others, n)
	}
	testutil.True(t, victim != nil, "no master")
	id := myID(t, victim)

	victim.Kill()
	killed := time.Now()
	bound := 2*nodeTimeout*time.Millisecond + 3*time.Second
	testutil.CheckFor(t, bound, 50*time.Millisecond, func() error {
		for _, n := range others {
			view, err := clusterNodes(n.Addr)
			if err != nil {
				return err
			}
			if l := view[id]; !l.has("fail") {
				return &flagsErr{n.Addr, l.flags}
			}
		}
		return nil
	})
	detected := time.Since(killed)
	for _, n := range others {
		info, err := do(n.Addr, "CLUSTER", "INFO")
		testutil.NoErr(t, err)
		testutil.True(t, strings.Contains(info, "cluster_state:fail"), n.Addr+": cluster still ok without a master")
	}

	victim.Restart()
	restarted := time.Now()
	testutil.Equal(t, myID(t, victim), id)
	testutil.CheckFor(t, agreeTimeout, 50*time.Millisecond, func() error {
		for _, n := range others {
			view, err := clusterNodes(n.Addr)
			if err != nil {
				return err
			}
			if l := view[id]; l.failing() || l.link != "connected" {
				return &flagsErr{n.Addr, append(l.flags, l.link)}
			}
		}
		return nil
	})
	cleared := time.Since(restarted)
	waitAgreed(t, nodes)
	t.Logf("node timeout %d ms: every node flagged the killed master fail after %v; after the restart every node "+
		"cleared the flag after %v and all agreed, cluster_state ok, after %v", nodeTimeout,
		detected.Round(time.Millisecond), cleared.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
	requireReadWriteEverywhere(t, nodes)
}

type flagsErr struct {
	addr  string
	flags []string
}

func (e *flagsErr) Error() string {
	return e.addr + " sees the killed node as " + strings.Join(e.flags, ",")
}

// TestBusNotStarvedUnderLoad: a shoal node saturated by redis-benchmark
// (50 clients, pipelines of 16, 10 s, every key in its own slots) is never
// flagged fail? or fail by its peers, with cluster-node-timeout 2000.
func TestBusNotStarvedUnderLoad(t *testing.T) {
	const nodeTimeout = 2000
	const loadFor = 10 * time.Second
	bench := redisBenchmark(t)
	nodes := startNodes(t, portsLoad, nodeTimeout, repeat("shoal", 3)...)
	out, _ := create(t, 0, nodes...)
	requireClean(t, "create", out)
	waitAgreed(t, nodes)

	busy := nodes[0]
	id := myID(t, busy)
	view, err := clusterNodes(busy.Addr)
	testutil.NoErr(t, err)
	tag := tagIn(t, view[id].slots)

	cmd := exec.Command(bench, "-h", "127.0.0.1", "-p", strconv.Itoa(busy.Port), "-c", "50", "-P", "16",
		"-n", "1000000000", "-r", "100000", "-q", "SET", "{"+tag+"}:__rand_int__", "some-value")
	var benchOut syncBuffer
	cmd.Stdout, cmd.Stderr = &benchOut, &benchOut
	testutil.NoErr(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var once sync.Once
	stopBench := func() { // by pid: SIGINT, then SIGKILL after a bounded wait
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-waited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-waited
			}
		})
	}
	defer stopBench()

	peers := make([]*testutil.Conn, 0, 2)
	for _, n := range nodes[1:] {
		c := n.Dial(t)
		c.Timeout = 5 * time.Second
		peers = append(peers, c)
	}
	polls, maxPongAge := 0, int64(0)
	deadline := time.Now().Add(loadFor)
	for time.Now().Before(deadline) {
		for i, c := range peers {
			v, err := c.Do("CLUSTER", "NODES")
			if err != nil {
				t.Fatalf("CLUSTER NODES on peer %s during the load: %v", nodes[i+1].Addr, err)
			}
			now := time.Now().UnixMilli()
			for _, line := range strings.Split(string(v.Str), "\n") {
				f := strings.Fields(line)
				if len(f) < 8 || f[0] != id {
					continue
				}
				if strings.Contains(f[2], "fail") {
					stopBench()
					t.Fatalf("peer %s flags the busy node %s after %d polls:\n%s\nbenchmark: %s", nodes[i+1].Addr,
						f[2], polls, line, lastLine(benchOut.String()))
				}
				if pong, _ := strconv.ParseInt(f[5], 10, 64); pong > 0 && now-pong > maxPongAge {
					maxPongAge = now - pong
				}
			}
			polls++
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopBench()
	c := busy.Dial(t)
	n := c.MustDo(t, "DBSIZE").Int
	testutil.True(t, n > 10000, "the benchmark wrote only "+strconv.FormatInt(n, 10)+" keys: no load")
	t.Logf("%d polls of the peers over %v of load, never flagged; oldest pong seen %d ms; %d keys written; benchmark: %s",
		polls, loadFor, maxPongAge, n, lastLine(benchOut.String()))
}

// syncBuffer is a bytes.Buffer safe for a writing child process and a
// reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tagIn returns a hash tag whose slot is in ranges ("0-5460", "7").
func tagIn(t *testing.T, ranges []string) string {
	t.Helper()
	in := func(s int) bool {
		for _, r := range ranges {
			lo, hi, ok := strings.Cut(r, "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if ok {
				b, _ = strconv.Atoi(hi)
			}
			if s >= a && s <= b {
				return true
			}
		}
		return false
	}
	for i := 0; i < 100000; i++ {
		tag := "load" + strconv.Itoa(i)
		if in(slot.Of([]byte(tag))) {
			return tag
		}
	}
	t.Fatalf("no tag in %v", ranges)
	return ""
}

// lastLine is the last progress line of redis-benchmark's output.
func lastLine(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r", "\n"))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
