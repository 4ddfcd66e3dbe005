package cluster

import (
	"slices"
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

// pageSlots is how many slots' routes share one page of Topology.routes.
const pageSlots = 256

type routePage [pageSlots]Route

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

	// routes holds every slot's Route in pages shared, copy on write,
	// with the snapshots before and after: a snapshot that changed a few
	// slots copies only their pages.
	routes [slot.Count / pageSlots]*routePage
	addrs  []Addr // [0] is the empty address

	endpoint EndpointType
	views    []nodeView // handshakes included, core order
	// Each view's ranges and the marks come from routes at their first
	// use (layout): CLUSTER NODES, SHARDS, a view for plaintext clients.
	layoutOnce sync.Once
	marks      []markView

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
		t.layout()
		p := &Topology{Version: t.Version, MyID: t.MyID, MyShardID: t.MyShardID, OK: t.OK, Me: t.Me, MyMaster: t.MyMaster,
			routes: t.routes, endpoint: t.endpoint, marks: t.marks, tls: t.tls}
		p.plainOnce.Do(func() {})  // a view of a view is itself
		p.layoutOnce.Do(func() {}) // ranges and marks copied below
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
func (t *Topology) Route(s int) Route { return t.routes[uint(s)/pageSlots][uint(s)%pageSlots] }

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
//
// A new snapshot starts from the last one's routes when the nodes are the
// same ones in the same order (so every route's indexes still hold) and
// recomputes only the slots changed since (Core.touch): a CLUSTER SETSLOT
// during a reshard rebuilds one route, not 16384.
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
	if prev := c.topo; prev != nil && !c.dirtyAll && slices.Equal(c.topoOrder, c.order) {
		t.routes = prev.routes
		var copied [len(t.routes)/64 + 1]uint64 // pages already copied for t
		for _, s := range c.dirty {
			pg := int(s) / pageSlots
			if copied[pg/64]&(1<<(pg%64)) == 0 {
				copied[pg/64] |= 1 << (pg % 64)
				page := *t.routes[pg]
				t.routes[pg] = &page
			}
			t.routes[pg][int(s)%pageSlots] = c.route(int(s), index)
		}
	} else {
		pages := new([len(t.routes)]routePage)
		// Runs of slots share an owner: look its index up once per run.
		var lastOwner *Node
		var lastIdx uint16
		for s := 0; s < slot.Count; s++ {
			r := &pages[s/pageSlots][s%pageSlots]
			if o := c.owner[s]; o != nil {
				if o != lastOwner {
					lastOwner, lastIdx = o, uint16(index[o]+1)
				}
				r.Owner = lastIdx
			}
			if p := c.migrating[s]; p != nil {
				r.Mark, r.Peer = MarkMigrating, uint16(index[p]+1)
			} else if p := c.importing[s]; p != nil {
				r.Mark, r.Peer = MarkImporting, uint16(index[p]+1)
			}
		}
		for i := range t.routes {
			t.routes[i] = &pages[i]
		}
		c.topoOrder = append(c.topoOrder[:0], c.order...)
	}
	c.dirty, c.dirtyAll = c.dirty[:0], false
	c.topo, c.topoVersion = t, c.version
	return t
}

// layout fills each view's slot ranges and the marks from the routes,
// once; every reader of ranges or marks calls it first.
func (t *Topology) layout() {
	t.layoutOnce.Do(func() {
		start, owner := 0, t.Route(0).Owner
		for s := 0; s <= slot.Count; s++ {
			var r Route
			if s < slot.Count {
				if r = t.Route(s); r.Mark != MarkNone {
					t.marks = append(t.marks, markView{s, r.Mark, t.addrs[r.Peer].ID})
				}
				if r.Owner == owner {
					continue
				}
			}
			if owner != 0 {
				v := &t.views[owner-1]
				v.ranges = append(v.ranges, slot.Range{Start: start, End: s - 1})
			}
			start, owner = s, r.Owner
		}
	})
}

// route is slot s's routing entry; index maps each node to its place in
// c.order.
func (c *Core) route(s int, index map[*Node]int) Route {
	var r Route
	if o := c.owner[s]; o != nil {
		r.Owner = uint16(index[o] + 1)
	}
	if p := c.migrating[s]; p != nil {
		r.Mark, r.Peer = MarkMigrating, uint16(index[p]+1)
	} else if p := c.importing[s]; p != nil {
		r.Mark, r.Peer = MarkImporting, uint16(index[p]+1)
	}
	return r
}

// maxDirty is how many changed slots Topology recomputes one by one; more
// rebuild every route.
const maxDirty = 512

// touch records that slot s's owner or marks changed, for the next
// Topology. Every write to c.owner, c.migrating or c.importing calls it
// (or sets dirtyAll).
func (c *Core) touch(s int) {
	if c.dirtyAll {
		return
	}
	if len(c.dirty) >= maxDirty {
		c.dirtyAll = true
		return
	}
	c.dirty = append(c.dirty, uint16(s))
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
