package failover

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestWaitSafe: with cluster-replica-wait-safe yes, writers use WAIT 1
// (go-redis) and the master of one shard, which has two replicas, is
// killed with kill -9 at a random moment, round after round (2 rounds; 20
// with SHOAL_LONG=1). After every failover each write that WAIT 1
// acknowledged reads back. A replica that lacks some of them does not
// stand for election (it logs why); the other one does.
//
// The cluster also holds a Redis 7.0 replica of a Shoal master: it gets
// the WAIT-acked ping extension, logs that it skips an unknown type, and
// keeps working (its data digest equals its master's at the end).
func TestWaitSafe(t *testing.T) {
	rounds := 2
	if os.Getenv("SHOAL_LONG") == "1" {
		rounds = 20
	}
	const base = 21720
	kinds := []string{"shoal", "shoal", "shoal", "shoal", "redis", "shoal"}
	nodes := startClusterWith(t, base, "cluster-replica-wait-safe yes\n", kinds...)
	redisReplica := nodes[4]
	var target *testutil.Node // the Shoal master whose replica is Shoal
	for _, m := range nodes[:3] {
		if replicaOf(t, nodes, m) != redisReplica {
			target = m
			break
		}
	}
	var redisMaster *testutil.Node
	for _, m := range nodes[:3] {
		if replicaOf(t, nodes, m) == redisReplica {
			redisMaster = m
		}
	}
	if redisMaster == nil {
		t.Fatal("the Redis replica replicates no master")
	}

	// The directive: off by default, hidden from CONFIG GET * as Redis
	// has no such directive, settable, and kept by CONFIG REWRITE.
	port := strconv.Itoa(target.Port)
	out, err := cli(replyTimeout, "-p", port, "CONFIG", "GET", "cluster-replica-wait-safe")
	testutil.NoErr(t, err)
	testutil.Equal(t, out, "cluster-replica-wait-safe\nyes\n")
	out, err = cli(replyTimeout, "-p", port, "CONFIG", "GET", "*")
	testutil.NoErr(t, err)
	testutil.True(t, strings.Contains(out, "cluster-replica-no-failover") && !strings.Contains(out, "wait-safe"),
		"CONFIG GET * must list Redis's directives and not the hidden one")
	_, err = do(target.Addr, "CONFIG", "SET", "cluster-replica-wait-safe", "maybe")
	testutil.True(t, err != nil && strings.Contains(err.Error(), "argument must be 'yes' or 'no'"), "bad value accepted")
	for _, v := range []string{"no", "yes"} {
		_, err = do(target.Addr, "CONFIG", "SET", "cluster-replica-wait-safe", v)
		testutil.NoErr(t, err)
	}

	// A second Shoal replica for the target shard.
	extra := testutil.StartShoalAt(t, base+6, clusterConf(t, base+6, "cluster-replica-wait-safe yes\n"))
	if _, err := do(target.Addr, "CLUSTER", "MEET", "127.0.0.1", "21726"); err != nil {
		t.Fatal(err)
	}
	targetID, err := do(target.Addr, "CLUSTER", "MYID")
	testutil.NoErr(t, err)
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		_, err := do(extra.Addr, "CLUSTER", "REPLICATE", targetID)
		return err
	})
	nodes = append(nodes, extra)
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error { return healthy(nodes) })
	_, err = do(extra.Addr, "CONFIG", "REWRITE")
	testutil.NoErr(t, err)
	conf, err := os.ReadFile(extra.Cmd.Args[1])
	testutil.NoErr(t, err)
	testutil.True(t, strings.Contains(string(conf), "\ncluster-replica-wait-safe yes\n"), "CONFIG REWRITE lost the directive:\n"+string(conf))
	shard := []*testutil.Node{target, replicaOf(t, nodes, target), extra}
	testutil.True(t, shard[1] != extra, "the target shard has one replica")

	cc := clusterClient(t, nodes...)
	l := startLoad(cc, "ws", 4, true)
	defer l.stop()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for r := 0; r < rounds; r++ {
		master := shardMaster(t, nodes, shard)
		time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond) // a random moment under load
		before := l.ok.Load()
		master.Kill()
		killed := time.Now()
		testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
			for _, n := range shard {
				if n == master || !n.Running() {
					continue
				}
				if view, err := roles(n.Addr); err == nil && view[n.Addr].isMaster() && view[n.Addr].slots > 0 {
					return healthy(nodes)
				}
			}
			return errorf("no replica of %s promoted yet", master.Addr)
		})
		acked := l.ackedSoFar()
		lost, err := missing(cc, acked)
		testutil.NoErr(t, err)
		if len(lost) > 0 {
			t.Fatalf("round %d: %d of %d WAIT-acknowledged writes missing after the failover, e.g. %v",
				r, len(lost), len(acked), lost[:min(5, len(lost))])
		}
		t.Logf("round %d: %s killed, cluster ok after %v; all %d WAIT-acknowledged writes present (%d writes during the round so far)",
			r, master.Addr, time.Since(killed).Round(10*time.Millisecond), len(acked), l.ok.Load()-before)
		master.Restart()
		testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error { return healthy(nodes) })
	}
	acked := l.stop()
	testutil.True(t, len(acked) > 0, "no write was acknowledged by WAIT 1")
	lost, err := missing(cc, acked)
	testutil.NoErr(t, err)
	if len(lost) > 0 {
		t.Fatalf("%d of %d WAIT-acknowledged writes missing at the end, e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
	refusals := 0
	for _, n := range shard {
		b, _ := os.ReadFile(n.Log)
		refusals += strings.Count(string(b), "my master acknowledged to WAIT")
	}
	t.Logf("%d writes, %d WAIT-acknowledged, none lost; %d write errors; %d election refusals logged by the shard",
		l.ok.Load(), len(acked), l.errs.Load(), refusals)

	// The Redis replica of a Shoal master got the extension, skipped it,
	// and replicates on.
	b, err := os.ReadFile(redisReplica.Log)
	testutil.NoErr(t, err)
	testutil.True(t, strings.Contains(string(b), "Received unknown extension type 21313"),
		"the Redis replica never received the WAIT-acked extension")
	sameDigest(t, redisReplica, redisMaster)
}

// shardMaster returns the member of shard that is a master with slots.
func shardMaster(t *testing.T, nodes, shard []*testutil.Node) *testutil.Node {
	t.Helper()
	var m *testutil.Node
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		for _, n := range shard {
			if view, err := roles(n.Addr); err == nil && view[n.Addr].isMaster() && view[n.Addr].slots > 0 {
				m = n
				return nil
			}
		}
		return errorf("no master in the shard")
	})
	return m
}
