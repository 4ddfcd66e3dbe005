package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// trackingTranscript runs steps against a fresh node of kind and returns
// every frame read, raw, in order: the differential tests below compare
// Shoal's transcript with redis-server's byte for byte.
type trackingTranscript struct {
	t   *testing.T
	out []string
}

// do sends one command on c and reads n frames (replies and pushes).
func (tr *trackingTranscript) do(c *testutil.Conn, n int, args ...string) {
	tr.t.Helper()
	testutil.NoErr(tr.t, c.Send(args...))
	tr.read(c, n)
}

// read reads n frames from c.
func (tr *trackingTranscript) read(c *testutil.Conn, n int) {
	tr.t.Helper()
	for i := 0; i < n; i++ {
		_, raw, err := c.Read()
		if err != nil {
			tr.t.Fatalf("frame %d after %q: %v", i, tr.out, err)
		}
		tr.out = append(tr.out, string(raw))
	}
}

func compareTracking(t *testing.T, script func(t *testing.T, n *testutil.Node, tr *trackingTranscript)) {
	compareKinds(t, func(t *testing.T, n *testutil.Node) []string {
		tr := &trackingTranscript{t: t}
		script(t, n, tr)
		return tr.out
	})
}

// compareKinds runs script on redis-server and on shoal-server and fails
// unless both give the same lines.
func compareKinds(t *testing.T, script func(t *testing.T, n *testutil.Node) []string) {
	testutil.SkipIfNoRedis(t)
	testutil.BuildBinaries(t)
	got := map[string][]string{}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) { got[kind] = script(t, startKind(t, kind)) })
	}
	if t.Failed() {
		return
	}
	if strings.Join(got["shoal"], "") != strings.Join(got["redis"], "") {
		t.Fatalf("transcripts differ\nshoal: %q\nredis: %q", got["shoal"], got["redis"])
	}
}

// TestTrackingRedirQuitIsBroken: once the redirect target has read the +OK
// of its QUIT it is gone, so the next write of a cached key tells the
// tracking RESP3 client at once that its redirection is broken (Shoal used
// to keep the quitting client registered until its socket closed, and the
// invalidation went to it instead).
func TestTrackingRedirQuitIsBroken(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r, target, writer := n.Dial(t), n.Dial(t), n.Dial(t)
		id := target.MustDo(t, "CLIENT", "ID").Int
		target.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
		r.MustDo(t, "HELLO", "3")
		for i := 0; i < 20; i++ { // the window was narrow: try it a few times
			key := "key" + strconv.Itoa(i)
			tr.do(r, 1, "CLIENT", "TRACKING", "on", "REDIRECT", fmt.Sprint(id))
			tr.do(writer, 1, "SET", key, "1")
			tr.do(r, 1, "GET", key)
			tr.do(target, 1, "QUIT")
			tr.do(writer, 1, "SET", key, "2")
			tr.do(r, 2, "PING") // the tracking-redir-broken push, then PONG
			// Client IDs differ between servers: the push names the target's.
			push := &tr.out[len(tr.out)-2]
			*push = strings.Replace(*push, fmt.Sprintf(":%d\r\n", id), ":ID\r\n", 1)
			tr.do(r, 1, "CLIENT", "TRACKING", "off")
			target = n.Dial(t)
			id = target.MustDo(t, "CLIENT", "ID").Int
			target.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
		}
	})
}

