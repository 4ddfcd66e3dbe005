package cluster

import (
	"errors"
	"strconv"

	"github.com/shoal-db/shoal/internal/slot"
)

// Rand is the randomness the core draws node IDs from. math/rand/v2's
// *Rand and clock.Rand satisfy it; the runner seeds it from crypto/rand.
type Rand interface {
	Uint64() uint64
}

// EndpointType is cluster-preferred-endpoint-type: what MOVED/ASK and
// CLUSTER SLOTS name a node by.
type EndpointType uint8

// Endpoint types.
const (
	EndpointIP       EndpointType = iota // the node's IP (default)
	EndpointHostname                     // its announced hostname, "?" if none
	EndpointUnknown                      // "" in redirects, null in CLUSTER SLOTS
)

// Config is what the core needs from the node's configuration.
type Config struct {
	// Port and BusPort are myself's announced client and bus ports
	// (cluster-announce-port or port; cluster-announce-bus-port,
	// cluster-port or port+10000).
	Port, BusPort int
	// PPort is the other client port announced beside Port: with
	// tls-cluster, Port is the TLS port and PPort the plaintext one (0 if
	// none), as deriveAnnouncedPorts.
	PPort int
	// TLS is tls-cluster: CLUSTER SHARDS reports Port as "tls-port" and
	// PPort as "port", and Topology.ForPlaintext shows PPort to clients
	// on the plaintext port.
	TLS bool
	// AnnounceIP (cluster-announce-ip) fixes myself's IP; when empty the IP
	// is learnt from the bus, and is "" until then.
	AnnounceIP string
	// Hostname is cluster-announce-hostname, "" for none.
	Hostname string
	// NodeTimeout is cluster-node-timeout in milliseconds.
	NodeTimeout int64
	// RequireFullCoverage: the cluster state is fail while a slot is unassigned
	// or owned by a failed node (cluster-require-full-coverage).
	RequireFullCoverage bool
	// AllowReplicaMigration: a master left without slots by SETSLOT NODE
	// becomes a replica of the new owner (cluster-allow-replica-migration).
	AllowReplicaMigration bool
	// Endpoint is cluster-preferred-endpoint-type.
	Endpoint EndpointType
	// ReplicaValidityFactor is cluster-replica-validity-factor: a replica
	// whose data is older than ReplPingPeriod + NodeTimeout × factor (ms)
	// does not stand for election; 0 disables the check.
	ReplicaValidityFactor int
	// ReplPingPeriod is repl-ping-replica-period in milliseconds.
	ReplPingPeriod int64
	// MigrationBarrier is cluster-migration-barrier: a replica migrates to
	// an orphaned master only if its master keeps more working replicas.
	MigrationBarrier int
	// ReplicaNoFailover is cluster-replica-no-failover: myself never starts
	// an election (a manual failover still can), and says so with the
	// nofailover flag.
	ReplicaNoFailover bool
	// ReplicaWaitSafe is cluster-replica-wait-safe (beyond Redis): as a
	// master, myself announces its WAIT-acked offset to its replicas in a
	// ping extension; as a replica, it does not stand for election while
	// its offset is below the last such offset its master announced.
	ReplicaWaitSafe bool
	// ManualFailoverTimeout bounds a manual failover (ms); 0 means Redis's
	// CLUSTER_MF_TIMEOUT, 5000. The master pauses writes for twice that.
	ManualFailoverTimeout int64
	// Bus says the runner carries out the bus actions of Ready (Connect,
	// Disconnect, Messages, Deliver). When false (a runner without a bus)
	// Tick runs only the bus-free part of clusterCron: no links are
	// opened, nothing is pinged and no node is ever marked failing.
	Bus bool
	// Rand draws node IDs. Required.
	Rand Rand
}

// DefaultConfig returns Redis's defaults for port 6379. Rand is left nil.
func DefaultConfig() Config {
	return Config{Port: 6379, BusPort: 16379, NodeTimeout: 15000, RequireFullCoverage: true, AllowReplicaMigration: true,
		ReplicaValidityFactor: 10, ReplPingPeriod: 10000, MigrationBarrier: 1}
}

