package persist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// populateStreams writes streams that exercise every part of the RDB
// stream encoding: several listpack nodes (stream-node-max-entries 4),
// tombstones from XDEL and exact trimming, differing field sets, long and
// integer values, an emptied stream, an XSETID'd one, and consumer groups
// with pending entries, consumers without any, NOACK reads, deleted
// pending entries and an unknown entries-read.
func populateStreams(t testing.TB, c *redis.Client) []string {
	t.Helper()
	must := func(args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	must("CONFIG", "SET", "stream-node-max-entries", "4")
	for i := 1; i <= 30; i++ {
		fv := []any{"f", i, "g", strings.Repeat("v", i*3)}
		if i%7 == 0 {
			fv = []any{"other", -i}
		}
		must(append([]any{"XADD", "st:main", fmt.Sprintf("%d-%d", i, i%3)}, fv...)...)
	}
	must("XADD", "st:main", "40-0", "long", strings.Repeat("abcdefgh", 700))
	must("XDEL", "st:main", "2-2", "5-2", "6-0", "7-1", "8-2")
	must("XTRIM", "st:main", "MAXLEN", "=", "27")
	must("XGROUP", "CREATE", "st:main", "g1", "0")
	must("XGROUP", "CREATE", "st:main", "g2", "$")
	must("XGROUP", "CREATE", "st:main", "a0", "12-0", "ENTRIESREAD", "5")
	must("XGROUP", "CREATECONSUMER", "st:main", "g2", "idle-one")
	must("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "st:main", ">")
	must("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "st:main", ">")
	must("XREADGROUP", "GROUP", "a0", "carol", "NOACK", "COUNT", "2", "STREAMS", "st:main", ">")
	must("XACK", "st:main", "g1", "9-0")
	must("XCLAIM", "st:main", "g1", "dave", "0", "10-1", "11-2", "TIME", "1700000000000", "RETRYCOUNT", "9")
	must("XDEL", "st:main", "12-0")
	must("XGROUP", "SETID", "st:main", "a0", "20-0", "ENTRIESREAD", "-1")
	must("CONFIG", "SET", "stream-node-max-entries", "100")
	must("XADD", "st:emptied", "5-5", "a", "b")
	must("XDEL", "st:emptied", "5-5")
	must("XGROUP", "CREATE", "st:mk", "g", "$", "MKSTREAM")
	must("XADD", "st:setid", "1-0", "a", "b")
	must("XSETID", "st:setid", "99-7", "ENTRIESADDED", "50", "MAXDELETEDID", "10-0")
	must("PEXPIRE", "st:setid", "100000000")
	return []string{"st:main", "st:emptied", "st:mk", "st:setid"}
}

// streamState is everything XINFO STREAM FULL shows of a stream (every
// entry, group, pending entry and consumer, with their times), its TTL's
// presence, and what XPENDING and XINFO GROUPS compute from it.
func streamState(t testing.TB, c *redis.Client, key string) string {
	t.Helper()
	full, err := c.Do(ctx, "XINFO", "STREAM", key, "FULL", "COUNT", "0").Result()
	if err != nil {
		t.Fatalf("XINFO STREAM %s FULL: %v", key, err)
	}
	groups := c.Do(ctx, "XINFO", "GROUPS", key).Val()
	ttl := c.PTTL(ctx, key).Val() > 0
	return fmt.Sprintf("%v\ngroups %v\nttl %v", full, groups, ttl)
}

func streamStates(t testing.TB, c *redis.Client, keys []string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = streamState(t, c, k)
	}
	return out
}

// TestStreamSurvivesSave: streams with consumer groups come back whole
// after SAVE and after BGSAVE (and a restart from each).
func TestStreamSurvivesSave(t *testing.T) {
	n := testutil.StartShoal(t)
	c := client(t, n)
	keys := populateStreams(t, c)
	want := streamStates(t, c, keys)
	for _, save := range []string{"SAVE", "BGSAVE"} {
		if err := c.Do(ctx, save).Err(); err != nil {
			t.Fatalf("%s: %v", save, err)
		}
		testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			info := c.Info(ctx, "persistence").Val()
			if !strings.Contains(info, "rdb_bgsave_in_progress:0") || !strings.Contains(info, "rdb_last_bgsave_status:ok") {
				return fmt.Errorf("save not done: %s", info)
			}
			return nil
		})
		n.Restart()
		compareSnapshots(t, "after "+save+" and restart", want, streamStates(t, c, keys))
	}
}

// TestStreamRDBBothWays: redis-server 7.0 loads Shoal's dump.rdb holding
// streams and consumer groups, and Shoal loads Redis's, with the same
// XINFO STREAM FULL on both sides.
func TestStreamRDBBothWays(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	sh := testutil.StartShoal(t)
	rd := testutil.StartRedis(t)
	shc, rdc := client(t, sh), client(t, rd)

	keys := populateStreams(t, shc)
	want := streamStates(t, shc, keys)
	if err := shc.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	moveDump(t, sh, rd)
	compareSnapshots(t, "redis loading shoal's dump.rdb", want, streamStates(t, rdc, keys))

	rdc.FlushAll(ctx)
	keys = populateStreams(t, rdc)
	want = streamStates(t, rdc, keys)
	if err := rdc.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	moveDump(t, rd, sh)
	compareSnapshots(t, "shoal loading redis's dump.rdb", want, streamStates(t, shc, keys))
	if _, err := os.Stat(filepath.Join(sh.Dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
}

// TestStreamDumpRestoreMigrate: DUMP payloads of streams are byte-identical
// between redis-server and Shoal, RESTORE takes the other's, and MIGRATE
// moves stream keys both ways.
func TestStreamDumpRestoreMigrate(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	sh := testutil.StartShoal(t)
	rd := testutil.StartRedis(t)
	shc, rdc := client(t, sh), client(t, rd)
	keys := populateStreams(t, rdc)
	want := streamStates(t, rdc, keys)
	for _, k := range keys {
		p, err := rdc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := shc.RestoreReplace(ctx, k, 0, p).Err(); err != nil {
			t.Fatalf("RESTORE %s into shoal: %v", k, err)
		}
		if back := shc.Dump(ctx, k).Val(); back != p {
			t.Errorf("DUMP %s: shoal's payload differs from redis's\n shoal %x\n redis %x", k, back, p)
		}
	}
	// TTLs are not part of DUMP: compare the bodies only.
	strip := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v[:strings.LastIndex(v, "\nttl ")]
		}
		return out
	}
	compareSnapshots(t, "RESTORE of redis's DUMP into shoal", strip(want), strip(streamStates(t, shc, keys)))

	// MIGRATE shoal -> redis, then redis -> shoal.
	rdc.FlushAll(ctx)
	shHost, shPort, _ := strings.Cut(sh.Addr, ":")
	rdHost, rdPort, _ := strings.Cut(rd.Addr, ":")
	for _, k := range keys {
		if err := shc.Do(ctx, "MIGRATE", rdHost, rdPort, k, 0, 5000).Err(); err != nil {
			t.Fatalf("MIGRATE %s shoal->redis: %v", k, err)
		}
	}
	compareSnapshots(t, "MIGRATE shoal->redis", strip(want), strip(streamStates(t, rdc, keys)))
	for _, k := range keys {
		if err := rdc.Do(ctx, "MIGRATE", shHost, shPort, k, 0, 5000).Err(); err != nil {
			t.Fatalf("MIGRATE %s redis->shoal: %v", k, err)
		}
	}
	compareSnapshots(t, "MIGRATE redis->shoal", strip(want), strip(streamStates(t, shc, keys)))
}
