package cluster_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// portsShardPubSub: this test's block (bus: +10000), in the data helper's
// 21600-21699 range.
const portsShardPubSub = 21600

// channelForSlot returns a channel name that hashes to slot s.
func channelForSlot(s int) string {
	for i := 0; ; i++ {
		name := "sch:" + strconv.Itoa(i)
		if slot.Of([]byte(name)) == s {
			return name
		}
	}
}

// shardOf is one master and its replicas, by address.
type shardOf struct {
	master    *testutil.Node
	id        string
	replicas  []*testutil.Node
	firstSlot int
}

func shardsOf(t *testing.T, nodes []*testutil.Node) []shardOf {
	t.Helper()
	byAddr := map[string]*testutil.Node{}
	for _, n := range nodes {
		byAddr[n.Addr] = n
	}
	view, err := clusterNodes(nodes[0].Addr)
	testutil.NoErr(t, err)
	addrOf := func(l nodeLine) string { return strings.SplitN(l.addr, "@", 2)[0] }
	var out []shardOf
	for _, l := range view {
		if !l.has("master") || len(l.slots) == 0 {
			continue
		}
		first, _ := strconv.Atoi(strings.SplitN(l.slots[0], "-", 2)[0])
		sh := shardOf{master: byAddr[addrOf(l)], id: l.id, firstSlot: first}
		for _, r := range view {
			if r.master == l.id {
				sh.replicas = append(sh.replicas, byAddr[addrOf(r)])
			}
		}
		out = append(out, sh)
	}
	return out
}

// spublish sends SPUBLISH on a fresh connection to addr and returns the
// receivers count, or the error reply.
func spublish(addr, ch, msg string) (int64, error) {
	c, err := testutil.DialTimeout(addr, replyTimeout)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.Timeout = replyTimeout
	v, err := c.Do("SPUBLISH", ch, msg)
	if err != nil {
		return 0, err
	}
	if v.IsError() {
		return 0, fmt.Errorf("%s", v.Str)
	}
	return v.Int, nil
}

// expectPush reads one push from c and checks its kind, channel and last field.
func expectPush(t *testing.T, c *testutil.Conn, where, kind, ch, last string) {
	t.Helper()
	v, _, err := c.ReadWithin(deliveryTimeout)
	if err != nil {
		t.Fatalf("%s: no %s push: %v", where, kind, err)
	}
	if len(v.Elems) != 3 || string(v.Elems[0].Str) != kind || string(v.Elems[1].Str) != ch ||
		(string(v.Elems[2].Str) != last && strconv.FormatInt(v.Elems[2].Int, 10) != last) {
		t.Fatalf("%s: got %s, want %s %s %s", where, v, kind, ch, last)
	}
}

// expectNothing checks that nothing arrives on c for a short while.
func expectNothing(t *testing.T, c *testutil.Conn, where string) {
	t.Helper()
	if v, _, err := c.ReadWithin(300 * time.Millisecond); err == nil {
		t.Fatalf("%s: unexpected %s", where, v)
	}
}

