package cli_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/testutil"
)

// TestTutorialWithShoalCLI walks the cluster tutorial on Shoal nodes with
// shoal-cli alone while writers keep incrementing counters through the
// cluster client (the tutorial's consistency test): create with replicas,
// -c, reshard under load (redis-cli's way and --cluster-parallel),
// add-node as master and as replica, rebalance onto the empty master,
// call, set-timeout, fix of an open slot, import, del-node of the replica
// and of the emptied master. Every command must succeed, the writers must
// see no error, and every counter must hold what was written: no key lost.
func TestTutorialWithShoalCLI(t *testing.T) {
	if os.Getenv("SHOAL_CLI_MANAGER") == "" && os.Getenv("SHOAL_LONG") != "1" {
		t.Skip("set SHOAL_CLI_MANAGER=1 or SHOAL_LONG=1: the tutorial under load takes minutes")
	}
	cli := shoalCLI(t)
	base, nodes := startNodes(t, "shoal", 8)
	tw := &twin{cli: cli, base: base, nodes: nodes}
	ok := func(what string, args ...string) result {
		t.Helper()
		r := tw.run(t, "", args...)
		if r.code != 0 {
			t.Fatalf("%s failed:\n%s", what, r)
		}
		return r
	}
	settle := func() {
		t.Helper()
		waitConsistent(t, cli, nodes[0])
		waitMembersOK(t, nodes)
	}
	ok("create", "--cluster", "create", "{0}", "{1}", "{2}", "{3}", "{4}", "{5}", "--cluster-replicas", "1", "--cluster-yes")
	waitClusterOK(t, nodes[:6])
	settle()

	w := run(t, 30*time.Second, "set foo bar\nget foo\n", nil, cli, "-c", "-p", strconv.Itoa(base))
	testutil.Equal(t, w.code, 0)
	testutil.True(t, strings.HasSuffix(w.stdout, "OK\nbar\n"), "-c:\n"+w.stdout)

	// The writers: each owns its counters and knows what they must hold.
	const writers, counters = 4, 250
	var (
		stop   atomic.Bool
		wg     sync.WaitGroup
		errsMu sync.Mutex
		errs   []string
		want   [writers][counters]int64
		writes atomic.Int64
	)
	for wi := 0; wi < writers; wi++ {
		wg.Add(1)
		go func(wi int) {
			defer wg.Done()
			cl := client.NewCluster([]string{nodes[0].Addr, nodes[1].Addr}, client.ClusterOptions{})
			defer cl.Close()
			for i := 0; !stop.Load(); i++ {
				c := i % counters
				v, err := cl.Do("INCR", fmt.Sprintf("tut:%d:%d", wi, c))
				if err == nil && v.IsError() {
					err = fmt.Errorf("%s", v.Str)
				}
				if err != nil {
					errsMu.Lock()
					errs = append(errs, err.Error())
					errsMu.Unlock()
					time.Sleep(50 * time.Millisecond)
					continue
				}
				want[wi][c]++
				writes.Add(1)
				if v.Int != want[wi][c] {
					errsMu.Lock()
					errs = append(errs, fmt.Sprintf("tut:%d:%d is %d, wrote %d increments", wi, c, v.Int, want[wi][c]))
					errsMu.Unlock()
					want[wi][c] = v.Int
				}
			}
		}(wi)
	}
	stopWriters := func() {
		if !stop.Swap(true) {
			wg.Wait()
		}
	}
	t.Cleanup(stopWriters)
	waitWrites := func(n int64) {
		t.Helper()
		from := writes.Load()
		testutil.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
			if writes.Load() < from+n {
				return fmt.Errorf("writers stalled at %d writes", writes.Load())
			}
			return nil
		})
	}
	waitWrites(500)

	ok("reshard under load", "--cluster", "reshard", "{0}", "--cluster-from", "{id0}", "--cluster-to", "{id1}",
		"--cluster-slots", "300", "--cluster-yes")
	settle()
	waitWrites(200)
	ok("parallel reshard under load", "--cluster", "reshard", "{0}", "--cluster-from", "all", "--cluster-to", "{id2}",
		"--cluster-slots", "600", "--cluster-yes", "--cluster-parallel", "4")
	settle()
	waitWrites(200)

	ok("add-node master", "--cluster", "add-node", "{6}", "{0}")
	settle()
	ok("add-node replica", "--cluster", "add-node", "{7}", "{0}", "--cluster-slave", "--cluster-master-id", "{id6}")
	settle()
	waitKnown(t, nodes, 8)
	ok("rebalance onto the empty master", "--cluster", "rebalance", "{0}", "--cluster-use-empty-masters")
	settle()
	waitWrites(200)
	testutil.True(t, do(t, nodes[6].Addr, "DBSIZE") != "0", "the new master got no keys")

	r := ok("call", "--cluster", "call", "{0}", "CLUSTER", "COUNTKEYSINSLOT", "0")
	testutil.Equal(t, strings.Count(r.stdout, "\n"), 1+8)
	ok("set-timeout", "--cluster", "set-timeout", "{0}", "6000")
	testutil.Equal(t, do(t, nodes[3].Addr, "CONFIG", "GET", "cluster-node-timeout"), "cluster-node-timeout 6000")

	// An open slot (as a reshard cut short leaves it), found and fixed
	// under load.
	slot := strconv.Itoa(client.KeySlot("tut:0:0"))
	var src, dst *testutil.Node
	for _, n := range nodes[:7] {
		if strings.Contains(do(t, n.Addr, "INFO", "replication"), "role:slave") {
			continue
		}
		if do(t, n.Addr, "CLUSTER", "COUNTKEYSINSLOT", slot) != "0" {
			src = n
		} else if dst == nil {
			dst = n
		}
	}
	testutil.True(t, src != nil && dst != nil, "no owner of slot "+slot)
	do(t, dst.Addr, "CLUSTER", "SETSLOT", slot, "IMPORTING", tw.id(src))
	do(t, src.Addr, "CLUSTER", "SETSLOT", slot, "MIGRATING", tw.id(dst))
	r = tw.run(t, "", "--cluster", "check", "{0}")
	testutil.True(t, strings.Contains(r.stdout, "has slots in migrating state "+slot), "check shows the open slot:\n"+r.String())
	ok("fix", "--cluster", "fix", "{0}")
	settle()
	r = ok("check after fix", "--cluster", "check", "{0}")
	testutil.True(t, !strings.Contains(r.stdout, "[WARNING]"), "still open after fix:\n"+r.stdout)
	waitWrites(200)

	// import moves a standalone server's keys into the cluster.
	single := testutil.StartShoal(t)
	for i := 0; i < 100; i++ {
		do(t, single.Addr, "SET", "imported:"+strconv.Itoa(i), strconv.Itoa(i))
	}
	ok("import", "--cluster", "import", "{0}", "--cluster-from", single.Addr)
	testutil.Equal(t, do(t, single.Addr, "DBSIZE"), "0")

	// del-node: the replica, then the new master once rebalance emptied it.
	ok("del-node replica", "--cluster", "del-node", "{0}", "{id7}")
	settle()
	ok("empty the new master", "--cluster", "rebalance", "{0}", "--cluster-weight", "{id6}=0")
	settle()
	waitWrites(200)
	ok("del-node master", "--cluster", "del-node", "{0}", "{id6}")
	settle()
	r = ok("final check", "--cluster", "check", "{0}")
	testutil.True(t, strings.Contains(r.stdout, "[OK] All 16384 slots covered."), r.stdout)

	stopWriters()
	errsMu.Lock()
	testutil.True(t, len(errs) == 0, fmt.Sprintf("%d client errors, first: %q", len(errs), errs[:min(len(errs), 5)]))
	errsMu.Unlock()
	cl := client.NewCluster([]string{nodes[0].Addr}, client.ClusterOptions{})
	defer cl.Close()
	for wi := 0; wi < writers; wi++ {
		for c := 0; c < counters; c++ {
			v, err := cl.Do("GET", fmt.Sprintf("tut:%d:%d", wi, c))
			testutil.NoErr(t, err)
			got, _ := strconv.ParseInt(string(v.Str), 10, 64)
			if got != want[wi][c] {
				t.Errorf("tut:%d:%d holds %d, %d increments were acknowledged", wi, c, got, want[wi][c])
			}
		}
	}
	for i := 0; i < 100; i++ {
		v, err := cl.Do("GET", "imported:"+strconv.Itoa(i))
		testutil.NoErr(t, err)
		testutil.Equal(t, string(v.Str), strconv.Itoa(i))
	}
	t.Logf("%d increments under load, no error, none lost", writes.Load())
}
