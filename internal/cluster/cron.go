package cluster

// cron is the bus part of clusterCron, run every 100 ms of core time when
// Config.Bus is set: open links to nodes without one, ping a node with an
// old PONG once a second, ping every node not heard from in pingInterval,
// drop links that look stuck, and mark nodes that did not answer a PING
// within node_timeout as PFAIL.
func (c *Core) cron() {
	c.iteration++
	now := c.now
	me := c.myself
	timeout := c.cfg.NodeTimeout

	c.pfailNodes = 0
	for _, n := range c.order {
		if n.Flags&(FlagMyself|FlagNoAddr) != 0 {
			continue
		}
		if n.Flags&FlagPFail != 0 {
			c.pfailNodes++
		}
		// (Handshake timeouts are handled by Tick, bus or no bus.)
		if n.link == nil && n.IP != "" {
			c.connect(n)
		}
	}

	// Once a second, ping the node with the oldest PONG among 5 random ones.
	if c.iteration%10 == 0 {
		var oldest *Node
		for j := 0; j < 5; j++ {
			n := c.order[c.randN(len(c.order))]
			if n.link == nil || n.PingSent != 0 || n.Flags&(FlagMyself|FlagHandshake) != 0 {
				continue
			}
			if oldest == nil || n.PongRecv < oldest.PongRecv {
				oldest = n
			}
		}
		if oldest != nil {
			c.logf('.', "Pinging node ", oldest.ID)
			c.sendPing(oldest.link, MsgPing)
		}
	}

	update := false
	for _, n := range c.order {
		if n.Flags&(FlagMyself|FlagNoAddr|FlagHandshake) != 0 {
			continue
		}
		pingDelay := now - n.PingSent
		dataDelay := now - n.dataRecv
		// Waiting for the PONG for more than half the timeout on a link
		// older than the timeout, and no other traffic either: the
		// connection may be the problem; reconnect. Shoal also reconnects
		// when the PONG is a whole timeout late though the node's own
		// messages still arrive: they come on its link to us, and since
		// Shoal nodes ping more often than Redis (pingInterval) they would
		// otherwise keep a dead outbound link of ours alive for ever.
		if n.link != nil && now-n.link.ctime > timeout && n.PingSent != 0 &&
			pingDelay > timeout/2 && (dataDelay > timeout/2 || pingDelay > timeout) {
			c.freeLink(n.link, true)
		}
		// No ping pending and the last PONG older than half the timeout:
		// ping now, so every node is pinged well within the timeout.
		if n.link != nil && n.PingSent == 0 && now-n.PongRecv > c.pingInterval() {
			c.sendPing(n.link, MsgPing)
			continue
		}
		// The replica of a manual failover is pinged continuously, so it
		// hears the paused master's offset at once.
		if e := &c.elect; e.mfEnd != 0 && e.mfPaused && me.IsMaster() && e.mfReplica == n && n.link != nil {
			c.sendPing(n.link, MsgPing)
			continue
		}
		if n.PingSent == 0 {
			continue
		}
		// Any traffic from the node counts as a sign of life.
		delay := min(pingDelay, dataDelay)
		if delay > timeout && n.Flags&(FlagPFail|FlagFail) == 0 {
			c.logf('.', "*** NODE ", n.ID, " possibly failing")
			n.Flags |= FlagPFail
			c.pfailNodes++
			update = true
		}
	}
	if update {
		c.changed(false, true)
		// Beyond Redis: a master's failure report counts, so a master
		// that flags a node PFAIL tells everyone at once, in a PONG whose
		// gossip carries every PFAIL node, instead of waiting for its next
		// pings to each peer. Failure reports then reach the quorum a node
		// timeout after the failure rather than up to half a timeout
		// later; every receiver (Redis too) reads it as ordinary gossip.
		if me.IsMaster() {
			c.broadcastPong(false)
		}
	}
	c.cronFailover()
}

// pingInterval is how old a node's last PONG may get before it is pinged
// again. Redis waits node_timeout/2; a node that dies just after a PONG is
// then flagged PFAIL only 1.5 × node_timeout later, half a timeout more
// than the timeout itself. Beyond Redis, Shoal pings small clusters more
// often — every 500 ms, or 25 ms × the number of nodes, never less often
// than Redis — so PFAIL (still: no answer to a PING within node_timeout)
// comes soon after node_timeout, for a little more bus traffic.
func (c *Core) pingInterval() int64 {
	return min(c.cfg.NodeTimeout/2, max(500, 25*int64(len(c.order))))
}
