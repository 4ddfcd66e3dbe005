package cluster

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

// fullTopology builds the snapshot from scratch, every route computed,
// without disturbing what the core keeps for its next Topology.
func fullTopology(c *Core) *Topology {
	topo, version, order := c.topo, c.topoVersion, append([]*Node(nil), c.topoOrder...)
	dirty, all := append([]uint16(nil), c.dirty...), c.dirtyAll
	c.topo, c.dirtyAll = nil, true
	t := c.Topology()
	c.topo, c.topoVersion, c.topoOrder, c.dirty, c.dirtyAll = topo, version, order, dirty, all
	return t
}

func sameTopology(t *testing.T, step string, got, want *Topology) {
	t.Helper()
	for s := 0; s < slot.Count; s++ {
		if got.Route(s) != want.Route(s) {
			t.Fatalf("%s: route %d = %+v, want %+v", step, s, got.Route(s), want.Route(s))
		}
	}
	got.layout()
	want.layout()
	if !reflect.DeepEqual(got.marks, want.marks) {
		t.Fatalf("%s: marks %v, want %v", step, got.marks, want.marks)
	}
	if !reflect.DeepEqual(got.views, want.views) || !reflect.DeepEqual(got.addrs, want.addrs) {
		t.Fatalf("%s: views differ", step)
	}
	if got.NodesText() != want.NodesText() {
		t.Fatalf("%s: CLUSTER NODES\n%s\nwant\n%s", step, got.NodesText(), want.NodesText())
	}
}

// TestTopologyIncremental checks that the snapshot built from the last one
// plus the slots touched since equals one built from scratch, after every
// step of a random mix of the changes that move slots or marks and those
// that add, remove or reorder nodes.
func TestTopologyIncremental(t *testing.T) {
	c, ns := loadFour(t)
	r := rand.New(rand.NewPCG(7, 7))
	// A snapshot never changes once built (pages are copied on write).
	var old *Topology
	var oldRoutes [slot.Count]Route
	check := func(step string) {
		t.Helper()
		cur := c.Topology()
		sameTopology(t, step, cur, fullTopology(c))
		if old != nil {
			for s := range oldRoutes {
				if old.Route(s) != oldRoutes[s] {
					t.Fatalf("%s: an older snapshot's route %d changed", step, s)
				}
			}
		}
		old = cur
		for s := range oldRoutes {
			oldRoutes[s] = cur.Route(s)
		}
	}
	for i := 0; i < 3000; i++ {
		s := r.IntN(slot.Count)
		if r.IntN(4) > 0 { // mostly a few slots, so that changes meet
			s = 5400 + r.IntN(100)
		}
		other := ns[1+r.IntN(3)]
		var step string
		switch op := r.IntN(20); {
		case op < 5:
			step = "migrating"
			c.SetSlotMigrating(s, other.ID)
		case op < 10:
			step = "importing"
			c.SetSlotImporting(s, other.ID)
		case op < 13:
			step = "stable"
			c.SetSlotStable(s)
		case op < 17:
			step = "node"
			c.SetSlotNode(s, ns[r.IntN(4)].ID, r.IntN(2))
		case op == 17:
			step = "delslots"
			if c.owner[s] != nil {
				c.DelSlots(slot.Range{Start: s, End: min(s+r.IntN(1000), slot.Count-1)})
			}
		case op == 18:
			step = "addslots"
			if c.owner[s] == nil {
				c.AddSlots(slot.Range{Start: s, End: s})
			}
		default:
			// Drop a node and bring it back at the end of the order.
			step = "forget"
			n := ns[1+r.IntN(3)]
			pn := PersistedNode{ID: n.ID, IP: n.IP, Port: n.Port, CPort: n.CPort, Flags: FlagMaster, Connected: true}
			for x := 0; x < slot.Count; x++ {
				if c.owner[x] == n {
					pn.Slots = append(pn.Slots, slot.Range{Start: x, End: x})
				}
			}
			c.delNode(n)
			c.version++
			check(step)
			m := c.newNode(pn.ID, FlagMaster)
			m.IP, m.Port, m.CPort = pn.IP, pn.Port, pn.CPort
			c.addNode(m)
			for _, rg := range pn.Slots {
				c.addSlot(m, rg.Start)
			}
			for j := range ns {
				if ns[j] == n {
					ns[j] = m
				}
			}
			c.version++
		}
		if r.IntN(3) > 0 { // several changes may go into one snapshot
			continue
		}
		check(step)
	}
	check("end")
}
