package clusterbus

// Len returns the encoded length of m, the totlen Encode writes.
func (m *Message) Len() int {
	n := HeaderLen
	switch m.Header.Type {
	case TypePing, TypePong, TypeMeet:
		n += len(m.Gossip) * GossipLen
		for i := range m.Exts {
			n += m.Exts[i].len()
		}
	case TypeFail:
		n += FailLen
	case TypePublish, TypePublishShard:
		n += PublishFixedLen + len(m.Publish.Channel) + len(m.Publish.Message)
	case TypeUpdate:
		n += UpdateLen
	case TypeModule:
		n += ModuleFixedLen + len(m.Module.Payload)
	}
	return n
}

// align8 rounds n up to a multiple of 8 (Redis's EIGHT_BYTE_ALIGN).
func align8(n int) int { return (n + 7) &^ 7 }

// len is the extension's encoded length, header and padding included.
func (e *Ext) len() int {
	switch e.Type {
	case ExtHostname:
		return ExtHeaderLen + align8(len(e.Hostname)+1) // NUL terminated
	case ExtForgottenNode:
		return ExtHeaderLen + forgottenLen
	case ExtShardID:
		return ExtHeaderLen + shardIDLen
	case ExtShoalWaitAcked:
		return ExtHeaderLen + waitAckedLen
	default:
		return ExtHeaderLen + align8(len(e.Raw))
	}
}

// Encode appends m in wire format to dst and returns the extended slice.
//
// Header.Totlen is computed from the body. For PING/PONG/MEET, Count is
// len(Gossip); when Exts is not empty or MFlags[0] has MFlag0ExtData, the
// flag is set and Extensions is len(Exts), as Redis's clusterSendPing does;
// otherwise Extensions is written as given. Every other header field, the
// reserved ones included, is written as given, so Encode of a decoded
// message reproduces its frame. m is not modified. Body fields of other
// types are ignored; an unknown Type encodes as a bare header.
func (m *Message) Encode(dst []byte) []byte {
	h := m.Header
	h.Totlen = uint32(m.Len())
	if h.Type.IsPing() {
		h.Count = uint16(len(m.Gossip))
		if len(m.Exts) > 0 || h.MFlags[0]&MFlag0ExtData != 0 {
			h.MFlags[0] |= MFlag0ExtData
			h.Extensions = uint16(len(m.Exts))
		}
	}
	dst = appendHeader(dst, &h)
	switch h.Type {
	case TypePing, TypePong, TypeMeet:
		for i := range m.Gossip {
			dst = appendGossip(dst, &m.Gossip[i])
		}
		for i := range m.Exts {
			dst = appendExt(dst, &m.Exts[i])
		}
	case TypeFail:
		dst = append(dst, m.Fail.NodeName[:]...)
	case TypePublish, TypePublishShard:
		p := &m.Publish
		dst = be.AppendUint32(dst, uint32(len(p.Channel)))
		dst = be.AppendUint32(dst, uint32(len(p.Message)))
		dst = append(dst, p.Channel...)
		dst = append(dst, p.Message...)
	case TypeUpdate:
		u := &m.Update
		dst = be.AppendUint64(dst, u.ConfigEpoch)
		dst = append(dst, u.NodeName[:]...)
		dst = append(dst, u.Slots[:]...)
	case TypeModule:
		md := &m.Module
		dst = be.AppendUint64(dst, md.ModuleID)
		dst = be.AppendUint32(dst, uint32(len(md.Payload)))
		dst = append(dst, md.Type)
		dst = append(dst, md.Payload...)
	}
	return dst
}

func appendHeader(dst []byte, h *Header) []byte {
	dst = append(dst, Signature[:]...)
	dst = be.AppendUint32(dst, h.Totlen)
	dst = be.AppendUint16(dst, h.Ver)
	dst = be.AppendUint16(dst, h.Port)
	dst = be.AppendUint16(dst, uint16(h.Type))
	dst = be.AppendUint16(dst, h.Count)
	dst = be.AppendUint64(dst, h.CurrentEpoch)
	dst = be.AppendUint64(dst, h.ConfigEpoch)
	dst = be.AppendUint64(dst, h.Offset)
	dst = append(dst, h.Sender[:]...)
	dst = append(dst, h.MySlots[:]...)
	dst = append(dst, h.SlaveOf[:]...)
	dst = append(dst, h.MyIP[:]...)
	dst = be.AppendUint16(dst, h.Extensions)
	dst = append(dst, h.NotUsed1[:]...)
	dst = be.AppendUint16(dst, h.PPort)
	dst = be.AppendUint16(dst, h.CPort)
	dst = be.AppendUint16(dst, uint16(h.Flags))
	dst = append(dst, h.State)
	return append(dst, h.MFlags[:]...)
}

func appendGossip(dst []byte, g *Gossip) []byte {
	dst = append(dst, g.NodeName[:]...)
	dst = be.AppendUint32(dst, g.PingSent)
	dst = be.AppendUint32(dst, g.PongReceived)
	dst = append(dst, g.IP[:]...)
	dst = be.AppendUint16(dst, g.Port)
	dst = be.AppendUint16(dst, g.CPort)
	dst = be.AppendUint16(dst, uint16(g.Flags))
	dst = be.AppendUint16(dst, g.PPort)
	return be.AppendUint16(dst, g.NotUsed1)
}

func appendExt(dst []byte, e *Ext) []byte {
	n := e.len()
	start := len(dst)
	dst = be.AppendUint32(dst, uint32(n))
	dst = be.AppendUint16(dst, uint16(e.Type))
	dst = be.AppendUint16(dst, 0) // unused
	switch e.Type {
	case ExtHostname:
		dst = append(dst, e.Hostname...)
	case ExtForgottenNode:
		dst = append(dst, e.Name[:]...)
		dst = be.AppendUint64(dst, e.TTL)
	case ExtShardID:
		dst = append(dst, e.Name[:]...)
	case ExtShoalWaitAcked:
		dst = be.AppendUint64(dst, e.Offset)
	default:
		dst = append(dst, e.Raw...)
	}
	for len(dst) < start+n { // NUL terminator and padding
		dst = append(dst, 0)
	}
	return dst
}
