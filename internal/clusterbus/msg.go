package clusterbus

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/shoal-db/shoal/internal/slot"
)

// Wire sizes and limits of Redis 7.0's clusterMsg (src/cluster.h). The
// numbers are checked field by field in offsets_test.go.
const (
	// HeaderLen is sizeof(clusterMsg)-sizeof(union clusterMsgData), Redis's
	// CLUSTERMSG_MIN_LEN: every message starts with this many header bytes,
	// and message bodies start at this offset.
	HeaderLen = 2256
	// NameLen is CLUSTER_NAMELEN: a node id, 40 hex characters, no NUL.
	NameLen = 40
	// IPLen is NET_IP_STR_LEN: an IP string, NUL padded.
	IPLen = 46
	// SlotBytes is CLUSTER_SLOTS/8, the size of a slot bitmap.
	SlotBytes = slot.Count / 8
	// GossipLen is sizeof(clusterMsgDataGossip).
	GossipLen = 104
	// FailLen is sizeof(clusterMsgDataFail).
	FailLen = NameLen
	// UpdateLen is sizeof(clusterMsgDataUpdate).
	UpdateLen = 8 + NameLen + SlotBytes
	// PublishFixedLen is the part of clusterMsgDataPublish before its bulk
	// data: channel_len and message_len.
	PublishFixedLen = 8
	// ModuleFixedLen is the part of clusterMsgModule before its bulk data:
	// module_id, len and type.
	ModuleFixedLen = 13
	// ExtHeaderLen is the fixed part of clusterMsgPingExt: length, type,
	// unused.
	ExtHeaderLen = 8
	// ProtoVer is CLUSTER_PROTO_VER.
	ProtoVer = 1
)

// Signature is the 4 bytes every cluster bus message starts with ("Redis
// Cluster message bus").
var Signature = [4]byte{'R', 'C', 'm', 'b'}

// Type is a message type (CLUSTERMSG_TYPE_*).
type Type uint16

// Message types. PING, PONG and MEET share one layout: PONG answers a PING or
// MEET, and MEET makes the receiver add the sender to its node table.
const (
	TypePing                Type = 0  // CLUSTERMSG_TYPE_PING
	TypePong                Type = 1  // CLUSTERMSG_TYPE_PONG
	TypeMeet                Type = 2  // CLUSTERMSG_TYPE_MEET
	TypeFail                Type = 3  // CLUSTERMSG_TYPE_FAIL: mark a node as failing
	TypePublish             Type = 4  // CLUSTERMSG_TYPE_PUBLISH: Pub/Sub propagation
	TypeFailoverAuthRequest Type = 5  // CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST: may I fail over?
	TypeFailoverAuthAck     Type = 6  // CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK: yes, you have my vote
	TypeUpdate              Type = 7  // CLUSTERMSG_TYPE_UPDATE: another node's slot configuration
	TypeMFStart             Type = 8  // CLUSTERMSG_TYPE_MFSTART: pause clients for manual failover
	TypeModule              Type = 9  // CLUSTERMSG_TYPE_MODULE: module cluster API message
	TypePublishShard        Type = 10 // CLUSTERMSG_TYPE_PUBLISHSHARD: sharded Pub/Sub propagation
	typeCount               Type = 11 // CLUSTERMSG_TYPE_COUNT
)

var typeNames = [typeCount]string{
	"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack",
	"update", "mfstart", "module", "publishshard",
}

// String returns the name Redis's clusterGetMessageTypeString uses.
func (t Type) String() string {
	if t < typeCount {
		return typeNames[t]
	}
	return fmt.Sprintf("unknown(%d)", uint16(t))
}

// Known reports whether Redis 7.0 defines t.
func (t Type) Known() bool { return t < typeCount }

// IsPing reports whether t has the PING layout (PING, PONG or MEET).
func (t Type) IsPing() bool { return t <= TypeMeet }

// NodeFlags are a node's CLUSTER_NODE_* flags as sent in the header and in
// gossip entries.
type NodeFlags uint16

