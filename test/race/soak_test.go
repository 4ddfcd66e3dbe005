package race_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestRaceSoak drives a shoal-server built with -race through mixed traffic
// at once, then a 3-node Shoal cluster built with -race, and fails on any
// "WARNING: DATA RACE" in a server's log, on a server that dies or stops
// answering, or on a worker that made no progress at all (a hang).
//
// Run length: SHOAL_SOAK (a Go duration, default 12s) of standalone
// traffic, then half of it in cluster mode: about 1½ minutes with start-up
// and the race build on 2 cores. The same soak against the normal build,
// longer, is the stability check:
//
//	SHOAL_SOAK=10m SHOAL_SOAK_NORACE=1 go test -run TestRaceSoak -timeout 30m ./test/race
//
// Traffic mix, standalone, all running at the same time:
//   - 3 workers sending pipelines of 16 random commands over every type
//     (strings, bits, lists, hashes, sets, sorted sets, HyperLogLog, geo,
//     expiry, keyspace commands, SORT, SCAN), in databases 0 and 1;
//   - blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//     BZPOPMAX, BZMPOP) with short timeouts, woken by a pusher or timed
//     out; clients that send BLPOP … 0 and hang up a few ms later; clients
//     blocked forever and released by CLIENT UNBLOCK (TIMEOUT or ERROR);
//   - WATCH/MULTI/EXEC increments of shared counters, retried on conflict;
//   - pub/sub: subscribers (SUBSCRIBE and PSUBSCRIBE) that come, read a
//     few messages and go, while a publisher publishes;
//   - CONFIG SET, in a loop, of every runtime-settable encoding and limit
//     directive (soakDirectives);
//   - an admin worker: CLIENT KILL (by id, and TYPE pubsub), CLIENT PAUSE,
//     FLUSHALL (sync and ASYNC), FLUSHDB, SWAPDB, INFO, CLIENT LIST,
//     DBSIZE, and MONITOR sessions that come and go.
//
// Cluster mode (free ports, bus ports set with cluster-port, created by the
// real redis-cli --cluster create): pipelined typed traffic and blocking pops
// on hash-tagged keys, WATCH/MULTI/EXEC, PUBLISH across the bus with
// subscribers on every node, CONFIG SET on every node, empty slots moved
// between nodes with CLUSTER SETSLOT IMPORTING/MIGRATING/NODE (epoch bumps,
// UPDATE messages), and the third node killed with SIGKILL and restarted.
func TestRaceSoak(t *testing.T) {
	redis.SetLogger(quietLogger{}) // dial errors while a node is down are expected
	d := 12 * time.Second
	if v := os.Getenv("SHOAL_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("SHOAL_SOAK=%q: %v", v, err)
		}
	}
	start := testutil.StartShoalRace
	if os.Getenv("SHOAL_SOAK_NORACE") != "" {
		start = testutil.StartShoal
	}
	t.Run("standalone", func(t *testing.T) { soakStandalone(t, start, d) })
	t.Run("cluster", func(t *testing.T) { soakCluster(t, start, d/2) })
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// soakDirectives are the runtime-settable encoding and limit directives
// the soak sets in a loop, each with the values it cycles through (all
// large enough for the soak's own traffic).
var soakDirectives = [][]string{
	{"hash-max-listpack-entries", "0", "4", "128", "512"},
	{"hash-max-listpack-value", "0", "8", "64"},
	{"set-max-intset-entries", "0", "4", "512"},
	{"zset-max-listpack-entries", "0", "4", "128"},
	{"zset-max-listpack-value", "0", "8", "64"},
	{"list-max-listpack-size", "-2", "4", "-1"},
	{"list-compress-depth", "0", "1"},
	{"hll-sparse-max-bytes", "0", "3000"},
	{"stream-node-max-entries", "10", "100"},
	{"stream-node-max-bytes", "1024", "4096"},
	{"proto-max-bulk-len", "1048576", "536870912"},
	{"client-query-buffer-limit", "1048576", "1073741824"},
	{"maxclients", "1000", "10000"},
	{"timeout", "0", "300"},
	{"maxmemory", "0", "8gb"},
	{"maxmemory-policy", "noeviction", "allkeys-lfu", "volatile-lru"},
	{"loglevel", "notice", "warning", "verbose"},
	{"active-expire-effort", "1", "10"},
	{"lfu-log-factor", "10", "1"},
	{"lfu-decay-time", "1", "0"},
	{"slowlog-log-slower-than", "10000", "0"},
	{"latency-monitor-threshold", "0", "100"},
	{"notify-keyspace-events", "", "KEA"},
	{"client-output-buffer-limit", "pubsub 32mb 8mb 60", "pubsub 64mb 16mb 30"},
}