// Validate reports the first broken invariant of c.
func (c *Config) Validate() error {
	switch {
	case c.Rand == nil:
		return errors.New("cluster: Config.Rand is nil")
	case c.Port < 0 || c.Port > 65535:
		return errors.New("cluster: Config.Port out of range")
	case c.BusPort <= 0 || c.BusPort > 65535:
		return errors.New("cluster: Config.BusPort out of range")
	case c.NodeTimeout <= 0:
		return errors.New("cluster: Config.NodeTimeout must be positive")
	}
	return nil
}

// State is the cluster state CLUSTER INFO reports.
type State uint8

// Cluster states. A node starts in StateFail.
const (
	StateFail State = iota
	StateOK
)

func (s State) String() string {
	if s == StateOK {
		return "ok"
	}
	return "fail"
}

// Timing constants of Redis 7.0 (cluster.h), in milliseconds.
const (
	writableDelay       = 2000  // CLUSTER_WRITABLE_DELAY
	minRejoinDelay      = 500   // CLUSTER_MIN_REJOIN_DELAY
	maxRejoinDelay      = 5000  // CLUSTER_MAX_REJOIN_DELAY
	blacklistTTL        = 60000 // CLUSTER_BLACKLIST_TTL
	failReportValidity  = 2     // CLUSTER_FAIL_REPORT_VALIDITY_MULT
	minHandshakeTimeout = 1000
	failUndoTimeMult    = 2   // CLUSTER_FAIL_UNDO_TIME_MULT
	cronPeriod          = 100 // clusterCron runs 10 times a second
)

// Ready is what the runner must carry out after a step, in this order (the
// contract of etcd raft's Ready, with nodes.conf as the stable storage):
//
//  1. write Logs;
//  2. if SaveConfig, persist Export() to nodes.conf, atomically, and fsync
//     it if SyncConfig. This must finish BEFORE any of Messages is sent and
//     before a client sees the change: a bumped configEpoch, a currentEpoch
//     learnt from a peer or a vote must never be announced and then lost in
//     a crash;
//  3. apply EmptyData, DelSlotKeys, RoleChange and Pause;
//  4. close the links in Disconnect (dropping their unsent output), then
//     start the dials in Connect;
//  5. send Messages, in order;
//  6. hand Deliver to the local Pub/Sub subscribers;
//
// then call Advance. Slices in Ready belong to the runner after Advance.
type Ready struct {
	// SaveConfig: the persisted state changed; write Export() to nodes.conf
	// atomically before anything observes the change.
	SaveConfig bool
	// SyncConfig: fsync that write too. Every change asks for it except
	// the slot marks an administrator sets (SETSLOT MIGRATING, IMPORTING,
	// STABLE, and NODE when it bumps no epoch), which Redis saves without
	// CLUSTER_TODO_FSYNC_CONFIG: resharding sets them for every slot, and
	// a crash that loses one is repaired by `redis-cli --cluster fix`.
	SyncConfig bool
	// RoleChange is set when myself changed role.
	RoleChange *RoleChange
	// EmptyData: drop every key (CLUSTER RESET of a replica).
	EmptyData bool
	// DelSlotKeys are slots myself lost to a master with a newer config
	// while it stays a master: drop their keys (Redis's "dirty slots").
	DelSlotKeys []int
	// Logs are log lines to write, oldest first.
	Logs []LogLine
	// Pause starts (Until > 0) or lifts (Until 0) the pause of client
	// writes of a manual failover; see PauseChange.
	Pause *PauseChange

	// Disconnect lists links to close; the core has already forgotten them.
	Disconnect []LinkID
	// Connect lists outbound connections to open.
	Connect []Dial
	// Messages are bus messages to send, in order.
	Messages []Outgoing
	// Deliver are PUBLISH payloads received from the bus for local
	// subscribers.
	Deliver []Delivery
}

// RoleChange says myself became a replica of MasterID (at IP:Port), or a
// master when MasterID is "".
type RoleChange struct {
	MasterID string
	IP       string
	Port     int
}