// Node flags (CLUSTER_NODE_*).
const (
	NodeMaster     NodeFlags = 1 << 0 // the node is a master
	NodeSlave      NodeFlags = 1 << 1 // the node is a replica
	NodePFail      NodeFlags = 1 << 2 // failure suspected, not yet agreed
	NodeFail       NodeFlags = 1 << 3 // the node is believed to be failing
	NodeMyself     NodeFlags = 1 << 4 // the node is the sender itself
	NodeHandshake  NodeFlags = 1 << 5 // no PONG received from it yet
	NodeNoAddr     NodeFlags = 1 << 6 // its address is unknown
	NodeMeet       NodeFlags = 1 << 7 // a MEET is to be sent to it
	NodeMigrateTo  NodeFlags = 1 << 8 // master eligible for replica migration
	NodeNoFailover NodeFlags = 1 << 9 // replica will not try to fail over
)

// Message flags in Header.MFlags[0] (CLUSTERMSG_FLAG0_*).
const (
	MFlag0Paused   = 1 << 0 // master paused for manual failover
	MFlag0ForceAck = 1 << 1 // give an AUTH_ACK even if the master is up
	MFlag0ExtData  = 1 << 2 // PING/PONG/MEET carries ping extensions
)

// Cluster states in Header.State.
const (
	StateOK   = 0 // CLUSTER_OK
	StateFail = 1 // CLUSTER_FAIL
)

// NodeName is a 40-byte node id (hex SHA1, or all zero for "none").
type NodeName [NameLen]byte

// String returns the name as text, "" for the all-zero name.
func (n NodeName) String() string {
	if n == (NodeName{}) {
		return ""
	}
	return string(n[:])
}

// IsZero reports whether n is CLUSTER_NODE_NULL_NAME.
func (n NodeName) IsZero() bool { return n == NodeName{} }

// NameFrom returns s as a NodeName; s longer than NameLen is cut, shorter is
// zero padded.
func NameFrom(s string) NodeName {
	var n NodeName
	copy(n[:], s)
	return n
}

// IP is a NUL-padded IP string field (char[NET_IP_STR_LEN]). It is kept as
// raw bytes so a received message re-encodes byte for byte.
type IP [IPLen]byte

// String returns the text up to the first NUL.
func (ip IP) String() string { return cstring(ip[:]) }