// soak runs workers until stop and counts what they got done.
type soak struct {
	t    *testing.T
	stop chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	count map[string]*atomic.Int64
}

func newSoak(t *testing.T) *soak {
	return &soak{t: t, stop: make(chan struct{}), count: map[string]*atomic.Int64{}}
}

// goWorker runs fn(r, ok) in a loop until the soak stops; fn calls ok()
// for each thing that worked, counted under name.
func (s *soak) goWorker(name string, seed uint64, fn func(r *rand.Rand, ok func())) {
	s.mu.Lock()
	c := s.count[name]
	if c == nil {
		c = new(atomic.Int64)
		s.count[name] = c
	}
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		r := rand.New(rand.NewPCG(seed, 18))
		ok := func() { c.Add(1) }
		for !s.stopped() {
			fn(r, ok)
		}
	}()
}

func (s *soak) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// sleep waits d or until the soak stops.
func (s *soak) sleep(d time.Duration) {
	select {
	case <-s.stop:
	case <-time.After(d):
	}
}

// run lets the workers go for d, stops them (bounded wait) and fails the
// test if one made no progress.
func (s *soak) run(d time.Duration) {
	s.t.Helper()
	time.Sleep(d)
	close(s.stop)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		s.t.Fatal("workers did not stop within 60s after the soak ended (a hung command?)")
	}
	var report []string
	for name, c := range s.count {
		report = append(report, fmt.Sprintf("%s=%d", name, c.Load()))
		if c.Load() == 0 {
			s.t.Errorf("worker %s made no progress", name)
		}
	}
	s.t.Logf("done: %s", strings.Join(report, " "))
}

func soakClient(addr string, db int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, DB: db, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, PoolSize: 4, MaxRetries: 2, DisableIdentity: true,
	})
}

