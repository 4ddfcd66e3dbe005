package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/testutil"
)

// twin is one of the two identical clusters a manager test drives: one with
// redis-cli, one with shoal-cli.
type twin struct {
	cli   string
	base  int
	nodes []*testutil.Node // 6 cluster nodes + 2 spares
}

func (tw *twin) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	for i, a := range args {
		args[i] = tw.expand(a)
	}
	return run(t, 3*time.Minute, tw.expand(stdin), nil, tw.cli, args...)
}

// expand replaces {N} with node N's address and {idN} with its ID.
func (tw *twin) expand(a string) string {
	for i := len(tw.nodes) - 1; i >= 0; i-- {
		n := tw.nodes[i]
		a = strings.ReplaceAll(a, "{"+strconv.Itoa(i)+"}", n.Addr)
		if strings.Contains(a, "{id"+strconv.Itoa(i)+"}") {
			a = strings.ReplaceAll(a, "{id"+strconv.Itoa(i)+"}", strings.TrimSpace(tw.id(n)))
		}
	}
	return a
}

func (tw *twin) id(n *testutil.Node) string {
	c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	v, _ := c.Do("CLUSTER", "MYID")
	return string(v.Str)
}

var movingRE = regexp.MustCompile(`127\.0\.0\.1:\+\d+`)

// TestManagerRedisClusters runs every --cluster subcommand with redis-cli on
// one Redis cluster and with shoal-cli on its twin, and compares the
// normalised outputs step by step.
func TestManagerRedisClusters(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	managerTwins(t, "redis")
}

// TestManagerShoalClusters is the same on Shoal nodes. Steps that move keys
// need MIGRATE, and backup needs SYNC; they run once the server has them.
func TestManagerShoalClusters(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	managerTwins(t, "shoal")
}

// TestManagerMixedClusters is the same on twin clusters of Redis and
// Shoal nodes side by side (Redis at even ports, Shoal at odd ones).
func TestManagerMixedClusters(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	managerTwins(t, "mixed")
}

