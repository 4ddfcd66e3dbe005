package server

import (
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/clusternode"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/slot"
)

// clusterTestServer is a server in cluster mode owning every slot, with a
// fake clock for its cluster runner, and one client.
func clusterTestServer(tb testing.TB) (*Server, *client, *atomic.Int64) {
	tb.Helper()
	s := New(config.Default(), io.Discard)
	now := &atomic.Int64{}
	now.Store(1_700_000_000_000)
	cfg := cluster.DefaultConfig()
	n, err := clusternode.Open(clusternode.Options{Path: filepath.Join(tb.TempDir(), "nodes.conf"), Config: cfg, Now: now.Load})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(n.Close)
	s.cl.node = n
	if _, err := n.Do(func(c *cluster.Core) error { return c.AddSlots(slot.Range{Start: 0, End: slot.Count - 1}) }); err != nil {
		tb.Fatal(err)
	}
	now.Add(3000)
	n.Do(func(*cluster.Core) error { return nil })
	if !n.Topology().OK {
		tb.Fatal("cluster not ok")
	}
	c := &client{srv: s}
	c.w.Proto = 2
	c.db = s.ks.DB(0)
	return s, c, now
}

func TestRouteFastPathAllocs(t *testing.T) {
	s, c, _ := clusterTestServer(t)
	get := s.table.Get("get")
	args := [][]byte{[]byte("get"), []byte("somekey")}
	if sl, ok := c.route(get, args); !ok || sl != slot.Of([]byte("somekey")) {
		t.Fatalf("GET: slot %d ok %v, want slot %d", sl, ok, slot.Of([]byte("somekey")))
	}
	if sl, ok := c.route(s.table.Get("del"), [][]byte{[]byte("del"), []byte("{a}1"), []byte("{a}2")}); !ok || sl != -1 {
		t.Fatalf("DEL of two keys: slot %d ok %v, want -1 (call hashes each key)", sl, ok)
	}
	if n := testing.AllocsPerRun(1000, func() { c.routeOK(get, args) }); n != 0 {
		t.Fatalf("route allocates %v times per GET", n)
	}
	del := s.table.Get("del")
	dargs := [][]byte{[]byte("del"), []byte("{a}1"), []byte("{a}2")}
	if n := testing.AllocsPerRun(1000, func() { c.routeOK(del, dargs) }); n != 0 {
		t.Fatalf("route allocates %v times per DEL of two keys", n)
	}
}

func TestRouteRejections(t *testing.T) {
	s, c, _ := clusterTestServer(t)
	get, del := s.table.Get("get"), s.table.Get("del")
	if c.routeOK(del, [][]byte{[]byte("del"), []byte("a"), []byte("b")}) {
		t.Fatal("cross-slot DEL served")
	}
	if got := string(c.w.Buf); got != "-CROSSSLOT Keys in request don't hash to the same slot\r\n" {
		t.Fatalf("reply %q", got)
	}
	c.w.Reset()
	s.cl.node.Do(func(co *cluster.Core) error { return co.DelSlots(slot.Range{Start: 12182, End: 12182}) })
	if c.routeOK(get, [][]byte{[]byte("get"), []byte("foo")}) || string(c.w.Buf) != "-CLUSTERDOWN Hash slot not served\r\n" {
		t.Fatalf("reply %q", c.w.Buf)
	}
	c.w.Reset()
	if c.routeOK(get, [][]byte{[]byte("get"), []byte("a")}) || string(c.w.Buf) != "-CLUSTERDOWN The cluster is down\r\n" {
		t.Fatalf("reply %q", c.w.Buf)
	}
	c.w.Reset()
	s.cl.readsWhenDown.Store(true)
	if !c.routeOK(get, [][]byte{[]byte("get"), []byte("a")}) {
		t.Fatal("read refused with cluster-allow-reads-when-down")
	}
	set := s.table.Get("set")
	if c.routeOK(set, [][]byte{[]byte("set"), []byte("a"), []byte("1")}) || string(c.w.Buf) != "-CLUSTERDOWN The cluster is down and only accepts read commands\r\n" {
		t.Fatalf("reply %q", c.w.Buf)
	}
	if !c.routeOK(s.table.Get("ping"), [][]byte{[]byte("ping")}) {
		t.Fatal("keyless command refused")
	}
}

func BenchmarkRouteGet(b *testing.B) {
	s, c, _ := clusterTestServer(b)
	get := s.table.Get("get")
	args := [][]byte{[]byte("get"), []byte("somekey")}
	b.ReportAllocs()
	for b.Loop() {
		c.routeOK(get, args)
	}
}

func TestRouteReadonlyReplica(t *testing.T) {
	s := New(config.Default(), io.Discard)
	dir := t.TempDir()
	me, m := "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	conf := me + " 127.0.0.1:7001@17001 myself,slave " + m + " 0 0 1 connected\n" +
		m + " 127.0.0.1:7000@17000 master - 0 0 1 connected 0-16383\nvars currentEpoch 1 lastVoteEpoch 0\n"
	path := filepath.Join(dir, "nodes.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	now := int64(1_700_000_000_000)
	n, err := clusternode.Open(clusternode.Options{Path: path, Config: cluster.DefaultConfig(), Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	s.cl.node = n
	now += 3000
	n.Do(func(*cluster.Core) error { return nil })
	c := &client{srv: s}
	c.w.Proto = 2
	get, set := s.table.Get("get"), s.table.Get("set")
	if c.routeOK(get, [][]byte{[]byte("get"), []byte("k")}) || string(c.w.Buf) != "-MOVED 7629 127.0.0.1:7000\r\n" {
		t.Fatalf("reply %q", c.w.Buf)
	}
	c.w.Reset()
	c.cl.readonly = true
	if !c.routeOK(get, [][]byte{[]byte("get"), []byte("k")}) {
		t.Fatalf("READONLY read refused: %q", c.w.Buf)
	}
	if c.routeOK(set, [][]byte{[]byte("set"), []byte("k"), []byte("v")}) || string(c.w.Buf) != "-MOVED 7629 127.0.0.1:7000\r\n" {
		t.Fatalf("reply %q", c.w.Buf)
	}
}

// routeOK is route's verdict alone.
func (c *client) routeOK(spec *command.Spec, args [][]byte) bool {
	_, ok := c.route(spec, args)
	return ok
}