// typedCommand returns a random command over key (of a type picked at
// random too), touching every type and the keyspace commands.
func typedCommand(r *rand.Rand, key func(string) string) []any {
	n := strconv.Itoa(r.IntN(100))
	long := strings.Repeat("x", r.IntN(100))
	switch r.IntN(49) {
	case 0:
		return []any{"SET", key("s"), n + long}
	case 1:
		return []any{"GET", key("s")}
	case 2:
		return []any{"INCRBY", key("n"), n}
	case 3:
		return []any{"APPEND", key("s"), long}
	case 4:
		return []any{"SETRANGE", key("s"), n, "abc"}
	case 5:
		return []any{"MSET", key("s"), n, key("n"), n}
	case 6:
		return []any{"SETBIT", key("b"), strconv.Itoa(r.IntN(4096)), "1"}
	case 7:
		return []any{"BITCOUNT", key("b")}
	case 8:
		return []any{"LPUSH", key("l"), n, long}
	case 9:
		return []any{"RPOP", key("l")}
	case 10:
		return []any{"LRANGE", key("l"), "0", "-1"}
	case 11:
		return []any{"LMOVE", key("l"), key("l"), "LEFT", "RIGHT"}
	case 12:
		return []any{"LTRIM", key("l"), "0", "20"}
	case 13:
		return []any{"HSET", key("h"), "f" + n, long, "g" + n, n}
	case 14:
		return []any{"HGETALL", key("h")}
	case 15:
		return []any{"HINCRBY", key("h"), "c", "1"}
	case 16:
		return []any{"HDEL", key("h"), "f" + n}
	case 17:
		return []any{"SADD", key("t"), n, "m" + n}
	case 18:
		return []any{"SREM", key("t"), n}
	case 19:
		return []any{"SMEMBERS", key("t")}
	case 20:
		return []any{"SINTERSTORE", key("t2"), key("t"), key("t")}
	case 21:
		return []any{"SUNIONSTORE", key("t2"), key("t"), key("t2")}
	case 22:
		return []any{"ZADD", key("z"), n, "m" + n + long}
	case 23:
		return []any{"ZINCRBY", key("z"), "1", "m" + n}
	case 24:
		return []any{"ZRANGE", key("z"), "0", "-1", "WITHSCORES"}
	case 25:
		return []any{"ZPOPMIN", key("z"), "2"}
	case 26:
		return []any{"ZUNIONSTORE", key("z2"), "2", key("z"), key("z2")}
	case 27:
		return []any{"ZRANGESTORE", key("z2"), key("z"), "0", "5"}
	case 28:
		return []any{"EXPIRE", key("s"), "1"}
	case 29:
		return []any{"PEXPIRE", key("l"), strconv.Itoa(1 + r.IntN(50))}
	case 30:
		return []any{"TTL", key("s")}
	case 31:
		return []any{"DEL", key("h")}
	case 32:
		return []any{"EXISTS", key("s"), key("l"), key("z")}
	case 33:
		return []any{"TYPE", key("t")}
	case 34:
		return []any{"OBJECT", "ENCODING", key("z")}
	case 35:
		return []any{"COPY", key("z"), key("z3"), "REPLACE"}
	case 36:
		return []any{"RENAME", key("t2"), key("t3")}
	case 37:
		return []any{"SORT", key("l"), "LIMIT", "0", "5", "ALPHA"}
	case 38:
		return []any{"GETEX", key("s"), "PX", "100"}
	case 39:
		return []any{"PFADD", key("p"), n, long + n, "e" + n}
	case 40:
		return []any{"PFCOUNT", key("p")}
	case 41:
		return []any{"PFMERGE", key("p2"), key("p"), key("p2")}
	case 42:
		return []any{"GEOADD", key("g"), strconv.Itoa(r.IntN(180) - 90), strconv.Itoa(r.IntN(170) - 85), "m" + n}
	case 43:
		return []any{"GEOSEARCH", key("g"), "FROMLONLAT", "0", "0", "BYRADIUS", "5000", "km", "ASC", "COUNT", "5"}
	case 44:
		return []any{"XADD", key("x"), "MAXLEN", "~", "50", "*", "f" + n, long}
	case 45:
		return []any{"XRANGE", key("x"), "-", "+", "COUNT", "10"}
	case 46:
		return []any{"XTRIM", key("x"), "MAXLEN", n}
	case 47:
		k := key("x")
		return []any{"XREAD", "COUNT", "5", "STREAMS", k, k, "0", "$"}
	}
	return []any{"SCAN", strconv.Itoa(r.IntN(64)), "COUNT", "20"}
}

// blockingCommand is a blocking pop over keys with a short timeout.
func blockingCommand(r *rand.Rand, k1, k2 string) []any {
	to := fmt.Sprintf("0.%02d", 5+r.IntN(20))
	switch r.IntN(8) {
	case 0:
		return []any{"BLPOP", k1, k2, to}
	case 1:
		return []any{"BRPOP", k1, to}
	case 2:
		return []any{"BLMOVE", k1, k2, "LEFT", "RIGHT", to}
	case 3:
		return []any{"BRPOPLPUSH", k1, k2, to}
	case 4:
		return []any{"BLMPOP", to, "2", k1, k2, "LEFT", "COUNT", "2"}
	case 5:
		return []any{"BZPOPMIN", k1 + "z", k2 + "z", to}
	case 6:
		return []any{"BZPOPMAX", k1 + "z", to}
	}
	return []any{"BZMPOP", to, "1", k1 + "z", "MIN"}
}

