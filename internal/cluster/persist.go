package cluster

import (
	"errors"

	"github.com/shoal-db/shoal/internal/slot"
)

// Persisted is the state nodes.conf holds. It mirrors nodesconf.File (which
// this package cannot import: it does file I/O); the runner converts.
type Persisted struct {
	Nodes         []PersistedNode
	CurrentEpoch  uint64
	LastVoteEpoch uint64
}

// PersistedNode is one node line of nodes.conf.
type PersistedNode struct {
	ID       string
	IP       string
	Port     int
	CPort    int
	Hostname string
	Flags    Flags
	MasterID string // "" for none
	PingSent int64
	PongRecv int64
	// ConfigEpoch is the node's own config epoch; a replica's line shows its
	// master's (Node.Epoch), and that is what Load reads back.
	ConfigEpoch uint64
	Connected   bool
	Slots       []slot.Range
	// Migrating and Importing (myself only): slot → peer node ID.
	Migrating map[int]string
	Importing map[int]string
}

// Load builds a core from a parsed nodes.conf, as clusterLoadConfig does:
// ping and pong times that are set become now (they are runtime values),
// failed nodes get fail time now, links start down, and currentEpoch is
// raised to the greatest config epoch seen. Myself's ports and hostname then
// follow cfg. The file must name exactly one myself node; node IDs named as
// master or mark peer without a line of their own are created, as Redis does.
func Load(cfg Config, p *Persisted, now int64) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := newCore(cfg, now)
	get := func(id string) *Node {
		n := c.nodes[id]
		if n == nil {
			n = c.newNode(id, 0)
			c.addNode(n)
		}
		return n
	}
	for i := range p.Nodes {
		pn := &p.Nodes[i]
		if len(pn.ID) != 40 {
			return nil, errors.New("cluster: bad node ID " + pn.ID)
		}
		n := get(pn.ID)
		n.IP, n.Port, n.CPort, n.Hostname = pn.IP, pn.Port, pn.CPort, pn.Hostname
		n.Flags = pn.Flags &^ FlagMeet
		if n.Flags&FlagMyself != 0 {
			if c.myself != nil {
				return nil, errors.New("cluster: two nodes flagged myself")
			}
			c.myself = n
		}
		if n.Flags&FlagFail != 0 {
			n.FailTime = now
		}
		if pn.MasterID != "" {
			m := get(pn.MasterID)
			n.Master = m
			m.addReplica(n)
		}
		if pn.PingSent != 0 {
			n.PingSent = now
		}
		if pn.PongRecv != 0 {
			n.PongRecv = now
		}
		n.ConfigEpoch = pn.ConfigEpoch
		for _, r := range pn.Slots {
			if !r.Valid() {
				return nil, errors.New("cluster: bad slot range " + r.String())
			}
			for s := r.Start; s <= r.End; s++ {
				c.addSlot(n, s)
			}
		}
		for s, id := range pn.Migrating {
			if s >= 0 && s < slot.Count {
				c.migrating[s] = get(id)
				c.touch(s)
			}
		}
		for s, id := range pn.Importing {
			if s >= 0 && s < slot.Count {
				c.importing[s] = get(id)
				c.touch(s)
			}
		}
	}
	if c.myself == nil {
		return nil, errors.New("cluster: no node flagged myself")
	}
	c.currentEpoch = p.CurrentEpoch
	c.lastVoteEpoch = p.LastVoteEpoch
	if m := c.maxEpoch(); m > c.currentEpoch {
		c.currentEpoch = m
	}
	c.applyMyselfConfig()
	c.logf('*', "Node configuration loaded, I'm ", c.myself.ID)
	return c, nil
}

// Export returns the state to persist: every node not in handshake, in the
// core's order, as clusterSaveConfig writes them.
func (c *Core) Export() *Persisted {
	p := &Persisted{CurrentEpoch: c.currentEpoch, LastVoteEpoch: c.lastVoteEpoch}
	for _, n := range c.order {
		if n.InHandshake() {
			continue
		}
		p.Nodes = append(p.Nodes, c.persistNode(n))
	}
	return p
}

func (c *Core) persistNode(n *Node) PersistedNode {
	pn := PersistedNode{
		ID: n.ID, IP: n.IP, Port: n.Port, CPort: n.CPort, Hostname: n.Hostname,
		Flags: n.Flags & printedFlags, PingSent: n.PingSent, PongRecv: n.PongRecv,
		ConfigEpoch: n.Epoch(), Connected: n.Linked || n == c.myself, Slots: n.slots.Ranges(),
	}
	if n.Master != nil {
		pn.MasterID = n.Master.ID
	}
	if n == c.myself {
		for s := 0; s < slot.Count; s++ {
			if m := c.migrating[s]; m != nil {
				if pn.Migrating == nil {
					pn.Migrating = map[int]string{}
				}
				pn.Migrating[s] = m.ID
			} else if m := c.importing[s]; m != nil {
				if pn.Importing == nil {
					pn.Importing = map[int]string{}
				}
				pn.Importing[s] = m.ID
			}
		}
	}
	return pn
}
