package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// family is one command family exercised through go-redis.
type family struct {
	name string
	run  func(t *testing.T, ctx context.Context, n *testutil.Node, c *redis.Client, proto int)
}

// families are run in order against one node per protocol; each starts
// from an empty server (FLUSHALL).
var families = []family{
	{"strings", testStrings},
	{"bits", testBits},
	{"keys", testKeys},
	{"scan", testScan},
	{"expiry", testExpiry},
	{"transactions", testTransactions},
	{"watch", testWatch},
	{"watch_retry", testWatchRetry},
	{"pipeline", testPipeline},
	{"pubsub", testPubSub},
	{"connection", testConnection},
	{"server", testServer},
	{"zset", testZSet},
	{"hash", testHash},
	{"list", testList},
	{"set", testSet},
}

// TestGoRedis drives a shoal-server node with go-redis v9, once with the
// default RESP3 handshake (HELLO 3, CLIENT SETINFO) and once with
// Protocol: 2, over every command family.
func TestGoRedis(t *testing.T) {
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			t.Parallel()
			runFamilies(t, startTarget(t), proto)
		})
	}
}

// TestGoRedisGoroutineIO is TestGoRedis against the goroutine transport.
func TestGoRedisGoroutineIO(t *testing.T) {
	n := startGoroutineIO(t)
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) { runFamilies(t, n, proto) })
	}
}

func runFamilies(t *testing.T, n *testutil.Node, proto int) {
	c := newClient(t, n, proto)
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			ctx := ctxT(t, 30*time.Second)
			val(t, c.FlushAll(ctx))
			f.run(t, ctx, n, c, proto)
		})
	}
}