func soakStandalone(t *testing.T, start func(testing.TB, ...string) *testutil.Node, d time.Duration) {
	n := start(t)
	s := newSoak(t)
	ctx := context.Background()
	var clients []*redis.Client
	client := func(db int) *redis.Client {
		c := soakClient(n.Addr, db)
		clients = append(clients, c)
		return c
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	for w := range 3 {
		c := client(w % 2)
		s.goWorker("typed", uint64(w), func(r *rand.Rand, ok func()) {
			key := func(kind string) string { return kind + ":" + strconv.Itoa(r.IntN(20)) }
			cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for range 16 {
					p.Do(ctx, typedCommand(r, key)...)
				}
				return nil
			})
			for _, c := range cmds {
				if c.Err() == nil {
					ok()
					break
				}
			}
		})
	}
	for w := range 2 {
		c := client(0)
		s.goWorker("blocking", uint64(10+w), func(r *rand.Rand, ok func()) {
			k := "bq:" + strconv.Itoa(r.IntN(3))
			if err := c.Do(ctx, blockingCommand(r, k, "bq:x")...).Err(); err == nil || err == redis.Nil {
				ok()
			}
		})
	}
	pusher := client(0)
	s.goWorker("pusher", 20, func(r *rand.Rand, ok func()) {
		k := "bq:" + strconv.Itoa(r.IntN(3))
		if r.IntN(2) == 0 {
			pusher.Do(ctx, "RPUSH", k, "a", "b")
		} else {
			pusher.Do(ctx, "ZADD", k+"z", "1", "a", "2", "b")
		}
		ok()
		s.sleep(time.Duration(r.IntN(3)) * time.Millisecond)
	})
	s.goWorker("abandon", 21, func(r *rand.Rand, ok func()) {
		c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
		if err != nil {
			return
		}
		if c.Send("BLPOP", "bq:"+strconv.Itoa(r.IntN(3)), "0") == nil {
			ok()
		}
		time.Sleep(time.Duration(r.IntN(5)) * time.Millisecond)
		c.Close()
	})
	unblocker := client(0)
	s.goWorker("unblock", 22, func(r *rand.Rand, ok func()) {
		c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
		if err != nil {
			return
		}
		defer c.Close()
		id, err := c.Do("CLIENT", "ID")
		if err != nil {
			return
		}
		if c.Send("BZPOPMIN", "never:"+strconv.Itoa(r.IntN(3)), "0") != nil {
			return
		}
		reason := []string{"TIMEOUT", "ERROR"}[r.IntN(2)]
		for range 50 {
			if v, _ := unblocker.Do(ctx, "CLIENT", "UNBLOCK", id.Int, reason).Int(); v == 1 {
				break
			}
			s.sleep(2 * time.Millisecond)
		}
		if _, _, err := c.ReadWithin(5 * time.Second); err == nil {
			ok()
		}
	})
	tx := client(0)
	s.goWorker("watch-multi-exec", 23, func(r *rand.Rand, ok func()) {
		k := "ctr:" + strconv.Itoa(r.IntN(2))
		err := tx.Watch(ctx, func(x *redis.Tx) error {
			v, err := x.Get(ctx, k).Int()
			if err != nil && err != redis.Nil {
				return err
			}
			_, err = x.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k, v+1, 0)
				p.HIncrBy(ctx, k+":h", "n", 1)
				return nil
			})
			return err
		}, k)
		if err == nil || err == redis.TxFailedErr {
			ok()
		}
	})
	tx2 := client(0)
	s.goWorker("watch-writer", 24, func(r *rand.Rand, ok func()) {
		if tx2.Incr(ctx, "ctr:"+strconv.Itoa(r.IntN(2))).Err() == nil {
			ok()
		}
		s.sleep(time.Millisecond)
	})
	soakPubSub(s, ctx, []*redis.Client{client(0)}, client(0))
	soakConfig(s, ctx, client(0), 25)
	admin := client(0)
	s.goWorker("admin", 26, func(r *rand.Rand, ok func()) {
		var err error
		switch r.IntN(12) {
		case 0:
			list, _ := admin.ClientList(ctx).Result()
			ids := regexpIDs(list)
			if len(ids) > 0 {
				err = admin.Do(ctx, "CLIENT", "KILL", "ID", ids[r.IntN(len(ids))]).Err()
			}
		case 1:
			err = admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err()
		case 2:
			err = admin.Do(ctx, "CLIENT", "PAUSE", "20", []string{"WRITE", "ALL"}[r.IntN(2)]).Err()
		case 3:
			err = admin.Do(ctx, "FLUSHALL", []string{"SYNC", "ASYNC"}[r.IntN(2)]).Err()
		case 4:
			err = admin.Do(ctx, "FLUSHDB").Err()
		case 5:
			err = admin.Do(ctx, "SWAPDB", "0", "1").Err()
		case 6, 7:
			err = admin.Do(ctx, "INFO", "all").Err()
		case 8:
			err = admin.Do(ctx, "CLIENT", "LIST").Err()
		case 9:
			err = admin.Do(ctx, "DBSIZE").Err()
		default:
			m, derr := testutil.DialTimeout(n.Addr, 5*time.Second)
			if derr != nil {
				return
			}
			m.Send("MONITOR")
			for range 5 {
				if _, _, err = m.ReadWithin(time.Second); err != nil {
					break
				}
			}
			m.Close()
		}
		if err == nil {
			ok()
		}
		s.sleep(time.Duration(50+r.IntN(100)) * time.Millisecond)
	})
	s.run(d)

	// Every waiter is gone once its client is; the server still works.
	c := n.Dial(t)
	testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if got := infoField(t, c, "clients", "blocked_clients"); got != "0" {
			// The clients still there, to tell which wait was left behind.
			return fmt.Errorf("blocked_clients %s after the soak; CLIENT LIST:\n%s", got, c.MustDo(t, "CLIENT", "LIST").Str)
		}
		return nil
	})
	mustStr(t, "SET after the soak", c.MustDo(t, "SET", "after", "soak"), "OK")
	mustStr(t, "GET after the soak", c.MustDo(t, "GET", "after"), "soak")
	requireAlive(t, n)
	requireNoRace(t, n)
}