// TestTrackingExecOrder: inside EXEC each command invalidates as it runs
// (a key the transaction writes and then reads stays cached), and the
// client's own invalidations follow EXEC's reply; FLUSHDB in a transaction
// likewise. unit/tracking "not interleaved with … response".
func TestTrackingExecOrder(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r := n.Dial(t)
		r.MustDo(t, "HELLO", "3")
		r.MustDo(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		tr.do(r, 1, "CLIENT", "TRACKING", "on")
		tr.do(r, 1, "MULTI")
		tr.do(r, 1, "MSET", "x{t}", "1", "y{t}", "2")
		tr.do(r, 1, "PEXPIRE", "y{t}", "100")
		tr.do(r, 1, "GET", "y{t}")
		tr.do(r, 1, "EXEC") // no invalidation: y{t} was read after it changed
		time.Sleep(150 * time.Millisecond)
		tr.do(r, 2, "MGET", "x{t}", "y{t}") // the reply, then y{t}'s lazy expiry
		tr.do(r, 1, "MSET", "a{t}", "1", "b{t}", "2")
		tr.do(r, 1, "GET", "a{t}")
		tr.do(r, 1, "MULTI")
		tr.do(r, 1, "INCR", "a{t}")
		tr.do(r, 1, "GET", "b{t}")
		tr.do(r, 2, "EXEC") // the reply, then a{t}
		tr.do(r, 1, "MULTI")
		tr.do(r, 1, "FLUSHDB")
		tr.do(r, 2, "EXEC") // the reply, then the null invalidation
		tr.do(r, 1, "PING")
	})
}

// TestTrackingLimitBeforeQueued: a client over tracking-table-max-keys is
// told of the keys dropped before its next command's reply, even a QUEUED
// one; a NOLOOP client redirecting elsewhere is told when CONFIG SET lowers
// the limit (Redis's cron, with no current client). Regression test for
// Redis #11715 and "notification on tracking table key eviction".
func TestTrackingLimitBeforeQueued(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r, admin := n.Dial(t), n.Dial(t)
		r.MustDo(t, "HELLO", "3")
		admin.MustDo(t, "CONFIG", "SET", "tracking-table-max-keys", "2")
		tr.do(r, 1, "CLIENT", "TRACKING", "on")
		tr.do(r, 1, "MGET", "1{tag}", "2{tag}")
		tr.do(r, 1, "MULTI")
		admin.MustDo(t, "CONFIG", "SET", "tracking-table-max-keys", "1")
		tr.do(r, 2, "PING") // the push for the key dropped, then QUEUED
		tr.do(r, 1, "EXEC")
		// Which key is dropped is random: call it 1{tag}.
		tr.out[len(tr.out)-3] = strings.Replace(tr.out[len(tr.out)-3], "2{tag}", "1{tag}", 1)

		admin.MustDo(t, "CONFIG", "SET", "tracking-table-max-keys", "1000000")
		admin.MustDo(t, "FLUSHALL")
		target := n.Dial(t)
		id := target.MustDo(t, "CLIENT", "ID").Int
		target.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
		tr.do(r, 1, "CLIENT", "TRACKING", "off")
		tr.do(r, 1, "CLIENT", "TRACKING", "on", "REDIRECT", fmt.Sprint(id), "NOLOOP")
		tr.do(r, 1, "MGET", "k1{t}", "k2{t}")
		tr.do(r, 1, "CONFIG", "SET", "tracking-table-max-keys", "1")
		tr.read(target, 1) // one of the two keys, dropped: call it k1{t}
		tr.out[len(tr.out)-1] = strings.Replace(tr.out[len(tr.out)-1], "k2{t}", "k1{t}", 1)
	})
}

// TestTrackingFlushallEmptiesTable: FLUSHALL empties the tracking table even
// while no client tracks, so keys a client remembered before turning
// tracking off do not reach it again (INFO's counts, and no message to the
// redirect target for an old key).
func TestTrackingFlushallEmptiesTable(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r, target, writer := n.Dial(t), n.Dial(t), n.Dial(t)
		id := fmt.Sprint(target.MustDo(t, "CLIENT", "ID").Int)
		target.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
		tr.do(r, 1, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		tr.do(r, 1, "MGET", "old1", "old2", "old3")
		tr.do(r, 1, "CLIENT", "TRACKING", "off")
		tr.do(writer, 1, "FLUSHALL")
		tr.do(r, 1, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		tr.do(r, 1, "GET", "new")
		tr.do(writer, 1, "SET", "old1", "x") // not cached any more: no message
		tr.do(writer, 1, "SET", "new", "x")
		tr.read(target, 1) // the first message is new's
		info := r.MustDo(t, "INFO", "stats")
		for _, f := range []string{"tracking_total_keys", "tracking_total_items"} {
			i := strings.Index(string(info.Str), f+":")
			testutil.True(t, i >= 0, f+" missing")
			line, _, _ := strings.Cut(string(info.Str[i:]), "\r\n")
			tr.out = append(tr.out, line)
		}
	})
}

