package cluster

import (
	"net/netip"
	"strconv"

	"github.com/shoal-db/shoal/internal/slot"
)

// The admin operations of the CLUSTER command. Each checks what Redis 7.0's
// clusterCommand checks, in the same order, and returns an *Error with
// Redis's reply text; on success it records the change (Ready.SaveConfig)
// and updates the cluster state. Callers parse arguments first (slot
// numbers, integers) with the server's own error texts. dbKeys arguments are
// the number of keys in the node's database (db 0), which the core cannot see.

// SlotSet collects the slots of one ADDSLOTS/DELSLOTS(RANGE) request while
// CheckSlots validates them; UpdateSlots then applies them all or none.
type SlotSet struct {
	del  bool
	seen slot.Bitmap
}

// NewSlotSet starts a request: del for DELSLOTS, else ADDSLOTS.
func NewSlotSet(del bool) *SlotSet { return &SlotSet{del: del} }

// CheckSlots is checkSlotAssignmentsOrReply for the slots of r.
func (c *Core) CheckSlots(set *SlotSet, r slot.Range) error {
	for s := r.Start; s <= r.End; s++ {
		if set.del && c.owner[s] == nil {
			return errSlotUnassigned(s)
		}
		if !set.del && c.owner[s] != nil {
			return errSlotBusy(s)
		}
		if set.seen.Has(s) {
			return errSlotTwice(s)
		}
		set.seen.Set(s)
	}
	return nil
}

// UpdateSlots is clusterUpdateSlots: assign every slot of set to myself (or
// unassign it), clearing importing marks on those slots.
func (c *Core) UpdateSlots(set *SlotSet) {
	for s := 0; s < slot.Count; s++ {
		if !set.seen.Has(s) {
			continue
		}
		c.importing[s] = nil
		c.touch(s)
		if set.del {
			c.delSlot(s)
		} else {
			c.addSlot(c.myself, s)
		}
	}
	c.changedNoSync()
}

// AddSlots assigns the slots of rs to myself (CLUSTER ADDSLOTSRANGE).
func (c *Core) AddSlots(rs ...slot.Range) error { return c.slotsOp(false, rs) }

// DelSlots unassigns the slots of rs (CLUSTER DELSLOTSRANGE).
func (c *Core) DelSlots(rs ...slot.Range) error { return c.slotsOp(true, rs) }

func (c *Core) slotsOp(del bool, rs []slot.Range) error {
	set := NewSlotSet(del)
	for _, r := range rs {
		if err := c.CheckSlots(set, r); err != nil {
			return err
		}
	}
	c.UpdateSlots(set)
	return nil
}

// FlushSlots unassigns every slot of myself (CLUSTER FLUSHSLOTS).
func (c *Core) FlushSlots(dbKeys int64) error {
	if dbKeys != 0 {
		return errf(KindNotEmpty, "DB must be empty to perform CLUSTER FLUSHSLOTS.")
	}
	for s := 0; s < slot.Count; s++ {
		if c.owner[s] == c.myself {
			c.delSlot(s)
		}
	}
	c.changedNoSync()
	return nil
}

// CanSetSlot is SETSLOT's first check, made before the slot is parsed.
func (c *Core) CanSetSlot() error {
	if c.myself.IsSlave() {
		return errSetSlotReplica()
	}
	return nil
}

// SetSlotMigrating marks slot s as migrating to node id.
func (c *Core) SetSlotMigrating(s int, id string) error {
	if err := c.CanSetSlot(); err != nil {
		return err
	}
	if c.owner[s] != c.myself {
		return errNotOwner(s)
	}
	n := c.nodes[id]
	if n == nil {
		return errDontKnow(id)
	}
	if n.IsSlave() {
		return errTargetNotMaster()
	}
	c.migrating[s] = n
	c.touch(s)
	c.changedNoSync()
	return nil
}

// SetSlotImporting marks slot s as imported from node id.
func (c *Core) SetSlotImporting(s int, id string) error {
	if err := c.CanSetSlot(); err != nil {
		return err
	}
	if c.owner[s] == c.myself {
		return errAlreadyOwner(s)
	}
	n := c.nodes[id]
	if n == nil {
		return errDontKnow(id)
	}
	if n.IsSlave() {
		return errTargetNotMaster()
	}
	c.importing[s] = n
	c.touch(s)
	c.changedNoSync()
	return nil
}

// SetSlotStable clears slot s's migrating and importing marks.
func (c *Core) SetSlotStable(s int) error {
	if err := c.CanSetSlot(); err != nil {
		return err
	}
	c.migrating[s], c.importing[s] = nil, nil
	c.touch(s)
	c.changedNoSync()
	return nil
}

