package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestTrackingRedirectRESP2: a go-redis client subscribed to
// __redis__:invalidate receives the invalidations of a RESP2 connection
// that redirects its tracking to it — a key read then written, and
// FLUSHALL — on redis-server and shoal-server alike; when the target goes
// away the tracking connection reports broken_redirect.
func TestTrackingRedirectRESP2(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	testutil.BuildBinaries(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := startKind(t, kind)
			ctx := ctxT(t, 30*time.Second)
			sub := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: 2, ClientName: "inval", MaxRetries: -1})
			t.Cleanup(func() { sub.Close() })
			ps := sub.Subscribe(ctx, "__redis__:invalidate")
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			admin := newClient(t, n, 2)
			var subID int64
			list, err := admin.ClientList(ctx).Result()
			testutil.NoErr(t, err)
			for _, line := range strings.Split(list, "\n") {
				if strings.Contains(line, " name=inval ") {
					for _, f := range strings.Fields(line) {
						if v, ok := strings.CutPrefix(f, "id="); ok {
							subID = parseInt(t, v)
						}
					}
				}
			}
			testutil.True(t, subID > 0, "subscriber not in CLIENT LIST")

			tr := ownConn(t, n, 2)
			testutil.NoErr(t, tr.Do(ctx, "CLIENT", "TRACKING", "on", "REDIRECT", subID).Err())
			got, err := tr.Do(ctx, "CLIENT", "GETREDIR").Int64()
			testutil.NoErr(t, err)
			testutil.Equal(t, got, subID)
			tr.Get(ctx, "k1")
			tr.Get(ctx, "k2")
			testutil.NoErr(t, admin.Set(ctx, "k1", "v", 0).Err())
			msg := receive(t, ps)
			testutil.Equal(t, msg.Channel, "__redis__:invalidate")
			testutil.DeepEqual(t, msg.PayloadSlice, []string{"k1"})
			// FLUSHALL invalidates everything with a null payload, which
			// go-redis refuses to parse (on either server).
			testutil.NoErr(t, admin.FlushAll(ctx).Err())
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err = ps.ReceiveMessage(rctx)
			cancel()
			testutil.True(t, err != nil && strings.Contains(err.Error(), "payload: <nil>"), "FLUSHALL: want a null payload")

			// The target goes: the next invalidation finds the redirect broken.
			tr.Get(ctx, "k3")
			ps.Close()
			sub.Close()
			testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				if l, _ := admin.ClientList(ctx).Result(); strings.Contains(l, "name=inval") {
					return context.DeadlineExceeded
				}
				return nil
			})
			testutil.NoErr(t, admin.Set(ctx, "k3", "v", 0).Err())
			info, err := tr.Do(ctx, "CLIENT", "TRACKINGINFO").Slice()
			testutil.NoErr(t, err)
			flags, _ := info[1].([]any)
			var fs []string
			for _, f := range flags {
				fs = append(fs, f.(string))
			}
			testutil.DeepEqual(t, fs, []string{"on", "broken_redirect"})
		})
	}
}

func receive(t *testing.T, ps *redis.PubSub) *redis.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func parseInt(t *testing.T, s string) int64 {
	t.Helper()
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// TestTrackingTableMaxKeys: over tracking-table-max-keys, keys leave the
// table with an invalidation to the client that cached them (raw RESP3).
func TestTrackingTableMaxKeys(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	testutil.BuildBinaries(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := startKind(t, kind)
			c := n.Dial(t)
			c.MustDo(t, "HELLO", "3")
			c.MustDo(t, "CONFIG", "SET", "tracking-table-max-keys", "2")
			c.MustDo(t, "CLIENT", "TRACKING", "on")
			c.MustDo(t, "MGET", "a", "b", "c", "d")
			// The next command brings the table back to two keys: two
			// invalidation pushes, each for one of the four keys.
			if err := c.Send("PING"); err != nil {
				t.Fatal(err)
			}
			pushes, pong := 0, false
			for !pong || pushes < 2 {
				v, raw, err := c.Read()
				if err != nil {
					t.Fatalf("after %d pushes: %v", pushes, err)
				}
				if strings.HasPrefix(string(raw), ">2\r\n$10\r\ninvalidate\r\n*1\r\n") {
					pushes++
					continue
				}
				testutil.Equal(t, string(v.Str), "PONG")
				pong = true
			}
			info := c.MustDo(t, "INFO", "stats")
			testutil.True(t, strings.Contains(string(info.Str), "tracking_total_keys:2\r\n"), "tracking_total_keys not 2")
		})
	}
}