// IPFrom returns s as an IP field; s is cut to IPLen-1 bytes so a NUL always
// follows.
func IPFrom(s string) IP {
	var ip IP
	copy(ip[:IPLen-1], s)
	return ip
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// SlotBits is a slot bitmap as on the wire: slot s is bit s%8 of byte s/8
// (Redis's bitmapTestBit).
type SlotBits [SlotBytes]byte

// Has reports whether slot s (0..16383) is set.
func (b *SlotBits) Has(s int) bool { return b[s>>3]&(1<<(uint(s)&7)) != 0 }

// Set sets slot s (0..16383).
func (b *SlotBits) Set(s int) { b[s>>3] |= 1 << (uint(s) & 7) }

// Bitmap converts b to a slot.Bitmap.
func (b *SlotBits) Bitmap() slot.Bitmap {
	var m slot.Bitmap
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return m
}

// SlotBitsFrom converts a slot.Bitmap to the wire layout.
func SlotBitsFrom(m *slot.Bitmap) SlotBits {
	var b SlotBits
	for i, w := range m {
		binary.LittleEndian.PutUint64(b[i*8:], w)
	}
	return b
}

// Header is the fixed clusterMsg header, every field as on the wire
// (numbers big-endian there, host order here). The signature is implied.
//
// Encode computes Totlen and, for PING/PONG/MEET, Count and Extensions from
// the body; every other field is written as given, so a decoded message
// re-encodes byte for byte.
type Header struct {
	Totlen       uint32    // total message length, header included
	Ver          uint16    // protocol version, ProtoVer
	Port         uint16    // sender's client port (TLS port when TLS is on)
	Type         Type      // message type
	Count        uint16    // PING/PONG/MEET: number of gossip entries
	CurrentEpoch uint64    // the sender's current epoch
	ConfigEpoch  uint64    // sender's config epoch, or its master's if a replica
	Offset       uint64    // replication offset (master: own; replica: processed)
	Sender       NodeName  // sender's node id
	MySlots      SlotBits  // slots the sender (or its master, if a replica) serves
	SlaveOf      NodeName  // sender's master, zero if the sender is a master
	MyIP         IP        // sender's announced IP, zero if not announced
	Extensions   uint16    // PING/PONG/MEET: number of ping extensions
	NotUsed1     [30]byte  // reserved; kept for byte-exact re-encoding
	PPort        uint16    // sender's plaintext port when Port is TLS
	CPort        uint16    // sender's cluster bus port
	Flags        NodeFlags // sender's node flags
	State        uint8     // cluster state from the sender's view (StateOK/StateFail)
	MFlags       [3]byte   // message flags, CLUSTERMSG_FLAG0_* in MFlags[0]
}

// Gossip is one clusterMsgDataGossip entry of a PING/PONG/MEET: what the
// sender knows of another node.
type Gossip struct {
	NodeName     NodeName  // the node gossiped about
	PingSent     uint32    // when the sender last pinged it, Unix seconds (0: no ping pending)
	PongReceived uint32    // when the sender last got its PONG, Unix seconds
	IP           IP        // its IP
	Port         uint16    // its client port
	CPort        uint16    // its cluster bus port
	Flags        NodeFlags // its flags as the sender sees them
	PPort        uint16    // its plaintext port when Port is TLS
	NotUsed1     uint16    // reserved; kept for byte-exact re-encoding
}

// ExtType is a ping extension type (clusterMsgPingtypes). The numbers are
// those of Redis 7.2, which keeps 7.0's HOSTNAME = 0 and adds the rest;
// Redis 7.0 sends only ExtHostname and logs and ignores any other type.
type ExtType uint16

// Ping extension types.
const (
	ExtHostname      ExtType = 0 // announced hostname (7.0)
	ExtHumanNodename ExtType = 1 // announced human node name (7.2); decoded as raw
	ExtForgottenNode ExtType = 2 // a node removed with CLUSTER FORGET (7.2)
	ExtShardID       ExtType = 3 // the sender's shard id (7.2)

	// ExtShoalWaitAcked is Shoal's own type (beyond Redis): the highest
	// replication offset the sending master acknowledged to a WAIT client,
	// for cluster-replica-wait-safe. A number far from Redis's, which count
	// up from 0; Redis 7.0 skips it (with a warning in its log).
	ExtShoalWaitAcked ExtType = 0x5341
)

// Ext is one ping extension (clusterMsgPingExt) of a PING/PONG/MEET.
type Ext struct {
	Type ExtType
	// Hostname is the ExtHostname payload, without its NUL and padding.
	Hostname string
	// Name is the forgotten node (ExtForgottenNode) or the shard id
	// (ExtShardID).
	Name NodeName
	// TTL is ExtForgottenNode's remaining blacklist time, in seconds.
	TTL uint64
	// Offset is ExtShoalWaitAcked's payload.
	Offset uint64
	// Raw is the payload of any other type, after the 8-byte extension
	// header, padding included. It aliases the decoded frame.
	Raw []byte
}

// Fail is the body of a FAIL message.
type Fail struct {
	NodeName NodeName // the node now marked as failing
}

// Publish is the body of a PUBLISH or PUBLISHSHARD message.
type Publish struct {
	Channel []byte // aliases the decoded frame
	Message []byte // aliases the decoded frame
}

// Update is the body of an UPDATE message: the receiver's view of a node's
// slots is out of date.
type Update struct {
	ConfigEpoch uint64   // config epoch of NodeName
	NodeName    NodeName // the slots' owner
	Slots       SlotBits // the slots it owns
}

// Module is the body of a MODULE message, kept as received; Shoal loads no
// modules and ignores it.
type Module struct {
	ModuleID uint64 // sender module's id
	Type     uint8  // module-defined type
	Payload  []byte // aliases the decoded frame
}

// Message is one decoded cluster bus message. Header.Type says which body
// field is meaningful; the others are zero. FAILOVER_AUTH_REQUEST,
// FAILOVER_AUTH_ACK and MFSTART are header only.
//
// Byte slices in a decoded Message alias the frame passed to Decode.
type Message struct {
	Header  Header
	Gossip  []Gossip // PING, PONG, MEET
	Exts    []Ext    // PING, PONG, MEET, when MFlags[0] has MFlag0ExtData
	Fail    Fail     // FAIL
	Publish Publish  // PUBLISH, PUBLISHSHARD
	Update  Update   // UPDATE
	Module  Module   // MODULE
}
