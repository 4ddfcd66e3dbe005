package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

func testTransactions(t *testing.T, ctx context.Context, n *testutil.Node, c *redis.Client, proto int) {
	var incr *redis.IntCmd
	var get *redis.StringCmd
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		incr = p.Incr(ctx, "a")
		p.Expire(ctx, "a", time.Minute)
		get = p.Get(ctx, "a")
		return nil
	})
	testutil.NoErr(t, err)
	testutil.Equal(t, len(cmds), 4)
	testutil.Equal(t, incr.Val(), int64(2))
	testutil.Equal(t, get.Val(), "2")

	// A runtime error inside EXEC fails only its own command.
	val(t, c.Set(ctx, "s", "abc", 0))
	var bad, good *redis.IntCmd
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		bad = p.Incr(ctx, "s")
		good = p.Incr(ctx, "a")
		return nil
	})
	wantRedisErr(t, err, "ERR value is not an integer or out of range")
	wantRedisErr(t, bad.Err(), "ERR value is not an integer or out of range")
	testutil.Equal(t, good.Val(), int64(3))

	// A queuing error aborts the whole transaction.
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "a")
		p.Do(ctx, "SET", "only-key")
		return nil
	})
	wantRedisErr(t, err, "EXECABORT Transaction discarded because of previous errors.")
	testutil.Equal(t, val(t, c.Get(ctx, "a")), "3")

	// EXEC without MULTI, nested MULTI, DISCARD without MULTI.
	conn := ownConn(t, n, proto)
	_, err = conn.Do(ctx, "EXEC").Result()
	wantRedisErr(t, err, "ERR EXEC without MULTI")
	_, err = conn.Do(ctx, "DISCARD").Result()
	wantRedisErr(t, err, "ERR DISCARD without MULTI")
	val(t, conn.Do(ctx, "MULTI"))
	_, err = conn.Do(ctx, "MULTI").Result()
	wantRedisErr(t, err, "ERR MULTI calls can not be nested")
	testutil.Equal(t, val(t, conn.Do(ctx, "SET", "q", "1")), any("QUEUED"))
	testutil.Equal(t, val(t, conn.Do(ctx, "DISCARD")), any("OK"))
	testutil.Equal(t, val(t, c.Exists(ctx, "q")), int64(0))
}

// testWatch: a write by another client between WATCH and EXEC makes EXEC
// return nil (go-redis: TxFailedErr).
func testWatch(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	val(t, c.Set(ctx, "a", "3", 0))
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		val(t, tx.Get(ctx, "a"))
		val(t, c.Set(ctx, "a", "100", 0)) // another connection
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "4", 0)
			return nil
		})
		return err
	}, "a")
	testutil.True(t, errors.Is(err, redis.TxFailedErr), fmt.Sprintf("WATCH after a concurrent write: %v, want TxFailedErr", err))
	testutil.Equal(t, val(t, c.Get(ctx, "a")), "100")

	// Without interference the same transaction commits.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "5", 0)
			return nil
		})
		return err
	}, "a")
	testutil.NoErr(t, err)
	testutil.Equal(t, val(t, c.Get(ctx, "a")), "5")
}

// testWatchRetry is the optimistic-lock pattern from the go-redis docs:
// several goroutines increment one counter with GET + MULTI/SET/EXEC under
// WATCH, retrying on TxFailedErr. Every increment must land exactly once.
func testWatchRetry(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	const workers, perWorker = 8, 40
	const key = "counter"
	incr := func() error {
		for range 1000 {
			err := c.Watch(ctx, func(tx *redis.Tx) error {
				n, err := tx.Get(ctx, key).Int()
				if err != nil && !errors.Is(err, redis.Nil) {
					return err
				}
				_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, key, n+1, 0)
					return nil
				})
				return err
			}, key)
			if !errors.Is(err, redis.TxFailedErr) {
				return err
			}
		}
		return errors.New("too many optimistic-lock retries")
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				if err := incr(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	testutil.Equal(t, must(c.Get(ctx, key).Int())(t), workers*perWorker)
}

