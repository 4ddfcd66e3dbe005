package cluster

import "strconv"

// cluster-replica-wait-safe (beyond Redis; docs/failover.md).
//
// A master with the directive on tells its replicas, in a ping extension
// (Extensions.WaitAcked), the highest replication offset it acknowledged to
// a WAIT client: the runner reports it with SetWaitAcked before the WAIT
// reply leaves, and the master pushes it to its replicas at once. A replica
// with the directive on remembers the last such offset from its master and
// does not stand for election while its own offset is below it: it would
// lose writes a client was told are on a replica. Another replica that has
// them can still win. If none has them, the shard stays down until an
// operator decides (CLUSTER FAILOVER FORCE or TAKEOVER, which proceed and
// log the gap) or the master returns.
//
// Redis 7.0 nodes skip extension types they do not know (logging a warning
// per message), so the extension goes only to myself's replicas, and only
// while the directive is on and a WAIT was acknowledged.

// waitSafeState is the directive's state.
type waitSafeState struct {
	// acked is, on a master, the highest offset acknowledged to WAIT.
	acked int64
	// masterAcked is, on a replica, the last WAIT-acked offset announced by
	// master (a node ID); a different master's offset does not count.
	masterAcked int64
	master      string
}

// SetWaitAcked records that a WAIT reply acknowledges every write up to
// offset off. If the offset is new and cluster-replica-wait-safe is on,
// myself announces it to its replicas at once (a PONG to each linked
// replica, in Ready), so the runner must carry out the Ready before the
// WAIT reply leaves.
func (c *Core) SetWaitAcked(off int64) {
	ws := &c.waitSafe
	if off <= ws.acked {
		return
	}
	ws.acked = off
	if !c.cfg.ReplicaWaitSafe || !c.myself.IsMaster() {
		return
	}
	for _, r := range c.myself.Replicas {
		if r.link != nil && !r.InHandshake() {
			c.sendPing(r.link, MsgPong)
		}
	}
}

// WaitAcked returns the highest offset myself acknowledged to WAIT, and
// as a replica the last WAIT-acked offset its master announced (0: none).
func (c *Core) WaitAcked() (mine, master int64) {
	ws := &c.waitSafe
	if m := c.myself.Master; m != nil && m.ID == ws.master {
		master = ws.masterAcked
	}
	return ws.acked, master
}

// waitAckedFor is the WaitAcked extension value for a message to n: set
// only for myself's replicas, under the directive.
func (c *Core) waitAckedFor(n *Node) uint64 {
	if !c.cfg.ReplicaWaitSafe || n == nil || c.waitSafe.acked <= 0 || !c.myself.IsMaster() ||
		n.Master != c.myself {
		return 0
	}
	return uint64(c.waitSafe.acked)
}

// noteWaitAcked remembers the WAIT-acked offset myself's master announced.
// Offsets only grow while the master stays the same node.
func (c *Core) noteWaitAcked(m *Msg, sender *Node) {
	ws := &c.waitSafe
	if m.Ext.WaitAcked == 0 || sender == nil || c.myself.Master != sender || !sender.IsMaster() {
		return
	}
	off := int64(min(m.Ext.WaitAcked, 1<<63-1))
	if ws.master != sender.ID {
		ws.master, ws.masterAcked = sender.ID, 0
	}
	ws.masterAcked = max(ws.masterAcked, off)
}

// waitSafeGap returns how far myself's offset is below the WAIT-acked offset
// its master announced (0: covered, or no announcement).
func (c *Core) waitSafeGap() int64 {
	_, acked := c.WaitAcked()
	return max(acked-c.myReplOffset, 0)
}

// waitSafeRefuses reports whether the directive keeps myself out of an
// automatic election, logging why (at most once per
// cantFailoverRelog seconds while the reason stays).
func (c *Core) waitSafeRefuses() bool {
	if !c.cfg.ReplicaWaitSafe {
		return false
	}
	gap := c.waitSafeGap()
	if gap == 0 {
		return false
	}
	e := &c.elect
	if e.cantReason != cantFailoverWaitSafe || c.now-e.cantLogTime >= cantFailoverRelog*1000 {
		e.cantReason, e.cantLogTime = cantFailoverWaitSafe, c.now
		_, acked := c.WaitAcked()
		c.logf('#', "Currently unable to failover: My replication offset ", strconv.FormatInt(c.myReplOffset, 10),
			" is ", strconv.FormatInt(gap, 10), " bytes behind the offset ", strconv.FormatInt(acked, 10),
			" my master acknowledged to WAIT. Please check the 'cluster-replica-wait-safe' configuration option.")
	}
	return true
}

// warnWaitSafeOverride logs that a FORCE or TAKEOVER failover goes on
// although myself lacks writes its master acknowledged to WAIT.
func (c *Core) warnWaitSafeOverride(mode string) {
	if !c.cfg.ReplicaWaitSafe {
		return
	}
	if gap := c.waitSafeGap(); gap > 0 {
		c.logf('#', "WARNING: ", mode, " failover requested while my replication offset is ",
			strconv.FormatInt(gap, 10), " bytes behind the offset my master acknowledged to WAIT: ",
			"WAIT-acknowledged writes may be lost (cluster-replica-wait-safe yields to the operator).")
	}
}