// TestTrackingEvictionBeforeReply: a key evicted for maxmemory before a
// command runs is invalidated before that command's reply, even when the
// write that crossed the limit came just before.
func TestTrackingEvictionBeforeReply(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r := n.Dial(t)
		r.MustDo(t, "HELLO", "3")
		tr.do(r, 1, "CLIENT", "TRACKING", "on")
		info := string(r.MustDo(t, "INFO", "memory").Str)
		field := func(name string) int64 {
			i := strings.Index(info, "\r\n"+name+":")
			testutil.True(t, i >= 0, name+" missing")
			v, _, _ := strings.Cut(info[i+len(name)+3:], "\r\n")
			x, err := strconv.ParseInt(v, 10, 64)
			testutil.NoErr(t, err)
			return x
		}
		limit := field("used_memory") - field("mem_not_counted_for_evict") + 100*1024
		r.MustDo(t, "CONFIG", "SET", "maxmemory", strconv.FormatInt(limit, 10))
		r.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "volatile-random")
		tr.do(r, 1, "SETEX", "volatile-key", "10000", "x")
		tr.do(r, 1, "GET", "volatile-key")
		// Pipelined: nothing between the write that crosses the limit and
		// the next command.
		testutil.NoErr(t, r.SendRaw(append(testutil.AppendCommand(nil, "SETBIT", "big-key", "1600000", "0"),
			testutil.AppendCommand(nil, "GETBIT", "big-key", "0")...)))
		tr.read(r, 3) // SETBIT's 0, the push, GETBIT's 0
		r.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
	})
}

// TestTrackingRedirectToRESP3Idle: a RESP3 redirect target that never
// subscribed (here with CLIENT REPLY OFF) gets the invalidation push while
// it is idle, as on Redis.
func TestTrackingRedirectToRESP3Idle(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r, target, writer := n.Dial(t), n.Dial(t), n.Dial(t)
		target.MustDo(t, "HELLO", "3")
		id := fmt.Sprint(target.MustDo(t, "CLIENT", "ID").Int)
		tr.do(r, 1, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		tr.do(writer, 1, "SET", "foo", "bar")
		tr.do(r, 1, "GET", "foo")
		testutil.NoErr(t, target.Send("CLIENT", "REPLY", "OFF"))
		tr.do(writer, 1, "SET", "foo", "bar2")
		tr.read(target, 1) // the push
		tr.do(target, 1, "CLIENT", "REPLY", "ON")
		tr.do(target, 1, "PING")
	})
}

// TestTrackingBcastNoloopAcrossCron: in BCAST NOLOOP mode a client's own
// changes stay its own: only the key that expired is sent (unit/tracking
// "lazy expired keys"). The flake this guards against (the cron's flush
// broadcasting the transaction's keys between EXEC's unlock and the
// client's own flush, as no one's) needs an unlucky schedule; this test
// checks the attribution, not that schedule.
func TestTrackingBcastNoloopAcrossCron(t *testing.T) {
	compareTracking(t, func(t *testing.T, n *testutil.Node, tr *trackingTranscript) {
		r, target := n.Dial(t), n.Dial(t)
		id := fmt.Sprint(target.MustDo(t, "CLIENT", "ID").Int)
		target.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
		tr.do(r, 1, "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id, "NOLOOP")
		for i := 0; i < 3; i++ {
			tr.do(r, 1, "MULTI")
			tr.do(r, 1, "SET", "mykey{t}", "myval", "PX", "1")
			tr.do(r, 1, "SET", "mykeyotherkey{t}", "myval")
			tr.do(r, 1, "DEBUG", "SLEEP", "0.1")
			tr.do(r, 1, "GET", "mykey{t}")
			tr.do(r, 1, "EXEC")
			tr.read(target, 1)
		}
	})
}