func testPipeline(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	const total = 1000
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range total {
			switch i % 4 {
			case 0:
				p.Incr(ctx, "p")
			case 1:
				p.Set(ctx, fmt.Sprintf("pk%d", i), i, 0)
			case 2:
				p.Get(ctx, fmt.Sprintf("pk%d", i-1))
			default:
				p.Echo(ctx, strconv.Itoa(i))
			}
		}
		return nil
	})
	testutil.NoErr(t, err)
	testutil.Equal(t, len(cmds), total)
	for i, cmd := range cmds {
		testutil.NoErr(t, cmd.Err())
		switch i % 4 {
		case 0:
			testutil.Equal(t, cmd.(*redis.IntCmd).Val(), int64(i/4+1))
		case 1:
			testutil.Equal(t, cmd.(*redis.StatusCmd).Val(), "OK")
		case 2:
			testutil.Equal(t, cmd.(*redis.StringCmd).Val(), strconv.Itoa(i-1))
		default:
			testutil.Equal(t, cmd.(*redis.StringCmd).Val(), strconv.Itoa(i))
		}
	}
	testutil.Equal(t, val(t, c.DBSize(ctx)), int64(total/4+1))

	// An error in the middle of a pipeline fails that command only.
	cmds, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "x", "notanint", 0)
		p.Incr(ctx, "x")
		p.Ping(ctx)
		return nil
	})
	wantRedisErr(t, err, "ERR value is not an integer or out of range")
	testutil.NoErr(t, cmds[0].Err())
	testutil.NoErr(t, cmds[2].Err())
}

