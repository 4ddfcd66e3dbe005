package clusternode

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
	"github.com/shoal-db/shoal/internal/slot"
)

const loadTime = int64(1_800_000_000_123)

func opts(path string) Options {
	cfg := cluster.DefaultConfig()
	cfg.Port, cfg.BusPort = 16410, 26410
	return Options{Path: path, Config: cfg, Now: func() int64 { return loadTime }}
}

// TestRoundTripRedisFiles loads every nodes.conf captured from redis-server
// 7.0.15 and writes it back. The only differences allowed are the ones Redis
// itself makes when it loads a file: ping-sent and pong-received times that
// are set become the load time.
func TestRoundTripRedisFiles(t *testing.T) {
	files, _ := filepath.Glob("../persist/nodesconf/testdata/*.conf")
	if len(files) == 0 {
		t.Fatal("no golden nodes.conf files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := nodesconf.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ToPersisted(f)
			if err != nil {
				t.Fatal(err)
			}
			var me *nodesconf.Node
			for i := range f.Nodes {
				if f.Nodes[i].Flags[0] == "myself" {
					me = &f.Nodes[i]
				}
			}
			cfg := cluster.DefaultConfig()
			cfg.Port, cfg.BusPort, cfg.Hostname = me.Port, me.CPort, me.Hostname
			cfg.Rand = zeroRand{}
			c, err := cluster.Load(cfg, p, loadTime)
			if err != nil {
				t.Fatal(err)
			}
			got := FromPersisted(c.Export()).Marshal()
			for i := range f.Nodes {
				if f.Nodes[i].PingSent != 0 {
					f.Nodes[i].PingSent = loadTime
				}
				if f.Nodes[i].PongRecv != 0 {
					f.Nodes[i].PongRecv = loadTime
				}
				// Links are runtime state: none is up right after a load.
				if f.Nodes[i].Flags[0] != "myself" {
					f.Nodes[i].LinkState = "disconnected"
				}
			}
			want := f.Marshal()
			if !bytes.Equal(got, want) {
				t.Fatalf("round trip differs:\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestRoundTripExact: a file without ping/pong times or peers comes back
// byte for byte.
func TestRoundTripExact(t *testing.T) {
	data, err := os.ReadFile("../persist/nodesconf/testdata/single.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	os.WriteFile(path, data, 0o644)
	o := opts(path)
	o.Config.Hostname = "node-a.example"
	n, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.SaveConfig(); err != nil {
		t.Fatal(err)
	}
	back, _ := os.ReadFile(path)
	if !bytes.Equal(back, data) {
		t.Fatalf("rewritten:\n%s\nwant:\n%s", back, data)
	}
}

type zeroRand struct{}

func (zeroRand) Uint64() uint64 { return 0x0123456789abcdef }

func TestOpenCreateRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	var logs []string
	o := opts(path)
	o.Logf = func(level byte, format string, args ...any) { logs = append(logs, args[0].(string)) }
	n, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	id := n.Topology().MyID
	if len(logs) == 0 || logs[0] != "No cluster configuration found, I'm "+id {
		t.Fatalf("logs %q", logs)
	}
	data, _ := os.ReadFile(path)
	if want := id + " :16410@26410 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n"; string(data) != want {
		t.Fatalf("nodes.conf = %q, want %q", data, want)
	}
	// A second node on the same file is refused with Redis's message.
	if _, err := Open(opts(path)); !errors.Is(err, nodesconf.ErrLocked) || !strings.Contains(err.Error(), "is already used by a different Redis Cluster node") {
		t.Fatalf("second open: %v", err)
	}
	// A change is on disk when Do returns.
	if _, err := n.Do(func(c *cluster.Core) error {
		if err := c.AddSlots(slot.Range{Start: 0, End: 16383}); err != nil {
			return err
		}
		c.BumpEpoch()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if want := id + " :16410@26410 myself,master - 0 0 1 connected 0-16383\nvars currentEpoch 1 lastVoteEpoch 0\n"; string(data) != want {
		t.Fatalf("nodes.conf = %q, want %q", data, want)
	}
	if r := n.Topology().Route(5); r.Owner != n.Topology().Me {
		t.Fatal("topology not published")
	}
	// A refused operation saves nothing and returns Redis's text.
	if _, err := n.Do(func(c *cluster.Core) error { return c.AddSlots(slot.Range{Start: 3, End: 3}) }); err == nil || err.Error() != "ERR Slot 3 is already busy" {
		t.Fatal(err)
	}
	n.Close()
	n2, err := Open(opts(path))
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	top := n2.Topology()
	if top.MyID != id || top.Route(16383).Owner != top.Me {
		t.Fatal("restart lost id or slots")
	}
	n2.Do(func(c *cluster.Core) error {
		if c.CurrentEpoch() != 1 || c.Myself().ConfigEpoch != 1 {
			t.Errorf("epochs %d %d", c.CurrentEpoch(), c.Myself().ConfigEpoch)
		}
		return nil
	})
}

func TestOpenCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	os.WriteFile(path, []byte("vars currentEpoch 0 lastVoteEpoch 0\nabc :1@2 myself,master - 0 0 0 connected\n"), 0o644)
	_, err := Open(opts(path))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
	// The lock was released: a good file opens.
	os.WriteFile(path, nil, 0o644)
	n, err := Open(opts(path))
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
}

func TestConvertRoundTrip(t *testing.T) {
	data, _ := os.ReadFile("../persist/nodesconf/testdata/failed-replica.conf")
	f, err := nodesconf.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ToPersisted(f)
	if err != nil {
		t.Fatal(err)
	}
	if back := FromPersisted(p); !reflect.DeepEqual(back, f) {
		t.Fatalf("convert round trip:\n%+v\n%+v", back, f)
	}
}

// TestOpenRecoversTornSave: a nodes.conf torn by a crash during a durable
// save, with the save's journal beside it, opens as the saved text, which
// is written back whole and the journal voided.
func TestOpenRecoversTornSave(t *testing.T) {
	data, err := os.ReadFile("../persist/nodesconf/testdata/single.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	if err := nodesconf.WriteDurable(path, data); err != nil {
		t.Fatal(err)
	}
	// The crash: the journal holds the save, the file is half written.
	os.WriteFile(nodesconf.JournalPath(path), nodesconf.Journal(data), 0o644)
	os.WriteFile(path, append(bytes.Clone(data[:len(data)/2]), bytes.Repeat([]byte{0}, 700)...), 0o644)
	o := opts(path)
	o.Config.Hostname = "node-a.example"
	n, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	back, _ := os.ReadFile(path)
	if !bytes.Equal(back, data) {
		t.Fatalf("after open:\n%q\nwant:\n%q", back, data)
	}
	if _, rec, _ := nodesconf.ReadFile(path); rec {
		t.Fatal("the journal still differs from the file")
	}
}

// TestDoDeferredCommit: a deferred change is in nodes.conf once Commit
// returns, or once anything else saves (a Query's flush), or at Close;
// Commit of a token already covered writes nothing.
func TestDoDeferredCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	n, err := Open(opts(path))
	if err != nil {
		t.Fatal(err)
	}
	fileHas := func(s string) bool {
		data, _ := os.ReadFile(path)
		return strings.Contains(string(data), s)
	}
	add := func(sl int) uint64 {
		_, token, err := n.DoDeferred(func(c *cluster.Core) error { return c.AddSlots(slot.Range{Start: sl, End: sl}) })
		if err != nil || token == 0 {
			t.Fatalf("AddSlots %d: token %d, %v", sl, token, err)
		}
		return token
	}
	t1 := add(5)
	t2 := add(7)
	if t2 <= t1 {
		t.Fatalf("tokens %d then %d", t1, t2)
	}
	n.Commit(t1) // one save covers both
	if !fileHas(" 5 7\n") {
		data, _ := os.ReadFile(path)
		t.Fatalf("after Commit:\n%s", data)
	}
	os.WriteFile(path, []byte("not rewritten\n"), 0o644)
	n.Commit(t2) // already saved: nothing written
	if !fileHas("not rewritten") {
		t.Fatal("Commit of a saved token wrote the file again")
	}
	os.WriteFile(path, nil, 0o644)
	add(9)
	n.Query(func(c *cluster.Core) error { c.SaveConfig(); return nil })
	if !fileHas(" 5 7 9\n") {
		t.Fatal("a Query's save did not include the deferred change")
	}
	add(11)
	n.Close()
	if !fileHas(" 5 7 9 11\n") {
		data, _ := os.ReadFile(path)
		t.Fatalf("Close did not save the deferred change:\n%s", data)
	}
}
