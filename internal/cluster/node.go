package cluster

import "github.com/shoal-db/shoal/internal/slot"

// Flags are a node's flags, as CLUSTER NODES prints them.
type Flags uint16

// Node flags, in the order Redis prints them (redisNodeFlagsTable). FlagMeet
// is internal (the next message to the node must be a MEET) and never printed.
const (
	FlagMyself Flags = 1 << iota
	FlagMaster
	FlagSlave
	FlagPFail
	FlagFail
	FlagHandshake
	FlagNoAddr
	FlagNoFailover
	FlagMeet

	printedFlags = FlagMeet - 1
)

var flagNames = [...]string{"myself", "master", "slave", "fail?", "fail", "handshake", "noaddr", "nofailover"}

// FlagByName returns the flag a name stands for ("myself", "fail?", …;
// "noflags" is 0), and false for an unknown name.
func FlagByName(name string) (Flags, bool) {
	if name == "noflags" {
		return 0, true
	}
	for i, n := range flagNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// Names lists the printed flags in Redis's order; ["noflags"] if none.
func (f Flags) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if out == nil {
		out = []string{"noflags"}
	}
	return out
}

// AppendTo appends the flags as CLUSTER NODES prints them ("myself,master").
func (f Flags) AppendTo(b []byte) []byte {
	start := len(b)
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if len(b) > start {
				b = append(b, ',')
			}
			b = append(b, n...)
		}
	}
	if len(b) == start {
		b = append(b, "noflags"...)
	}
	return b
}

// Node is one node as this node sees it. Nodes are owned by the Core: read
// them only while holding whatever serializes access to the Core, and change
// them only through its methods.
type Node struct {
	ID       string // 40 hex characters
	IP       string // "" until learnt
	Port     int    // client port
	CPort    int    // cluster bus port
	Hostname string // announced hostname, "" if none
	Flags    Flags

	// Master is the node this replica replicates, nil for a master (or a
	// replica whose master is unknown).
	Master   *Node
	Replicas []*Node

	PingSent    int64 // ms; 0 when no ping is pending
	PongRecv    int64 // ms
	ConfigEpoch uint64
	// Linked: the outbound bus link is up (CLUSTER NODES "connected").
	Linked bool
	// ReplOffset is the replication offset the node last announced.
	ReplOffset int64
	// Created is when this node entry was made (handshake timeout).
	Created  int64
	FailTime int64

	slots       slot.Bitmap
	numSlots    int
	failReports []failReport

	// Bus state: the outbound link (Linked mirrors link != nil), the
	// inbound link last seen carrying the node's messages, the last time
	// any message from the node arrived (data_received), its TLS port.
	link     *link
	inbound  *link
	dataRecv int64
	pport    int

	// Failover state (failover.go): when myself last voted for a replica
	// of this master; migrateTo (Redis's MIGRATE_TO flag) marks a master
	// that has or had replicas, so a replica may migrate to it once it is
	// orphaned, and orphanedTime is since when it is.
	votedTime    int64
	migrateTo    bool
	orphanedTime int64
}

type failReport struct {
	from *Node
	time int64
}

// IsMaster reports the master flag.
func (n *Node) IsMaster() bool { return n.Flags&FlagMaster != 0 }

// IsSlave reports the slave flag.
func (n *Node) IsSlave() bool { return n.Flags&FlagSlave != 0 }

// Failed reports the fail flag (not fail?).
func (n *Node) Failed() bool { return n.Flags&FlagFail != 0 }

// InHandshake reports the handshake flag.
func (n *Node) InHandshake() bool { return n.Flags&FlagHandshake != 0 }

// NumSlots is how many slots the node owns.
func (n *Node) NumSlots() int { return n.numSlots }

// OwnsSlot reports whether the node owns slot s.
func (n *Node) OwnsSlot(s int) bool { return n.slots.Has(s) }

// Slots returns the node's slot bitmap. It is the core's: read only, and
// only while the core is not running (the simulator's invariant checks).
func (n *Node) Slots() *slot.Bitmap { return &n.slots }

// SlotRanges returns the node's slots as merged ascending runs.
func (n *Node) SlotRanges() []slot.Range { return n.slots.Ranges() }

// Epoch is the config epoch CLUSTER NODES shows: a replica shows its master's.
func (n *Node) Epoch() uint64 {
	if n.IsSlave() && n.Master != nil {
		return n.Master.ConfigEpoch
	}
	return n.ConfigEpoch
}

// ShardID identifies the node's shard: its master's ID, or its own for a
// master. (Redis 7.2 persists a random shard-id as a nodes.conf aux field;
// the 7.0 format has none, so Shoal derives a stable one.)
func (n *Node) ShardID() string {
	if n.IsSlave() && n.Master != nil {
		return n.Master.ID
	}
	return n.ID
}

func (n *Node) addReplica(r *Node) {
	for _, x := range n.Replicas {
		if x == r {
			return
		}
	}
	n.Replicas = append(n.Replicas, r)
	n.migrateTo = true
}

func (n *Node) removeReplica(r *Node) {
	for i, x := range n.Replicas {
		if x == r {
			n.Replicas = append(n.Replicas[:i], n.Replicas[i+1:]...)
			if len(n.Replicas) == 0 {
				n.migrateTo = false
			}
			return
		}
	}
}
