package replication

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// start starts a node of kind "shoal" or "redis" with DEBUG enabled and
// no diskless delay (tests do not wait 5 s for more replicas).
func start(t *testing.T, kind string, args ...string) *testutil.Node {
	t.Helper()
	args = append([]string{"--repl-diskless-sync-delay", "0"}, args...)
	if kind == "redis" {
		return testutil.StartRedis(t, append([]string{"--enable-debug-command", "yes"}, args...)...)
	}
	return testutil.StartShoal(t, args...)
}

func do(t *testing.T, n *testutil.Node, args ...string) resp.Value {
	t.Helper()
	c := n.Dial(t)
	defer c.Close()
	return c.MustDo(t, args...)
}

func str(v resp.Value) string {
	if v.Kind == resp.KindInt {
		return strconv.FormatInt(v.Int, 10)
	}
	return string(v.Str)
}

// info returns the fields of an INFO section.
func info(t *testing.T, n *testutil.Node, section string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(str(do(t, n, "INFO", section)), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func digest(t *testing.T, n *testutil.Node) string {
	t.Helper()
	v := do(t, n, "DEBUG", "DIGEST")
	if v.Kind == resp.KindError {
		t.Fatalf("DEBUG DIGEST on %s: %s", n.Addr, v.Str)
	}
	return string(v.Str)
}

// follow makes replica replicate master and waits until its link is up.
func follow(t *testing.T, replica, master *testutil.Node) {
	t.Helper()
	if v := do(t, replica, "REPLICAOF", "127.0.0.1", strconv.Itoa(master.Port)); str(v) != "OK" {
		t.Fatalf("REPLICAOF: %q", v.Str)
	}
	linkUp(t, replica)
}

// linkUp waits until the replica's link to its master is up.
func linkUp(t *testing.T, replica *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		if st := info(t, replica, "replication")["master_link_status"]; st != "up" {
			return fmt.Errorf("%s: master_link_status %q", replica.Addr, st)
		}
		return nil
	})
}

// caughtUp waits until every replica has applied the master's offset.
func caughtUp(t *testing.T, master *testutil.Node, replicas ...*testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		want := info(t, master, "replication")["master_repl_offset"]
		for _, r := range replicas {
			if got := info(t, r, "replication")["slave_repl_offset"]; got != want {
				return fmt.Errorf("%s at offset %s, master %s at %s", r.Addr, got, master.Addr, want)
			}
		}
		return nil
	})
}

// sameData checks DBSIZE and DEBUG DIGEST of every node against the first.
func sameData(t *testing.T, nodes ...*testutil.Node) {
	t.Helper()
	want, size := digest(t, nodes[0]), str(do(t, nodes[0], "DBSIZE"))
	for _, n := range nodes[1:] {
		if got := digest(t, n); got != want {
			t.Fatalf("%s digest %s, %s has %s (dbsize %s vs %s)", n.Addr, got, nodes[0].Addr, want, str(do(t, n, "DBSIZE")), size)
		}
	}
}

// preload writes n keys of every type in one pipeline.
func preload(t *testing.T, node *testutil.Node, n int) {
	t.Helper()
	c := node.Dial(t)
	defer c.Close()
	var buf []byte
	for i := 0; i < n; i++ {
		k := strconv.Itoa(i)
		switch i % 6 {
		case 0:
			buf = testutil.AppendCommand(buf, "SET", "str:"+k, "value-"+k)
		case 1:
			buf = testutil.AppendCommand(buf, "RPUSH", "list:"+k, "a", k, "c")
		case 2:
			buf = testutil.AppendCommand(buf, "HSET", "hash:"+k, "f", k, "g", "x")
		case 3:
			buf = testutil.AppendCommand(buf, "SADD", "set:"+k, k, "m1", "m2")
		case 4:
			buf = testutil.AppendCommand(buf, "ZADD", "zset:"+k, "1", k, "2.5", "m")
		case 5:
			buf = testutil.AppendCommand(buf, "SET", "ttl:"+k, k, "EX", "100000")
		}
	}
	if err := c.SendRaw(buf); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, _, err := c.Read(); err != nil {
			t.Fatal(err)
		}
	}
}
