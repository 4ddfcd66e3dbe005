package cluster_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// Ports of the key-moving tests: 21100-21149 (bus: +10000), five per test.
const (
	portsReshardShoal = 21100
	portsReshardMixed = 21105
	portsRebalance    = 21110
	portsAddDel       = 21115
	portsImport       = 21120
	portsFix          = 21125
)

// EnvMigrateRedis runs the key-moving tests with redis-server in place of
// every shoal node, to validate the tests themselves.
const EnvMigrateRedis = "SHOAL_MIGRATE_REDIS"

// kinds maps node kinds, turning shoal into redis under EnvMigrateRedis.
func kinds(ks ...string) []string {
	if os.Getenv(EnvMigrateRedis) != "" {
		for i := range ks {
			ks[i] = "redis"
		}
	}
	return ks
}

// movedSlots is how many slots each reshard moves: slots 0-999, the first
// ones of the first master (redis-cli takes a source's lowest slots).
const movedSlots = 1000

// reshard moves movedSlots slots from one node to another with the real
// redis-cli, pipelining 100 keys per MIGRATE, and returns how long it took.
func reshard(t *testing.T, via, from, to *testutil.Node, slots int) time.Duration {
	t.Helper()
	start := time.Now()
	cliLong(t, "--cluster", "reshard", via.Addr,
		"--cluster-from", myID(t, from), "--cluster-to", myID(t, to),
		"--cluster-slots", strconv.Itoa(slots), "--cluster-yes", "--cluster-pipeline", "100")
	return time.Since(start)
}

// keysPerRun is the number of keys in the moved slots.
func keysPerRun() int {
	if bigRun() {
		return 100_000
	}
	return 20_000
}

// runReshardUnderLoad: keys of every type in slots 0-999 of the first
// master, a go-redis ClusterClient writing and reading them, and each hop
// of path moves the slots with `redis-cli --cluster reshard`. Afterwards:
// no client error, every key holds its last value (TTLs kept), no key is
// left behind on a node it left, and --cluster check is clean.
func runReshardUnderLoad(t *testing.T, nodes []*testutil.Node, path ...*testutil.Node) {
	createMasters(t, nodes...)
	cc := clusterClient(t, nodes...)
	d := populate(t, cc, keysInSlots("key:", keysPerRun(), 0, movedSlots-1))
	if got := totalKeys(t, nodes...); got != len(d.keys) {
		t.Fatalf("%d keys stored, want %d", got, len(d.keys))
	}
	l := startLoad(cc, d, 4, 2_000_000)
	for i := 0; i+1 < len(path); i++ {
		took := reshard(t, nodes[0], path[i], path[i+1], movedSlots)
		t.Logf("reshard %s -> %s: %d keys in %v (%.0f keys/s), %d client ops so far",
			path[i].Addr, path[i+1].Addr, len(d.keys), took.Round(time.Millisecond),
			float64(len(d.keys))/took.Seconds(), l.ops.Load())
	}
	ops := l.stopLoad(t)
	t.Logf("%d client operations during the moves, none failed", ops)
	waitAgreed(t, nodes)
	requireCheck(t, nodes...)
	d.verify(t, cc)
	if got := totalKeys(t, nodes...); got != len(d.keys) {
		t.Fatalf("%d keys stored after the move, want %d", got, len(d.keys))
	}
	last := path[len(path)-1]
	if got := slotCounts(t, nodes...)[last.Addr]; got < movedSlots {
		t.Fatalf("%s serves %d slots, want at least %d", last.Addr, got, movedSlots)
	}
}

// TestReshardShoalUnderLoad: a 3-master Shoal cluster, 1000 slots moved
// from one Shoal node to another while a client writes and reads.
func TestReshardShoalUnderLoad(t *testing.T) {
	nodes := startNodes(t, portsReshardShoal, 5000, kinds(repeat("shoal", 3)...)...)
	runReshardUnderLoad(t, nodes, nodes[0], nodes[1])
}

