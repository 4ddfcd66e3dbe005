package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// EnvMigrateBig runs the resharding tests at the full size (100k
// keys in the 1000 slots moved) instead of the always-on 20k.
const EnvMigrateBig = "SHOAL_MIGRATE_BIG"

// Bounds of the key-moving tests.
const (
	moveTimeout = 4 * time.Minute  // one redis-cli reshard/rebalance/import/fix run
	opTimeout   = 10 * time.Second // one client command (it may wait for a MIGRATE)
)

// createMasters joins nodes as masters only with `redis-cli --cluster
// create --cluster-replicas 0` and waits until they agree.
func createMasters(t *testing.T, nodes ...*testutil.Node) {
	t.Helper()
	out, _ := create(t, 0, nodes...)
	requireClean(t, "create", out)
	waitAgreed(t, nodes)
}

// cliLong runs redis-cli --cluster for a key-moving subcommand and fails
// the test unless it exits 0 without an [ERR] line.
func cliLong(t *testing.T, args ...string) string {
	t.Helper()
	out, err := cli(t, moveTimeout, args...)
	if err != nil || strings.Contains(out, "[ERR]") {
		t.Fatalf("redis-cli %q: %v\n%s", args, err, tail(out, 60))
	}
	return out
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// requireCheck runs --cluster check through every node: clean, with no
// open slot.
func requireCheck(t *testing.T, nodes ...*testutil.Node) {
	t.Helper()
	for _, n := range nodes {
		out := mustCLI(t, "--cluster", "check", n.Addr)
		requireClean(t, "check via "+n.Addr, out)
		if strings.Contains(out, "[WARNING]") {
			t.Fatalf("check via %s reports open slots:\n%s", n.Addr, out)
		}
	}
}

// clusterClient is a go-redis cluster client on nodes, closed in Cleanup.
func clusterClient(t *testing.T, nodes ...*testutil.Node) *redis.ClusterClient {
	t.Helper()
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Addr)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        addrs,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  opTimeout,
		WriteTimeout: opTimeout,
		MaxRedirects: 8,
	})
	t.Cleanup(func() { cc.Close() })
	return cc
}

// keysInSlots returns n key names whose slots lie in [lo, hi], spread
// over the range.
func keysInSlots(prefix string, n, lo, hi int) []string {
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		k := prefix + strconv.Itoa(i)
		if s := slot.OfString(k); s >= lo && s <= hi {
			out = append(out, k)
		}
	}
	return out
}

// dataset is a set of keys of every type with what each must hold. Each
// key belongs to one writer (index % writers), so its expected value is
// known at every moment.
type dataset struct {
	keys []string
	// kind: 's' string, 'l' list, 'h' hash, 'z' zset, 'S' set, 't'
	// string with a TTL (never written after population).
	kind []byte
	// str is a string key's last written value; n the collection's size.
	str []string
	n   []int64
}

func kindOf(i int) byte {
	switch {
	case i%50 == 1:
		return 'l'
	case i%50 == 2:
		return 'h'
	case i%50 == 3:
		return 'z'
	case i%50 == 4:
		return 'S'
	case i%20 == 5:
		return 't'
	}
	return 's'
}

// populate writes every key through cc in pipelines and returns the dataset.
func populate(t *testing.T, cc *redis.ClusterClient, keys []string) *dataset {
	t.Helper()
	d := &dataset{keys: keys, kind: make([]byte, len(keys)), str: make([]string, len(keys)), n: make([]int64, len(keys))}
	ctx := context.Background()
	const batch = 1000
	for lo := 0; lo < len(keys); lo += batch {
		hi := min(lo+batch, len(keys))
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < hi; i++ {
				k := keys[i]
				d.kind[i] = kindOf(i)
				switch d.kind[i] {
				case 's':
					d.str[i] = "v0-" + k
					p.Set(ctx, k, d.str[i], 0)
				case 't':
					d.str[i] = "ttl-" + k
					p.Set(ctx, k, d.str[i], time.Hour)
				case 'l':
					p.RPush(ctx, k, "a", "b", 1, 2, 3)
					d.n[i] = 5
				case 'h':
					p.HSet(ctx, k, "f1", "v1", "f2", 2)
					d.n[i] = 2
				case 'z':
					p.ZAdd(ctx, k, redis.Z{Score: 1.5, Member: "m1"}, redis.Z{Score: -2, Member: "m2"})
					d.n[i] = 2
				case 'S':
					p.SAdd(ctx, k, 1, 2, "x")
					d.n[i] = 3
				}
			}
			return nil
		})
		testutil.NoErr(t, err)
	}
	return d
}

// load is a running client workload on a dataset: writers change their
// own keys and read them back, and every error or wrong value is kept.
type load struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	ops    atomic.Int64
	mu     sync.Mutex
	errs   []string
	nerrs  int
	maxOps int64
}

// startLoad runs writers goroutines on d through cc until stopLoad or
// maxOps operations in all.
func startLoad(cc *redis.ClusterClient, d *dataset, writers int, maxOps int64) *load {
	l := &load{stop: make(chan struct{}), maxOps: maxOps}
	for w := 0; w < writers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 42))
			ctx := context.Background()
			ver := 0
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				if l.ops.Add(1) > l.maxOps {
					return
				}
				i := rnd.IntN(len(d.keys)/writers)*writers + w
				if i >= len(d.keys) {
					continue
				}
				ver++
				if err := l.step(ctx, cc, d, i, ver); err != nil {
					l.fail(err)
				}
			}
		}()
	}
	return l
}

func (l *load) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nerrs++
	if len(l.errs) < 10 {
		l.errs = append(l.errs, err.Error())
	}
}