func testStrings(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	// GET of a missing key is redis.Nil, not an empty string.
	_, err := c.Get(ctx, "missing").Result()
	wantNil(t, err)

	testutil.Equal(t, val(t, c.Set(ctx, "k", "v", 0)), "OK")
	testutil.Equal(t, val(t, c.Get(ctx, "k")), "v")
	testutil.Equal(t, val(t, c.TTL(ctx, "k")), time.Duration(-1))

	// SET with an expiration.
	testutil.Equal(t, val(t, c.Set(ctx, "ex", "v", 10*time.Second)), "OK")
	ttl := val(t, c.TTL(ctx, "ex"))
	testutil.True(t, ttl > 8*time.Second && ttl <= 10*time.Second, fmt.Sprintf("TTL after SET EX 10 = %v", ttl))
	testutil.Equal(t, val(t, c.Set(ctx, "px", "v", 1500*time.Millisecond)), "OK")
	pttl := val(t, c.PTTL(ctx, "px"))
	testutil.True(t, pttl > 1000*time.Millisecond && pttl <= 1500*time.Millisecond, fmt.Sprintf("PTTL after SET PX 1500 = %v", pttl))

	// SETNX / SET NX / SET XX.
	testutil.Equal(t, val(t, c.SetNX(ctx, "nx", "1", 0)), true)
	testutil.Equal(t, val(t, c.SetNX(ctx, "nx", "2", 0)), false)
	testutil.Equal(t, val(t, c.Get(ctx, "nx")), "1")
	testutil.Equal(t, val(t, c.SetXX(ctx, "nope", "1", 0)), false)
	testutil.Equal(t, val(t, c.SetXX(ctx, "nx", "3", 0)), true)

	// SET KEEPTTL keeps the expiry; SET GET returns the old value.
	val(t, c.SetArgs(ctx, "ex", "v2", redis.SetArgs{KeepTTL: true}))
	ttl = val(t, c.TTL(ctx, "ex"))
	testutil.True(t, ttl > 8*time.Second, fmt.Sprintf("TTL after SET KEEPTTL = %v", ttl))
	testutil.Equal(t, val(t, c.SetArgs(ctx, "ex", "v3", redis.SetArgs{Get: true})), "v2")
	testutil.Equal(t, val(t, c.TTL(ctx, "ex")), time.Duration(-1)) // plain SET clears it
	_, err = c.SetArgs(ctx, "fresh", "v", redis.SetArgs{Get: true}).Result()
	wantNil(t, err)
	testutil.Equal(t, val(t, c.Get(ctx, "fresh")), "v")
	_, err = c.SetArgs(ctx, "fresh", "v", redis.SetArgs{Mode: "NX", Get: true}).Result()
	testutil.Equal(t, err, nil) // 7.0 allows NX with GET; returns the old value
	testutil.Equal(t, val(t, c.SetEx(ctx, "setex", "v", time.Minute)), "OK")
	_, err = c.Do(ctx, "SET", "k", "v", "EX", "0").Result()
	wantRedisErr(t, err, "ERR invalid expire time in 'set' command")
	_, err = c.Do(ctx, "SET", "k", "v", "NX", "XX").Result()
	wantRedisErr(t, err, "ERR syntax error")

	// Counters.
	testutil.Equal(t, val(t, c.Incr(ctx, "n")), int64(1))
	testutil.Equal(t, val(t, c.IncrBy(ctx, "n", 41)), int64(42))
	testutil.Equal(t, val(t, c.Decr(ctx, "n")), int64(41))
	testutil.Equal(t, val(t, c.DecrBy(ctx, "n", 50)), int64(-9))
	val(t, c.Set(ctx, "f", "10.5", 0))
	testutil.Equal(t, val(t, c.IncrByFloat(ctx, "f", 0.1)), 10.6)
	testutil.Equal(t, val(t, c.Get(ctx, "f")), "10.6")
	testutil.Equal(t, val(t, c.IncrByFloat(ctx, "f", -5e3)), -4989.4)
	_, err = c.Incr(ctx, "k").Result()
	wantRedisErr(t, err, "ERR value is not an integer or out of range")
	_, err = c.IncrByFloat(ctx, "k", 1).Result()
	wantRedisErr(t, err, "ERR value is not a valid float")
	val(t, c.Set(ctx, "max", "9223372036854775807", 0))
	_, err = c.Incr(ctx, "max").Result()
	wantRedisErr(t, err, "ERR increment or decrement would overflow")

	// MSET / MGET / MSETNX.
	testutil.Equal(t, val(t, c.MSet(ctx, "a", "1", "b", "2", "c", "3")), "OK")
	testutil.DeepEqual(t, val(t, c.MGet(ctx, "a", "missing", "c")), []any{"1", nil, "3"})
	testutil.Equal(t, val(t, c.MSetNX(ctx, "a", "x", "d", "4")), false)
	testutil.Equal(t, val(t, c.Exists(ctx, "d")), int64(0))
	testutil.Equal(t, val(t, c.MSetNX(ctx, "d", "4", "e", "5")), true)

	// GETRANGE / SETRANGE / APPEND / STRLEN.
	val(t, c.Set(ctx, "s", "Hello World", 0))
	testutil.Equal(t, val(t, c.SetRange(ctx, "s", 6, "Redis")), int64(11))
	testutil.Equal(t, val(t, c.Get(ctx, "s")), "Hello Redis")
	testutil.Equal(t, val(t, c.GetRange(ctx, "s", 0, 4)), "Hello")
	testutil.Equal(t, val(t, c.GetRange(ctx, "s", -5, -1)), "Redis")
	testutil.Equal(t, val(t, c.GetRange(ctx, "s", 100, 200)), "")
	testutil.Equal(t, val(t, c.SetRange(ctx, "pad", 3, "x")), int64(4))
	testutil.Equal(t, val(t, c.Get(ctx, "pad")), "\x00\x00\x00x")
	testutil.Equal(t, val(t, c.Append(ctx, "s", "!")), int64(12))
	testutil.Equal(t, val(t, c.StrLen(ctx, "s")), int64(12))
	testutil.Equal(t, val(t, c.StrLen(ctx, "missing")), int64(0))
	_, err = c.SetRange(ctx, "s", -1, "x").Result()
	wantRedisErr(t, err, "ERR offset is out of range")

	// GETSET / GETDEL / GETEX.
	testutil.Equal(t, val(t, c.GetSet(ctx, "a", "10")), "1")
	testutil.Equal(t, val(t, c.GetDel(ctx, "a")), "10")
	testutil.Equal(t, val(t, c.Exists(ctx, "a")), int64(0))
	testutil.Equal(t, val(t, c.GetEx(ctx, "b", 30*time.Second)), "2")
	ttl = val(t, c.TTL(ctx, "b"))
	testutil.True(t, ttl > 28*time.Second && ttl <= 30*time.Second, fmt.Sprintf("TTL after GETEX EX 30 = %v", ttl))

	// Binary-safe values.
	bin := "\x00\r\n\xff$*-+:" + strings.Repeat("é", 10)
	val(t, c.Set(ctx, "bin\x00key", bin, 0))
	testutil.Equal(t, val(t, c.Get(ctx, "bin\x00key")), bin)

	// WRONGTYPE from a string command on a sorted set.
	val(t, c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "m"}))
	_, err = c.Get(ctx, "z").Result()
	wantRedisErr(t, err, "WRONGTYPE Operation against a key holding the wrong kind of value")

	// Arity errors as go-redis users see them.
	_, err = c.Do(ctx, "GET").Result()
	wantRedisErr(t, err, "ERR wrong number of arguments for 'get' command")
	_, err = c.Do(ctx, "NOSUCHCMD", "x").Result()
	wantRedisErr(t, err, "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ")
}