// LogLine is one log line. Level is Redis's level mark: '.' debug,
// '-' verbose, '*' notice, '#' warning.
type LogLine struct {
	Level byte
	Msg   string
}

// MsgType is a cluster bus message type, numbered as in Redis 7.0.
type MsgType uint8

// Bus message types.
const (
	MsgPing MsgType = iota
	MsgPong
	MsgMeet
	MsgFail
	MsgPublish
	MsgFailoverAuthRequest
	MsgFailoverAuthAck
	MsgUpdate
	MsgMFStart
	MsgModule
	MsgPublishShard
	MsgTypeCount
)

var msgTypeNames = [MsgTypeCount]string{"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"}

func (t MsgType) String() string {
	if t < MsgTypeCount {
		return msgTypeNames[t]
	}
	return "unknown"
}

// Core is the cluster state machine of one node. Not safe for concurrent
// use, except Topology snapshots it returns, which are immutable.
type Core struct {
	cfg Config
	now int64

	myself *Node
	nodes  map[string]*Node
	order  []*Node // insertion order: CLUSTER NODES and nodes.conf order

	owner     [slot.Count]*Node
	migrating [slot.Count]*Node
	importing [slot.Count]*Node

	currentEpoch  uint64
	lastVoteEpoch uint64

	state         State
	size          int
	firstUpdate   int64
	amongMinority int64

	// blacklist holds FORGotten node IDs until their expiry (ms).
	blacklist map[string]int64

	// Bus state (gossip.go, links.go, cron.go).
	links      map[LinkID]*link
	lastLink   LinkID
	iteration  int64 // clusterCron calls
	nextCron   int64 // time of the next clusterCron
	pfailNodes int   // stats_pfail_nodes as of the last cron

	sent, received           [MsgTypeCount]int64
	linksBufferLimitExceeded int64
	myReplOffset             int64

	// Elections and manual failover (failover.go).
	elect      election
	foStats    FailoverStats
	replLastIO int64
	waitSafe   waitSafeState // cluster-replica-wait-safe (waitsafe.go)

	ready Ready

	version     uint64 // bumped on every change that a Topology shows
	topo        *Topology
	topoVersion uint64
	// topoOrder is c.order as of topo's routes; dirty lists the slots
	// touched since (dirtyAll: too many, or all of them), so that the
	// next Topology recomputes only those (topology.go).
	topoOrder []*Node
	dirty     []uint16
	dirtyAll  bool
}

// New makes the core of a node with no configuration yet: myself is a new
// master with a random ID. Ready asks to save the config, as Redis does.
func New(cfg Config, now int64) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := newCore(cfg, now)
	me := c.newNode(c.randomID(), FlagMyself|FlagMaster)
	c.myself = me
	c.addNode(me)
	c.applyMyselfConfig()
	c.logf('*', "No cluster configuration found, I'm ", me.ID)
	c.ready.SaveConfig = true
	c.ready.SyncConfig = true
	return c, nil
}

func newCore(cfg Config, now int64) *Core {
	return &Core{cfg: cfg, now: now, nodes: map[string]*Node{}, blacklist: map[string]int64{}, size: 1, version: 1,
		links: map[LinkID]*link{}, elect: election{mfMasterOffset: -1}}
}

// Config returns the core's configuration.
func (c *Core) Config() Config { return c.cfg }

// SetConfig replaces the configuration (CONFIG SET of a cluster option).
func (c *Core) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	c.cfg = cfg
	if c.applyMyselfConfig() {
		c.changed(true, false)
	}
	c.changed(false, true)
	return nil
}

