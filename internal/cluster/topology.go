package cluster

import (
	"strconv"
	"sync"

	"github.com/shoal-db/shoal/internal/slot"
)

// Mark is a slot's migration state on this node.
type Mark uint8

// Slot marks.
const (
	MarkNone      Mark = iota
	MarkMigrating      // this node owns the slot and moves it to Peer
	MarkImporting      // this node receives the slot from Peer
)

// Route is one slot's routing entry. Owner and Peer index Topology.Addr;
// 0 means none.
type Route struct {
	Owner uint16
	Peer  uint16
	Mark  Mark
}

// Addr is a node's address as redirects name it.
type Addr struct {
	ID string
	// Redirect is "<endpoint>:<port>", the tail of a MOVED/ASK error.
	Redirect string
}

// Topology is an immutable snapshot of the cluster as this node sees it,
// published after every change. Reading it needs no lock. Routing uses
// Route (one array index); the CLUSTER NODES/SLOTS/SHARDS replies are
// built from it once, on first use.
type Topology struct {
	// Version increases with every snapshot the core builds.
	Version uint64
	// MyID and MyShardID are myself's node and shard IDs.
	MyID      string
	MyShardID string
	// OK is the cluster state (cluster_state:ok).
	OK bool
	// Me indexes myself in Addr; MyMaster indexes myself's master when
	// myself is a replica, else 0.
	Me       uint16
	MyMaster uint16

	routes [slot.Count]Route
	addrs  []Addr // [0] is the empty address

	endpoint EndpointType
	views    []nodeView // handshakes included, core order
	marks    []markView

	nodesOnce  sync.Once
	nodesText  string
	slotsOnce  [2]sync.Once
	slotsRep   [2][]byte
	shardsOnce [2]sync.Once
	shardsRep  [2][]byte

	// tls is tls-cluster; plain is the view shown to plaintext clients.
	tls       bool
	plainOnce sync.Once
	plain     *Topology
}

// ForPlaintext is the view a client of the plaintext port gets: in a
// tls-cluster, redirects and CLUSTER NODES/SLOTS show each node's
// plaintext port where it announced one (Redis's use_pport); otherwise t.
func (t *Topology) ForPlaintext() *Topology {
	if !t.tls {
		return t // inlined: the routing check pays one branch
	}
	return t.plainView()
}

func (t *Topology) plainView() *Topology {
	t.plainOnce.Do(func() {
		p := &Topology{Version: t.Version, MyID: t.MyID, MyShardID: t.MyShardID, OK: t.OK, Me: t.Me, MyMaster: t.MyMaster,
			routes: t.routes, endpoint: t.endpoint, marks: t.marks, tls: t.tls}
		p.plainOnce.Do(func() {}) // a view of a view is itself
		p.plain = p
		p.views = append([]nodeView(nil), t.views...)
		p.addrs = append([]Addr(nil), t.addrs...)
		for i := range p.views {
			v := &p.views[i]
			if v.pport != 0 {
				v.port = v.pport
				p.addrs[i+1].Redirect = endpointOf(t.endpoint, v.ip, v.hostname) + ":" + strconv.Itoa(v.port)
			}
		}
		t.plain = p
	})
	return t.plain
}

// Route returns slot s's routing entry.
func (t *Topology) Route(s int) Route { return t.routes[s] }

// Addr returns the address of node index i (0 is the empty address).
func (t *Topology) Addr(i uint16) *Addr { return &t.addrs[i] }

type nodeView struct {
	idx   uint16
	id    string
	ip    string
	port  int
	cport int
	// aport and pport are the announced client port and its plaintext
	// twin (tls-cluster); port is aport, or pport in a plaintext view.
	aport, pport int
	hostname     string
	flags        Flags
	master       string // master's ID, "" if none
	masterIx     int    // index into views, -1
	pingSent     int64
	pongRecv     int64
	epoch        uint64
	linked       bool
	offset       int64
	ranges       []slot.Range
	replicas     []int // indexes into views
}

type markView struct {
	slot int
	mark Mark
	peer string
}

// Topology returns the snapshot of the current state, building a new one
// only if something changed since the last call.
func (c *Core) Topology() *Topology {
	if c.topo != nil && c.topoVersion == c.version {
		return c.topo
	}
	t := &Topology{Version: c.version, MyID: c.myself.ID, MyShardID: c.myself.ShardID(),
		OK: c.state == StateOK, endpoint: c.cfg.Endpoint, tls: c.cfg.TLS}
	index := make(map[*Node]int, len(c.order))
	t.addrs = make([]Addr, 1, len(c.order)+1)
	t.views = make([]nodeView, len(c.order))
	for i, n := range c.order {
		index[n] = i
		t.addrs = append(t.addrs, Addr{ID: n.ID, Redirect: endpointOf(c.cfg.Endpoint, n.IP, n.Hostname) + ":" + strconv.Itoa(n.Port)})
		off := n.ReplOffset
		if n == c.myself {
			off = c.myReplOffset
		}
		t.views[i] = nodeView{idx: uint16(i + 1), id: n.ID, ip: n.IP, port: n.Port, aport: n.Port, pport: n.pport, cport: n.CPort, hostname: n.Hostname,
			flags: n.Flags, masterIx: -1, pingSent: n.PingSent, pongRecv: n.PongRecv, epoch: n.Epoch(),
			linked: n.Linked || n == c.myself, offset: off}
	}
	for i, n := range c.order {
		v := &t.views[i]
		if n.Master != nil {
			v.master = n.Master.ID
			v.masterIx = index[n.Master]
		}
		for _, r := range n.Replicas {
			v.replicas = append(v.replicas, index[r])
		}
	}
	t.Me = uint16(index[c.myself] + 1)
	if c.myself.IsSlave() && c.myself.Master != nil {
		t.MyMaster = uint16(index[c.myself.Master] + 1)
	}
	start := 0
	// Runs of slots share an owner: look its index up once per run.
	var lastOwner *Node
	var lastIdx uint16
	for s := 0; s <= slot.Count; s++ {
		if s < slot.Count {
			r := &t.routes[s]
			if o := c.owner[s]; o != nil {
				if o != lastOwner {
					lastOwner, lastIdx = o, uint16(index[o]+1)
				}
				r.Owner = lastIdx
			}
			if p := c.migrating[s]; p != nil {
				r.Mark, r.Peer = MarkMigrating, uint16(index[p]+1)
				t.marks = append(t.marks, markView{s, MarkMigrating, p.ID})
			} else if p := c.importing[s]; p != nil {
				r.Mark, r.Peer = MarkImporting, uint16(index[p]+1)
				t.marks = append(t.marks, markView{s, MarkImporting, p.ID})
			}
		}
		if s == slot.Count || c.owner[s] != c.owner[start] {
			if o := c.owner[start]; o != nil {
				v := &t.views[index[o]]
				v.ranges = append(v.ranges, slot.Range{Start: start, End: s - 1})
			}
			start = s
		}
	}
	c.topo, c.topoVersion = t, c.version
	return t
}

func endpointOf(e EndpointType, ip, hostname string) string {
	switch e {
	case EndpointHostname:
		if hostname != "" {
			return hostname
		}
		return "?"
	case EndpointUnknown:
		return "" // clusterNodePreferredEndpoint: "MOVED 3999 :6381"
	}
	return ip
}