// SetSlotNode assigns slot s to node id (CLUSTER SETSLOT <slot> NODE <id>).
// keysInSlot is how many keys this node holds in s.
func (c *Core) SetSlotNode(s int, id string, keysInSlot int) error {
	if err := c.CanSetSlot(); err != nil {
		return err
	}
	n := c.nodes[id]
	if n == nil {
		return errUnknownNode(id)
	}
	if n.IsSlave() {
		return errTargetNotMaster()
	}
	if c.owner[s] == c.myself && n != c.myself && keysInSlot != 0 {
		return errAssignWithKeys(s)
	}
	if keysInSlot == 0 && c.migrating[s] != nil {
		c.migrating[s] = nil
		c.touch(s)
	}
	wasMine := c.owner[s] == c.myself
	c.delSlot(s)
	c.addSlot(n, s)
	if wasMine && n != c.myself && c.myself.numSlots == 0 && c.cfg.AllowReplicaMigration {
		c.logf('#', "Configuration change detected. Reconfiguring myself as a replica of ", n.ID)
		c.setMaster(n)
	}
	if n == c.myself && c.importing[s] != nil {
		if c.bumpEpochWithoutConsensus() {
			c.logf('#', "configEpoch updated after importing slot ", strconv.Itoa(s))
		}
		c.importing[s] = nil
		c.touch(s)
	}
	c.changedNoSync() // a bumped epoch or a role change asked for the fsync
	return nil
}

// bumpEpochWithoutConsensus is clusterBumpConfigEpochWithoutConsensus.
func (c *Core) bumpEpochWithoutConsensus() bool {
	max := c.maxEpoch()
	if c.myself.ConfigEpoch == 0 || c.myself.ConfigEpoch != max {
		c.currentEpoch++
		c.myself.ConfigEpoch = c.currentEpoch
		c.changed(true, false)
		c.logf('#', "New configEpoch set to ", strconv.FormatUint(c.myself.ConfigEpoch, 10))
		return true
	}
	return false
}

// BumpEpoch is CLUSTER BUMPEPOCH: it reports whether the epoch moved and
// myself's config epoch after the call ("+BUMPED n" / "+STILL n").
func (c *Core) BumpEpoch() (bumped bool, epoch uint64) {
	bumped = c.bumpEpochWithoutConsensus()
	return bumped, c.myself.ConfigEpoch
}

// SetConfigEpoch is CLUSTER SET-CONFIG-EPOCH.
func (c *Core) SetConfigEpoch(epoch int64) error {
	switch {
	case epoch < 0:
		return errf(KindEpoch, "Invalid config epoch specified: ", strconv.FormatInt(epoch, 10))
	case len(c.nodes) > 1:
		return errf(KindEpoch, "The user can assign a config epoch only when the node does not know any other node.")
	case c.myself.ConfigEpoch != 0:
		return errf(KindEpoch, "Node config epoch is already non-zero")
	}
	c.myself.ConfigEpoch = uint64(epoch)
	c.logf('#', "configEpoch set to ", strconv.FormatInt(epoch, 10), " via CLUSTER SET-CONFIG-EPOCH")
	if c.currentEpoch < uint64(epoch) {
		c.currentEpoch = uint64(epoch)
	}
	c.changedNoSync()
	return nil
}

// setMaster is clusterSetMaster: myself becomes a replica of n.
func (c *Core) setMaster(n *Node) {
	me := c.myself
	if me.IsMaster() {
		me.Flags = me.Flags&^FlagMaster | FlagSlave
		c.closeAllSlots()
	} else if me.Master != nil {
		me.Master.removeReplica(me)
	}
	me.Master = n
	n.addReplica(me)
	c.ready.RoleChange = &RoleChange{MasterID: n.ID, IP: n.IP, Port: n.Port}
	c.resetManualFailover()
	c.changed(true, true)
}

// setAsMaster is clusterSetNodeAsMaster for myself.
func (c *Core) setAsMaster() {
	me := c.myself
	if me.IsMaster() {
		return
	}
	if me.Master != nil {
		me.Master.removeReplica(me)
	}
	me.Flags = me.Flags&^FlagSlave | FlagMaster
	me.Master = nil
	c.ready.RoleChange = &RoleChange{}
	c.changed(true, true)
}

func (c *Core) closeAllSlots() {
	c.migrating = [slot.Count]*Node{}
	c.importing = [slot.Count]*Node{}
	c.dirtyAll = true
}

// Replicate is CLUSTER REPLICATE (the configuration part: replication
// itself is started by the runner from Ready.RoleChange).
func (c *Core) Replicate(id string, dbKeys int64) error {
	n := c.nodes[id]
	switch {
	case n == nil:
		return errUnknownNode(id)
	case n == c.myself:
		return errf(KindMyself, "Can't replicate myself")
	case n.IsSlave():
		return errf(KindRole, "I can only replicate a master, not a replica.")
	case c.myself.IsMaster() && (c.myself.numSlots != 0 || dbKeys != 0):
		return errf(KindNotEmpty, "To set a master the node must be empty and without assigned slots.")
	}
	sync := c.ready.SyncConfig
	c.setMaster(n)
	c.ready.SyncConfig = sync // Redis saves CLUSTER REPLICATE's change without fsync
	return nil
}

