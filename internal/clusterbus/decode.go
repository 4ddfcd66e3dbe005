package clusterbus

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors returned by Decode and ReadFrame. Decode wraps them with details;
// test with errors.Is.
//
// Redis 7.0 treats them in two ways, and a link should too:
//   - ErrSignature and ErrFrameLen come from the 8-byte frame prefix
//     (clusterReadHandler): the stream cannot be trusted, close the link.
//   - The rest are per message (clusterProcessPacket): log the message and
//     drop it; the link stays up, since the frame boundary is known.
var (
	// ErrSignature: the message does not start with "RCmb".
	ErrSignature = errors.New("clusterbus: bad signature")
	// ErrFrameLen: the frame's totlen is below HeaderLen or above the
	// reader's limit.
	ErrFrameLen = errors.New("clusterbus: bad frame length")
	// ErrVersion: the protocol version is not ProtoVer.
	ErrVersion = errors.New("clusterbus: unsupported protocol version")
	// ErrLength: totlen disagrees with the frame's size or with the length
	// the message type and its counts call for.
	ErrLength = errors.New("clusterbus: bad message length")
	// ErrExtension: a ping extension is malformed (length not a multiple of
	// 8, shorter than its header or its fixed payload, or past the end).
	ErrExtension = errors.New("clusterbus: bad ping extension")
	// ErrUnknownType: the message type is not one Redis 7.0 defines.
	ErrUnknownType = errors.New("clusterbus: unknown message type")
)

var be = binary.BigEndian

// Decode parses one whole message: frame must hold exactly totlen bytes, as
// ReadFrame returns them. It validates the way Redis 7.0's
// clusterProcessPacket does (signature, version, and totlen against the
// length the type calls for: gossip count times GossipLen plus each ping
// extension's length for PING/PONG/MEET, the channel and message lengths for
// PUBLISH, and so on) and never panics on any input.
//
// Byte slices in the result alias frame; copy them to keep them past the
// frame buffer's reuse.
func Decode(frame []byte) (*Message, error) {
	m := new(Message)
	if err := m.decode(frame); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Message) decode(b []byte) error {
	if len(b) < HeaderLen {
		return fmt.Errorf("%w: %d bytes, a header needs %d", ErrLength, len(b), HeaderLen)
	}
	if [4]byte(b[0:4]) != Signature {
		return fmt.Errorf("%w: %q", ErrSignature, b[0:4])
	}
	h := &m.Header
	decodeHeader(h, b)
	if int64(h.Totlen) != int64(len(b)) {
		return fmt.Errorf("%w: totlen %d, frame %d bytes", ErrLength, h.Totlen, len(b))
	}
	if h.Ver != ProtoVer {
		return fmt.Errorf("%w: %d", ErrVersion, h.Ver)
	}
	body := b[HeaderLen:]
	switch t := h.Type; t {
	case TypePing, TypePong, TypeMeet:
		return m.decodePing(body)
	case TypeFail:
		if err := wantLen(t, body, FailLen); err != nil {
			return err
		}
		m.Fail.NodeName = NodeName(body)
	case TypePublish, TypePublishShard:
		if len(body) < PublishFixedLen {
			return wantLen(t, body, PublishFixedLen)
		}
		chLen, msgLen := int64(be.Uint32(body)), int64(be.Uint32(body[4:]))
		if err := wantLen(t, body, PublishFixedLen+chLen+msgLen); err != nil {
			return err
		}
		p := body[PublishFixedLen:]
		m.Publish.Channel = p[:chLen:chLen]
		m.Publish.Message = p[chLen:]
	case TypeFailoverAuthRequest, TypeFailoverAuthAck, TypeMFStart:
		return wantLen(t, body, 0)
	case TypeUpdate:
		if err := wantLen(t, body, UpdateLen); err != nil {
			return err
		}
		m.Update.ConfigEpoch = be.Uint64(body)
		m.Update.NodeName = NodeName(body[8:])
		m.Update.Slots = SlotBits(body[8+NameLen:])
	case TypeModule:
		if len(body) < ModuleFixedLen {
			return wantLen(t, body, ModuleFixedLen)
		}
		n := int64(be.Uint32(body[8:]))
		if err := wantLen(t, body, ModuleFixedLen+n); err != nil {
			return err
		}
		m.Module.ModuleID = be.Uint64(body)
		m.Module.Type = body[12]
		m.Module.Payload = body[ModuleFixedLen:]
	default:
		return fmt.Errorf("%w: %d (%d bytes from %s)", ErrUnknownType, uint16(t), len(b), h.Sender)
	}
	return nil
}

// wantLen checks that a body of type t is exactly n bytes.
func wantLen(t Type, body []byte, n int64) error {
	if int64(len(body)) != n {
		return fmt.Errorf("%w: %s message of %d bytes, expected %d",
			ErrLength, t, HeaderLen+len(body), HeaderLen+n)
	}
	return nil
}