func testBits(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	testutil.Equal(t, val(t, c.SetBit(ctx, "b", 7, 1)), int64(0))
	testutil.Equal(t, val(t, c.SetBit(ctx, "b", 7, 1)), int64(1))
	testutil.Equal(t, val(t, c.GetBit(ctx, "b", 7)), int64(1))
	testutil.Equal(t, val(t, c.GetBit(ctx, "b", 100)), int64(0))
	testutil.Equal(t, val(t, c.Get(ctx, "b")), "\x01")
	_, err := c.SetBit(ctx, "b", 1, 2).Result()
	wantRedisErr(t, err, "ERR bit is not an integer or out of range")

	val(t, c.Set(ctx, "foobar", "foobar", 0))
	testutil.Equal(t, val(t, c.BitCount(ctx, "foobar", nil)), int64(26))
	testutil.Equal(t, val(t, c.BitCount(ctx, "foobar", &redis.BitCount{Start: 1, End: 1})), int64(6))
	testutil.Equal(t, val(t, c.BitCount(ctx, "foobar", &redis.BitCount{Start: 5, End: 30, Unit: redis.BitCountIndexBit})), int64(17))

	val(t, c.Set(ctx, "x", "\xff\xf0\x00", 0))
	val(t, c.Set(ctx, "y", "\x0f\x0f", 0))
	testutil.Equal(t, val(t, c.BitOpAnd(ctx, "and", "x", "y")), int64(3))
	testutil.Equal(t, val(t, c.Get(ctx, "and")), "\x0f\x00\x00")
	testutil.Equal(t, val(t, c.BitOpOr(ctx, "or", "x", "y")), int64(3))
	testutil.Equal(t, val(t, c.Get(ctx, "or")), "\xff\xff\x00")
	testutil.Equal(t, val(t, c.BitOpXor(ctx, "xor", "x", "y")), int64(3))
	testutil.Equal(t, val(t, c.Get(ctx, "xor")), "\xf0\xff\x00")
	testutil.Equal(t, val(t, c.BitOpNot(ctx, "not", "x")), int64(3))
	testutil.Equal(t, val(t, c.Get(ctx, "not")), "\x00\x0f\xff")
	_, err = c.Do(ctx, "BITOP", "NOT", "d", "x", "y").Result()
	wantRedisErr(t, err, "ERR BITOP NOT must be called with a single source key.")

	testutil.Equal(t, val(t, c.BitPos(ctx, "x", 0)), int64(12))
	testutil.Equal(t, val(t, c.BitPos(ctx, "x", 1, 1)), int64(8))
	testutil.Equal(t, val(t, c.BitPos(ctx, "missing", 1)), int64(-1))

	testutil.DeepEqual(t, val(t, c.BitField(ctx, "bf", "INCRBY", "i5", 100, 1, "GET", "u4", 0)), []int64{1, 0})
	testutil.DeepEqual(t, val(t, c.BitField(ctx, "bf", "OVERFLOW", "SAT", "INCRBY", "i5", 100, 100)), []int64{15})
	testutil.DeepEqual(t, val(t, c.BitFieldRO(ctx, "bf", "u8", 0)), []int64{0})
}