// regexpIDs returns the id= fields of a CLIENT LIST reply.
func regexpIDs(list string) []string {
	var ids []string
	for _, line := range strings.Split(list, "\n") {
		if strings.HasPrefix(line, "id=") {
			id, _, _ := strings.Cut(line[3:], " ")
			ids = append(ids, id)
		}
	}
	return ids
}

// soakPubSub starts subscribers (one per client in subs) that come and go
// and a publisher on pub.
func soakPubSub(s *soak, ctx context.Context, subs []*redis.Client, pub redis.UniversalClient) {
	for i, sc := range subs {
		s.goWorker("subscriber", uint64(30+i), func(r *rand.Rand, ok func()) {
			var ps *redis.PubSub
			if r.IntN(2) == 0 {
				ps = sc.Subscribe(ctx, "ch:0", "ch:1")
			} else {
				ps = sc.PSubscribe(ctx, "ch:*")
			}
			for range 1 + r.IntN(5) {
				if _, err := ps.ReceiveTimeout(ctx, 200*time.Millisecond); err == nil {
					ok()
				}
			}
			ps.Unsubscribe(ctx)
			ps.Close()
		})
	}
	s.goWorker("publisher", 39, func(r *rand.Rand, ok func()) {
		if pub.Publish(ctx, "ch:"+strconv.Itoa(r.IntN(3)), strings.Repeat("m", r.IntN(200))).Err() == nil {
			ok()
		}
		s.sleep(time.Millisecond)
	})
}

// soakConfig sets soakDirectives in a loop on c.
func soakConfig(s *soak, ctx context.Context, c *redis.Client, seed uint64) {
	s.goWorker("config-set", seed, func(r *rand.Rand, ok func()) {
		d := soakDirectives[r.IntN(len(soakDirectives))]
		if err := c.ConfigSet(ctx, d[0], d[1+r.IntN(len(d)-1)]).Err(); err == nil {
			ok()
		} else if !strings.Contains(err.Error(), "connection") && !strings.Contains(err.Error(), "EOF") {
			s.t.Errorf("CONFIG SET %s: %v", d[0], err)
		}
		s.sleep(time.Millisecond)
	})
}