func managerTwins(t *testing.T, kind string) {
	if os.Getenv("SHOAL_CLI_MANAGER") == "" && os.Getenv("SHOAL_LONG") != "1" {
		// Its flake (a node dying at start on a cluster bus port still held
		// by an earlier run's lingering sockets) is fixed: see takeBlock.
		// It stays out of CI for its time: each twin takes 70-140 s on the
		// shared CI machine (two sequential redis-cli reshards, gossip
		// settling after each step), more than the 40 s budget.
		t.Skip("set SHOAL_CLI_MANAGER=1 or SHOAL_LONG=1: the twin-cluster manager comparison takes minutes")
	}
	a := &twin{cli: testutil.RedisCLI()}
	a.base, a.nodes = startNodes(t, kind, 8)
	b := &twin{cli: shoalCLI(t)}
	b.base, b.nodes = startNodes(t, kind, 8)
	hasMigrate := hasCommand(t, a.nodes[0].Addr, "migrate")
	hasSync := hasCommand(t, a.nodes[0].Addr, "sync") && hasCommand(t, a.nodes[1].Addr, "sync")

	// step runs args on both twins and compares; mask hides the ports of
	// lines whose node choice depends on CLUSTER NODES order.
	step := func(name, stdin string, mask bool, args ...string) (result, result) {
		t.Helper()
		ra := a.run(t, stdin, append([]string(nil), args...)...)
		rb := b.run(t, stdin, append([]string(nil), args...)...)
		na, nb := ra, rb
		if mask {
			na.stdout = movingRE.ReplaceAllString(normalize(ra.stdout, a.base), "127.0.0.1:+?")
			nb.stdout = movingRE.ReplaceAllString(normalize(rb.stdout, b.base), "127.0.0.1:+?")
			na.stdout, nb.stdout = normalize(na.stdout, 0), normalize(nb.stdout, 0)
			sameOutput(t, name, na, 0, nb, 0)
		} else {
			sameOutput(t, name, ra, a.base, rb, b.base)
		}
		return ra, rb
	}
	settle := func() {
		t.Helper()
		waitConsistent(t, a.cli, a.nodes[0])
		waitConsistent(t, b.cli, b.nodes[0])
		// Agreement is not enough: a node that marked a peer FAIL in a
		// load spike answers CLUSTERDOWN (to a MIGRATE's RESTORE too)
		// until the peer is seen again.
		waitMembersOK(t, a.nodes)
		waitMembersOK(t, b.nodes)
	}
	six := "{0} {1} {2} {3} {4} {5}"
	createArgs := append([]string{"--cluster", "create"}, strings.Fields(six)...)
	createArgs = append(createArgs, "--cluster-replicas", "1", "--cluster-yes")
	ra, rb := step("create", "", false, createArgs...)
	testutil.Equal(t, ra.code, 0)
	testutil.Equal(t, rb.code, 0)
	waitClusterOK(t, a.nodes[:6])
	waitClusterOK(t, b.nodes[:6])
	settle()

	// The same keys in both clusters, written through the cluster client.
	for _, tw := range []*twin{a, b} {
		cl := client.NewCluster([]string{tw.nodes[0].Addr}, client.ClusterOptions{})
		for i := 0; i < 500; i++ {
			v, err := cl.Do("SET", "key:"+strconv.Itoa(i), strconv.Itoa(i))
			testutil.NoErr(t, err)
			testutil.Equal(t, string(v.Str), "OK")
		}
		cl.Close()
	}

	step("check", "", false, "--cluster", "check", "{0}")
	step("check host port", "", false, "--cluster", "check", "127.0.0.1", strconv.Itoa(0))
	step("info", "", false, "--cluster", "info", "{2}")
	step("call", "", false, "--cluster", "call", "{0}", "PING")
	step("call masters", "", false, "--cluster", "call", "{1}", "CONFIG", "GET", "cluster-node-timeout", "--cluster-only-masters")
	step("call replicas", "", false, "--cluster", "call", "{1}", "ECHO", "hi", "--cluster-only-replicas")
	step("set-timeout", "", false, "--cluster", "set-timeout", "{0}", "6000")
	step("set-timeout too low", "", false, "--cluster", "set-timeout", "{0}", "50")
	step("bad host", "", false, "--cluster", "check", "nohostport")
	step("wrong arity", "", false, "--cluster", "add-node", "{6}")
	step("create non-empty", "", false, "--cluster", "create", "{0}", "{1}", "{2}")
	step("add-node master", "", false, "--cluster", "add-node", "{6}", "{0}")
	settle()
	step("del-node not empty", "", false, "--cluster", "del-node", "{0}", "{id0}")
	step("del-node unknown", "", false, "--cluster", "del-node", "{0}", "0000000000000000000000000000000000000000")
	step("add-node replica", "", false, "--cluster", "add-node", "{7}", "{0}", "--cluster-slave", "--cluster-master-id", "{id6}")
	settle()
	waitKnown(t, a.nodes, 8)
	waitKnown(t, b.nodes, 8)
	step("add-node unknown master", "", false, "--cluster", "add-node", "{7}", "{0}", "--cluster-slave", "--cluster-master-id", "1234")
	step("check with new nodes", "", false, "--cluster", "check", "{0}")
	step("del-node replica", "", false, "--cluster", "del-node", "{0}", "{id7}")
	settle()
	if !hasMigrate {
		t.Logf("%s has no MIGRATE yet: reshard, rebalance, fix with keys and import not compared", kind)
		return
	}
	step("reshard", "", false, "--cluster", "reshard", "{0}", "--cluster-from", "all", "--cluster-to", "{id6}",
		"--cluster-slots", "100", "--cluster-yes", "--cluster-pipeline", "7")
	settle()
	step("reshard from one", "", false, "--cluster", "reshard", "{1}", "--cluster-from", "{id1}", "--cluster-to", "{id6}",
		"--cluster-slots", "10", "--cluster-yes")
	settle()
	step("reshard to a replica", "", false, "--cluster", "reshard", "{0}", "--cluster-from", "all", "--cluster-to", "{id3}",
		"--cluster-slots", "10", "--cluster-yes")
	step("check after reshard", "", false, "--cluster", "check", "{6}")
	step("rebalance simulate", "", true, "--cluster", "rebalance", "{0}", "--cluster-simulate")
	step("rebalance", "", true, "--cluster", "rebalance", "{0}", "--cluster-pipeline", "50")
	settle()
	step("rebalance balanced", "", false, "--cluster", "rebalance", "{0}")
	// shoal-cli's parallel mode prints the same lines (in another order)
	// and leaves the same layout.
	ra = a.run(t, "", "--cluster", "reshard", "{0}", "--cluster-from", "all", "--cluster-to", "{id6}", "--cluster-slots", "300", "--cluster-yes")
	rb = b.run(t, "", "--cluster", "reshard", "{0}", "--cluster-from", "all", "--cluster-to", "{id6}", "--cluster-slots", "300", "--cluster-yes", "--cluster-parallel", "4")
	sameOutput(t, "reshard --cluster-parallel", ra, a.base, rb, b.base)
	settle()
	step("check after parallel reshard", "", false, "--cluster", "check", "{0}")
	ra = a.run(t, "", "--cluster", "rebalance", "{0}", "--cluster-weight", "{id6}=3")
	rb = b.run(t, "", "--cluster", "rebalance", "{0}", "--cluster-weight", "{id6}=3", "--cluster-parallel", "3")
	testutil.Equal(t, rb.code, ra.code)
	testutil.Equal(t, strings.Count(rb.stdout, "#"), strings.Count(ra.stdout, "#"))
	settle()
	step("check after parallel rebalance", "", true, "--cluster", "check", "{0}")
	cl := client.NewCluster([]string{b.nodes[0].Addr}, client.ClusterOptions{})
	for i := 0; i < 500; i++ {
		v, err := cl.Do("GET", "key:"+strconv.Itoa(i))
		testutil.NoErr(t, err)
		testutil.Equal(t, string(v.Str), strconv.Itoa(i))
	}
	cl.Close()
	step("rebalance weights", "", true, "--cluster", "rebalance", "{0}", "--cluster-weight", "{id0}=2", "{id1}=0.5", "--cluster-simulate")
	step("rebalance bad weight", "", false, "--cluster", "rebalance", "{0}", "--cluster-weight", "ffff=2")
	// An open slot (a reshard cut short) and its repair.
	for _, tw := range []*twin{a, b} {
		slot := strconv.Itoa(client.KeySlot("key:1"))
		owner := do(t, tw.nodes[0].Addr, "CLUSTER", "COUNTKEYSINSLOT", slot)
		_ = owner
		var src, dst *testutil.Node
		for _, n := range tw.nodes[:3] {
			if do(t, n.Addr, "CLUSTER", "COUNTKEYSINSLOT", slot) != "0" {
				src = n
			} else if dst == nil {
				dst = n
			}
		}
		if src == nil {
			src, dst = tw.nodes[6], tw.nodes[0]
		}
		do(t, dst.Addr, "CLUSTER", "SETSLOT", slot, "IMPORTING", tw.id(src))
		do(t, src.Addr, "CLUSTER", "SETSLOT", slot, "MIGRATING", tw.id(dst))
	}
	step("check open slot", "", true, "--cluster", "check", "{0}")
	step("fix open slot", "", true, "--cluster", "fix", "{0}")
	settle()
	step("check fixed", "", false, "--cluster", "check", "{0}")
	step("check multiple owners", "", false, "--cluster", "check", "{0}", "--cluster-search-multiple-owners")
	step("fix multiple owners", "", true, "--cluster", "fix", "{0}", "--cluster-search-multiple-owners")
	step("rebalance threshold", "", true, "--cluster", "rebalance", "{0}", "--cluster-threshold", "1", "--cluster-simulate")
	step("rebalance empty masters", "", true, "--cluster", "rebalance", "{0}", "--cluster-use-empty-masters", "--cluster-simulate")
	// import from a standalone server holding the same keys for both.
	srcA, srcB := startServer(t, kind), startServer(t, kind)
	for _, s := range []*testutil.Node{srcA, srcB} {
		for i := 0; i < 20; i++ {
			do(t, s.Addr, "SET", "imported:"+strconv.Itoa(i), "v")
		}
	}
	ra = a.run(t, "", "--cluster", "import", "{0}", "--cluster-from", srcA.Addr, "--cluster-copy")
	rb = b.run(t, "", "--cluster", "import", "{0}", "--cluster-from", srcB.Addr, "--cluster-copy")
	ra.stdout = strings.ReplaceAll(ra.stdout, srcA.Addr, "SRC")
	rb.stdout = strings.ReplaceAll(rb.stdout, srcB.Addr, "SRC")
	sameOutput(t, "import", ra, a.base, rb, b.base)
	step("import missing from", "", false, "--cluster", "import", "{0}")
	// The same keys again: --cluster-replace overwrites them.
	ra = a.run(t, "", "--cluster", "import", "{0}", "--cluster-from", srcA.Addr, "--cluster-copy", "--cluster-replace")
	rb = b.run(t, "", "--cluster", "import", "{0}", "--cluster-from", srcB.Addr, "--cluster-copy", "--cluster-replace")
	ra.stdout = strings.ReplaceAll(ra.stdout, srcA.Addr, "SRC")
	rb.stdout = strings.ReplaceAll(rb.stdout, srcB.Addr, "SRC")
	sameOutput(t, "import replace", ra, a.base, rb, b.base)
	if hasSync {
		da, db := t.TempDir(), t.TempDir()
		ra = a.run(t, "", "--cluster", "backup", "{0}", da)
		rb = b.run(t, "", "--cluster", "backup", "{0}", db)
		ra.stdout, rb.stdout = strings.ReplaceAll(ra.stdout, da, "DIR"), strings.ReplaceAll(rb.stdout, db, "DIR")
		ra.stderr, rb.stderr = strings.ReplaceAll(ra.stderr, da, "DIR"), strings.ReplaceAll(rb.stderr, db, "DIR")
		sizeRE := regexp.MustCompile(`writing \d+ bytes|after \d+ bytes`)
		fileRE := regexp.MustCompile(`127\.0\.0\.1-\d+-`)
		ra.stderr, rb.stderr = fileRE.ReplaceAllString(ra.stderr, "F"), fileRE.ReplaceAllString(rb.stderr, "F")
		ra.stderr, rb.stderr = sizeRE.ReplaceAllString(ra.stderr, "N"), sizeRE.ReplaceAllString(rb.stderr, "N")
		sameOutput(t, "backup", ra, a.base, rb, b.base)
		for _, d := range []string{da, db} {
			rdbs, _ := filepath.Glob(filepath.Join(d, "*.rdb"))
			testutil.Equal(t, len(rdbs), 4)
			js, err := os.ReadFile(filepath.Join(d, "nodes.json"))
			testutil.NoErr(t, err)
			testutil.True(t, strings.Count(string(js), `"name"`) == 7, "nodes.json lists 7 nodes:\n"+string(js))
		}
	}
}

