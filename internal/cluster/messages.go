package cluster

import "github.com/shoal-db/shoal/internal/slot"

// The message model of the cluster bus. Msg mirrors Redis 7.0's clusterMsg
// field for field, without wire bytes, so the runner can translate it 1:1 to
// the codec in internal/clusterbus. Differences the codec must bridge:
//
//   - Flags are the core's Flags, whose bit order differs from Redis's
//     CLUSTER_NODE_* bits above FlagNoAddr (the codec maps them by name).
//   - Node names are strings of 40 hex characters; "" stands for Redis's
//     all-zero null name (SlaveOf of a master).
//   - Gossip ping/pong times are in seconds, as on the wire.

// MsgFlags are clusterMsg.mflags[0].
type MsgFlags uint8

// Message flags (CLUSTERMSG_FLAG0_*).
const (
	MFlagPaused   MsgFlags = 1 << iota // master paused for manual failover
	MFlagForceAck                      // give ACK to AUTH_REQUEST even if master is up
	MFlagExtData                       // message carries ping extensions
)

// Msg is one cluster bus message (clusterMsg). The header fields are set on
// every message; the body fields by type.
type Msg struct {
	Type MsgType
	// Sender is the sending node's name (for a replica, its own name).
	Sender string
	// CurrentEpoch is the sender's currentEpoch; ConfigEpoch is its
	// master's config epoch (its own if it is a master).
	CurrentEpoch uint64
	ConfigEpoch  uint64
	// Offset is the sender's replication offset.
	Offset uint64
	// Slots are the slots the sender's master claims.
	Slots slot.Bitmap
	// SlaveOf names the sender's master, "" for a master.
	SlaveOf string
	// MyIP is the sender's announced IP, "" to let the receiver use the
	// connection's peer address.
	MyIP string
	// Port, PPort and CPort are the sender's client, TLS/plaintext-other
	// and bus ports.
	Port, PPort, CPort int
	Flags              Flags
	// State is the sender's view of the cluster state.
	State  State
	MFlags MsgFlags

	// Gossip is the gossip section of PING, PONG and MEET.
	Gossip []GossipEntry
	// Ext holds the ping extensions of PING, PONG and MEET.
	Ext Extensions

	// Fail is the body of FAIL, Publish of PUBLISH and PUBLISHSHARD, Update
	// of UPDATE; nil for other types.
	Fail    *FailBody
	Publish *PublishBody
	Update  *UpdateBody
}

// GossipEntry is one clusterMsgDataGossip: what the sender knows of a node.
type GossipEntry struct {
	Name string
	// PingSent and PongReceived are the sender's times in seconds (ms/1000).
	PingSent     int64
	PongReceived int64
	IP           string
	Port, CPort  int
	PPort        int
	Flags        Flags
}

// Extensions are the 7.0 ping extensions the core understands. Which of them
// go on the wire to a given peer is the codec's business (Redis 7.0 sends
// only the hostname; forgotten-node and shard-id are later additions that
// 7.0 receivers skip).
type Extensions struct {
	Hostname  string
	Forgotten []ForgottenNode
	ShardID   string
	// WaitAcked is Shoal's WAIT-acked extension (beyond Redis): the highest
	// replication offset the sending master acknowledged to a WAIT client;
	// 0 means absent. Only a master with cluster-replica-wait-safe sends
	// it, and only to its own replicas (waitsafe.go).
	WaitAcked uint64
}

// ForgottenNode is a node the sender was told to FORGET, with the seconds
// left on its blacklist entry.
type ForgottenNode struct {
	Name string
	TTL  uint64
}

// FailBody names the node a FAIL message declares failed.
type FailBody struct{ Name string }

// PublishBody is a PUBLISH/PUBLISHSHARD payload.
type PublishBody struct{ Channel, Message []byte }

// UpdateBody tells a node with a stale slot claim the newer config of the
// node Name.
type UpdateBody struct {
	ConfigEpoch uint64
	Name        string
	Slots       slot.Bitmap
}

// LinkID names one bus connection. The core allocates every ID: outbound
// links in Ready.Connect, inbound links through Accept. IDs are never reused.
type LinkID uint64

// Dial asks the runner to open an outbound bus connection to IP:CPort and
// to report the result with LinkConnected or LinkClosed.
type Dial struct {
	Link  LinkID
	IP    string
	CPort int
}

// Outgoing is one message to write on a link. Msg is shared between the
// messages of one broadcast and must not be modified. If the link is an
// outbound link still connecting, the runner queues the message until it
// connects (Redis's link send buffer) and drops it if the link fails; a
// message to a link that is closed or unknown is dropped.
type Outgoing struct {
	Link LinkID
	Msg  *Msg
}

// Delivery is a PUBLISH (or PUBLISHSHARD, Shard set) received from the bus,
// for the runner to deliver to this node's local subscribers.
type Delivery struct {
	Channel, Message []byte
	Shard            bool
}