func testPubSub(t *testing.T, ctx context.Context, n *testutil.Node, c *redis.Client, proto int) {
	sub := c.Subscribe(ctx, "ch1", "ch2")
	defer sub.Close()
	// Receive the confirmations before publishing, so no message can race
	// the subscription.
	for _, ch := range []string{"ch1", "ch2"} {
		msg := must(sub.ReceiveTimeout(ctx, 5*time.Second))(t)
		s, ok := msg.(*redis.Subscription)
		testutil.True(t, ok, fmt.Sprintf("got %#v, want a subscription", msg))
		testutil.Equal(t, s.Kind, "subscribe")
		testutil.Equal(t, s.Channel, ch)
	}
	testutil.NoErr(t, sub.PSubscribe(ctx, "news.*"))
	msg := must(sub.ReceiveTimeout(ctx, 5*time.Second))(t)
	testutil.Equal(t, msg.(*redis.Subscription).Kind, "psubscribe")
	testutil.Equal(t, msg.(*redis.Subscription).Count, 3)

	pub := newClient(t, n, proto)
	chans := val(t, pub.PubSubChannels(ctx, "*"))
	slices.Sort(chans)
	testutil.DeepEqual(t, chans, []string{"ch1", "ch2"})
	testutil.DeepEqual(t, val(t, pub.PubSubChannels(ctx, "*2")), []string{"ch2"})
	testutil.DeepEqual(t, val(t, pub.PubSubNumSub(ctx, "ch1", "ch2", "none")), map[string]int64{"ch1": 1, "ch2": 1, "none": 0})
	testutil.Equal(t, val(t, pub.PubSubNumPat(ctx)), int64(1))

	// Messages arrive in publish order, each with its channel (and pattern).
	const count = 100
	for i := range count {
		ch := []string{"ch1", "ch2", "news.tech"}[i%3]
		testutil.Equal(t, val(t, pub.Publish(ctx, ch, fmt.Sprintf("m%d", i))), int64(1))
	}
	testutil.Equal(t, val(t, pub.Publish(ctx, "nobody", "x")), int64(0))
	for i := range count {
		m := must(sub.ReceiveTimeout(ctx, 5*time.Second))(t)
		got, ok := m.(*redis.Message)
		testutil.True(t, ok, fmt.Sprintf("message %d: got %#v", i, m))
		want := redis.Message{Channel: []string{"ch1", "ch2", "news.tech"}[i%3], Payload: fmt.Sprintf("m%d", i)}
		if i%3 == 2 {
			want.Pattern = "news.*"
		}
		testutil.Equal(t, got.Channel, want.Channel)
		testutil.Equal(t, got.Pattern, want.Pattern)
		testutil.Equal(t, got.Payload, want.Payload)
	}

	// UNSUBSCRIBE one channel: it leaves PUBSUB CHANNELS, and publishing to
	// it reaches nobody.
	testutil.NoErr(t, sub.Unsubscribe(ctx, "ch1"))
	msg = must(sub.ReceiveTimeout(ctx, 5*time.Second))(t)
	testutil.Equal(t, msg.(*redis.Subscription).Kind, "unsubscribe")
	testutil.Equal(t, msg.(*redis.Subscription).Channel, "ch1")
	testutil.Equal(t, msg.(*redis.Subscription).Count, 2)
	testutil.DeepEqual(t, val(t, pub.PubSubChannels(ctx, "*")), []string{"ch2"})
	testutil.Equal(t, val(t, pub.Publish(ctx, "ch1", "lost")), int64(0))
	testutil.NoErr(t, sub.PUnsubscribe(ctx, "news.*"))
	msg = must(sub.ReceiveTimeout(ctx, 5*time.Second))(t)
	testutil.Equal(t, msg.(*redis.Subscription).Kind, "punsubscribe")
	testutil.Equal(t, val(t, pub.PubSubNumPat(ctx)), int64(0))

	// The Go channel API delivers too, and PING works inside pub/sub.
	testutil.NoErr(t, sub.Ping(ctx, "hi"))
	pong := must(sub.ReceiveTimeout(ctx, 5*time.Second))(t)
	testutil.Equal(t, pong.(*redis.Pong).Payload, "hi")
	msgs := sub.Channel()
	testutil.Equal(t, val(t, pub.Publish(ctx, "ch2", "via channel")), int64(1))
	select {
	case m := <-msgs:
		testutil.Equal(t, m.Payload, "via channel")
	case <-time.After(5 * time.Second):
		t.Fatal("no message on sub.Channel() within 5s")
	}

	// Under RESP2 a subscribed connection refuses ordinary commands.
	if proto == 2 {
		conn := ownConn(t, n, proto)
		val(t, conn.Do(ctx, "SUBSCRIBE", "x"))
		_, err := conn.Do(ctx, "GET", "k").Result()
		wantRedisErr(t, err, "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
	}
}

func testConnection(t *testing.T, ctx context.Context, n *testutil.Node, c *redis.Client, proto int) {
	testutil.Equal(t, val(t, c.Ping(ctx)), "PONG")
	testutil.Equal(t, val(t, c.Echo(ctx, "hello\x00world")), "hello\x00world")

	conn := ownConn(t, n, proto)
	// SELECT applies to this connection only.
	testutil.Equal(t, val(t, conn.Select(ctx, 3)), "OK")
	val(t, conn.Set(ctx, "in3", "v", 0))
	testutil.Equal(t, val(t, c.Exists(ctx, "in3")), int64(0))
	_, err := conn.Select(ctx, 16).Result()
	wantRedisErr(t, err, "ERR DB index is out of range")
	_, err = conn.Do(ctx, "SELECT", "x").Result()
	wantRedisErr(t, err, "ERR value is not an integer or out of range")

	// CLIENT SETNAME / GETNAME / ID / LIST / INFO.
	_, err = conn.ClientGetName(ctx).Result()
	wantNil(t, err)
	testutil.Equal(t, val(t, conn.ClientSetName(ctx, "e2e-conn")), true)
	testutil.Equal(t, val(t, conn.ClientGetName(ctx)), "e2e-conn")
	_, err = conn.ClientSetName(ctx, "has space").Result()
	wantRedisErr(t, err, "ERR Client names cannot contain spaces, newlines or special characters.")
	id := val(t, conn.ClientID(ctx))
	testutil.True(t, id > 0, "CLIENT ID <= 0")
	list := val(t, c.ClientList(ctx))
	var line string
	for l := range strings.SplitSeq(strings.TrimSpace(list), "\n") {
		if strings.Contains(l, " name=e2e-conn ") {
			line = l
		}
	}
	testutil.True(t, line != "", "CLIENT LIST has no name=e2e-conn line:\n"+list)
	testutil.True(t, strings.HasPrefix(line, fmt.Sprintf("id=%d addr=127.0.0.1:", id)), "CLIENT LIST line: "+line)
	testutil.True(t, strings.Contains(line, " laddr="+n.Addr+" "), "no laddr in: "+line)
	testutil.True(t, strings.Contains(line, " db=3 "), "no db=3 in: "+line)
	testutil.True(t, strings.Contains(line, fmt.Sprintf(" resp=%d", proto)), "wrong resp= in: "+line)
	info := val(t, conn.ClientInfo(ctx))
	testutil.Equal(t, info.ID, id)
	testutil.Equal(t, info.Name, "e2e-conn")
	testutil.Equal(t, info.DB, 3)
	testutil.Equal(t, info.Resp, proto)

	// HELLO reports what go-redis negotiated.
	if proto == 3 {
		hello := val(t, conn.Do(ctx, "HELLO")).(map[any]any)
		testutil.Equal(t, hello["proto"], any(int64(3)))
		testutil.Equal(t, hello["version"], any("7.0.15"))
		testutil.Equal(t, hello["mode"], any("standalone"))
	}
}

func testServer(t *testing.T, ctx context.Context, n *testutil.Node, c *redis.Client, proto int) {
	val(t, c.MSet(ctx, "a", "1", "b", "2"))
	val(t, c.Set(ctx, "e", "1", time.Hour))
	testutil.Equal(t, val(t, c.DBSize(ctx)), int64(3))

	// INFO parses into sections; the numbers are this node's.
	info := val(t, c.InfoMap(ctx))
	for _, sec := range []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Keyspace"} {
		testutil.True(t, info[sec] != nil, "INFO has no # "+sec+" section")
	}
	testutil.Equal(t, info["Server"]["redis_version"], "7.0.15")
	testutil.Equal(t, info["Server"]["redis_mode"], "standalone")
	testutil.Equal(t, info["Server"]["tcp_port"], strconv.Itoa(n.Port))
	testutil.Equal(t, info["Server"]["process_id"], strconv.Itoa(n.Pid))
	testutil.Equal(t, info["Replication"]["role"], "master")
	db0 := info["Keyspace"]["db0"]
	testutil.True(t, strings.HasPrefix(db0, "keys=3,expires=1,avg_ttl="), fmt.Sprintf("INFO keyspace: %q", info["Keyspace"]))
	clients := must(strconv.Atoi(info["Clients"]["connected_clients"]))(t)
	testutil.True(t, clients >= 1, "connected_clients < 1")
	one := val(t, c.Info(ctx, "server"))
	testutil.True(t, strings.HasPrefix(one, "# Server\r\n"), "INFO server does not start with # Server")
	testutil.True(t, !strings.Contains(one, "# Clients"), "INFO server has other sections")

	// TIME is close to our clock.
	now := val(t, c.Time(ctx))
	testutil.True(t, time.Since(now).Abs() < 5*time.Second, fmt.Sprintf("TIME %v is far from now", now))

	// COMMAND COUNT matches the COMMAND table go-redis parses.
	count := must(c.Do(ctx, "COMMAND", "COUNT").Int())(t)
	cmds := val(t, c.Command(ctx))
	testutil.Equal(t, len(cmds), count)
	get := cmds["get"]
	testutil.True(t, get != nil, "COMMAND has no get")
	testutil.Equal(t, get.Arity, int8(2))
	testutil.Equal(t, get.FirstKeyPos, int8(1))
	testutil.True(t, slices.Contains(get.Flags, "readonly"), fmt.Sprintf("get flags %v", get.Flags))
	// COMMAND LIST names subcommands too (config|get).
	list := val(t, c.CommandList(ctx, nil))
	testutil.True(t, len(list) > count, fmt.Sprintf("COMMAND LIST has %d names, COMMAND COUNT %d", len(list), count))
	testutil.True(t, slices.Contains(list, "config|get"), "COMMAND LIST has no config|get")

	// FLUSHDB empties one db; FLUSHALL all of them.
	conn := ownConn(t, n, proto)
	val(t, conn.Select(ctx, 5))
	val(t, conn.Set(ctx, "five", "5", 0))
	testutil.Equal(t, val(t, c.FlushDB(ctx)), "OK")
	testutil.Equal(t, val(t, c.DBSize(ctx)), int64(0))
	testutil.Equal(t, val(t, conn.DBSize(ctx)), int64(1))
	testutil.Equal(t, val(t, c.FlushAllAsync(ctx)), "OK")
	testutil.Equal(t, val(t, conn.DBSize(ctx)), int64(0))
	_, err := c.Do(ctx, "FLUSHALL", "BOGUS").Result()
	wantRedisErr(t, err, "ERR syntax error")
}

