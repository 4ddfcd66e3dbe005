package cluster

import (
	"math/bits"
	"strconv"

	"github.com/shoal-db/shoal/internal/slot"
)

// Epochs and slot configuration, as in Redis 7.0: a slot belongs to the
// master claiming it with the greatest config epoch; nodes with stale claims
// are sent UPDATE messages; two masters with the same config epoch resolve
// the collision by the greater node ID taking a new epoch.

// setNodeAsMaster is clusterSetNodeAsMaster.
func (c *Core) setNodeAsMaster(n *Node) {
	if n.IsMaster() {
		return
	}
	if n == c.myself {
		c.setAsMaster()
		return
	}
	if n.Master != nil {
		n.Master.removeReplica(n)
		n.migrateTo = true // it failed over a master that had replicas
	}
	n.Flags = n.Flags&^FlagSlave | FlagMaster
	n.Master = nil
	c.changed(true, true)
}

// updateSlotsConfigWith is clusterUpdateSlotsConfigWith: sender claims
// slots with config epoch epoch; every slot owned by nobody or by a node
// with an older epoch moves to it. If myself's master (or myself) lost its
// last slot this way, myself follows the slots and replicates sender.
func (c *Core) updateSlotsConfigWith(sender *Node, epoch uint64, slots *slot.Bitmap) {
	if sender == c.myself {
		c.logf('-', "Discarding UPDATE message about myself.")
		return
	}
	cur := c.myself
	if cur.IsSlave() {
		cur = cur.Master
	}
	var newMaster *Node
	var dirty []int
	senderSlots, migrated, moved := 0, 0, false
	for w, word := range slots {
		for word != 0 {
			s := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			senderSlots++
			o := c.owner[s]
			if o == sender || c.importing[s] != nil {
				// An importing slot only changes by hand (a resharding in
				// progress must be closed by the operator).
				continue
			}
			if o != nil && o.ConfigEpoch >= epoch {
				continue
			}
			if o == c.myself {
				dirty = append(dirty, s)
			}
			if o != nil && o == cur {
				newMaster = sender
				migrated++
			}
			c.delSlot(s)
			c.addSlot(sender, s)
			moved = true
		}
	}
	if moved {
		c.changed(true, true)
	}
	if newMaster != nil && cur.numSlots == 0 && (c.cfg.AllowReplicaMigration || senderSlots == migrated) {
		c.logf('#', "Configuration change detected. Reconfiguring myself as a replica of ", sender.ID)
		c.setMaster(sender)
		return
	}
	if m := c.myself.Master; m != nil && m.Master != nil {
		// Our master became a replica: replicate its new master.
		c.setMaster(m.Master)
		return
	}
	c.ready.DelSlotKeys = append(c.ready.DelSlotKeys, dirty...)
}

// handleEpochCollision is clusterHandleConfigEpochCollision: of two masters
// with the same config epoch, the one with the greater node ID takes a new
// epoch, so that every master ends with a unique one.
func (c *Core) handleEpochCollision(sender *Node) {
	me := c.myself
	if sender.ConfigEpoch != me.ConfigEpoch || !sender.IsMaster() || !me.IsMaster() {
		return
	}
	if sender.ID <= me.ID {
		return // the node with the smaller ID does nothing
	}
	c.currentEpoch++
	me.ConfigEpoch = c.currentEpoch
	c.changed(true, false) // saved (fsync) before the new epoch is sent
	c.logf('-', "WARNING: configEpoch collision with node ", sender.ID, ". configEpoch set to ",
		strconv.FormatUint(me.ConfigEpoch, 10))
}

// sendUpdate is clusterSendUpdate: tell the node at the other end of lk the
// slots and config epoch of n.
func (c *Core) sendUpdate(lk *link, n *Node) {
	if lk == nil {
		return
	}
	m := c.header(MsgUpdate)
	m.Update = &UpdateBody{ConfigEpoch: n.ConfigEpoch, Name: n.ID, Slots: n.slots}
	c.send(lk, m)
}

// processUpdate handles an UPDATE message.
func (c *Core) processUpdate(m *Msg, sender *Node) {
	if sender == nil || m.Update == nil {
		return
	}
	n := c.nodes[m.Update.Name]
	if n == nil || n.ConfigEpoch >= m.Update.ConfigEpoch {
		return
	}
	// A replica we still know as such was promoted.
	if n.IsSlave() {
		c.setNodeAsMaster(n)
	}
	n.ConfigEpoch = m.Update.ConfigEpoch
	c.changed(true, false)
	c.updateSlotsConfigWith(n, m.Update.ConfigEpoch, &m.Update.Slots)
}