// startServer starts a standalone server of kind on a free port.
func startServer(t *testing.T, kind string) *testutil.Node {
	t.Helper()
	if kind == "shoal" || kind == "mixed" {
		return testutil.StartShoal(t)
	}
	return testutil.StartRedis(t)
}

// hasCommand reports whether the server at addr knows command name.
func hasCommand(t *testing.T, addr, name string) bool {
	t.Helper()
	c, err := testutil.DialTimeout(addr, 5*time.Second)
	testutil.NoErr(t, err)
	defer c.Close()
	v, err := c.Do("COMMAND", "INFO", name)
	testutil.NoErr(t, err)
	return len(v.Elems) == 1 && !v.Elems[0].Null
}

// waitMembersOK waits until every node that is part of a cluster (knows
// more than itself; a deleted node is reset to a cluster of one) reports
// cluster_state:ok, and every replica has finished its sync.
func waitMembersOK(t *testing.T, nodes []*testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		for _, x := range nodes {
			info := do(t, x.Addr, "CLUSTER", "INFO")
			if strings.Contains(info, "cluster_known_nodes:1\r\n") {
				continue
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s not ok:\n%s", x.Addr, info)
			}
			// A replica still in its first sync may answer LOADING.
			if repl := do(t, x.Addr, "INFO", "replication"); strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
				return fmt.Errorf("%s: replica not in sync yet:\n%s", x.Addr, repl)
			}
		}
		return nil
	})
}

// waitKnown waits until every node knows n nodes (a new node's MEET has
// spread), so commands that address every node find it everywhere.
func waitKnown(t *testing.T, nodes []*testutil.Node, n int) {
	t.Helper()
	want := "cluster_known_nodes:" + strconv.Itoa(n) + "\r\n"
	testutil.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		for _, x := range nodes[:n] {
			if info := do(t, x.Addr, "CLUSTER", "INFO"); !strings.Contains(info, want) {
				return fmt.Errorf("%s does not know %d nodes yet:\n%s", x.Addr, n, do(t, x.Addr, "CLUSTER", "NODES"))
			}
		}
		return nil
	})
}
