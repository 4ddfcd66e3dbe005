package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// dumpDataset writes keys of every type and encoding: small and large,
// integers, compressible strings, lists of several quicklist nodes,
// intsets of each width, listpack and hashtable hashes, listpack and
// skiplist sorted sets with inf, -inf and fractional scores.
func dumpDataset(t *testing.T, ctx context.Context, c *redis.Client) []string {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "s:small", "hello", 0).Err())
	must(c.Set(ctx, "s:int", "12345", 0).Err())
	must(c.Set(ctx, "s:big", "9000000000000", 0).Err())
	must(c.Set(ctx, "s:empty", "", 0).Err())
	must(c.Set(ctx, "s:compress", strings.Repeat("abcdefgh", 200), 0).Err())
	must(c.Set(ctx, "s:binary", "a\x00b\xff\r\nc", 0).Err())
	var many []any
	for i := 0; i < 4000; i++ {
		many = append(many, "item-"+strconv.Itoa(i))
	}
	must(c.RPush(ctx, "l:small", "a", "1", "-300", "70000", "5000000000").Err())
	must(c.RPush(ctx, "l:big", many...).Err())
	must(c.RPush(ctx, "l:long", strings.Repeat("x", 5000), strings.Repeat("y", 9000), "z").Err())
	must(c.SAdd(ctx, "set:16", 1, 2, -3).Err())
	must(c.SAdd(ctx, "set:32", 1, 100000).Err())
	must(c.SAdd(ctx, "set:64", 1, 5000000000).Err())
	must(c.SAdd(ctx, "set:str", "a", "b", "c").Err())
	must(c.SAdd(ctx, "set:bigint", intsTo(700)...).Err())
	must(c.HSet(ctx, "h:small", "f1", "v1", "n", "12").Err())
	must(c.HSet(ctx, "h:long", "f", strings.Repeat("v", 100)).Err())
	var pairs []any
	for i := 0; i < 600; i++ {
		pairs = append(pairs, "field"+strconv.Itoa(i), "value"+strconv.Itoa(i))
	}
	must(c.HSet(ctx, "h:big", pairs...).Err())
	must(c.ZAdd(ctx, "z:small",
		redis.Z{Score: 1, Member: "one"}, redis.Z{Score: 2.5, Member: "two"},
		redis.Z{Score: -3, Member: "neg"}, redis.Z{Score: 0.1, Member: "tenth"}).Err())
	must(c.Do(ctx, "ZADD", "z:small", "inf", "pinf", "-inf", "ninf").Err())
	var zs []redis.Z
	for i := 0; i < 300; i++ {
		zs = append(zs, redis.Z{Score: float64(i) + 0.25, Member: "m" + strconv.Itoa(i)})
	}
	must(c.ZAdd(ctx, "z:big", zs...).Err())
	must(c.Do(ctx, "ZADD", "z:big", "inf", "pinf", "-inf", "ninf").Err())
	keys, err := c.Keys(ctx, "*").Result()
	must(err)
	slices.Sort(keys)
	return keys
}

func intsTo(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = i * 3
	}
	return out
}

// view is what a user sees of a key: type, encoding and content (sets
// sorted; hashtable hashes sorted by field).
func view(t *testing.T, ctx context.Context, c *redis.Client, k string) string {
	t.Helper()
	typ := c.Type(ctx, k).Val()
	enc := c.ObjectEncoding(ctx, k).Val()
	var body any
	switch typ {
	case "string":
		body = c.Get(ctx, k).Val()
	case "list":
		body = c.LRange(ctx, k, 0, -1).Val()
	case "set":
		m := c.SMembers(ctx, k).Val()
		slices.Sort(m)
		body = m
	case "hash":
		kv := c.Do(ctx, "HGETALL", k).Val()
		var ps []string
		if arr, ok := kv.([]any); ok {
			for i := 0; i+1 < len(arr); i += 2 {
				ps = append(ps, fmt.Sprint(arr[i], "=", arr[i+1]))
			}
		}
		if enc == "hashtable" {
			slices.Sort(ps)
		}
		body = ps
	case "zset":
		body = c.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES").Val()
	}
	return fmt.Sprintf("%s %s %v", typ, enc, body)
}

// TestDumpRestoreInterop moves every key from redis-server to shoal-server
// and back with DUMP/RESTORE (through go-redis) and checks that both see
// the same values and encodings, and that Shoal's payloads are Redis's,
// byte for byte, wherever the encoding has a defined order.
func TestDumpRestoreInterop(t *testing.T) {
	ctx := ctxT(t, 2*time.Minute)
	r := testutil.StartRedis(t)
	s := testutil.StartShoal(t)
	rc, sc := newClient(t, r, 2), newClient(t, s, 2)
	keys := dumpDataset(t, ctx, rc)
	if len(keys) < 19 {
		t.Fatalf("dataset has %d keys", len(keys))
	}
	for _, k := range keys {
		p, err := rc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Restore(ctx, k, 0, p).Err(); err != nil {
			t.Fatalf("shoal RESTORE %s: %v", k, err)
		}
		want, got := view(t, ctx, rc, k), view(t, ctx, sc, k)
		if want != got {
			t.Fatalf("%s after RESTORE on shoal:\n got %.200s\nwant %.200s", k, got, want)
		}
		sp, err := sc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		enc := rc.ObjectEncoding(ctx, k).Val()
		if enc != "hashtable" && sp != p {
			t.Errorf("%s (%s): shoal DUMP differs from redis DUMP", k, enc)
		}
		back := "back:" + k
		if err := rc.Restore(ctx, back, 0, sp).Err(); err != nil {
			t.Fatalf("redis RESTORE of shoal's %s payload: %v", k, err)
		}
		if got := view(t, ctx, rc, back); got != want {
			t.Fatalf("%s round trip through shoal:\n got %.200s\nwant %.200s", k, got, want)
		}
	}
}

