package persist

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

var ctx = context.Background()

func client(t testing.TB, n *testutil.Node) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: n.Addr, Protocol: 2, DialTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxRetries: -1,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// moveDump stops both nodes' use of the file: it copies from's dump.rdb
// into to's directory and restarts to, which loads it.
func moveDump(t testing.TB, from, to *testutil.Node) {
	t.Helper()
	to.Stop()
	copyFile(t, filepath.Join(from.Dir, "dump.rdb"), filepath.Join(to.Dir, "dump.rdb"))
	to.Restart()
}

// describe renders one key as the user sees it: type, encoding, TTL
// presence and the whole content, sorted where the type has no order.
func describe(t testing.TB, c *redis.Client, key string) string {
	t.Helper()
	typ := c.Type(ctx, key).Val()
	enc := c.ObjectEncoding(ctx, key).Val()
	ttl := c.PTTL(ctx, key).Val()
	hasTTL := ttl > 0
	var body string
	switch typ {
	case "string":
		body = c.Get(ctx, key).Val()
	case "list":
		body = strings.Join(c.LRange(ctx, key, 0, -1).Val(), ",")
	case "set":
		m := c.SMembers(ctx, key).Val()
		sort.Strings(m)
		body = strings.Join(m, ",")
	case "hash":
		h := c.HGetAll(ctx, key).Val()
		var kv []string
		for k, v := range h {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		body = strings.Join(kv, ",")
	case "zset":
		var zs []string
		for _, z := range c.ZRangeWithScores(ctx, key, 0, -1).Val() {
			zs = append(zs, fmt.Sprintf("%v:%v", z.Member, z.Score))
		}
		body = strings.Join(zs, ",")
	default:
		body = "?"
	}
	return fmt.Sprintf("%s/%s/ttl=%v/%s", typ, enc, hasTTL, body)
}

// snapshotOf describes every key of databases 0..ndb-1.
func snapshotOf(t testing.TB, c *redis.Client, ndb int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for db := 0; db < ndb; db++ {
		conn := c.Conn()
		if err := conn.Select(ctx, db).Err(); err != nil {
			t.Fatal(err)
		}
		keys, err := conn.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		cc := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: db, Protocol: 2, MaxRetries: -1})
		for _, k := range keys {
			out[fmt.Sprintf("%d:%s", db, k)] = describe(t, cc, k)
		}
		cc.Close()
		conn.Close()
	}
	return out
}

func compareSnapshots(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d keys, want %d", what, len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		if g := got[k]; g != w {
			if bad++; bad <= 10 {
				t.Errorf("%s: key %s\n got  %.200s\n want %.200s", what, k, g, w)
			}
		}
	}
}

// populateAllTypes writes every type in every encoding Redis 7.0 saves,
// with and without TTLs, in databases 0, 3 and 15.
func populateAllTypes(t testing.TB, c *redis.Client) {
	t.Helper()
	for _, db := range []int{0, 3, 15} {
		p := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: db, Protocol: 2, MaxRetries: -1})
		pipe := p.Pipeline()
		pipe.Set(ctx, "str:int", "12345", 0)
		pipe.Set(ctx, "str:neg", "-9223372036854775808", 0)
		pipe.Set(ctx, "str:embstr", "hello world", 0)
		pipe.Set(ctx, "str:raw", strings.Repeat("abcdefgh", 100), 0)
		pipe.Set(ctx, "str:rand", string([]byte{0, 1, 2, 255, 254, '\r', '\n'}), 0)
		pipe.Set(ctx, "str:empty", "", 0)
		pipe.Set(ctx, "str:ttl", "v", time.Hour)
		pipe.RPush(ctx, "list:small", "a", "b", "1", "-5", "3.14")
		for i := 0; i < 3000; i++ {
			pipe.RPush(ctx, "list:big", fmt.Sprintf("element-%d-%s", i, strings.Repeat("x", i%50)))
		}
		pipe.RPush(ctx, "list:huge-elem", strings.Repeat("L", 10000), "small")
		pipe.SAdd(ctx, "set:intset", 1, 2, 3, -100, 1<<40)
		for i := 0; i < 600; i++ {
			pipe.SAdd(ctx, "set:ht", fmt.Sprintf("m%d", i))
		}
		pipe.SAdd(ctx, "set:strs", "a", "b", "c")
		pipe.HSet(ctx, "hash:lp", "f1", "v1", "f2", "2", "f3", "")
		for i := 0; i < 600; i++ {
			pipe.HSet(ctx, "hash:ht", fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
		}
		pipe.HSet(ctx, "hash:longval", "f", strings.Repeat("h", 100))
		pipe.ZAdd(ctx, "zset:lp", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: -2.5, Member: "b"}, redis.Z{Score: 1e300, Member: "c"})
		for i := 0; i < 300; i++ {
			pipe.ZAdd(ctx, "zset:sl", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("m%d", i)})
		}
		pipe.ZAdd(ctx, "zset:inf", redis.Z{Score: inf(1), Member: "p"}, redis.Z{Score: inf(-1), Member: "n"})
		pipe.Expire(ctx, "hash:lp", time.Hour)
		pipe.Expire(ctx, "zset:sl", 2*time.Hour)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
}

// setKeys sets k0…k(n-1) to their numbers in one pipeline.
func setKeys(t testing.TB, c *redis.Client, n int) {
	t.Helper()
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, "k"+strconv.Itoa(i), i, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}