func testZSet(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	testutil.Equal(t, val(t, c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "one"}, redis.Z{Score: 2, Member: "two"}, redis.Z{Score: 3, Member: "three"})), int64(3))
	testutil.Equal(t, val(t, c.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "one"})), int64(0))
	testutil.DeepEqual(t, val(t, c.ZRangeWithScores(ctx, "z", 0, -1)), []redis.Z{{Score: 1.5, Member: "one"}, {Score: 2, Member: "two"}, {Score: 3, Member: "three"}})
	testutil.DeepEqual(t, val(t, c.ZRevRange(ctx, "z", 0, 1)), []string{"three", "two"})
	testutil.Equal(t, val(t, c.ZRank(ctx, "z", "three")), int64(2))
	testutil.Equal(t, val(t, c.ZRevRank(ctx, "z", "three")), int64(0))
	_, err := c.ZRank(ctx, "z", "nobody").Result()
	wantNil(t, err)
	testutil.Equal(t, val(t, c.ZScore(ctx, "z", "two")), 2.0)
	testutil.Equal(t, val(t, c.ZIncrBy(ctx, "z", 2.5, "one")), 4.0)
	testutil.Equal(t, val(t, c.ZCard(ctx, "z")), int64(3))
	testutil.Equal(t, val(t, c.ZCount(ctx, "z", "(2", "+inf")), int64(2))
	testutil.DeepEqual(t, val(t, c.ZRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "2", Max: "3"})), []string{"two", "three"})
	testutil.DeepEqual(t, val(t, c.ZRangeArgs(ctx, redis.ZRangeArgs{Key: "z", Start: "+inf", Stop: "-inf", ByScore: true, Rev: true, Count: 2})), []string{"one", "three"})
	testutil.DeepEqual(t, val(t, c.ZMScore(ctx, "z", "two", "nobody")), []float64{2, 0})

	// ZADD flags.
	testutil.Equal(t, val(t, c.ZAddNX(ctx, "z", redis.Z{Score: 100, Member: "two"})), int64(0))
	testutil.Equal(t, val(t, c.ZAddArgs(ctx, "z", redis.ZAddArgs{GT: true, Ch: true, Members: []redis.Z{{Score: 1, Member: "two"}, {Score: 10, Member: "three"}}})), int64(1))
	testutil.Equal(t, val(t, c.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{Members: []redis.Z{{Score: 1, Member: "two"}}})), 3.0)
	_, err = c.Do(ctx, "ZADD", "z", "NX", "XX", "1", "x").Result()
	wantRedisErr(t, err, "ERR XX and NX options at the same time are not compatible")
	_, err = c.Do(ctx, "ZINCRBY", "z", "abc", "one").Result()
	wantRedisErr(t, err, "ERR value is not a valid float")
	val(t, c.Set(ctx, "str", "x", 0))
	_, err = c.ZAdd(ctx, "str", redis.Z{Score: 1, Member: "m"}).Result()
	wantRedisErr(t, err, "WRONGTYPE Operation against a key holding the wrong kind of value")

	// ZPOPMIN / ZPOPMAX.
	testutil.DeepEqual(t, val(t, c.ZPopMin(ctx, "z")), []redis.Z{{Score: 3, Member: "two"}})
	testutil.DeepEqual(t, val(t, c.ZPopMax(ctx, "z", 5)), []redis.Z{{Score: 10, Member: "three"}, {Score: 4, Member: "one"}})
	testutil.Equal(t, val(t, c.Exists(ctx, "z")), int64(0))
	testutil.DeepEqual(t, val(t, c.ZPopMin(ctx, "z")), []redis.Z{})

	// ZUNIONSTORE / ZINTERSTORE with weights and aggregates.
	val(t, c.ZAdd(ctx, "za", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}))
	val(t, c.ZAdd(ctx, "zb", redis.Z{Score: 10, Member: "b"}, redis.Z{Score: 20, Member: "c"}))
	testutil.Equal(t, val(t, c.ZUnionStore(ctx, "u", &redis.ZStore{Keys: []string{"za", "zb"}, Weights: []float64{2, 1}})), int64(3))
	testutil.DeepEqual(t, val(t, c.ZRangeWithScores(ctx, "u", 0, -1)), []redis.Z{{Score: 2, Member: "a"}, {Score: 14, Member: "b"}, {Score: 20, Member: "c"}})
	testutil.Equal(t, val(t, c.ZUnionStore(ctx, "u", &redis.ZStore{Keys: []string{"za", "zb"}, Aggregate: "MAX"})), int64(3))
	testutil.Equal(t, val(t, c.ZScore(ctx, "u", "b")), 10.0)
	testutil.Equal(t, val(t, c.ZInterStore(ctx, "i", &redis.ZStore{Keys: []string{"za", "zb"}, Aggregate: "MIN"})), int64(1))
	testutil.DeepEqual(t, val(t, c.ZRangeWithScores(ctx, "i", 0, -1)), []redis.Z{{Score: 2, Member: "b"}})
	testutil.DeepEqual(t, val(t, c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"za", "zb"}})), []redis.Z{{Score: 1, Member: "a"}, {Score: 12, Member: "b"}, {Score: 20, Member: "c"}})
	testutil.DeepEqual(t, val(t, c.ZDiff(ctx, "za", "zb")), []string{"a"})
	testutil.Equal(t, val(t, c.ZRem(ctx, "u", "a", "nobody")), int64(1))
	testutil.Equal(t, val(t, c.ZRemRangeByScore(ctx, "u", "-inf", "15")), int64(1))
	testutil.DeepEqual(t, val(t, c.ZRange(ctx, "u", 0, -1)), []string{"c"})

	// Encoding switches at zset-max-listpack-entries (128).
	members := make([]redis.Z, 129)
	for i := range members {
		members[i] = redis.Z{Score: float64(i), Member: strconv.Itoa(i)}
	}
	val(t, c.ZAdd(ctx, "big", members[:128]...))
	testutil.Equal(t, val(t, c.ObjectEncoding(ctx, "big")), "listpack")
	val(t, c.ZAdd(ctx, "big", members[128]))
	testutil.Equal(t, val(t, c.ObjectEncoding(ctx, "big")), "skiplist")
}

