package clusternode

import (
	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/clusterbus"
)

// Translation between the core's message model (cluster.Msg) and the wire
// model of the codec (clusterbus.Message). The two differ where the core
// chose its own representation:
//
//   - node flags: the core's Flags follow CLUSTER NODES' print order, Redis's
//     CLUSTER_NODE_* bits do not; they are mapped by name (flagPairs);
//   - cluster state: the core's StateOK is 1, the wire's CLUSTER_OK is 0;
//   - node names: "" in the core is the all-zero name on the wire;
//   - ping extensions: the core always offers hostname, forgotten nodes and
//     shard id; a Redis 7.0 receiver logs a warning for every extension type
//     but the hostname, and Redis 7.0 itself sends only the hostname, so only
//     a non-empty hostname goes on the wire, and MFlag0ExtData is set only
//     when it does (as 7.0's clusterSendPing) — or when Shoal's WAIT-acked
//     offset goes, which the core sets only for a master's own replicas
//     under cluster-replica-wait-safe.

// flagPair maps one core flag to its wire bit.
type flagPair struct {
	core cluster.Flags
	wire clusterbus.NodeFlags
}

// flagPairs maps every flag the core knows to Redis's bit, by the name
// CLUSTER NODES prints (redisNodeFlagsTable). FlagMeet is never printed and
// is paired directly. The wire's NodeMigrateTo has no core twin and is
// dropped on receipt.
var flagPairs = func() []flagPair {
	byName := []struct {
		name string
		wire clusterbus.NodeFlags
	}{
		{"myself", clusterbus.NodeMyself},
		{"master", clusterbus.NodeMaster},
		{"slave", clusterbus.NodeSlave},
		{"fail?", clusterbus.NodePFail},
		{"fail", clusterbus.NodeFail},
		{"handshake", clusterbus.NodeHandshake},
		{"noaddr", clusterbus.NodeNoAddr},
		{"nofailover", clusterbus.NodeNoFailover},
	}
	pairs := []flagPair{{cluster.FlagMeet, clusterbus.NodeMeet}}
	for _, p := range byName {
		f, ok := cluster.FlagByName(p.name)
		if !ok || f == 0 {
			panic("clusternode: the core has no flag named " + p.name)
		}
		pairs = append(pairs, flagPair{f, p.wire})
	}
	return pairs
}()

func flagsToWire(f cluster.Flags) clusterbus.NodeFlags {
	var w clusterbus.NodeFlags
	for _, p := range flagPairs {
		if f&p.core != 0 {
			w |= p.wire
		}
	}
	return w
}

func flagsFromWire(w clusterbus.NodeFlags) cluster.Flags {
	var f cluster.Flags
	for _, p := range flagPairs {
		if w&p.wire != 0 {
			f |= p.core
		}
	}
	return f
}

// msgFlagPairs maps the core's MsgFlags to CLUSTERMSG_FLAG0_* bits.
var msgFlagPairs = []struct {
	core cluster.MsgFlags
	wire byte
}{
	{cluster.MFlagPaused, clusterbus.MFlag0Paused},
	{cluster.MFlagForceAck, clusterbus.MFlag0ForceAck},
	{cluster.MFlagExtData, clusterbus.MFlag0ExtData},
}

func stateToWire(s cluster.State) uint8 {
	if s == cluster.StateOK {
		return clusterbus.StateOK
	}
	return clusterbus.StateFail
}

func stateFromWire(s uint8) cluster.State {
	if s == clusterbus.StateOK {
		return cluster.StateOK
	}
	return cluster.StateFail
}