// applyMyselfConfig sets myself's announced address; reports a change.
func (c *Core) applyMyselfConfig() bool {
	me := c.myself
	changed := me.Port != c.cfg.Port || me.CPort != c.cfg.BusPort || me.Hostname != c.cfg.Hostname || me.pport != c.cfg.PPort
	me.Port, me.CPort, me.Hostname, me.pport = c.cfg.Port, c.cfg.BusPort, c.cfg.Hostname, c.cfg.PPort
	// clusterUpdateMyselfFlags: cluster-replica-no-failover shows as the
	// nofailover flag, which peers read when ranking replicas.
	if nf := c.cfg.ReplicaNoFailover; nf != (me.Flags&FlagNoFailover != 0) {
		me.Flags ^= FlagNoFailover
		changed = true
	}
	if c.cfg.AnnounceIP != "" && me.IP != c.cfg.AnnounceIP {
		me.IP = c.cfg.AnnounceIP
		changed = true
	}
	return changed
}

func (c *Core) randomID() string {
	const hex = "0123456789abcdef"
	var b [40]byte
	for {
		for i := 0; i < len(b); i += 16 {
			v := c.cfg.Rand.Uint64()
			for j := i; j < i+16 && j < len(b); j++ {
				b[j] = hex[v&15]
				v >>= 4
			}
		}
		id := string(b[:])
		if c.nodes[id] == nil {
			return id
		}
	}
}

func (c *Core) newNode(id string, flags Flags) *Node {
	return &Node{ID: id, Flags: flags, Created: c.now}
}

func (c *Core) addNode(n *Node) {
	c.nodes[n.ID] = n
	c.order = append(c.order, n)
}

