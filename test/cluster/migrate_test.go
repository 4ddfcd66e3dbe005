package cluster_test

import (
	"os"
	"strconv"
	"testing"
	"time"

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
