package cluster

// Failure detection, as in Redis 7.0: a node not answering a PING within
// node_timeout is PFAIL (cron.go); masters report the PFAIL/FAIL nodes they
// see in their gossip sections; when a majority of the masters serving slots
// (counting myself if I am one) reported a node within 2×node_timeout, it
// is FAIL and a FAIL message tells everyone at once.

// addFailReport is clusterNodeAddFailureReport: it reports whether the
// report is new (an old one from the same sender is only refreshed).
func (c *Core) addFailReport(n, from *Node) bool {
	for i := range n.failReports {
		if n.failReports[i].from == from {
			n.failReports[i].time = c.now
			return false
		}
	}
	n.failReports = append(n.failReports, failReport{from: from, time: c.now})
	return true
}

// delFailReportFrom is clusterNodeDelFailureReport: it reports whether a
// report from that sender existed.
func (c *Core) delFailReportFrom(n, from *Node) bool {
	c.expireFailReports(n)
	before := len(n.failReports)
	n.delFailReport(from)
	return len(n.failReports) != before
}

// expireFailReports is clusterNodeCleanupFailureReports: reports older than
// CLUSTER_FAIL_REPORT_VALIDITY_MULT × node_timeout are dropped.
func (c *Core) expireFailReports(n *Node) {
	max := c.cfg.NodeTimeout * failReportValidity
	kept := n.failReports[:0]
	for _, r := range n.failReports {
		if c.now-r.time <= max {
			kept = append(kept, r)
		}
	}
	n.failReports = kept
}

// failReportCount is clusterNodeFailureReportsCount.
func (c *Core) failReportCount(n *Node) int {
	c.expireFailReports(n)
	return len(n.failReports)
}

// markFailingIfNeeded is markNodeAsFailingIfNeeded.
func (c *Core) markFailingIfNeeded(n *Node) {
	quorum := c.size/2 + 1
	if n.Flags&FlagPFail == 0 || n.Failed() {
		return // we can reach it, or it is already failing
	}
	failures := c.failReportCount(n)
	if c.myself.IsMaster() {
		failures++ // myself is a voter too
	}
	if failures < quorum {
		return
	}
	c.logf('*', "Marking node ", n.ID, " as failing (quorum reached).")
	n.Flags = n.Flags&^FlagPFail | FlagFail
	n.FailTime = c.now
	// Broadcast even from a replica: the decision was the masters', the
	// replica only helps spread it.
	c.sendFail(n)
	c.changed(true, true)
	c.masterFailed(n)
}

// masterFailed schedules myself's election at once when n, which just
// turned FAIL, is myself's master (Redis waits for the next clusterCron).
func (c *Core) masterFailed(n *Node) {
	if c.myself.IsSlave() && c.myself.Master == n {
		c.handleReplicaFailover()
	}
}

// sendFail is clusterSendFail.
func (c *Core) sendFail(n *Node) {
	m := c.header(MsgFail)
	m.Fail = &FailBody{Name: n.ID}
	c.broadcast(m)
}

// clearFailureIfNeeded is clearNodeFailureIfNeeded, called when a FAIL node
// answers a PING again.
func (c *Core) clearFailureIfNeeded(n *Node) {
	// A replica, or a master without slots, is simply back.
	if n.IsSlave() || n.numSlots == 0 {
		what := "replica"
		if !n.IsSlave() {
			what = "master without slots"
		}
		c.logf('*', "Clear FAIL state for node ", n.ID, ": ", what, " is reachable again.")
		n.Flags &^= FlagFail
		c.changed(true, true)
	}
	// A master still serving its slots long after it failed: apparently
	// nobody is going to fail it over, so take it back.
	if n.IsMaster() && n.numSlots > 0 && c.now-n.FailTime > c.cfg.NodeTimeout*failUndoTimeMult {
		c.logf('*', "Clear FAIL state for node ", n.ID, ": is reachable again and nobody is serving its slots after some time.")
		n.Flags &^= FlagFail
		c.changed(true, true)
	}
}

// processFail handles a FAIL message.
func (c *Core) processFail(m *Msg, sender *Node) {
	if sender == nil || m.Fail == nil {
		if m.Fail != nil {
			c.logf('-', "Ignoring FAIL message from unknown node ", m.Sender, " about ", m.Fail.Name)
		}
		return
	}
	n := c.nodes[m.Fail.Name]
	if n == nil || n.Flags&(FlagFail|FlagMyself) != 0 {
		return
	}
	c.logf('*', "FAIL message received from ", sender.ID, " about ", n.ID)
	n.Flags = n.Flags&^FlagPFail | FlagFail
	n.FailTime = c.now
	c.changed(true, true)
	c.masterFailed(n)
}