// step changes key i and reads it back.
func (l *load) step(ctx context.Context, cc *redis.ClusterClient, d *dataset, i, ver int) error {
	k := d.keys[i]
	switch d.kind[i] {
	case 's':
		v := fmt.Sprintf("v%d-%s", ver, k)
		if err := cc.Set(ctx, k, v, 0).Err(); err != nil {
			return fmt.Errorf("SET %s: %w", k, err)
		}
		d.str[i] = v
		got, err := cc.Get(ctx, k).Result()
		if err != nil || got != v {
			return fmt.Errorf("GET %s after SET %q: %q %v", k, v, got, err)
		}
	case 't':
		got, err := cc.Get(ctx, k).Result()
		if err != nil || got != d.str[i] {
			return fmt.Errorf("GET %s: %q %v, want %q", k, got, err, d.str[i])
		}
	case 'l':
		n, err := cc.RPush(ctx, k, ver).Result()
		if err != nil || n != d.n[i]+1 {
			return fmt.Errorf("RPUSH %s: %d %v, want %d", k, n, err, d.n[i]+1)
		}
		d.n[i] = n
	case 'h':
		n, err := cc.HSet(ctx, k, "w"+strconv.Itoa(ver), ver).Result()
		if err != nil || n != 1 {
			return fmt.Errorf("HSET %s: %d %v", k, n, err)
		}
		d.n[i]++
	case 'z':
		n, err := cc.ZAdd(ctx, k, redis.Z{Score: float64(ver), Member: "w" + strconv.Itoa(ver)}).Result()
		if err != nil || n != 1 {
			return fmt.Errorf("ZADD %s: %d %v", k, n, err)
		}
		d.n[i]++
	case 'S':
		n, err := cc.SAdd(ctx, k, "w"+strconv.Itoa(ver)).Result()
		if err != nil || n != 1 {
			return fmt.Errorf("SADD %s: %d %v", k, n, err)
		}
		d.n[i]++
	}
	return nil
}

// stopLoad stops the writers and fails the test on any client error.
func (l *load) stopLoad(t *testing.T) int64 {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if l.nerrs > 0 {
		t.Fatalf("%d client errors during the move, first ones:\n%s", l.nerrs, strings.Join(l.errs, "\n"))
	}
	return min(l.ops.Load(), l.maxOps)
}

// verify reads every key through cc and fails the test on a lost key, a
// wrong value or size, or a lost TTL.
func (d *dataset) verify(t *testing.T, cc *redis.ClusterClient) {
	t.Helper()
	ctx := context.Background()
	const batch = 1000
	bad := 0
	var first []string
	for lo := 0; lo < len(d.keys); lo += batch {
		hi := min(lo+batch, len(d.keys))
		cmds := make([]redis.Cmder, 0, 2*(hi-lo))
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < hi; i++ {
				k := d.keys[i]
				switch d.kind[i] {
				case 's':
					cmds = append(cmds, p.Get(ctx, k))
				case 't':
					cmds = append(cmds, p.Get(ctx, k), p.PTTL(ctx, k))
				case 'l':
					cmds = append(cmds, p.LLen(ctx, k))
				case 'h':
					cmds = append(cmds, p.HLen(ctx, k))
				case 'z':
					cmds = append(cmds, p.ZCard(ctx, k))
				case 'S':
					cmds = append(cmds, p.SCard(ctx, k))
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("verify: %v", err)
		}
		j := 0
		for i := lo; i < hi; i++ {
			var msg string
			switch d.kind[i] {
			case 's', 't':
				got, err := cmds[j].(*redis.StringCmd).Result()
				j++
				if err != nil || got != d.str[i] {
					msg = fmt.Sprintf("%s = %q %v, want %q", d.keys[i], got, err, d.str[i])
				}
				if d.kind[i] == 't' {
					ttl, err := cmds[j].(*redis.DurationCmd).Result()
					j++
					if msg == "" && (err != nil || ttl <= 0 || ttl > time.Hour) {
						msg = fmt.Sprintf("%s lost its TTL: %v %v", d.keys[i], ttl, err)
					}
				}
			default:
				got, err := cmds[j].(*redis.IntCmd).Result()
				j++
				if err != nil || got != d.n[i] {
					msg = fmt.Sprintf("%s (%c) has %d elements %v, want %d", d.keys[i], d.kind[i], got, err, d.n[i])
				}
			}
			if msg != "" {
				bad++
				if len(first) < 10 {
					first = append(first, msg)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d keys wrong after the move:\n%s", bad, len(d.keys), strings.Join(first, "\n"))
	}
}

// totalKeys is the sum of DBSIZE over nodes: a key left behind on its old
// node as well as on its new one would count twice.
func totalKeys(t *testing.T, nodes ...*testutil.Node) int {
	t.Helper()
	sum := 0
	for _, n := range nodes {
		c := n.Dial(t)
		r := c.MustDo(t, "DBSIZE")
		sum += int(r.Int)
	}
	return sum
}

// slotCounts maps each master's address to how many slots it serves, as
// nodes[0] sees it.
func slotCounts(t *testing.T, nodes ...*testutil.Node) map[string]int {
	t.Helper()
	view, err := clusterNodes(nodes[0].Addr)
	testutil.NoErr(t, err)
	out := map[string]int{}
	for _, l := range view {
		addr, _, _ := strings.Cut(l.addr, "@")
		n := 0
		for _, r := range l.slots {
			if strings.HasPrefix(r, "[") {
				continue
			}
			a, b, found := strings.Cut(r, "-")
			lo, _ := strconv.Atoi(a)
			hi := lo
			if found {
				hi, _ = strconv.Atoi(b)
			}
			n += hi - lo + 1
		}
		out[addr] = n
	}
	return out
}

func bigRun() bool { return os.Getenv(EnvMigrateBig) != "" }