// Forget is CLUSTER FORGET: the node is removed and its ID refused for a
// minute (so gossip does not bring it back).
func (c *Core) Forget(id string) error {
	n := c.nodes[id]
	switch {
	case n == nil:
		return errUnknownNode(id)
	case n == c.myself:
		return errf(KindMyself, "I tried hard but I can't forget myself...")
	case c.myself.IsSlave() && c.myself.Master == n:
		return errf(KindRole, "Can't forget my master!")
	}
	c.blacklist[id] = c.now + blacklistTTL
	c.delNode(n)
	c.changedNoSync()
	return nil
}

// Blacklisted reports whether id was forgotten less than a minute ago.
func (c *Core) Blacklisted(id string) bool {
	until, ok := c.blacklist[id]
	return ok && until >= c.now
}

// Reset is CLUSTER RESET: forget every other node, unassign every slot,
// become a master; a hard reset also zeroes the epochs and takes a new ID.
func (c *Core) Reset(hard bool, dbKeys int64) error {
	me := c.myself
	if me.IsMaster() && dbKeys != 0 {
		return errf(KindNotEmpty, "CLUSTER RESET can't be called with master nodes containing keys")
	}
	if me.IsSlave() {
		c.setAsMaster()
		c.ready.EmptyData = true
	}
	c.closeAllSlots()
	for s := 0; s < slot.Count; s++ {
		c.delSlot(s)
	}
	for _, n := range c.Nodes() {
		if n != me {
			c.delNode(n)
		}
	}
	if hard {
		c.currentEpoch, c.lastVoteEpoch, me.ConfigEpoch = 0, 0, 0
		c.logf('#', "configEpoch set to 0 via CLUSTER RESET HARD")
		delete(c.nodes, me.ID)
		c.order = c.order[:0]
		me.ID = c.randomID()
		c.addNode(me)
		c.logf('*', "Node hard reset, now I'm ", me.ID)
	}
	c.changed(true, true)
	return nil
}

// Meet is CLUSTER MEET: record a node in handshake at ip:port (bus port
// cport). The bus then completes the handshake or drops the node after the
// handshake timeout. A handshake already in progress to the same address is
// not an error.
func (c *Core) Meet(ip string, port, cport int64) error {
	bad := errf(KindInvalid, "Invalid node address specified: ", ip, ":", strconv.FormatInt(port, 10))
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return bad
	}
	if port <= 0 || port > 65535 || cport <= 0 || cport > 65535 {
		return bad
	}
	norm := addr.String()
	for _, n := range c.order {
		if n.InHandshake() && n.IP == norm && n.Port == int(port) && n.CPort == int(cport) {
			return nil
		}
	}
	n := c.newNode(c.randomID(), FlagHandshake|FlagMeet)
	n.IP, n.Port, n.CPort = norm, int(port), int(cport)
	c.addNode(n)
	c.changed(false, true)
	return nil
}

// CountFailureReports is CLUSTER COUNT-FAILURE-REPORTS: the failure reports
// about node id still valid (younger than twice the node timeout).
func (c *Core) CountFailureReports(id string) (int, error) {
	n := c.nodes[id]
	if n == nil {
		return 0, errUnknownNode(id)
	}
	max := c.cfg.NodeTimeout * failReportValidity
	kept := n.failReports[:0]
	for _, r := range n.failReports {
		if c.now-r.time <= max {
			kept = append(kept, r)
		}
	}
	n.failReports = kept
	return len(kept), nil
}

// Replicas is CLUSTER REPLICAS: the replicas of master id.
func (c *Core) Replicas(id string) ([]*Node, error) {
	n := c.nodes[id]
	if n == nil {
		return nil, errUnknownNode(id)
	}
	if n.IsSlave() {
		return nil, errf(KindRole, "The specified node is not a master")
	}
	return append([]*Node(nil), n.Replicas...), nil
}

// Failover is CLUSTER FAILOVER [FORCE|TAKEOVER] (TAKEOVER implies FORCE).
// The default asks the master to pause its writes and waits for its
// offset before the election; FORCE runs the election at once; TAKEOVER
// bumps the epoch without an election and takes the master's slots.
func (c *Core) Failover(force, takeover bool) error {
	me := c.myself
	force = force || takeover
	switch {
	case me.IsMaster():
		return errf(KindRole, "You should send CLUSTER FAILOVER to a replica")
	case me.Master == nil:
		return errf(KindRole, "I'm a replica but my master is unknown to me")
	case !force && (me.Master.Failed() || !me.Master.Linked):
		return errf(KindRole, "Master is down or failed, please use CLUSTER FAILOVER FORCE")
	}
	if !takeover {
		c.startManualFailover(force)
		return nil
	}
	c.resetManualFailover()
	c.elect.mfEnd = c.now + c.mfTimeout()
	c.logf('#', "Taking over the master (user request).")
	c.warnWaitSafeOverride("TAKEOVER")
	c.bumpEpochWithoutConsensus()
	c.replaceMaster()
	return nil
}

// SaveConfig is CLUSTER SAVECONFIG: ask for nodes.conf to be written now.
func (c *Core) SaveConfig() { c.ready.SaveConfig, c.ready.SyncConfig = true, true }