func soakCluster(t *testing.T, start func(testing.TB, ...string) *testutil.Node, d time.Duration) {
	testutil.SkipIfNoRedis(t)
	var nodes []*testutil.Node
	var addrs []string
	for range 3 {
		// Free ports, the bus port too (cluster-port), so that concurrent
		// runs of this test (two checkouts) cannot collide.
		bus, err := testutil.FreePort()
		testutil.NoErr(t, err)
		conf := filepath.Join(t.TempDir(), "redis.conf")
		testutil.NoErr(t, os.WriteFile(conf, []byte(fmt.Sprintf(
			"cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 2000\ncluster-port %d\nbind 127.0.0.1\n", bus)), 0o644))
		n := start(t, conf)
		nodes = append(nodes, n)
		addrs = append(addrs, n.Addr)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	out, err := exec.CommandContext(cctx, testutil.RedisCLI(), append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...).CombinedOutput()
	cancel()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	waitClusterOK(t, nodes)

	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: addrs, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, PoolSize: 8, MaxRedirects: 8, MaxRetries: 3, DisableIdentity: true,
	})
	defer cc.Close()
	var direct []*redis.Client
	for _, a := range addrs {
		direct = append(direct, soakClient(a, 0))
	}
	defer func() {
		for _, c := range direct {
			c.Close()
		}
	}()

	s := newSoak(t)
	for w := range 2 {
		s.goWorker("cluster-typed", uint64(100+w), func(r *rand.Rand, ok func()) {
			tag := "{t" + strconv.Itoa(r.IntN(12)) + "}"
			key := func(kind string) string { return tag + kind }
			cmds, _ := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
				for range 16 {
					p.Do(ctx, typedCommand(r, key)...)
				}
				return nil
			})
			for _, c := range cmds {
				if c.Err() == nil {
					ok()
					break
				}
			}
		})
	}
	s.goWorker("cluster-blocking", 110, func(r *rand.Rand, ok func()) {
		tag := "{b" + strconv.Itoa(r.IntN(3)) + "}"
		if err := cc.Do(ctx, blockingCommand(r, tag+"q", tag+"x")...).Err(); err == nil || err == redis.Nil {
			ok()
		}
	})
	s.goWorker("cluster-pusher", 111, func(r *rand.Rand, ok func()) {
		tag := "{b" + strconv.Itoa(r.IntN(3)) + "}"
		if cc.RPush(ctx, tag+"q", "a").Err() == nil && cc.ZAdd(ctx, tag+"qz", redis.Z{Score: 1, Member: "a"}).Err() == nil {
			ok()
		}
		s.sleep(2 * time.Millisecond)
	})
	s.goWorker("cluster-watch", 112, func(r *rand.Rand, ok func()) {
		k := "{c" + strconv.Itoa(r.IntN(3)) + "}ctr"
		err := cc.Watch(ctx, func(x *redis.Tx) error {
			v, err := x.Get(ctx, k).Int()
			if err != nil && err != redis.Nil {
				return err
			}
			_, err = x.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k, v+1, 0)
				return nil
			})
			return err
		}, k)
		if err == nil || err == redis.TxFailedErr {
			ok()
		}
	})
	soakPubSub(s, ctx, direct, cc)
	for i, c := range direct {
		soakConfig(s, ctx, c, uint64(120+i))
	}
	// Slot moves: empty slots (no soak key hashes there) handed around.
	ids := make([]string, len(direct))
	for i, c := range direct {
		id, err := c.Do(ctx, "CLUSTER", "MYID").Text()
		testutil.NoErr(t, err)
		ids[i] = id
	}
	s.goWorker("slot-moves", 130, func(r *rand.Rand, ok func()) {
		defer s.sleep(time.Duration(100+r.IntN(200)) * time.Millisecond)
		slot := emptySoakSlots[r.IntN(len(emptySoakSlots))]
		owner := agreedOwner(ctx, direct, ids, slot)
		if owner < 0 {
			return // a node is down or the nodes still disagree
		}
		dst := (owner + 1 + r.IntN(2)) % 3
		// redis-cli's order: IMPORTING on the target, MIGRATING on the
		// source, then NODE on the target (its epoch bump makes the move
		// win everywhere) and on the source.
		if direct[dst].Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", ids[owner]).Err() != nil {
			return
		}
		if direct[owner].Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", ids[dst]).Err() != nil {
			direct[dst].Do(ctx, "CLUSTER", "SETSLOT", slot, "STABLE")
			return
		}
		if direct[dst].Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", ids[dst]).Err() == nil &&
			direct[owner].Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", ids[dst]).Err() == nil {
			ok()
		}
	})
	// The third node is killed and restarted half way through.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sleep(d / 3)
		if s.stopped() {
			return
		}
		nodes[2].Kill()
		s.sleep(d / 6)
		nodes[2].Restart()
	}()
	s.run(d)
	if !nodes[2].Running() {
		nodes[2].Restart()
	}
	// Races and crashes are what this test judges. Slot agreement after the
	// moves is reported, not required: an empty slot moved with SETSLOT NODE
	// while a node restarts has been seen to stay disputed (two owners in
	// different views); that convergence bug is open (closing note, stop 7).
	if err := clusterAgreement(nodes); err != nil {
		t.Logf("after the soak: %v", err)
	}
	for _, n := range nodes {
		requireAlive(t, n)
	}
	requireNoRace(t, nodes...)
}

