package cluster

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

func busCore(t *testing.T) *Core {
	t.Helper()
	cfg := testConfig(3)
	cfg.Bus, cfg.NodeTimeout = true, 5000
	c, err := New(cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance()
	return c
}

func id(ch byte) string { return strings.Repeat(string(ch), 40) }

// known adds a master known by name with an inbound link, as after a
// completed handshake; it returns that link.
func known(t *testing.T, c *Core, name string, slots ...slot.Range) LinkID {
	t.Helper()
	n := c.newNode(name, FlagMaster)
	n.IP, n.Port, n.CPort = "10.0.0.9", 6379, 16379
	c.addNode(n)
	for _, r := range slots {
		for s := r.Start; s <= r.End; s++ {
			c.addSlot(n, s)
		}
	}
	return c.Accept("10.0.0.1", n.IP)
}

func ping(from string, epoch uint64, slots ...slot.Range) *Msg {
	m := &Msg{Type: MsgPing, Sender: from, CurrentEpoch: epoch, ConfigEpoch: epoch, Port: 6379, CPort: 16379, Flags: FlagMaster}
	for _, r := range slots {
		m.Slots.SetRange(r)
	}
	return m
}

func TestHandshakeRename(t *testing.T) {
	c := busCore(t)
	if err := c.Meet("10.0.0.2", 6379, 16379); err != nil {
		t.Fatal(err)
	}
	c.Tick(t0 + 100)
	rd := c.Ready()
	if len(rd.Connect) != 1 || rd.Connect[0].IP != "10.0.0.2" || rd.Connect[0].CPort != 16379 {
		t.Fatalf("connect = %+v", rd.Connect)
	}
	l := rd.Connect[0].Link
	c.Advance()
	c.LinkConnected(l, "10.0.0.1", t0+110)
	rd = c.Ready()
	if len(rd.Messages) != 1 || rd.Messages[0].Msg.Type != MsgMeet || rd.Messages[0].Link != l {
		t.Fatalf("messages = %+v", rd.Messages)
	}
	c.Advance()
	pong := ping(id('b'), 0)
	pong.Type = MsgPong
	c.Step(l, pong, t0+120)
	n := c.Node(id('b'))
	if n == nil || n.InHandshake() || !n.IsMaster() || n.PongRecv != t0+120 {
		t.Fatalf("after PONG: %+v", n)
	}
	if len(c.Nodes()) != 2 || !c.Ready().SaveConfig {
		t.Fatal("handshake node not renamed in place, or not saved")
	}
}

func TestHandshakeTimeout(t *testing.T) {
	c := busCore(t)
	_ = c.Meet("10.0.0.2", 6379, 16379)
	c.Tick(t0 + 5000)
	if len(c.Nodes()) != 2 {
		t.Fatal("handshake dropped too early")
	}
	c.Tick(t0 + 5001)
	if len(c.Nodes()) != 1 {
		t.Fatal("handshake not dropped after max(node_timeout, 1s)")
	}
	if rd := c.Ready(); len(rd.Disconnect) != 1 {
		t.Fatalf("handshake link not closed: %+v", rd.Disconnect)
	}
}

func TestGossipCount(t *testing.T) {
	for _, tc := range []struct{ nodes, pfail, want int }{
		{2, 0, 0}, {3, 0, 1}, {5, 0, 3}, {30, 0, 3}, {45, 0, 4}, {45, 2, 6},
	} {
		c := busCore(t)
		var last LinkID
		for i := 1; i < tc.nodes; i++ {
			name := strings.Repeat("0", 36) + string("0123456789abcdef"[i/256%16]) + string("0123456789abcdef"[i/16%16]) + string("0123456789abcdef"[i%16]) + "f"
			last = known(t, c, name)
			c.nodes[name].link = &link{id: 1000 + LinkID(i), node: c.nodes[name], up: true}
			if i <= tc.pfail {
				c.nodes[name].Flags |= FlagPFail
			}
		}
		c.pfailNodes = tc.pfail
		c.Advance()
		c.sendPing(c.links[last], MsgPong)
		g := c.Ready().Messages[0].Msg.Gossip
		if len(g) != tc.want {
			t.Errorf("%d nodes, %d pfail: %d gossip entries, want %d", tc.nodes, tc.pfail, len(g), tc.want)
		}
		seen := map[string]bool{}
		for _, e := range g {
			if seen[e.Name] || e.Name == c.myself.ID {
				t.Errorf("%d nodes: bad entry %s", tc.nodes, e.Name)
			}
			seen[e.Name] = true
		}
	}
}

func TestEpochCollision(t *testing.T) {
	for _, tc := range []struct {
		other string
		bump  bool
	}{{id('0'), false}, {id('f'), true}} {
		c := busCore(t)
		c.myself.ID = id('8')
		l := known(t, c, tc.other)
		c.Step(l, ping(tc.other, 0), t0+1)
		bumped := c.myself.ConfigEpoch == 1 && c.currentEpoch == 1
		if bumped != tc.bump || (tc.bump && !c.Ready().SaveConfig) {
			t.Errorf("other %.1s: epoch %d current %d, want bump %v", tc.other, c.myself.ConfigEpoch, c.currentEpoch, tc.bump)
		}
	}
}

func TestUpdateRules(t *testing.T) {
	c := busCore(t)
	if err := c.AddSlots(slot.Range{Start: 0, End: 99}); err != nil {
		t.Fatal(err)
	}
	c.myself.ConfigEpoch, c.currentEpoch = 3, 3
	l := known(t, c, id('b'))
	c.nodes[id('b')].ConfigEpoch = 5
	c.Advance()
	up := ping(id('b'), 5)
	up.Type = MsgUpdate
	up.Update = &UpdateBody{ConfigEpoch: 5, Name: id('b')}
	up.Update.Slots.SetRange(slot.Range{Start: 0, End: 99})
	c.Step(l, up, t0+1)
	if c.Owner(0) != c.myself {
		t.Fatal("UPDATE not newer than the known epoch was applied")
	}
	up.Update.ConfigEpoch = 6
	c.Step(l, up, t0+2)
	if o := c.Owner(0); o == nil || o.ID != id('b') {
		t.Fatal("newer UPDATE not applied")
	}
	rd := c.Ready()
	if !c.myself.IsSlave() || rd.RoleChange == nil || rd.RoleChange.MasterID != id('b') {
		t.Fatalf("myself lost its last slots but did not follow them: %+v", rd.RoleChange)
	}
}

func TestStaleClaimGetsUpdate(t *testing.T) {
	c := busCore(t)
	lb := known(t, c, id('b'), slot.Range{Start: 0, End: 9})
	c.nodes[id('b')].ConfigEpoch = 7
	lc := known(t, c, id('c'))
	c.nodes[id('c')].ConfigEpoch = 2
	out := &link{id: 99, node: c.nodes[id('c')], up: true}
	c.links[99], c.nodes[id('c')].link = out, out
	_ = lb
	c.Advance()
	c.Step(lc, ping(id('c'), 2, slot.Range{Start: 5, End: 5}), t0+1)
	var updates []*Msg
	for _, o := range c.Ready().Messages {
		if o.Msg.Type == MsgUpdate && o.Link == 99 {
			updates = append(updates, o.Msg)
		}
	}
	if len(updates) != 1 || updates[0].Update.Name != id('b') || updates[0].Update.ConfigEpoch != 7 {
		t.Fatalf("updates = %+v", updates)
	}
	if c.Owner(5).ID != id('b') {
		t.Fatal("stale claim won")
	}
}

func TestFailQuorum(t *testing.T) {
	c := busCore(t)
	_ = c.AddSlots(slot.Range{Start: 0, End: 0})
	lb := known(t, c, id('b'), slot.Range{Start: 1, End: 1})
	lc := known(t, c, id('c'), slot.Range{Start: 2, End: 2})
	_ = known(t, c, id('d'), slot.Range{Start: 3, End: 3})
	c.Tick(t0 + 3000) // past the writable delay, so the state (and size) update
	if c.size != 4 {
		t.Fatalf("size %d", c.size)
	}
	d := c.nodes[id('d')]
	d.Flags |= FlagPFail
	report := ping(id('b'), 0, slot.Range{Start: 1, End: 1})
	report.Gossip = []GossipEntry{{Name: id('d'), Flags: FlagMaster | FlagPFail}}
	c.Step(lb, report, t0+3001)
	if d.Failed() {
		t.Fatal("FAIL with 2 of 3 needed votes")
	}
	report.Sender = id('c')
	report.Slots = slot.Bitmap{}
	report.Slots.Set(2)
	c.Step(lc, report, t0+3002)
	if !d.Failed() {
		t.Fatalf("not FAIL with myself + 2 reports of 4 masters; reports %d", len(d.failReports))
	}
	// Reports expire after 2×node_timeout.
	if n, _ := c.CountFailureReports(id('d')); n != 2 {
		t.Fatalf("reports %d", n)
	}
	c.Tick(t0 + 3002 + 10001)
	if n, _ := c.CountFailureReports(id('d')); n != 0 {
		t.Fatalf("reports %d after expiry", n)
	}
}