func testHash(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	_, err := c.HSet(ctx, "h", "a", "1", "b", "2").Result()
	skipIfUnknown(t, err)
	testutil.NoErr(t, err)
	testutil.Equal(t, val(t, c.HGet(ctx, "h", "a")), "1")
	_, err = c.HGet(ctx, "h", "nope").Result()
	wantNil(t, err)
	testutil.DeepEqual(t, val(t, c.HGetAll(ctx, "h")), map[string]string{"a": "1", "b": "2"})
	testutil.DeepEqual(t, val(t, c.HMGet(ctx, "h", "b", "nope")), []any{"2", nil})
	testutil.Equal(t, val(t, c.HIncrBy(ctx, "h", "a", 9)), int64(10))
	testutil.Equal(t, val(t, c.HIncrByFloat(ctx, "h", "f", 1.5)), 1.5)
	testutil.Equal(t, val(t, c.HSetNX(ctx, "h", "a", "x")), false)
	testutil.Equal(t, val(t, c.HLen(ctx, "h")), int64(3))
	testutil.Equal(t, val(t, c.HExists(ctx, "h", "f")), true)
	testutil.Equal(t, val(t, c.HDel(ctx, "h", "f", "nope")), int64(1))
	keys := val(t, c.HKeys(ctx, "h"))
	slices.Sort(keys)
	testutil.DeepEqual(t, keys, []string{"a", "b"})
	testutil.Equal(t, val(t, c.Type(ctx, "h")), "hash")
	testutil.Equal(t, val(t, c.ObjectEncoding(ctx, "h")), "listpack")
	_, err = c.HIncrBy(ctx, "h", "b", 1).Result()
	testutil.NoErr(t, err)
	val(t, c.HSet(ctx, "h", "s", "x"))
	_, err = c.HIncrBy(ctx, "h", "s", 1).Result()
	wantRedisErr(t, err, "ERR hash value is not an integer")
}