// delNode is clusterDelNode: unassign its slots, drop marks pointing at it
// and failure reports it made, unlink it from master and replicas.
func (c *Core) delNode(n *Node) {
	for s := 0; s < slot.Count; s++ {
		if c.importing[s] == n {
			c.importing[s] = nil
			c.touch(s)
		}
		if c.migrating[s] == n {
			c.migrating[s] = nil
			c.touch(s)
		}
		if c.owner[s] == n {
			c.delSlot(s)
		}
	}
	for _, o := range c.order {
		if o != n {
			o.delFailReport(n)
		}
	}
	// freeClusterNode frees both links of the node.
	if n.link != nil {
		c.freeLink(n.link, true)
	}
	if n.inbound != nil {
		c.freeLink(n.inbound, true)
	}
	for _, r := range n.Replicas {
		r.Master = nil
	}
	if n.IsSlave() && n.Master != nil {
		n.Master.removeReplica(n)
	}
	delete(c.nodes, n.ID)
	for i, o := range c.order {
		if o == n {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}

func (n *Node) delFailReport(from *Node) {
	for i, r := range n.failReports {
		if r.from == from {
			n.failReports = append(n.failReports[:i], n.failReports[i+1:]...)
			return
		}
	}
}

func (c *Core) addSlot(n *Node, s int) bool {
	if c.owner[s] != nil {
		return false
	}
	c.owner[s] = n
	c.touch(s)
	n.slots.Set(s)
	n.numSlots++
	return true
}

func (c *Core) delSlot(s int) bool {
	n := c.owner[s]
	if n == nil {
		return false
	}
	n.slots.Clear(s)
	n.numSlots--
	c.owner[s] = nil
	c.touch(s)
	return true
}

// changed records a change: save asks for nodes.conf to be written, update
// recomputes the cluster state (Redis's CLUSTER_TODO_* flags, applied at
// once rather than before the next event loop sleep).
func (c *Core) changed(save, update bool) {
	c.version++
	if save {
		c.ready.SaveConfig = true
		c.ready.SyncConfig = true
	}
	if update {
		c.updateState()
	}
}

// changedNoSync is changed(true, true) for a change Redis saves without
// fsync (Ready.SyncConfig).
func (c *Core) changedNoSync() {
	c.version++
	c.ready.SaveConfig = true
	c.updateState()
}

func (c *Core) logf(level byte, parts ...string) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	c.ready.Logs = append(c.ready.Logs, LogLine{level, string(b)})
}

// Refresh makes the next Topology a new snapshot even though nothing in it
// changed that routing depends on. Ping and pong times change on every bus
// message without a new snapshot (one per PONG would be wasteful); a runner
// calls Refresh before showing them (CLUSTER NODES).
func (c *Core) Refresh() { c.version++ }

// HasReady reports whether Ready has anything to do.
func (c *Core) HasReady() bool {
	r := &c.ready
	return r.SaveConfig || r.RoleChange != nil || r.Pause != nil || r.EmptyData || len(r.Logs) > 0 || len(r.DelSlotKeys) > 0 ||
		len(r.Disconnect) > 0 || len(r.Connect) > 0 || len(r.Messages) > 0 || len(r.Deliver) > 0
}

// Ready returns what the runner must carry out; see Ready.
func (c *Core) Ready() Ready { return c.ready }

// Advance tells the core the last Ready was carried out.
func (c *Core) Advance() { c.ready = Ready{} }

// Tick advances the core's time to now (ms) and runs the periodic work of
// Redis's clusterCron: handshakes that timed out are dropped, expired FORGET
// entries removed, and the cluster state updated; with Config.Bus, and at
// most once per 100 ms of time however often Tick is called, also the bus
// part (cron.go): reconnect links, ping, mark nodes PFAIL.
func (c *Core) Tick(now int64) {
	c.advance(now)
	if c.cfg.Bus && c.now >= c.nextCron {
		c.nextCron = c.now + cronPeriod
		c.cron()
	}
	timeout := c.cfg.NodeTimeout
	if timeout < minHandshakeTimeout {
		timeout = minHandshakeTimeout
	}
	for i := 0; i < len(c.order); i++ {
		n := c.order[i]
		if n.InHandshake() && c.now-n.Created > timeout {
			c.delNode(n)
			c.version++
			i--
		}
	}
	for id, until := range c.blacklist {
		if until < c.now {
			delete(c.blacklist, id)
		}
	}
	if c.cfg.AnnounceIP != "" && c.myself.IP != c.cfg.AnnounceIP {
		c.myself.IP = c.cfg.AnnounceIP
		c.changed(true, false)
	}
	c.updateState()
}

// advance moves the core's time forward; time never goes back.
func (c *Core) advance(now int64) {
	if now > c.now {
		c.now = now
	}
}

// Now is the core's current time (ms), as of the last Tick.
func (c *Core) Now() int64 { return c.now }

// updateState is clusterUpdateState.
func (c *Core) updateState() {
	if c.firstUpdate == 0 {
		c.firstUpdate = c.now
	}
	// A master that just started waits before turning ok, so the cluster
	// has a chance to reconfigure it.
	if c.myself.IsMaster() && c.state == StateFail && c.now-c.firstUpdate < writableDelay {
		return
	}
	newState := StateOK
	// Every slot is covered when the owners' counts add up to all of them
	// and no owner failed (the same as Redis's look at each slot, without
	// the 16384 steps: Tick runs this on every admin command).
	size, reachable, owned, failedOwner := 0, 0, 0, false
	for _, n := range c.order {
		if n.numSlots > 0 {
			owned += n.numSlots
			failedOwner = failedOwner || n.Failed()
		}
		if n.IsMaster() && n.numSlots > 0 {
			size++
			if n.Flags&(FlagFail|FlagPFail) == 0 {
				reachable++
			}
		}
	}
	if c.cfg.RequireFullCoverage && (owned < slot.Count || failedOwner) {
		newState = StateFail
	}
	if size != c.size {
		c.size = size
		c.version++
	}
	if reachable < size/2+1 {
		newState = StateFail
		c.amongMinority = c.now
	}
	if newState == c.state {
		return
	}
	rejoin := c.cfg.NodeTimeout
	if rejoin > maxRejoinDelay {
		rejoin = maxRejoinDelay
	}
	if rejoin < minRejoinDelay {
		rejoin = minRejoinDelay
	}
	// A master that was in the minority waits for a config update before
	// accepting queries again.
	if newState == StateOK && c.myself.IsMaster() && c.now-c.amongMinority < rejoin {
		return
	}
	c.logf('#', "Cluster state changed: ", newState.String())
	c.state = newState
	c.version++
}

// State is the cluster state.
func (c *Core) State() State { return c.state }

// Myself is this node.
func (c *Core) Myself() *Node { return c.myself }

// Node returns the node with the given ID, or nil.
func (c *Core) Node(id string) *Node { return c.nodes[id] }

// Nodes returns every known node (handshakes included) in the core's order.
// The slice is the caller's; the nodes are not.
func (c *Core) Nodes() []*Node { return append([]*Node(nil), c.order...) }

// Owner returns the node owning slot s, or nil.
func (c *Core) Owner(s int) *Node { return c.owner[s] }

// MigratingTo returns the node slot s is migrating to, or nil.
func (c *Core) MigratingTo(s int) *Node { return c.migrating[s] }

// ImportingFrom returns the node slot s is imported from, or nil.
func (c *Core) ImportingFrom(s int) *Node { return c.importing[s] }

// CurrentEpoch is the cluster's current epoch as this node knows it.
func (c *Core) CurrentEpoch() uint64 { return c.currentEpoch }

// LastVoteEpoch is the epoch this node last voted in.
func (c *Core) LastVoteEpoch() uint64 { return c.lastVoteEpoch }

// Size is the number of masters serving at least one slot (cluster_size),
// as of the last state update.
func (c *Core) Size() int { return c.size }

// CountSent and CountReceived count a bus message for CLUSTER INFO.
func (c *Core) CountSent(t MsgType)     { c.sent[t]++ }
func (c *Core) CountReceived(t MsgType) { c.received[t]++ }

// SetReplOffset records myself's replication offset (CLUSTER SHARDS).
func (c *Core) SetReplOffset(off int64) {
	if off != c.myReplOffset {
		c.myReplOffset = off
		c.version++
	}
}

// maxEpoch is clusterGetMaxEpoch.
func (c *Core) maxEpoch() uint64 {
	m := c.currentEpoch
	for _, n := range c.order {
		if n.ConfigEpoch > m {
			m = n.ConfigEpoch
		}
	}
	return m
}

// Info is the CLUSTER INFO text, CRLF line ends, as Redis 7.0 prints it.
func (c *Core) Info() string {
	assigned, ok, pfail, fail := 0, 0, 0, 0
	for s := 0; s < slot.Count; s++ {
		n := c.owner[s]
		if n == nil {
			continue
		}
		assigned++
		switch {
		case n.Flags&FlagFail != 0:
			fail++
		case n.Flags&FlagPFail != 0:
			pfail++
		default:
			ok++
		}
	}
	myEpoch := c.myself.ConfigEpoch
	if c.myself.IsSlave() && c.myself.Master != nil {
		myEpoch = c.myself.Master.ConfigEpoch
	}
	b := make([]byte, 0, 512)
	line := func(name string, v int64) {
		b = append(b, name...)
		b = append(b, ':')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "cluster_state:"...)
	b = append(b, c.state.String()...)
	b = append(b, "\r\n"...)
	line("cluster_slots_assigned", int64(assigned))
	line("cluster_slots_ok", int64(ok))
	line("cluster_slots_pfail", int64(pfail))
	line("cluster_slots_fail", int64(fail))
	line("cluster_known_nodes", int64(len(c.order)))
	line("cluster_size", int64(c.size))
	b = append(b, "cluster_current_epoch:"...)
	b = strconv.AppendUint(b, c.currentEpoch, 10)
	b = append(b, "\r\ncluster_my_epoch:"...)
	b = strconv.AppendUint(b, myEpoch, 10)
	b = append(b, "\r\n"...)
	for _, dir := range []struct {
		n    *[MsgTypeCount]int64
		name string
	}{{&c.sent, "sent"}, {&c.received, "received"}} {
		var tot int64
		for t, v := range dir.n {
			if v == 0 {
				continue
			}
			tot += v
			line("cluster_stats_messages_"+MsgType(t).String()+"_"+dir.name, v)
		}
		line("cluster_stats_messages_"+dir.name, tot)
	}
	line("total_cluster_links_buffer_limit_exceeded", c.linksBufferLimitExceeded)
	return string(b)
}