// clusterAgreement waits up to 30 s for every node to agree on CLUSTER SLOTS.
func clusterAgreement(nodes []*testutil.Node) error {
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var first string
		last = nil
		for _, n := range nodes {
			c, err := testutil.DialTimeout(n.Addr, 2*time.Second)
			if err != nil {
				last = err
				break
			}
			slots, err := c.Do("CLUSTER", "SLOTS")
			c.Close()
			if err != nil {
				last = err
				break
			}
			if first == "" {
				first = slots.String()
			} else if slots.String() != first {
				last = fmt.Errorf("nodes disagree on CLUSTER SLOTS")
				break
			}
		}
		if last == nil {
			return nil
		}
	}
	return last
}

// emptySoakSlots are slots no key of the soak hashes to (checked at run
// time with COUNTKEYSINSLOT before a move).
var emptySoakSlots = []string{"100", "5000", "9000", "16000"}

// agreedOwner returns the index of the node every node says owns slot
// (which must be empty), or -1 when a node does not answer or they differ.
func agreedOwner(ctx context.Context, direct []*redis.Client, ids []string, slot string) int {
	want, _ := strconv.Atoi(slot)
	owner := ""
	for _, c := range direct {
		if n, err := c.Do(ctx, "CLUSTER", "COUNTKEYSINSLOT", slot).Int(); err != nil || n != 0 {
			return -1
		}
		slots, err := c.ClusterSlots(ctx).Result()
		if err != nil {
			return -1
		}
		id := ""
		for _, s := range slots {
			if s.Start <= want && want <= s.End && len(s.Nodes) > 0 {
				id = s.Nodes[0].ID
			}
		}
		if id == "" || (owner != "" && id != owner) {
			return -1
		}
		owner = id
	}
	for i, id := range ids {
		if id == owner {
			return i
		}
	}
	return -1
}

// waitClusterOK waits (bounded) until every node says cluster_state:ok and
// agrees on the slot owners.
func waitClusterOK(t *testing.T, nodes []*testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 60*time.Second, 200*time.Millisecond, func() error {
		var first string
		for _, n := range nodes {
			c, err := testutil.DialTimeout(n.Addr, 2*time.Second)
			if err != nil {
				return err
			}
			info, err := c.Do("CLUSTER", "INFO")
			if err != nil {
				c.Close()
				return err
			}
			if !strings.Contains(string(info.Str), "cluster_state:ok") {
				c.Close()
				return fmt.Errorf("%s: %s", n.Addr, strings.SplitN(string(info.Str), "\r\n", 2)[0])
			}
			slots, err := c.Do("CLUSTER", "SLOTS")
			c.Close()
			if err != nil {
				return err
			}
			if first == "" {
				first = slots.String()
			} else if slots.String() != first {
				return fmt.Errorf("nodes disagree on CLUSTER SLOTS:\n%s\n%s", first, slots.String())
			}
		}
		return nil
	})
}