func testList(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	_, err := c.RPush(ctx, "l", "a", "b", "c").Result()
	skipIfUnknown(t, err)
	testutil.NoErr(t, err)
	testutil.Equal(t, val(t, c.LPush(ctx, "l", "z")), int64(4))
	testutil.DeepEqual(t, val(t, c.LRange(ctx, "l", 0, -1)), []string{"z", "a", "b", "c"})
	testutil.Equal(t, val(t, c.LLen(ctx, "l")), int64(4))
	testutil.Equal(t, val(t, c.LIndex(ctx, "l", -1)), "c")
	testutil.Equal(t, val(t, c.LPop(ctx, "l")), "z")
	testutil.Equal(t, val(t, c.RPop(ctx, "l")), "c")
	testutil.Equal(t, val(t, c.LSet(ctx, "l", 0, "A")), "OK")
	_, err = c.LSet(ctx, "l", 10, "x").Result()
	wantRedisErr(t, err, "ERR index out of range")
	testutil.Equal(t, val(t, c.LInsertAfter(ctx, "l", "A", "mid")), int64(3))
	testutil.Equal(t, val(t, c.LRem(ctx, "l", 0, "mid")), int64(1))
	testutil.Equal(t, val(t, c.LTrim(ctx, "l", 0, 0)), "OK")
	testutil.DeepEqual(t, val(t, c.LRange(ctx, "l", 0, -1)), []string{"A"})
	testutil.Equal(t, val(t, c.LMove(ctx, "l", "l2", "LEFT", "RIGHT")), "A")
	testutil.Equal(t, val(t, c.Exists(ctx, "l")), int64(0))
	_, err = c.LPop(ctx, "l").Result()
	wantNil(t, err)
	testutil.Equal(t, val(t, c.Type(ctx, "l2")), "list")
	testutil.Equal(t, val(t, c.ObjectEncoding(ctx, "l2")), "quicklist") // 7.0: listpack lists came in 7.2
	// A blocking pop that times out returns nil.
	_, err = c.Do(ctx, "BLPOP", "empty", "0.1").Result() // c.BLPop rounds up to 1s
	wantNil(t, err)
}

