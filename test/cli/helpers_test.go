package cli_test

import (
	"bytes"
	"context"
	"fmt"
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

// startNodes starts n cluster nodes of kind on base, base+1, ...
func startNodes(t *testing.T, kind string, base, n int) []*testutil.Node {
	t.Helper()
	var nodes []*testutil.Node
	for i := 0; i < n; i++ {
		conf := tutorialConf(t, base+i)
		if kind == "shoal" {
			nodes = append(nodes, testutil.StartShoalAt(t, base+i, conf))
		} else {
			nodes = append(nodes, testutil.StartRedisAt(t, base+i, conf))
		}
	}
	return nodes
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