func decodeHeader(h *Header, b []byte) {
	h.Totlen = be.Uint32(b[4:])
	h.Ver = be.Uint16(b[8:])
	h.Port = be.Uint16(b[10:])
	h.Type = Type(be.Uint16(b[12:]))
	h.Count = be.Uint16(b[14:])
	h.CurrentEpoch = be.Uint64(b[16:])
	h.ConfigEpoch = be.Uint64(b[24:])
	h.Offset = be.Uint64(b[32:])
	h.Sender = NodeName(b[offSender:])
	h.MySlots = SlotBits(b[offMySlots:])
	h.SlaveOf = NodeName(b[offSlaveOf:])
	h.MyIP = IP(b[offMyIP:])
	h.Extensions = be.Uint16(b[offExtensions:])
	h.NotUsed1 = [30]byte(b[offNotUsed1:])
	h.PPort = be.Uint16(b[offPPort:])
	h.CPort = be.Uint16(b[offCPort:])
	h.Flags = NodeFlags(be.Uint16(b[offFlags:]))
	h.State = b[offState]
	h.MFlags = [3]byte(b[offMFlags:])
}

// Header field offsets (Redis's static_asserts in cluster.h).
const (
	offSig          = 0
	offTotlen       = 4
	offVer          = 8
	offPort         = 10
	offType         = 12
	offCount        = 14
	offCurrentEpoch = 16
	offConfigEpoch  = 24
	offOffset       = 32
	offSender       = 40
	offMySlots      = offSender + NameLen    // 80
	offSlaveOf      = offMySlots + SlotBytes // 2128
	offMyIP         = offSlaveOf + NameLen   // 2168
	offExtensions   = offMyIP + IPLen        // 2214
	offNotUsed1     = offExtensions + 2      // 2216
	offPPort        = offNotUsed1 + 30       // 2246
	offCPort        = offPPort + 2           // 2248
	offFlags        = offCPort + 2           // 2250
	offState        = offFlags + 2           // 2252
	offMFlags       = offState + 1           // 2253
	offData         = offMFlags + 3          // 2256
)

// decodePing parses the gossip section and, when MFlag0ExtData is set, the
// Header.Extensions ping extensions after it.
func (m *Message) decodePing(body []byte) error {
	h := &m.Header
	n := int64(h.Count) * GossipLen
	if int64(len(body)) < n {
		return fmt.Errorf("%w: %s with %d gossip entries needs %d bytes, got %d",
			ErrLength, h.Type, h.Count, HeaderLen+n, HeaderLen+len(body))
	}
	if h.Count > 0 {
		m.Gossip = make([]Gossip, h.Count)
		for i := range m.Gossip {
			decodeGossip(&m.Gossip[i], body[i*GossipLen:])
		}
	}
	rest := body[n:]
	if h.MFlags[0]&MFlag0ExtData != 0 && h.Extensions > 0 {
		m.Exts = make([]Ext, h.Extensions)
		for i := range m.Exts {
			k, err := decodeExt(&m.Exts[i], rest)
			if err != nil {
				return fmt.Errorf("%w (%s extension %d of %d)", err, h.Type, i+1, h.Extensions)
			}
			rest = rest[k:]
		}
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %s has %d bytes after its gossip and extensions",
			ErrLength, h.Type, len(rest))
	}
	return nil
}

func decodeGossip(g *Gossip, b []byte) {
	g.NodeName = NodeName(b)
	g.PingSent = be.Uint32(b[40:])
	g.PongReceived = be.Uint32(b[44:])
	g.IP = IP(b[48:])
	g.Port = be.Uint16(b[94:])
	g.CPort = be.Uint16(b[96:])
	g.Flags = NodeFlags(be.Uint16(b[98:]))
	g.PPort = be.Uint16(b[100:])
	g.NotUsed1 = be.Uint16(b[102:])
}

// Fixed payload sizes of the extension types decoded into fields.
const (
	forgottenLen = NameLen + 8 // clusterMsgPingExtForgottenNode
	shardIDLen   = NameLen     // clusterMsgPingExtShardId
	waitAckedLen = 8           // ExtShoalWaitAcked: one offset
)

// decodeExt parses the extension at the start of b and returns its length.
func decodeExt(e *Ext, b []byte) (int, error) {
	if len(b) < ExtHeaderLen {
		return 0, fmt.Errorf("%w: %d bytes left, an extension header needs %d", ErrExtension, len(b), ExtHeaderLen)
	}
	n := be.Uint32(b)
	switch {
	case n%8 != 0:
		return 0, fmt.Errorf("%w: length %d is not a multiple of 8", ErrExtension, n)
	case n < ExtHeaderLen:
		return 0, fmt.Errorf("%w: length %d is shorter than its header", ErrExtension, n)
	case int64(n) > int64(len(b)):
		return 0, fmt.Errorf("%w: length %d exceeds the %d bytes left", ErrExtension, n, len(b))
	}
	e.Type = ExtType(be.Uint16(b[4:]))
	p := b[ExtHeaderLen:n]
	switch e.Type {
	case ExtHostname:
		e.Hostname = cstring(p)
	case ExtForgottenNode:
		if len(p) < forgottenLen {
			return 0, fmt.Errorf("%w: forgotten-node payload of %d bytes", ErrExtension, len(p))
		}
		e.Name = NodeName(p)
		e.TTL = be.Uint64(p[NameLen:])
	case ExtShardID:
		if len(p) < shardIDLen {
			return 0, fmt.Errorf("%w: shard-id payload of %d bytes", ErrExtension, len(p))
		}
		e.Name = NodeName(p)
	case ExtShoalWaitAcked:
		if len(p) != waitAckedLen {
			return 0, fmt.Errorf("%w: wait-acked payload of %d bytes", ErrExtension, len(p))
		}
		e.Offset = be.Uint64(p)
	default:
		e.Raw = p[:len(p):len(p)]
	}
	return int(n), nil
}