func testKeys(t *testing.T, ctx context.Context, n *testutil.Node, c *redis.Client, proto int) {
	val(t, c.MSet(ctx, "k1", "v1", "k2", "v2", "k3", "v3"))
	testutil.Equal(t, val(t, c.Exists(ctx, "k1", "k2", "k1", "nope")), int64(3))
	testutil.Equal(t, val(t, c.Del(ctx, "k1", "nope")), int64(1))
	testutil.Equal(t, val(t, c.Unlink(ctx, "k2")), int64(1))
	testutil.Equal(t, val(t, c.Touch(ctx, "k3", "nope")), int64(1))

	// RENAME / RENAMENX.
	testutil.Equal(t, val(t, c.Rename(ctx, "k3", "r")), "OK")
	testutil.Equal(t, val(t, c.Get(ctx, "r")), "v3")
	_, err := c.Rename(ctx, "nope", "x").Result()
	wantRedisErr(t, err, "ERR no such key")
	val(t, c.Set(ctx, "other", "o", 0))
	testutil.Equal(t, val(t, c.RenameNX(ctx, "r", "other")), false)
	testutil.Equal(t, val(t, c.RenameNX(ctx, "r", "r2")), true)

	// KEYS and TYPE.
	val(t, c.ZAdd(ctx, "zkey", redis.Z{Score: 1, Member: "a"}))
	keys := val(t, c.Keys(ctx, "*"))
	slices.Sort(keys)
	testutil.DeepEqual(t, keys, []string{"other", "r2", "zkey"})
	testutil.DeepEqual(t, val(t, c.Keys(ctx, "r?")), []string{"r2"})
	testutil.DeepEqual(t, val(t, c.Keys(ctx, "[a-o]*")), []string{"other"})
	testutil.Equal(t, val(t, c.Type(ctx, "r2")), "string")
	testutil.Equal(t, val(t, c.Type(ctx, "zkey")), "zset")
	testutil.Equal(t, val(t, c.Type(ctx, "nope")), "none")

	// COPY, within db 0 and into db 1, and MOVE.
	testutil.Equal(t, val(t, c.Copy(ctx, "r2", "cp", 0, false)), int64(1))
	testutil.Equal(t, val(t, c.Copy(ctx, "other", "cp", 0, false)), int64(0))
	testutil.Equal(t, val(t, c.Copy(ctx, "other", "cp", 0, true)), int64(1))
	testutil.Equal(t, val(t, c.Get(ctx, "cp")), "o")
	testutil.Equal(t, val(t, c.Copy(ctx, "zkey", "zcp", 1, false)), int64(1))
	testutil.Equal(t, val(t, c.Move(ctx, "cp", 1)), true)
	testutil.Equal(t, val(t, c.Move(ctx, "nope", 1)), false)
	_, err = c.Move(ctx, "r2", 0).Result()
	wantRedisErr(t, err, "ERR source and destination objects are the same")
	db1 := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: proto, DB: 1, MaxRetries: -1})
	defer db1.Close()
	testutil.Equal(t, val(t, db1.Get(ctx, "cp")), "o")
	testutil.DeepEqual(t, val(t, db1.ZRange(ctx, "zcp", 0, -1)), []string{"a"})
	testutil.Equal(t, val(t, db1.DBSize(ctx)), int64(2))
	testutil.Equal(t, val(t, c.Exists(ctx, "cp")), int64(0))

	// RANDOMKEY: nil on an empty db, the only key otherwise.
	_, err = db1.FlushDB(ctx).Result()
	testutil.NoErr(t, err)
	_, err = db1.RandomKey(ctx).Result()
	wantNil(t, err)
	val(t, db1.Set(ctx, "only", "1", 0))
	testutil.Equal(t, val(t, db1.RandomKey(ctx)), "only")
	rk := val(t, c.RandomKey(ctx))
	testutil.True(t, slices.Contains([]string{"other", "r2", "zkey"}, rk), "RANDOMKEY returned "+rk)

	// OBJECT ENCODING follows Redis's choices.
	val(t, c.Set(ctx, "int", "12345", 0))
	val(t, c.Set(ctx, "emb", "short", 0))
	val(t, c.Set(ctx, "raw", strings.Repeat("x", 45), 0))
	val(t, c.Append(ctx, "app", "a"))
	for key, want := range map[string]string{"int": "int", "emb": "embstr", "raw": "raw", "app": "embstr", "zkey": "listpack"} {
		testutil.Equal(t, val(t, c.ObjectEncoding(ctx, key)), want)
	}
	_, err = c.ObjectEncoding(ctx, "nope").Result()
	wantNil(t, err)
}

