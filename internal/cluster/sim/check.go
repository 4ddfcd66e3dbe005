package sim

import (
	"fmt"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/slot"
)

// Invariants checked after every step of every node.

// checkSend: a message never announces an epoch nodes.conf does not hold
// yet (Ready's persist-before-send contract).
func (s *Sim) checkSend(n *Node, m *cluster.Msg) {
	if m.CurrentEpoch > n.savedCurrent {
		s.fail(fmt.Errorf("%w: node %d sent currentEpoch %d, saved %d", ErrInvariant, n.Index, m.CurrentEpoch, n.savedCurrent))
	}
	if m.SlaveOf == "" && m.ConfigEpoch > n.savedConfig {
		s.fail(fmt.Errorf("%w: node %d sent configEpoch %d, saved %d", ErrInvariant, n.Index, m.ConfigEpoch, n.savedConfig))
	}
}

// check runs the per-step invariants for node n:
//   - one owner per slot per config epoch: no two masters ever claim the
//     same slot with the same config epoch (claims are what a master
//     announces about itself);
//   - in n's view only masters own slots.
//   - currentEpoch never goes backwards, restarts included.
func (s *Sim) check(n *Node) {
	me := n.Core.Myself()
	cur := n.Core.CurrentEpoch()
	if cur < n.seenCurrent {
		s.fail(fmt.Errorf("%w: node %d currentEpoch went back from %d to %d", ErrInvariant, n.Index, n.seenCurrent, cur))
		return
	}
	n.seenCurrent = cur
	if me.IsMaster() {
		bm := me.Slots()
		if !n.claimSet || n.claimEpoch != me.ConfigEpoch || n.claimSlots != *bm {
			n.claimSet, n.claimEpoch, n.claimSlots = true, me.ConfigEpoch, *bm
			for _, o := range s.Nodes {
				if o == n || !o.claimSet || o.claimEpoch != n.claimEpoch || !o.Core.Myself().IsMaster() {
					continue
				}
				for w := range bm {
					if x := n.claimSlots[w] & o.claimSlots[w]; x != 0 {
						s.fail(fmt.Errorf("%w: nodes %d and %d both claim slots near %d at configEpoch %d",
							ErrInvariant, n.Index, o.Index, w*64, n.claimEpoch))
						return
					}
				}
			}
		}
	}
	for _, x := range n.Core.Nodes() {
		if x.NumSlots() > 0 && !x.IsMaster() {
			s.fail(fmt.Errorf("%w: node %d sees non-master %.8s owning %d slots", ErrInvariant, n.Index, x.ID, x.NumSlots()))
			return
		}
	}
}

// Converged reports why the live nodes do not agree yet, or nil: each knows
// every node (live or dead) by its real name and none in handshake; none
// sees a live node as PFAIL/FAIL; all agree on roles, masters, config
// epochs and every slot's owner; master config epochs are unique; and, if
// wantOK, every node's cluster state is ok.
func (s *Sim) Converged(wantOK bool) error {
	var ref *Node
	ids := map[string]bool{}
	for _, n := range s.Nodes {
		ids[n.Core.Myself().ID] = n.Alive
	}
	for _, n := range s.Nodes {
		if !n.Alive {
			continue
		}
		c := n.Core
		nodes := c.Nodes()
		if len(nodes) != len(ids) {
			return fmt.Errorf("node %d knows %d nodes, want %d", n.Index, len(nodes), len(ids))
		}
		for _, x := range nodes {
			alive, ok := ids[x.ID]
			switch {
			case !ok:
				return fmt.Errorf("node %d knows unknown node %.8s (flags %v)", n.Index, x.ID, x.Flags.Names())
			case x.InHandshake():
				return fmt.Errorf("node %d has %.8s in handshake", n.Index, x.ID)
			case alive && x.Flags&(cluster.FlagPFail|cluster.FlagFail) != 0:
				return fmt.Errorf("node %d sees live node %.8s as %v", n.Index, x.ID, x.Flags.Names())
			}
		}
		if wantOK && c.State() != cluster.StateOK {
			return fmt.Errorf("node %d: cluster state %v", n.Index, c.State())
		}
		if ref == nil {
			ref = n
			epochs := map[uint64]string{}
			for _, x := range nodes {
				if x.IsMaster() {
					if o, dup := epochs[x.ConfigEpoch]; dup {
						return fmt.Errorf("masters %.8s and %.8s share configEpoch %d", o, x.ID, x.ConfigEpoch)
					}
					epochs[x.ConfigEpoch] = x.ID
				}
			}
			continue
		}
		if err := sameView(ref.Core, c); err != nil {
			return fmt.Errorf("nodes %d and %d disagree: %w", ref.Index, n.Index, err)
		}
	}
	return nil
}

func sameView(a, b *cluster.Core) error {
	for _, x := range a.Nodes() {
		y := b.Node(x.ID)
		if y == nil {
			return fmt.Errorf("%.8s unknown to the second", x.ID)
		}
		if x.IsMaster() != y.IsMaster() {
			return fmt.Errorf("%.8s master %v vs %v", x.ID, x.IsMaster(), y.IsMaster())
		}
		if (x.Master == nil) != (y.Master == nil) || (x.Master != nil && x.Master.ID != y.Master.ID) {
			return fmt.Errorf("%.8s has different masters", x.ID)
		}
		if x.IsMaster() && x.ConfigEpoch != y.ConfigEpoch {
			return fmt.Errorf("%.8s configEpoch %d vs %d", x.ID, x.ConfigEpoch, y.ConfigEpoch)
		}
		if *x.Slots() != *y.Slots() {
			return fmt.Errorf("%.8s slots %v vs %v", x.ID, x.SlotRanges(), y.SlotRanges())
		}
	}
	return nil
}

// Owners returns each slot's owner ID in node i's view ("" if none).
func (s *Sim) Owners(i int) []string {
	out := make([]string, slot.Count)
	for j := range out {
		if o := s.Nodes[i].Core.Owner(j); o != nil {
			out[j] = o.ID
		}
	}
	return out
}

// Flags returns node i's view of node j's flags.
func (s *Sim) Flags(i, j int) cluster.Flags {
	x := s.Nodes[i].Core.Node(s.Nodes[j].Core.Myself().ID)
	if x == nil {
		return 0
	}
	return x.Flags
}

// ID is node i's ID.
func (s *Sim) ID(i int) string { return s.Nodes[i].Core.Myself().ID }

// Served reports why some slot is not served by a live master in live node
// i's view, or nil.
func (s *Sim) Served(i int) error {
	alive := map[string]bool{}
	for _, n := range s.Nodes {
		alive[n.Core.Myself().ID] = n.Alive
	}
	for sl := 0; sl < slot.Count; sl++ {
		o := s.Nodes[i].Core.Owner(sl)
		if o == nil || !alive[o.ID] || !o.IsMaster() {
			return fmt.Errorf("node %d: slot %d not served by a live master", i, sl)
		}
	}
	return nil
}