// TestRestoreSemantics runs the same RESTORE corner cases on both servers
// and compares every reply.
func TestRestoreSemantics(t *testing.T) {
	ctx := ctxT(t, time.Minute)
	r := testutil.StartRedis(t)
	s := testutil.StartShoal(t)
	rc, sc := newClient(t, r, 2), newClient(t, s, 2)
	rc.Set(ctx, "src", "payload-value", 0)
	p := rc.Dump(ctx, "src").Val()
	rc.RPush(ctx, "lsrc", "a", "b", "c")
	lp := rc.Dump(ctx, "lsrc").Val()
	bad := p[:len(p)-1] + string(p[len(p)-1]^1)
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	script := [][]any{
		{"RESTORE", "k", "0", p},
		{"RESTORE", "k", "0", p},
		{"RESTORE", "k", "0", p, "REPLACE"},
		{"RESTORE", "k", "-1", p, "REPLACE"},
		{"RESTORE", "k", "abc", p, "REPLACE"},
		{"RESTORE", "k", "0", bad, "REPLACE"},
		{"RESTORE", "k", "0", "x", "REPLACE"},
		{"RESTORE", "k", "0", p, "BOGUS"},
		{"RESTORE", "k", "0", p, "REPLACE", "IDLETIME", "-1"},
		{"RESTORE", "k", "0", p, "REPLACE", "IDLETIME", "x"},
		{"RESTORE", "k", "0", p, "REPLACE", "FREQ", "256"},
		{"RESTORE", "k", "0", p, "REPLACE", "IDLETIME", "10", "FREQ", "3"},
		{"RESTORE", "k", "0", p, "REPLACE", "FREQ"},
		{"RESTORE", "k", "0", p, "REPLACE", "IDLETIME", "10"},
		{"RESTORE", "k", "0", p, "REPLACE", "FREQ", "10"},
		{"RESTORE", "t", "100000", p},
		{"RESTORE", "a", future, p, "ABSTTL"},
		{"EXISTS", "k", "t", "a"},
		{"PEXPIRETIME", "a"},
		// REPLACE over values of each kind (Shoal reuses the record of a
		// string, the box and nodes of a list): values and TTLs as Redis's.
		{"RESTORE", "k", future, p, "REPLACE", "ABSTTL"},
		{"GET", "k"}, {"PEXPIRETIME", "k"},
		{"RESTORE", "k", "0", p, "REPLACE"},
		{"GET", "k"}, {"PEXPIRETIME", "k"},
		{"RESTORE", "k", "0", lp, "REPLACE"},
		{"LRANGE", "k", "0", "-1"},
		{"RESTORE", "k", future, lp, "REPLACE", "ABSTTL"},
		{"LRANGE", "k", "0", "-1"}, {"PEXPIRETIME", "k"},
		{"RESTORE", "k", "0", lp, "REPLACE"},
		{"LRANGE", "k", "0", "-1"}, {"PEXPIRETIME", "k"},
		{"RESTORE", "k", "0", p, "REPLACE"},
		{"GET", "k"}, {"TYPE", "k"},
		{"RESTORE", "k", "1", p, "REPLACE", "ABSTTL"},
		{"EXISTS", "k"},
		{"RESTORE", "gone", "1", p, "ABSTTL"},
		{"EXISTS", "gone"},
		{"RESTORE-ASKING", "ask", "0", p},
		{"GET", "ask"},
		{"DUMP", "nosuchkey"},
	}
	for _, cmd := range script {
		want, werr := rc.Do(ctx, cmd...).Result()
		got, gerr := sc.Do(ctx, cmd...).Result()
		if fmt.Sprint(want, werr) != fmt.Sprint(got, gerr) {
			t.Errorf("%v: shoal %v %v, redis %v %v", cmd[:3], got, gerr, want, werr)
		}
	}
	if ttl := sc.PTTL(ctx, "t").Val(); ttl <= 0 || ttl > 100*time.Second {
		t.Errorf("PTTL after RESTORE with ttl 100000 = %v", ttl)
	}
}

// TestRestoreWakesBlocked: a client blocked in BLPOP is served by a RESTORE
// that creates the list.
func TestRestoreWakesBlocked(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	s := testutil.StartShoal(t)
	c := newClient(t, s, 2)
	c.RPush(ctx, "src", "x", "y")
	p := c.Dump(ctx, "src").Val()
	res := make(chan []string, 1)
	go func() {
		b := newClient(t, s, 2)
		res <- b.BLPop(ctx, 10*time.Second, "dst").Val()
	}()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if l := c.ClientList(ctx).Val(); !strings.Contains(l, "cmd=blpop") {
			return fmt.Errorf("not blocked yet")
		}
		return nil
	})
	if err := c.Restore(ctx, "dst", 0, p).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-res:
		if fmt.Sprint(v) != "[dst x]" {
			t.Fatalf("BLPOP got %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP not woken by RESTORE")
	}
	if v := c.LRange(ctx, "dst", 0, -1).Val(); fmt.Sprint(v) != "[y]" {
		t.Fatalf("dst = %v", v)
	}
}