func testSet(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	_, err := c.SAdd(ctx, "s", "a", "b", "c", "a").Result()
	skipIfUnknown(t, err)
	testutil.NoErr(t, err)
	testutil.Equal(t, val(t, c.SCard(ctx, "s")), int64(3))
	testutil.Equal(t, val(t, c.SIsMember(ctx, "s", "b")), true)
	testutil.DeepEqual(t, val(t, c.SMIsMember(ctx, "s", "a", "x")), []bool{true, false})
	members := val(t, c.SMembers(ctx, "s"))
	slices.Sort(members)
	testutil.DeepEqual(t, members, []string{"a", "b", "c"})
	val(t, c.SAdd(ctx, "t", "b", "c", "d"))
	inter := val(t, c.SInter(ctx, "s", "t"))
	slices.Sort(inter)
	testutil.DeepEqual(t, inter, []string{"b", "c"})
	testutil.Equal(t, val(t, c.SUnionStore(ctx, "u", "s", "t")), int64(4))
	testutil.DeepEqual(t, val(t, c.SDiff(ctx, "s", "t")), []string{"a"})
	testutil.Equal(t, val(t, c.SRem(ctx, "s", "a", "x")), int64(1))
	testutil.Equal(t, val(t, c.SMove(ctx, "s", "t", "b")), true)
	testutil.Equal(t, val(t, c.Type(ctx, "t")), "set")
	val(t, c.SAdd(ctx, "ints", 1, 2, 3))
	testutil.Equal(t, val(t, c.ObjectEncoding(ctx, "ints")), "intset")
	testutil.Equal(t, val(t, c.ObjectEncoding(ctx, "t")), "hashtable") // 7.0: listpack sets came in 7.2
}