// startKind starts redis-server ("redis") or shoal-server.
func startKind(t *testing.T, kind string) *testutil.Node {
	t.Helper()
	if kind == "redis" {
		return testutil.StartRedis(t)
	}
	return testutil.StartShoal(t)
}

// TestTrackingNoloopExpiry: a NOLOOP client is not told of its own writes;
// in BCAST mode it is told when a key expires even when its own read found
// the key expired (unit/tracking "lazy expired keys"), in default mode it
// is not (Redis compares the target with the current client there).
// Active expiry is off so the read is what expires the key.
func TestTrackingNoloopExpiry(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	testutil.BuildBinaries(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := startKind(t, kind)
			ctx := ctxT(t, 30*time.Second)
			sub := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: 2, MaxRetries: -1})
			t.Cleanup(func() { sub.Close() })
			ps := sub.Subscribe(ctx, "__redis__:invalidate")
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			var subID int64 // the subscribed connection's, by its pubsub flag
			list, err := newClient(t, n, 2).ClientList(ctx).Result()
			testutil.NoErr(t, err)
			for _, line := range strings.Split(list, "\n") {
				if strings.Contains(line, " sub=1 ") {
					for _, f := range strings.Fields(line) {
						if v, ok := strings.CutPrefix(f, "id="); ok {
							subID = parseInt(t, v)
						}
					}
				}
			}
			testutil.True(t, subID > 0, "subscriber not in CLIENT LIST")
			tr := ownConn(t, n, 2)
			testutil.NoErr(t, tr.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err())
			for i, mode := range [][]any{{"BCAST"}, {}} {
				key := fmt.Sprintf("gone%d", i)
				testutil.NoErr(t, tr.Do(ctx, "CLIENT", "TRACKING", "off").Err())
				args := append([]any{"CLIENT", "TRACKING", "on"}, mode...)
				testutil.NoErr(t, tr.Do(ctx, append(args, "REDIRECT", subID, "NOLOOP")...).Err())
				testutil.NoErr(t, tr.Set(ctx, key, "v", 200*time.Millisecond).Err()) // own write: not told
				testutil.NoErr(t, tr.Get(ctx, key).Err())                            // remembered (default mode)
				time.Sleep(300 * time.Millisecond)
				tr.Get(ctx, key) // finds it expired
				if i == 1 {
					// Default mode: the expiry its own read caused is not
					// sent; the next message is another client's write.
					tr.Get(ctx, "mark") // a miss, remembered
					testutil.NoErr(t, sub2(t, n).Set(ctx, "mark", "v", 0).Err())
					key = "mark"
				}
				msg := receive(t, ps)
				testutil.DeepEqual(t, msg.PayloadSlice, []string{key})
			}
		})
	}
}

// sub2 is a plain RESP2 client of n.
func sub2(t *testing.T, n *testutil.Node) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTrackingScriptsRememberDeclaredKeys: a script remembers its declared
// keys for its caller only when it called a read-only command (EVAL and
// EVAL_RO alike), as Redis's call() does; the invalidations the redirect
// target receives are compared byte for byte.
func TestTrackingScriptsRememberDeclaredKeys(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	testutil.BuildBinaries(t)
	got := map[string][]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := startKind(t, kind)
		sub, tr, admin := n.Dial(t), n.Dial(t), n.Dial(t)
		id := sub.MustDo(t, "CLIENT", "ID").Int
		sub.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
		tr.MustDo(t, "CLIENT", "TRACKING", "on", "REDIRECT", fmt.Sprint(id))
		tr.MustDo(t, "EVAL", "redis.call('set', 'k3', 'bar')", "2", "k1", "k2")
		admin.MustDo(t, "MSET", "k2", "1", "k1", "1") // nothing remembered: no message
		tr.MustDo(t, "EVAL_RO", "redis.call('ping')", "2", "a1", "a2")
		admin.MustDo(t, "MSET", "a2", "2", "a1", "2") // nothing remembered either
		tr.MustDo(t, "EVAL", "redis.call('get', 'k3')", "2", "b1", "b2")
		admin.MustDo(t, "MSET", "b2", "3", "b1", "3")
		var out []string
		for i := 0; i < 2; i++ {
			_, raw, err := sub.Read()
			testutil.NoErr(t, err)
			out = append(out, string(raw))
		}
		got[kind] = out
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}