// TestReshardMixedUnderLoad: shoal, redis, shoal masters; the same keys
// move Shoal → Redis, then Redis → Shoal, under load.
func TestReshardMixedUnderLoad(t *testing.T) {
	nodes := startNodes(t, portsReshardMixed, 5000, kinds("shoal", "redis", "shoal")...)
	runReshardUnderLoad(t, nodes, nodes[0], nodes[1], nodes[2])
}

// spreadKeys returns n keys over every slot.
func spreadKeys(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// TestRebalanceWeighted: shoal, redis, shoal masters holding keys;
// `--cluster rebalance --cluster-weight first=2` under load gives the first
// half the slots, the others a quarter each; nothing is lost.
func TestRebalanceWeighted(t *testing.T) {
	nodes := startNodes(t, portsRebalance, 5000, kinds("shoal", "redis", "shoal")...)
	createMasters(t, nodes...)
	cc := clusterClient(t, nodes...)
	d := populate(t, cc, spreadKeys("rb:", 6000))
	l := startLoad(cc, d, 2, 500_000)
	out := cliLong(t, "--cluster", "rebalance", nodes[0].Addr, "--cluster-weight", myID(t, nodes[0])+"=2",
		"--cluster-pipeline", "100")
	l.stopLoad(t)
	waitAgreed(t, nodes)
	requireCheck(t, nodes...)
	counts := slotCounts(t, nodes...)
	// redis-cli stops within its 2% threshold of the target.
	if c := counts[nodes[0].Addr]; c < 8192-200 || c > 8192+200 {
		t.Fatalf("weight-2 node serves %d slots, want about 8192: %v\n%s", c, counts, tail(out, 20))
	}
	for _, n := range nodes[1:] {
		if c := counts[n.Addr]; c < 4096-200 || c > 4096+200 {
			t.Fatalf("%s serves %d slots, want about 4096: %v", n.Addr, c, counts)
		}
	}
	d.verify(t, cc)
	if got := totalKeys(t, nodes...); got != len(d.keys) {
		t.Fatalf("%d keys stored, want %d", got, len(d.keys))
	}
}

// TestAddRebalanceDelNode: an empty shoal master joins a shoal, redis,
// shoal cluster with `--cluster add-node`, gets its share with `rebalance
// --cluster-use-empty-masters`, is emptied again with weight 0 and leaves
// with `--cluster del-node`; the keys survive every step under load.
func TestAddRebalanceDelNode(t *testing.T) {
	nodes := startNodes(t, portsAddDel, 5000, kinds("shoal", "redis", "shoal", "shoal")...)
	olds, added := nodes[:3], nodes[3]
	createMasters(t, olds...)
	cc := clusterClient(t, olds...)
	d := populate(t, cc, spreadKeys("ad:", 6000))
	l := startLoad(cc, d, 2, 1_000_000)

	cliLong(t, "--cluster", "add-node", added.Addr, olds[0].Addr)
	waitAgreed(t, nodes)
	cliLong(t, "--cluster", "rebalance", olds[0].Addr, "--cluster-use-empty-masters", "--cluster-pipeline", "100")
	waitAgreed(t, nodes)
	if c := slotCounts(t, nodes...)[added.Addr]; c < 4096-200 {
		t.Fatalf("the added node serves %d slots after rebalance, want about 4096", c)
	}
	requireCheck(t, nodes...)
	if n := totalKeys(t, added); n == 0 {
		t.Fatal("the added node received no keys")
	}

	addedID := myID(t, added)
	cliLong(t, "--cluster", "rebalance", olds[0].Addr, "--cluster-weight", addedID+"=0", "--cluster-pipeline", "100")
	waitAgreed(t, nodes)
	if c := slotCounts(t, nodes...)[added.Addr]; c != 0 {
		t.Fatalf("the emptied node still serves %d slots", c)
	}
	cliLong(t, "--cluster", "del-node", olds[0].Addr, addedID)
	l.stopLoad(t)
	waitAgreed(t, olds)
	requireCheck(t, olds...)
	// A fresh client: the load's may still route a slot to the deleted
	// node, which after del-node's CLUSTER RESET answers CLUSTERDOWN (as
	// Redis's does) rather than MOVED, and go-redis does not reload its
	// map on CLUSTERDOWN.
	d.verify(t, clusterClient(t, olds...))
	if got := totalKeys(t, olds...); got != len(d.keys) {
		t.Fatalf("%d keys stored, want %d", got, len(d.keys))
	}
}

// fillStandalone writes n string keys "prefix<i>" = "val<i>" and a few
// collections into a standalone node, and returns the string keys.
func fillStandalone(t *testing.T, n *testutil.Node, prefix string, count int) []string {
	t.Helper()
	c := n.Dial(t)
	var keys []string
	for i := 0; i < count; i += 500 {
		args := []string{"MSET"}
		for j := i; j < min(i+500, count); j++ {
			k := prefix + strconv.Itoa(j)
			keys = append(keys, k)
			args = append(args, k, "val"+strconv.Itoa(j))
		}
		c.MustDo(t, args...)
	}
	c.MustDo(t, "RPUSH", prefix+"list", "a", "b", "c")
	c.MustDo(t, "HSET", prefix+"hash", "f", "v")
	c.MustDo(t, "SET", prefix+"ttl", "v", "EX", "3600")
	return keys
}

// requireImported checks, through the cluster, every key fillStandalone wrote.
func requireImported(t *testing.T, cc *redis.ClusterClient, prefix string, keys []string) {
	t.Helper()
	ctx := context.Background()
	for i, k := range keys {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != "val"+strconv.Itoa(i) {
			t.Fatalf("%s = %q %v after import", k, v, err)
		}
	}
	if n, err := cc.LLen(ctx, prefix+"list").Result(); err != nil || n != 3 {
		t.Fatalf("%slist: %d %v", prefix, n, err)
	}
	if v, err := cc.HGet(ctx, prefix+"hash", "f").Result(); err != nil || v != "v" {
		t.Fatalf("%shash: %q %v", prefix, v, err)
	}
	if ttl, err := cc.TTL(ctx, prefix+"ttl").Result(); err != nil || ttl <= 0 {
		t.Fatalf("%sttl lost its TTL: %v %v", prefix, ttl, err)
	}
}

// TestImport: `--cluster import` from a standalone redis-server (with
// --cluster-copy: the source keeps its keys) and from a standalone
// shoal-server (moved: the source ends empty) into a shoal, redis, shoal
// cluster; a key already in the cluster stops the import unless
// --cluster-replace is given.
func TestImport(t *testing.T) {
	nodes := startNodes(t, portsImport, 5000, kinds("shoal", "redis", "shoal")...)
	createMasters(t, nodes...)
	cc := clusterClient(t, nodes...)
	ctx := context.Background()

	fromRedis := testutil.StartRedis(t)
	rkeys := fillStandalone(t, fromRedis, "r:", 3000)
	cliLong(t, "--cluster", "import", nodes[0].Addr, "--cluster-from", fromRedis.Addr, "--cluster-copy")
	requireImported(t, cc, "r:", rkeys)
	if n := totalKeys(t, fromRedis); n != len(rkeys)+3 {
		t.Fatalf("the --cluster-copy source holds %d keys, want %d", n, len(rkeys)+3)
	}

	var fromShoal *testutil.Node
	if os.Getenv(EnvMigrateRedis) != "" {
		fromShoal = testutil.StartRedis(t)
	} else {
		fromShoal = testutil.StartShoal(t)
	}
	skeys := fillStandalone(t, fromShoal, "s:", 3000)
	cliLong(t, "--cluster", "import", nodes[0].Addr, "--cluster-from", fromShoal.Addr)
	requireImported(t, cc, "s:", skeys)
	if n := totalKeys(t, fromShoal); n != 0 {
		t.Fatalf("the source holds %d keys after a moving import, want 0", n)
	}

	// A key the cluster already has.
	testutil.NoErr(t, cc.Set(ctx, "dup", "in-cluster", 0).Err())
	fromShoal.Dial(t).MustDo(t, "SET", "dup", "from-source")
	out, err := cli(t, moveTimeout, "--cluster", "import", nodes[0].Addr, "--cluster-from", fromShoal.Addr, "--cluster-copy")
	if err == nil || !strings.Contains(out, "BUSYKEY") {
		t.Fatalf("import onto an existing key: %v\n%s", err, tail(out, 10))
	}
	if v, _ := cc.Get(ctx, "dup").Result(); v != "in-cluster" {
		t.Fatalf("dup = %q after a refused import", v)
	}
	cliLong(t, "--cluster", "import", nodes[0].Addr, "--cluster-from", fromShoal.Addr, "--cluster-copy", "--cluster-replace")
	if v, _ := cc.Get(ctx, "dup").Result(); v != "from-source" {
		t.Fatalf("dup = %q after --cluster-replace, want from-source", v)
	}
	requireCheck(t, nodes...)
}

// TestFixOpenSlots: two slots left half-moved by hand — slot A, MIGRATING
// on its owner and IMPORTING on the target with half its keys already
// MIGRATEd; slot B, MIGRATING on its owner only — are closed by
// `--cluster fix`: the check is clean and every key holds its value.
func TestFixOpenSlots(t *testing.T) {
	nodes := startNodes(t, portsFix, 5000, kinds("shoal", "shoal", "redis")...)
	createMasters(t, nodes...)
	cc := clusterClient(t, nodes...)
	ctx := context.Background()
	owner, target := nodes[0], nodes[1]
	ownerID, targetID := myID(t, owner), myID(t, target)
	slotA, slotB := 100, 200 // both owned by the first master
	keysA := keysInSlots("fa:", 40, slotA, slotA)
	keysB := keysInSlots("fb:", 40, slotB, slotB)
	for _, k := range append(append([]string{}, keysA...), keysB...) {
		testutil.NoErr(t, cc.Set(ctx, k, "v-"+k, 0).Err())
	}

	oc, tc := owner.Dial(t), target.Dial(t)
	sa := strconv.Itoa(slotA)
	for _, r := range []resp.Value{
		tc.MustDo(t, "CLUSTER", "SETSLOT", sa, "IMPORTING", ownerID),
		oc.MustDo(t, "CLUSTER", "SETSLOT", sa, "MIGRATING", targetID),
		oc.MustDo(t, "CLUSTER", "SETSLOT", strconv.Itoa(slotB), "MIGRATING", targetID),
	} {
		if r.IsError() {
			t.Fatalf("SETSLOT: %s", r)
		}
	}
	args := []string{"MIGRATE", "127.0.0.1", strconv.Itoa(target.Port), "", "0", "5000", "KEYS"}
	if r := oc.MustDo(t, append(args, keysA[:20]...)...); string(r.Str) != "OK" {
		t.Fatalf("MIGRATE by hand: %s", r)
	}
	// While the slot is open, the moved keys are served through ASK.
	for _, k := range keysA {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != "v-"+k {
			t.Fatalf("during the migration %s = %q %v", k, v, err)
		}
	}

	cliLong(t, "--cluster", "fix", owner.Addr, "--cluster-yes")
	waitAgreed(t, nodes)
	requireCheck(t, nodes...)
	for _, k := range append(append([]string{}, keysA...), keysB...) {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != "v-"+k {
			t.Fatalf("after fix %s = %q %v", k, v, err)
		}
	}
	if got := totalKeys(t, nodes...); got != len(keysA)+len(keysB) {
		t.Fatalf("%d keys stored after fix, want %d", got, len(keysA)+len(keysB))
	}
}