// toWire translates a message of the core for the codec. The result
// shares the PUBLISH payload slices with m.
func toWire(m *cluster.Msg) *clusterbus.Message {
	w := &clusterbus.Message{Header: clusterbus.Header{
		Ver:          clusterbus.ProtoVer,
		Port:         uint16(m.Port),
		Type:         clusterbus.Type(m.Type),
		CurrentEpoch: m.CurrentEpoch,
		ConfigEpoch:  m.ConfigEpoch,
		Offset:       m.Offset,
		Sender:       clusterbus.NameFrom(m.Sender),
		MySlots:      clusterbus.SlotBitsFrom(&m.Slots),
		SlaveOf:      clusterbus.NameFrom(m.SlaveOf),
		MyIP:         clusterbus.IPFrom(m.MyIP),
		PPort:        uint16(m.PPort),
		CPort:        uint16(m.CPort),
		Flags:        flagsToWire(m.Flags),
		State:        stateToWire(m.State),
	}}
	for _, p := range msgFlagPairs {
		if m.MFlags&p.core != 0 {
			w.Header.MFlags[0] |= p.wire
		}
	}
	switch m.Type {
	case cluster.MsgPing, cluster.MsgPong, cluster.MsgMeet:
		if len(m.Gossip) > 0 {
			w.Gossip = make([]clusterbus.Gossip, len(m.Gossip))
			for i := range m.Gossip {
				g := &m.Gossip[i]
				w.Gossip[i] = clusterbus.Gossip{
					NodeName: clusterbus.NameFrom(g.Name), PingSent: uint32(g.PingSent),
					PongReceived: uint32(g.PongReceived), IP: clusterbus.IPFrom(g.IP),
					Port: uint16(g.Port), CPort: uint16(g.CPort), PPort: uint16(g.PPort),
					Flags: flagsToWire(g.Flags),
				}
			}
		}
		// Only the hostname, as Redis 7.0 (see the top of this file).
		w.Header.MFlags[0] &^= clusterbus.MFlag0ExtData
		if m.Ext.Hostname != "" {
			w.Exts = []clusterbus.Ext{{Type: clusterbus.ExtHostname, Hostname: m.Ext.Hostname}}
		}
		// Shoal's own WAIT-acked offset: the core sets it only for the
		// sender's replicas under cluster-replica-wait-safe.
		if m.Ext.WaitAcked != 0 {
			w.Exts = append(w.Exts, clusterbus.Ext{Type: clusterbus.ExtShoalWaitAcked, Offset: m.Ext.WaitAcked})
		}
	case cluster.MsgFail:
		if m.Fail != nil {
			w.Fail.NodeName = clusterbus.NameFrom(m.Fail.Name)
		}
	case cluster.MsgPublish, cluster.MsgPublishShard:
		if m.Publish != nil {
			w.Publish = clusterbus.Publish{Channel: m.Publish.Channel, Message: m.Publish.Message}
		}
	case cluster.MsgUpdate:
		if m.Update != nil {
			w.Update = clusterbus.Update{ConfigEpoch: m.Update.ConfigEpoch, NodeName: clusterbus.NameFrom(m.Update.Name),
				Slots: clusterbus.SlotBitsFrom(&m.Update.Slots)}
		}
	}
	return w
}

// fromWire translates a decoded message for the core. Nothing in the
// result aliases w, whose slices alias the link's read buffer.
func fromWire(w *clusterbus.Message) *cluster.Msg {
	h := &w.Header
	m := &cluster.Msg{
		Type:         cluster.MsgType(h.Type),
		Sender:       h.Sender.String(),
		CurrentEpoch: h.CurrentEpoch,
		ConfigEpoch:  h.ConfigEpoch,
		Offset:       h.Offset,
		Slots:        h.MySlots.Bitmap(),
		SlaveOf:      h.SlaveOf.String(),
		MyIP:         h.MyIP.String(),
		Port:         int(h.Port),
		PPort:        int(h.PPort),
		CPort:        int(h.CPort),
		Flags:        flagsFromWire(h.Flags),
		State:        stateFromWire(h.State),
	}
	for _, p := range msgFlagPairs {
		if h.MFlags[0]&p.wire != 0 {
			m.MFlags |= p.core
		}
	}
	switch h.Type {
	case clusterbus.TypePing, clusterbus.TypePong, clusterbus.TypeMeet:
		if len(w.Gossip) > 0 {
			m.Gossip = make([]cluster.GossipEntry, len(w.Gossip))
			for i := range w.Gossip {
				g := &w.Gossip[i]
				m.Gossip[i] = cluster.GossipEntry{
					Name: g.NodeName.String(), PingSent: int64(g.PingSent), PongReceived: int64(g.PongReceived),
					IP: g.IP.String(), Port: int(g.Port), CPort: int(g.CPort), PPort: int(g.PPort),
					Flags: flagsFromWire(g.Flags),
				}
			}
		}
		for i := range w.Exts {
			e := &w.Exts[i]
			switch e.Type {
			case clusterbus.ExtHostname:
				m.Ext.Hostname = e.Hostname
			case clusterbus.ExtForgottenNode:
				m.Ext.Forgotten = append(m.Ext.Forgotten, cluster.ForgottenNode{Name: e.Name.String(), TTL: e.TTL})
			case clusterbus.ExtShardID:
				m.Ext.ShardID = e.Name.String()
			case clusterbus.ExtShoalWaitAcked:
				m.Ext.WaitAcked = e.Offset
			}
		}
	case clusterbus.TypeFail:
		m.Fail = &cluster.FailBody{Name: w.Fail.NodeName.String()}
	case clusterbus.TypePublish, clusterbus.TypePublishShard:
		m.Publish = &cluster.PublishBody{Channel: clone(w.Publish.Channel), Message: clone(w.Publish.Message)}
	case clusterbus.TypeUpdate:
		m.Update = &cluster.UpdateBody{ConfigEpoch: w.Update.ConfigEpoch, Name: w.Update.NodeName.String(),
			Slots: w.Update.Slots.Bitmap()}
	}
	return m
}

// clone copies b; nil stays nil, empty stays empty (a PUBLISH of "" is
// still a message).
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
