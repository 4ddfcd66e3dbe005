package cluster_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// Ports of the scripting clusters (bus = port + 10000).
const (
	portsScriptShoal = 21700
	portsScriptRedis = 21710
)

// keyIn returns a key whose slot lies in [lo, hi], with prefix.
func keyIn(t *testing.T, prefix string, lo, hi int) string {
	t.Helper()
	for i := 0; i < 100000; i++ {
		k := prefix + strconv.Itoa(i)
		if s := slot.Of([]byte(k)); s >= lo && s <= hi {
			return k
		}
	}
	t.Fatalf("no key for %d-%d", lo, hi)
	return ""
}

// TestScriptsCluster runs the same script checks on a three-master Shoal
// cluster and a three-master Redis cluster (both made by redis-cli
// --cluster create, so node 0 serves slots 0-5460): routing of declared
// keys, refusal of keys the script did not declare when they live on
// another node, slot checks of shebang scripts, and go-redis's Script
// helper through a ClusterClient under concurrent clients.
func TestScriptsCluster(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	t.Parallel()
	type result struct{ lines []string }
	var results [2]result
	for i, kind := range []string{"shoal", "redis"} {
		base := portsScriptShoal
		if kind == "redis" {
			base = portsScriptRedis
		}
		nodes := startNodes(t, base, 5000, repeat(kind, 3)...)
		out, _ := create(t, 0, nodes...)
		requireClean(t, "create", out)
		waitAgreed(t, nodes)
		results[i].lines = scriptClusterChecks(t, nodes)
		if kind == "redis" { // MOVED names the other cluster's ports
			for j, l := range results[i].lines {
				results[i].lines[j] = strings.ReplaceAll(l, "127.0.0.1:"+strconv.Itoa(portsScriptRedis/10), "127.0.0.1:"+strconv.Itoa(portsScriptShoal/10))
			}
		}
	}
	for _, l := range results[0].lines {
		t.Log(l)
	}
	for i := range results[0].lines {
		if results[0].lines[i] != results[1].lines[i] {
			t.Errorf("check %d:\n shoal: %s\n redis: %s", i, results[0].lines[i], results[1].lines[i])
		}
	}
}

func scriptClusterChecks(t *testing.T, nodes []*testutil.Node) []string {
	t.Helper()
	a0 := keyIn(t, "a", 0, 5460)
	b0 := keyIn(t, "b", 0, 5460) // same node as a0, another slot
	far := keyIn(t, "f", 5461, 10922)
	n0 := nodes[0].Addr
	var lines []string
	run := func(args ...string) {
		out, err := do(n0, args...)
		if err != nil {
			out = "error: " + err.Error()
		}
		// The script's SHA is the same on both; keep the whole text.
		lines = append(lines, fmt.Sprintf("%q -> %s", args, out))
	}
	run("EVAL", "return redis.call('set', KEYS[1], 'v')", "1", a0)
	run("EVAL", "return redis.call('get', KEYS[1])", "1", far)
	run("EVAL", "return 1", "2", a0, far)
	run("EVAL", "return redis.call('get', ARGV[1])", "1", a0, far)
	run("EVAL", "return redis.pcall('get', ARGV[1])", "1", a0, far)
	run("EVAL", "return redis.call('get', ARGV[1])", "0", far)
	run("EVAL", "return redis.call('set', ARGV[1], 'x')", "1", a0, b0)
	run("EVAL", "#!lua\nreturn redis.call('set', ARGV[1], 'x')", "1", a0, b0)
	run("EVAL", "#!lua flags=allow-cross-slot-keys\nreturn redis.call('set', ARGV[1], 'x')", "1", a0, b0)
	run("EVAL", "#!lua flags=no-cluster\nreturn 1", "0")
	run("EVAL", "return redis.call('mget', ARGV[1], ARGV[2])", "0", a0, b0)
	run("EVAL", "redis.call('select', 1)", "0")
	run("FUNCTION", "LOAD", "#!lua name=cl\nredis.register_function('cf', function(keys, args) return redis.call('get', args[1]) end)")
	run("FCALL", "cf", "1", a0, far)
	run("FCALL", "cf", "1", a0, a0)

	// go-redis's Script helper through a ClusterClient: a lock per hash
	// tag and a token bucket, from concurrent clients.
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ReadTimeout: 10 * time.Second, MaxRetries: -1})
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	incr := redis.NewScript(`
local v = tonumber(redis.call('get', KEYS[1]) or '0') + tonumber(ARGV[1])
redis.call('set', KEYS[1], v)
return v`)
	bucket := redis.NewScript(`
local t = tonumber(redis.call('get', KEYS[1]) or ARGV[1])
if t <= 0 then return 0 end
redis.call('set', KEYS[1], t - 1)
return 1`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := map[string]int{}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 30; r++ {
				user := fmt.Sprintf("user%d", r%3)
				if err := incr.Run(ctx, cc, []string{"{" + user + "}:count"}, 2).Err(); err != nil {
					t.Error(err)
					return
				}
				ok, err := bucket.Run(ctx, cc, []string{"{" + user + "}:bucket"}, 17).Int()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				allowed[user] += ok
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, u := range []string{"user0", "user1", "user2"} {
		lines = append(lines, fmt.Sprintf("%s count=%s allowed=%d", u, cc.Get(ctx, "{"+u+"}:count").Val(), allowed[u]))
	}
	return lines
}
