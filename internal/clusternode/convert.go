package clusternode

import (
	"fmt"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
)

// ToPersisted converts a parsed nodes.conf into the core's form.
func ToPersisted(f *nodesconf.File) (*cluster.Persisted, error) {
	p := &cluster.Persisted{CurrentEpoch: f.CurrentEpoch, LastVoteEpoch: f.LastVoteEpoch}
	for _, n := range f.Nodes {
		var flags cluster.Flags
		for _, name := range n.Flags {
			fl, ok := cluster.FlagByName(name)
			if !ok {
				return nil, fmt.Errorf("node %s: unknown flag %q", n.ID, name)
			}
			flags |= fl
		}
		master := n.MasterID
		if master == "-" {
			master = ""
		}
		p.Nodes = append(p.Nodes, cluster.PersistedNode{
			ID: n.ID, IP: n.IP, Port: n.Port, CPort: n.CPort, Hostname: n.Hostname, Flags: flags,
			MasterID: master, PingSent: n.PingSent, PongRecv: n.PongRecv, ConfigEpoch: n.ConfigEpoch,
			Connected: n.LinkState == "connected", Slots: n.Slots, Migrating: n.Migrating, Importing: n.Importing,
		})
	}
	return p, nil
}

// FromPersisted converts the core's exported state into a nodes.conf File.
func FromPersisted(p *cluster.Persisted) *nodesconf.File {
	f := &nodesconf.File{CurrentEpoch: p.CurrentEpoch, LastVoteEpoch: p.LastVoteEpoch}
	for _, n := range p.Nodes {
		master, link := n.MasterID, "disconnected"
		if master == "" {
			master = "-"
		}
		if n.Connected {
			link = "connected"
		}
		f.Nodes = append(f.Nodes, nodesconf.Node{
			ID: n.ID, IP: n.IP, Port: n.Port, CPort: n.CPort, Hostname: n.Hostname, Flags: n.Flags.Names(),
			MasterID: master, PingSent: n.PingSent, PongRecv: n.PongRecv, ConfigEpoch: n.ConfigEpoch,
			LinkState: link, Slots: n.Slots, Migrating: n.Migrating, Importing: n.Importing,
		})
	}
	return f
}
