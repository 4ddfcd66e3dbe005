package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// result is what a user sees of one run.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

func shoalCLI(t testing.TB) string {
	return filepath.Join(testutil.BuildBinaries(t), "shoal-cli")
}

// run runs bin with args, stdin and extra env, within d.
func run(t testing.TB, d time.Duration, stdin string, env []string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "TERM=dumb", "REDISCLI_HISTFILE=/dev/null")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %v: no exit within %v\n%s%s", bin, args, d, out.String(), errb.String())
	}
	return result{out.String(), errb.String(), code}
}

// tutorialConf writes the tutorial's redis.conf for port (plus bind).
func tutorialConf(t *testing.T, port int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.conf")
	conf := fmt.Sprintf("port %d\ncluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 5000\nappendonly yes\nbind 127.0.0.1\n", port)
	testutil.NoErr(t, os.WriteFile(path, []byte(conf), 0o644))
	return path
}

// portBlocks holds the fixed ports of this package's cluster tests:
// 21200-21299 (their cluster bus ports 31200-31299), in blocks of 10, so
// that tests running at once never share one.
var portBlocks = func() chan int {
	c := make(chan int, 10)
	for b := 21200; b < 21300; b += 10 {
		c <- b
	}
	return c
}()

// takeBlock returns the first port of a block of 10 ports that no other
// test of the package holds and whose ports and bus ports can all be bound
// now. A block another program still holds (a node of an earlier run
// whose bus sockets linger, another session) is passed over and retried
// later: taking it anyway made a node die at start on "Could not bind
// cluster bus port", the flake of the manager tests. The block goes back
// when t ends, after its nodes are stopped.
func takeBlock(t *testing.T) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case b := <-portBlocks:
			if blockFree(b) {
				t.Cleanup(func() { portBlocks <- b })
				return b
			}
			go func() { time.Sleep(2 * time.Second); portBlocks <- b }()
		case <-time.After(time.Second):
		}
	}
	t.Fatal("no free block of ports in 21200-21299 (and 31200-31299) for 2 minutes")
	return 0
}

// blockFree reports whether ports b..b+9 and their bus ports can be bound.
func blockFree(b int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for p := b; p < b+10; p++ {
		for _, q := range []int{p, p + 10000} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				return false
			}
			ls = append(ls, l)
		}
	}
	return true
}

// startNodes starts n (at most 10) cluster nodes of kind ("redis",
// "shoal", or "mixed": Redis at even indices, Shoal at odd ones) on a block of
// ports from takeBlock, returning the block's base and the nodes; each
// node's cluster bus is answering when it returns.
func startNodes(t *testing.T, kind string, n int) (int, []*testutil.Node) {
	t.Helper()
	base := takeBlock(t)
	var nodes []*testutil.Node
	for i := 0; i < n; i++ {
		conf := tutorialConf(t, base+i)
		if kind == "shoal" || kind == "mixed" && i%2 == 1 {
			nodes = append(nodes, testutil.StartShoalAt(t, base+i, conf))
		} else {
			nodes = append(nodes, testutil.StartRedisAt(t, base+i, conf))
		}
	}
	for _, nd := range nodes {
		bus := "127.0.0.1:" + strconv.Itoa(nd.Port+10000)
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if !nd.Running() {
				return fmt.Errorf("%s exited at start", nd.Addr)
			}
			c, err := net.DialTimeout("tcp", bus, time.Second)
			if err != nil {
				return err
			}
			return c.Close()
		})
	}
	return base, nodes
}

func addrs(nodes []*testutil.Node) []string {
	var a []string
	for _, n := range nodes {
		a = append(a, n.Addr)
	}
	return a
}

var (
	idRE     = regexp.MustCompile(`[0-9a-f]{40}`)
	shortRE  = regexp.MustCompile(`\([0-9a-f]{8}\.\.\.\)`)
	dotsRE   = regexp.MustCompile(`Waiting for the cluster to join\n\.*\n`)
	replRE   = regexp.MustCompile(`replicates <id>`)
	epochRE  = regexp.MustCompile(`"current_epoch": \d+`)
	portRE   = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)
	timingRE = regexp.MustCompile(`\(\d+\.\d+s\)`)
)

// normalize makes two twin clusters' outputs comparable: node IDs become
// <id>, ports become offsets from base, runs of progress dots one dot, and
// lines are sorted (redis-cli lists nodes in CLUSTER NODES order, which is
// a hash order on Redis).
func normalize(s string, base int) string {
	s = idRE.ReplaceAllString(s, "<id>")
	s = shortRE.ReplaceAllString(s, "(<id>...)")
	s = dotsRE.ReplaceAllString(s, "Waiting for the cluster to join\n")
	s = epochRE.ReplaceAllString(s, `"current_epoch": N`)
	s = timingRE.ReplaceAllString(s, "(T)")
	s = portRE.ReplaceAllStringFunc(s, func(m string) string {
		p, _ := strconv.Atoi(m[len("127.0.0.1:"):])
		return "127.0.0.1:+" + strconv.Itoa(p-base)
	})
	s = strings.ReplaceAll(s, " "+strconv.Itoa(base)+"\n", " +0\n")
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// sameOutput fails unless the two runs agree after normalize.
func sameOutput(t *testing.T, what string, want result, wantBase int, got result, gotBase int) {
	t.Helper()
	w := result{normalize(want.stdout, wantBase), normalize(want.stderr, wantBase), want.code}
	g := result{normalize(got.stdout, gotBase), normalize(got.stderr, gotBase), got.code}
	if w != g {
		t.Errorf("%s: shoal-cli differs from redis-cli\nredis-cli:\n%s\nshoal-cli:\n%s\n(raw redis-cli:\n%s\nraw shoal-cli:\n%s)", what, w, g, want, got)
	}
}

// do sends one command to addr and returns the reply's text.
func do(t *testing.T, addr string, args ...string) string {
	t.Helper()
	c, err := testutil.DialTimeout(addr, 5*time.Second)
	testutil.NoErr(t, err)
	defer c.Close()
	v, err := c.Do(args...)
	testutil.NoErr(t, err)
	if v.Kind == '*' {
		var parts []string
		for _, e := range v.Elems {
			parts = append(parts, string(e.Str))
		}
		return strings.Join(parts, " ")
	}
	if v.Kind == ':' {
		return strconv.FormatInt(v.Int, 10)
	}
	return string(v.Str)
}

// waitClusterOK waits until every node reports cluster_state:ok and the
// same slots configuration.
func waitClusterOK(t *testing.T, nodes []*testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		for _, n := range nodes {
			if info := do(t, n.Addr, "CLUSTER", "INFO"); !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s not ok:\n%s", n.Addr, info)
			}
		}
		return nil
	})
}

// waitConsistent waits until `--cluster check` via the first node reports
// that all nodes agree (gossip settled).
func waitConsistent(t *testing.T, cli string, n *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 60*time.Second, 200*time.Millisecond, func() error {
		r := run(t, 30*time.Second, "", nil, cli, "--cluster", "check", n.Addr)
		if r.code != 0 || !strings.Contains(r.stdout, "[OK] All nodes agree") {
			return fmt.Errorf("not settled:\n%s", r)
		}
		return nil
	})
}