// TestShardedPubSubMixed: three shoal and three redis-server nodes created
// by redis-cli. SSUBSCRIBE is served by the channel's master and its
// replica and redirected elsewhere; SPUBLISH on either reaches both (over
// the bus as PUBLISHSHARD) and no other shard; when the channel's slot is
// resharded away, the shard's subscribers get sunsubscribe.
func TestShardedPubSubMixed(t *testing.T) {
	t.Parallel()
	nodes := startNodes(t, portsShardPubSub, 5000, "shoal", "redis", "shoal", "redis", "shoal", "redis")
	out, _ := create(t, 1, nodes...)
	requireClean(t, "create", out)
	waitAgreed(t, nodes)
	shards := shardsOf(t, nodes)
	testutil.Equal(t, len(shards), 3)

	type sub struct {
		c     *testutil.Conn
		where string
	}
	subsOf := map[int][]sub{}
	subsFor := map[string][]sub{}
	for i, sh := range shards {
		ch := channelForSlot(sh.firstSlot)
		for _, n := range nodes {
			c := n.Dial(t)
			v, err := c.Do("SSUBSCRIBE", ch)
			testutil.NoErr(t, err)
			inShard := n == sh.master || (len(sh.replicas) > 0 && n == sh.replicas[0])
			if !inShard {
				want := fmt.Sprintf("MOVED %d %s", sh.firstSlot, sh.master.Addr)
				testutil.True(t, v.IsError() && string(v.Str) == want, fmt.Sprintf("SSUBSCRIBE %s on %s: %s, want %s", ch, n.Addr, v, want))
				continue
			}
			testutil.True(t, len(v.Elems) == 3 && string(v.Elems[0].Str) == "ssubscribe", fmt.Sprintf("SSUBSCRIBE on %s: %s", n.Addr, v))
			subsOf[i] = append(subsOf[i], sub{c, n.Addr})
			subsFor[ch] = append(subsFor[ch], sub{c, n.Addr})
		}
		testutil.Equal(t, len(subsOf[i]), 1+len(sh.replicas))
	}
	for i, sh := range shards {
		ch := channelForSlot(sh.firstSlot)
		from := append([]*testutil.Node{sh.master}, sh.replicas...)
		for _, n := range from {
			msg := "hello from " + n.Addr
			got, err := spublish(n.Addr, ch, msg)
			testutil.NoErr(t, err)
			testutil.Equal(t, got, 1)
			for _, s := range subsOf[i] {
				expectPush(t, s.c, s.where, "smessage", ch, msg)
			}
		}
		// A node of another shard redirects SPUBLISH.
		other := shards[(i+1)%3].master
		_, err := spublish(other.Addr, ch, "x")
		testutil.True(t, err != nil && strings.HasPrefix(err.Error(), "MOVED "), fmt.Sprintf("SPUBLISH on %s: %v", other.Addr, err))
	}
	for i := range shards {
		for _, s := range subsOf[i] {
			expectNothing(t, s.c, s.where)
		}
	}

	// Reshard each shard's first slot (its channel's) to the next shard, in
	// an order that keeps every source's first slot its original one: the
	// subscribers of that shard, on its master and replica (shoal and redis
	// nodes both), get sunsubscribe; nobody else hears anything.
	sort.Slice(shards, func(i, j int) bool { return shards[i].firstSlot < shards[j].firstSlot })
	for src := 2; src >= 0; src-- {
		dst := shards[(src+1)%3]
		ch := channelForSlot(shards[src].firstSlot)
		waitAgreed(t, nodes)
		mustCLI(t, "--cluster", "reshard", shards[src].master.Addr, "--cluster-from", shards[src].id,
			"--cluster-to", dst.id, "--cluster-slots", "1", "--cluster-yes")
		for _, s := range subsFor[ch] {
			expectPush(t, s.c, s.where, "sunsubscribe", ch, "0")
		}
		for other, subs := range subsFor {
			if other != ch {
				for _, s := range subs {
					expectNothing(t, s.c, s.where)
				}
			}
		}
		delete(subsFor, ch)
	}
	dst := shards[1]
	ch := channelForSlot(shards[0].firstSlot)
	// The new owner serves the channel now.
	c := dst.master.Dial(t)
	v := c.MustDo(t, "SSUBSCRIBE", ch)
	testutil.True(t, len(v.Elems) == 3 && string(v.Elems[0].Str) == "ssubscribe", fmt.Sprintf("SSUBSCRIBE on new owner: %s", v))
	got, err := spublish(dst.master.Addr, ch, "moved")
	testutil.NoErr(t, err)
	testutil.Equal(t, got, 1)
	expectPush(t, c, dst.master.Addr, "smessage", ch, "moved")
}
