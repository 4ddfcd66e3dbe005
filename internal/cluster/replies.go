package cluster

import (
	"strconv"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/slot"
)

func protoIndex(proto int) int {
	if proto >= 3 {
		return 1
	}
	return 0
}

// NodesText is the CLUSTER NODES text: one line per node, each ending in
// '\n' (clusterGenNodesDescription with no filter).
func (t *Topology) NodesText() string {
	t.nodesOnce.Do(func() {
		t.layout()
		var b []byte
		for i := range t.views {
			b = t.appendNodeLine(b, &t.views[i])
			b = append(b, '\n')
		}
		t.nodesText = string(b)
	})
	return t.nodesText
}

// NodeLine is the CLUSTER NODES line of node id (without '\n'), or "".
func (t *Topology) NodeLine(id string) string {
	t.layout()
	for i := range t.views {
		if t.views[i].id == id {
			return string(t.appendNodeLine(nil, &t.views[i]))
		}
	}
	return ""
}

// appendNodeLine is clusterGenNodeDescription.
func (t *Topology) appendNodeLine(b []byte, v *nodeView) []byte {
	b = append(b, v.id...)
	b = append(b, ' ')
	b = append(b, v.ip...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(v.port), 10)
	b = append(b, '@')
	b = strconv.AppendInt(b, int64(v.cport), 10)
	if v.hostname != "" {
		b = append(b, ',')
		b = append(b, v.hostname...)
	}
	b = append(b, ' ')
	b = (v.flags & printedFlags).AppendTo(b)
	b = append(b, ' ')
	if v.master != "" {
		b = append(b, v.master...)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, v.pingSent, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, v.pongRecv, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, v.epoch, 10)
	if v.linked {
		b = append(b, " connected"...)
	} else {
		b = append(b, " disconnected"...)
	}
	for _, r := range v.ranges {
		b = append(b, ' ')
		b = r.Append(b)
	}
	if v.idx == t.Me {
		for _, m := range t.marks {
			b = append(b, " ["...)
			b = strconv.AppendInt(b, int64(m.slot), 10)
			if m.mark == MarkMigrating {
				b = append(b, "->-"...)
			} else {
				b = append(b, "-<-"...)
			}
			b = append(b, m.peer...)
			b = append(b, ']')
		}
	}
	return b
}

// SlotsReply is the whole CLUSTER SLOTS reply in RESP proto (2 or 3).
func (t *Topology) SlotsReply(proto int) []byte {
	p := protoIndex(proto)
	t.slotsOnce[p].Do(func() { t.slotsRep[p] = t.buildSlots(proto) })
	return t.slotsRep[p]
}

// buildSlots is clusterReplyMultiBulkSlots: one entry per run of slots
// with the same owner, in slot order; replicas that failed or have not
// reported a replication offset are left out.
func (t *Topology) buildSlots(proto int) []byte {
	type entry struct {
		start, end int
		v          *nodeView
	}
	var entries []entry
	start := 0
	for s := 1; s <= slot.Count; s++ {
		if s == slot.Count || t.Route(s).Owner != t.Route(start).Owner {
			if o := t.Route(start).Owner; o != 0 {
				entries = append(entries, entry{start, s - 1, &t.views[o-1]})
			}
			start = s
		}
	}
	w := &resp.Writer{Proto: proto}
	w.Array(len(entries))
	for _, e := range entries {
		var reps []*nodeView
		for _, ri := range e.v.replicas {
			r := &t.views[ri]
			if r.flags&FlagFail == 0 && r.offset != 0 {
				reps = append(reps, r)
			}
		}
		w.Array(3 + len(reps))
		w.Int(int64(e.start))
		w.Int(int64(e.end))
		t.writeSlotsNode(w, e.v)
		for _, r := range reps {
			t.writeSlotsNode(w, r)
		}
	}
	return w.Buf
}

// writeSlotsNode is addNodeToNodeReply.
func (t *Topology) writeSlotsNode(w *resp.Writer, v *nodeView) {
	w.Array(4)
	switch t.endpoint {
	case EndpointIP:
		w.BulkString(v.ip)
	case EndpointHostname:
		w.BulkString(endpointOf(EndpointHostname, v.ip, v.hostname))
	default:
		w.Null()
	}
	w.Int(int64(v.port))
	w.BulkString(v.id)
	n := 0
	if t.endpoint != EndpointIP {
		n++
	}
	if t.endpoint != EndpointHostname && v.hostname != "" {
		n++
	}
	w.Map(n)
	if t.endpoint != EndpointIP {
		w.BulkString("ip")
		w.BulkString(v.ip)
	}
	if t.endpoint != EndpointHostname && v.hostname != "" {
		w.BulkString("hostname")
		w.BulkString(v.hostname)
	}
}

// ShardsReply is the whole CLUSTER SHARDS reply in RESP proto (2 or 3).
func (t *Topology) ShardsReply(proto int) []byte {
	p := protoIndex(proto)
	t.shardsOnce[p].Do(func() { t.shardsRep[p] = t.buildShards(proto) })
	return t.shardsRep[p]
}

// buildShards is clusterReplyShards: one shard per master (slots or not).
func (t *Topology) buildShards(proto int) []byte {
	t.layout()
	w := &resp.Writer{Proto: proto}
	n := 0
	for i := range t.views {
		if t.views[i].flags&FlagMaster != 0 {
			n++
		}
	}
	w.Array(n)
	for i := range t.views {
		v := &t.views[i]
		if v.flags&FlagMaster == 0 {
			continue
		}
		w.Map(2)
		w.BulkString("slots")
		w.Array(2 * len(v.ranges))
		for _, r := range v.ranges {
			w.Int(int64(r.Start))
			w.Int(int64(r.End))
		}
		w.BulkString("nodes")
		w.Array(1 + len(v.replicas))
		t.writeShardNode(w, v)
		for _, ri := range v.replicas {
			t.writeShardNode(w, &t.views[ri])
		}
	}
	return w.Buf
}

// writeShardNode is addNodeDetailsToShardReply: with tls-cluster the
// announced port is "tls-port" and its plaintext twin "port".
func (t *Topology) writeShardNode(w *resp.Writer, v *nodeView) {
	plain, tlsPort := v.aport, 0
	if t.tls {
		plain, tlsPort = v.pport, v.aport
	}
	n := 6
	if plain != 0 {
		n++
	}
	if tlsPort != 0 {
		n++
	}
	if v.hostname != "" {
		n++
	}
	w.Map(n)
	w.BulkString("id")
	w.BulkString(v.id)
	if plain != 0 {
		w.BulkString("port")
		w.Int(int64(plain))
	}
	if tlsPort != 0 {
		w.BulkString("tls-port")
		w.Int(int64(tlsPort))
	}
	w.BulkString("ip")
	w.BulkString(v.ip)
	w.BulkString("endpoint")
	w.BulkString(endpointOf(t.endpoint, v.ip, v.hostname))
	if v.hostname != "" {
		w.BulkString("hostname")
		w.BulkString(v.hostname)
	}
	slave := v.flags&FlagSlave != 0
	w.BulkString("role")
	if slave {
		w.BulkString("replica")
	} else {
		w.BulkString("master")
	}
	w.BulkString("replication-offset")
	w.Int(v.offset)
	w.BulkString("health")
	switch {
	case v.flags&FlagFail != 0:
		w.BulkString("fail")
	case slave && v.offset == 0:
		w.BulkString("loading")
	default:
		w.BulkString("online")
	}
}