func testScan(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	const total = 1000
	want := map[string]bool{}
	p := c.Pipeline()
	for i := range total {
		k := fmt.Sprintf("key:%04d", i)
		want[k] = true
		p.Set(ctx, k, i, 0)
	}
	val(t, c.ZAdd(ctx, "zset:1", redis.Z{Score: 1, Member: "m"}))
	must(p.Exec(ctx))(t)

	// A full iteration returns every key at least once (duplicates are
	// allowed by SCAN's contract) and ends with cursor 0.
	got := map[string]int{}
	var cursor uint64
	rounds := 0
	for {
		keys, next := must2(t, c.Scan(ctx, cursor, "key:*", 37))
		for _, k := range keys {
			got[k]++
		}
		rounds++
		testutil.True(t, rounds < 10*total, "SCAN does not terminate")
		if cursor = next; cursor == 0 {
			break
		}
	}
	testutil.Equal(t, len(got), total)
	for k := range want {
		testutil.True(t, got[k] > 0, "SCAN missed "+k)
	}

	// The iterator helper, with TYPE.
	var zs []string
	it := c.ScanType(ctx, 0, "*", 100, "zset").Iterator()
	for it.Next(ctx) {
		zs = append(zs, it.Val())
	}
	testutil.NoErr(t, it.Err())
	testutil.DeepEqual(t, zs, []string{"zset:1"})

	_, _, err := c.Scan(ctx, 0, "*", 0).Result()
	testutil.NoErr(t, err) // COUNT 0 is omitted by go-redis
	_, err = c.Do(ctx, "SCAN", "abc").Result()
	wantRedisErr(t, err, "ERR invalid cursor")
}

// must2 is must for a ScanCmd's two results.
func must2(t testing.TB, cmd *redis.ScanCmd) ([]string, uint64) {
	t.Helper()
	keys, cursor, err := cmd.Result()
	if err != nil {
		t.Fatalf("%v: %v", cmd.Args(), err)
	}
	return keys, cursor
}

func testExpiry(t *testing.T, ctx context.Context, _ *testutil.Node, c *redis.Client, _ int) {
	val(t, c.Set(ctx, "k", "v", 0))
	testutil.Equal(t, val(t, c.TTL(ctx, "nope")), time.Duration(-2))
	testutil.Equal(t, val(t, c.PTTL(ctx, "nope")), time.Duration(-2))
	testutil.Equal(t, val(t, c.PTTL(ctx, "k")), time.Duration(-1))
	testutil.Equal(t, val(t, c.Expire(ctx, "k", 100*time.Second)), true)
	testutil.Equal(t, val(t, c.Expire(ctx, "nope", 100*time.Second)), false)
	ttl := val(t, c.TTL(ctx, "k"))
	testutil.True(t, ttl > 98*time.Second && ttl <= 100*time.Second, fmt.Sprintf("TTL = %v", ttl))
	pttl := val(t, c.PTTL(ctx, "k"))
	testutil.True(t, pttl > 98*time.Second && pttl <= 100*time.Second, fmt.Sprintf("PTTL = %v", pttl))
	testutil.Equal(t, val(t, c.ExpireGT(ctx, "k", 50*time.Second)), false)
	testutil.Equal(t, val(t, c.ExpireLT(ctx, "k", 50*time.Second)), true)
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	testutil.Equal(t, val(t, c.ExpireAt(ctx, "k", at)), true)
	testutil.Equal(t, val(t, c.ExpireTime(ctx, "k")), time.Duration(at.Unix())*time.Second)
	testutil.Equal(t, val(t, c.Persist(ctx, "k")), true)
	testutil.Equal(t, val(t, c.Persist(ctx, "k")), false)
	testutil.Equal(t, val(t, c.TTL(ctx, "k")), time.Duration(-1))

	// A key really goes away, and a negative TTL deletes at once.
	testutil.Equal(t, val(t, c.PExpire(ctx, "k", 50*time.Millisecond)), true)
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := c.Exists(ctx, "k").Val(); n != 0 {
			return fmt.Errorf("EXISTS k = %d after PEXPIRE 50", n)
		}
		return nil
	})
	_, err := c.Get(ctx, "k").Result()
	wantNil(t, err)
	val(t, c.Set(ctx, "gone", "v", 0))
	testutil.Equal(t, val(t, c.Expire(ctx, "gone", -1*time.Second)), true)
	testutil.Equal(t, val(t, c.Exists(ctx, "gone")), int64(0))

	// Active expiry: keys nobody touches disappear from DBSIZE.
	p := c.Pipeline()
	for i := range 50 {
		p.Set(ctx, fmt.Sprintf("short:%d", i), "v", 20*time.Millisecond)
	}
	must(p.Exec(ctx))(t)
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if n := c.DBSize(ctx).Val(); n != 0 {
			return fmt.Errorf("DBSIZE = %d, want 0 once short-lived keys expired", n)
		}
		return nil
	})
	_, err = c.Do(ctx, "EXPIRE", "k", "abc").Result()
	wantRedisErr(t, err, "ERR value is not an integer or out of range")
}
