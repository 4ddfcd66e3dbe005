package cluster

import (
	"math/bits"
	"strconv"
)

// The cluster bus packet processing of Redis 7.0 (clusterProcessPacket and
// the functions it calls), as a step of the state machine: a decoded
// message in, changes to the core and actions in Ready out.

// Step feeds msg, received on link l at time now (ms), into the core. The
// message is counted for CLUSTER INFO here; the runner must not also call
// CountReceived for it. m is not retained.
func (c *Core) Step(l LinkID, m *Msg, now int64) {
	c.advance(now)
	if m.Type < MsgTypeCount {
		c.received[m.Type]++
	}
	lk := c.links[l]
	if lk == nil {
		return // closed meanwhile: Redis would not read from a freed link
	}
	c.processPacket(lk, m)
}

// senderOf is getNodeFromLinkAndMsg.
func (c *Core) senderOf(lk *link, m *Msg) *Node {
	if lk.node != nil && !lk.node.InHandshake() {
		return lk.node
	}
	return c.nodes[m.Sender]
}

// processPacket is clusterProcessPacket.
func (c *Core) processPacket(lk *link, m *Msg) {
	now := c.now
	sender := c.senderOf(lk, m)
	if sender != nil && lk.inbound && lk.node == nil && sender != c.myself {
		// setClusterNodeToInboundClusterLink.
		if sender.inbound != nil && sender.inbound != lk {
			sender.inbound.node = nil
		}
		sender.inbound, lk.node = lk, sender
	}
	if sender != nil {
		sender.dataRecv = now
	}
	if sender != nil && !sender.InHandshake() {
		if m.CurrentEpoch > c.currentEpoch {
			c.currentEpoch = m.CurrentEpoch
			c.changed(true, false)
		}
		if m.ConfigEpoch > sender.ConfigEpoch {
			sender.ConfigEpoch = m.ConfigEpoch
			c.changed(true, false)
		}
		// An offset of 0 (a replica in a full sync) hides the replica
		// from CLUSTER SLOTS and shows it "loading" in CLUSTER SHARDS:
		// the published topology changes when a node enters or leaves it.
		if (sender.ReplOffset == 0) != (m.Offset == 0) {
			c.version++
		}
		sender.ReplOffset = int64(m.Offset)
		c.noteMasterPausedOffset(m, sender)
	}

	switch m.Type {
	case MsgPing, MsgPong, MsgMeet:
		c.processPingPongMeet(lk, m, sender)
	case MsgFail:
		c.processFail(m, sender)
	case MsgPublish, MsgPublishShard:
		if sender == nil || m.Publish == nil {
			return
		}
		c.ready.Deliver = append(c.ready.Deliver, Delivery{Channel: m.Publish.Channel, Message: m.Publish.Message,
			Shard: m.Type == MsgPublishShard})
	case MsgUpdate:
		c.processUpdate(m, sender)
	case MsgFailoverAuthRequest:
		if sender != nil {
			c.processAuthRequest(m, sender)
		}
	case MsgFailoverAuthAck:
		c.processAuthAck(m, sender)
	case MsgMFStart:
		c.processMFStart(sender)
	}
}

// processPingPongMeet is the PING/PONG/MEET part of clusterProcessPacket.
func (c *Core) processPingPongMeet(lk *link, m *Msg, sender *Node) {
	now := c.now
	me := c.myself
	if m.Type == MsgPing || m.Type == MsgMeet {
		// A MEET tells us the address peers reach us by; with no address at
		// all, any PING will do until a MEET corrects it.
		if (m.Type == MsgMeet || me.IP == "") && c.cfg.AnnounceIP == "" && lk.local != "" && lk.local != me.IP {
			me.IP = lk.local
			c.logf('#', "IP address for this node updated to ", me.IP)
			c.changed(true, false)
		}
		// A MEET from an unknown node: add it in handshake under a random
		// name; the real name and role come with its PONG.
		if sender == nil && m.Type == MsgMeet {
			n := c.newNode(c.randomID(), FlagHandshake)
			n.IP = ipOf(lk, m)
			n.Port, n.pport, n.CPort = m.Port, m.PPort, m.CPort
			c.addNode(n)
			c.changed(true, false)
			// The sender is trusted because of the message type.
			c.processGossip(lk, m, nil)
		}
		c.sendPing(lk, MsgPong)
	}

	if !lk.inbound {
		n := lk.node
		if n.InHandshake() {
			if sender != nil {
				c.logf('-', "Handshake: we already know node ", sender.ID, ", updating the address if needed.")
				if c.updateAddress(sender, lk, m) {
					c.changed(true, true)
				}
				c.delNode(n) // frees the handshake link as well
				c.version++
				return
			}
			c.renameNode(n, m.Sender)
			c.logf('.', "Handshake with node ", n.ID, " completed.")
			n.Flags &^= FlagHandshake
			n.Flags |= m.Flags & (FlagMaster | FlagSlave)
			c.changed(true, false)
		} else if n.ID != m.Sender {
			c.logf('-', "PONG contains mismatching sender ID. About node ", n.ID, " added ",
				strconv.FormatInt((now-n.Created)/1000, 10), " seconds ago: ", n.ID, " but received ", m.Sender)
			n.Flags |= FlagNoAddr
			n.IP, n.Port, n.pport, n.CPort = "", 0, 0, 0
			c.freeLink(lk, true)
			c.changed(true, false)
			return
		}
	}
	if sender == c.myself {
		return // our own message came back (we met ourselves): nothing to learn
	}

	if sender != nil {
		if m.Flags&FlagNoFailover != 0 {
			sender.Flags |= FlagNoFailover
		} else {
			sender.Flags &^= FlagNoFailover
		}
	}
	if sender != nil && m.Type == MsgPing && !sender.InHandshake() && c.updateAddress(sender, lk, m) {
		c.changed(true, true)
	}

	if !lk.inbound && m.Type == MsgPong {
		n := lk.node
		n.PongRecv = now
		n.PingSent = 0
		if n.Flags&FlagPFail != 0 {
			n.Flags &^= FlagPFail
			c.changed(true, true)
		} else if n.Failed() {
			c.clearFailureIfNeeded(n)
		}
	}

	if sender == nil {
		return
	}
	// Role changes.
	if m.SlaveOf == "" {
		c.setNodeAsMaster(sender)
	} else {
		master := c.nodes[m.SlaveOf]
		if sender.IsMaster() {
			c.delNodeSlots(sender)
			sender.Flags = sender.Flags&^FlagMaster | FlagSlave
			sender.migrateTo = false
			c.changed(true, true)
		}
		if master != nil && sender.Master != master {
			if sender.Master != nil {
				sender.Master.removeReplica(sender)
			}
			master.addReplica(sender)
			sender.Master = master
			c.changed(true, false)
		}
	}

	// Slot claims. A replica's message carries its master's slots.
	senderMaster := sender
	if !sender.IsMaster() {
		senderMaster = sender.Master
	}
	dirty := senderMaster != nil && senderMaster.slots != m.Slots
	if sender.IsMaster() && dirty {
		c.updateSlotsConfigWith(sender, m.ConfigEpoch, &m.Slots)
	}
	// The sender claims slots some node with a greater config epoch owns:
	// tell it (clusterSendUpdate), once per message.
	if dirty {
		c.checkStaleClaims(sender, m)
	}
	if me.IsMaster() && sender.IsMaster() && m.ConfigEpoch == me.ConfigEpoch {
		c.handleEpochCollision(sender)
	}
	c.processGossip(lk, m, sender)
	c.processExtensions(m, sender)
}

// checkStaleClaims sends an UPDATE about the first slot the sender claims
// that a node with a newer config owns.
func (c *Core) checkStaleClaims(sender *Node, m *Msg) {
	for w, word := range m.Slots {
		for word != 0 {
			s := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			o := c.owner[s]
			if o == nil || o == sender {
				continue
			}
			if o.ConfigEpoch > m.ConfigEpoch {
				c.logf('-', "Node ", sender.ID, " has old slots configuration, sending an UPDATE message about ", o.ID)
				c.sendUpdate(sender.link, o)
				return
			}
		}
	}
}

// ipOf is nodeIp2String: the announced IP, else the connection's peer.
func ipOf(lk *link, m *Msg) string {
	if m.MyIP != "" {
		return m.MyIP
	}
	return lk.peer
}

// updateAddress is nodeUpdateAddressIfNeeded.
func (c *Core) updateAddress(n *Node, lk *link, m *Msg) bool {
	if n == c.myself || lk == n.link {
		return false
	}
	ip := ipOf(lk, m)
	if n.Port == m.Port && n.CPort == m.CPort && n.pport == m.PPort && n.IP == ip {
		return false
	}
	n.IP, n.Port, n.CPort, n.pport = ip, m.Port, m.CPort, m.PPort
	if n.link != nil {
		c.freeLink(n.link, true)
	}
	n.Flags &^= FlagNoAddr
	c.logf('#', "Address updated for node ", n.ID, ", now ", ip, ":", itoa(n.Port))
	if c.myself.IsSlave() && c.myself.Master == n {
		c.ready.RoleChange = &RoleChange{MasterID: n.ID, IP: n.IP, Port: n.Port}
	}
	return true
}

// renameNode is clusterRenameNode.
func (c *Core) renameNode(n *Node, id string) {
	c.logf('.', "Renaming node ", n.ID, " into ", id)
	delete(c.nodes, n.ID)
	n.ID = id
	c.nodes[id] = n
}

// delNodeSlots is clusterDelNodeSlots.
func (c *Core) delNodeSlots(n *Node) {
	for s := 0; s < len(c.owner); s++ {
		if c.owner[s] == n {
			c.delSlot(s)
		}
	}
}

// processGossip is clusterProcessGossipSection. sender is nil for a MEET
// from an unknown node.
func (c *Core) processGossip(lk *link, m *Msg, sender *Node) {
	if sender == nil && lk.node != nil && !lk.inbound {
		sender = lk.node
	}
	for i := range m.Gossip {
		g := &m.Gossip[i]
		n := c.nodes[g.Name]
		if n == nil {
			// Add it with its exact name and flags. A handshake to the
			// IP:port would risk joining another cluster if the address was
			// reused.
			if sender != nil && g.Flags&FlagNoAddr == 0 && !c.Blacklisted(g.Name) && len(g.Name) == 40 {
				n = c.newNode(g.Name, g.Flags&printedFlags&^(FlagMyself|FlagHandshake))
				n.IP, n.Port, n.pport, n.CPort = g.IP, g.Port, g.PPort, g.CPort
				c.addNode(n)
				c.changed(true, true)
			}
			continue
		}
		if sender != nil && sender.IsMaster() && n != c.myself {
			if g.Flags&(FlagFail|FlagPFail) != 0 {
				if c.addFailReport(n, sender) {
					c.logf('-', "Node ", sender.ID, " reported node ", n.ID, " as not reachable.")
				}
				c.markFailingIfNeeded(n)
			} else if c.delFailReportFrom(n, sender) {
				c.logf('-', "Node ", sender.ID, " reported node ", n.ID, " is back online.")
			}
		}
		// Peers' pong times keep a node we have no doubt about fresh, so
		// we need not ping every node every node_timeout/2.
		if g.Flags&(FlagFail|FlagPFail) == 0 && n.PingSent == 0 && c.failReportCount(n) == 0 {
			pong := g.PongReceived * 1000
			if pong <= c.now+500 && pong > n.PongRecv {
				n.PongRecv = pong
			}
		}
		// A node we cannot reach, seen at another address by a node that
		// can: move to that address.
		if n.Flags&(FlagFail|FlagPFail) != 0 && g.Flags&FlagNoAddr == 0 && g.Flags&(FlagFail|FlagPFail) == 0 &&
			(n.IP != g.IP || n.Port != g.Port || n.CPort != g.CPort) {
			if n.link != nil {
				c.freeLink(n.link, true)
			}
			n.IP, n.Port, n.pport, n.CPort = g.IP, g.Port, g.PPort, g.CPort
			n.Flags &^= FlagNoAddr
			c.version++
		}
	}
}

// processExtensions is clusterProcessPingExt.
func (c *Core) processExtensions(m *Msg, sender *Node) {
	for _, f := range m.Ext.Forgotten {
		n := c.nodes[f.Name]
		if n == nil || n == c.myself || (c.myself.IsSlave() && c.myself.Master == n) {
			continue
		}
		c.blacklist[f.Name] = c.now + int64(f.TTL)*1000
		c.delNode(n)
		c.changed(true, true)
	}
	c.noteWaitAcked(m, sender)
	// No hostname extension means no announced hostname.
	if sender.Hostname != m.Ext.Hostname {
		sender.Hostname = m.Ext.Hostname
		c.changed(true, false)
	}
}

// header is clusterBuildMessageHdr.
func (c *Core) header(t MsgType) *Msg {
	me := c.myself
	master := me
	if me.IsSlave() && me.Master != nil {
		master = me.Master
	}
	m := &Msg{Type: t, Sender: me.ID, CurrentEpoch: c.currentEpoch, ConfigEpoch: master.ConfigEpoch,
		Offset: uint64(c.myReplOffset), Slots: master.slots, MyIP: c.cfg.AnnounceIP,
		Port: me.Port, PPort: me.pport, CPort: me.CPort, Flags: me.Flags &^ FlagMeet, State: c.state}
	if me.Master != nil {
		m.SlaveOf = me.Master.ID
	}
	// A master paused for a manual failover says so; Redis sets the flag
	// from MFSTART on, Shoal once the pause is in force, so the offset
	// beside it is final.
	if me.IsMaster() && c.elect.mfEnd != 0 && c.elect.mfPaused {
		m.MFlags |= MFlagPaused
	}
	return m
}

// sendPing is clusterSendPing: a PING, PONG or MEET with a gossip section
// about a few random nodes plus every node we think is failing, and the
// ping extensions.
func (c *Core) sendPing(lk *link, t MsgType) {
	total := len(c.order)
	fresh := total - 2
	wanted := total / 10
	if wanted < 3 {
		wanted = 3
	}
	if wanted > fresh {
		wanted = fresh
	}
	pfailWanted := c.pfailNodes
	if !lk.inbound && t == MsgPing {
		lk.node.PingSent = c.now
	}
	m := c.header(t)
	m.MFlags |= MFlagExtData
	if wanted > 0 || pfailWanted > 0 {
		m.Gossip = make([]GossipEntry, 0, wanted+pfailWanted)
	}
	for iter := wanted * 3; fresh > 0 && len(m.Gossip) < wanted && iter > 0; iter-- {
		n := c.order[c.randN(total)]
		if n == c.myself || n.Flags&FlagPFail != 0 {
			continue // PFAIL nodes are added below
		}
		if n.Flags&(FlagHandshake|FlagNoAddr) != 0 || (n.link == nil && n.numSlots == 0) {
			fresh--
			continue
		}
		if inGossip(m.Gossip, n.ID) {
			continue
		}
		m.Gossip = append(m.Gossip, gossipEntry(n))
		fresh--
	}
	if pfailWanted > 0 {
		for _, n := range c.order {
			if n.Flags&(FlagHandshake|FlagNoAddr) != 0 || n.Flags&FlagPFail == 0 {
				continue
			}
			m.Gossip = append(m.Gossip, gossipEntry(n))
			if pfailWanted--; pfailWanted <= 0 {
				break
			}
		}
	}
	m.Ext.Hostname = c.cfg.Hostname
	for id, until := range c.blacklist {
		if until > c.now {
			m.Ext.Forgotten = append(m.Ext.Forgotten, ForgottenNode{Name: id, TTL: uint64((until - c.now) / 1000)})
		}
	}
	sortForgotten(m.Ext.Forgotten) // map order is random; keep runs reproducible
	m.Ext.ShardID = c.myself.ShardID()
	m.Ext.WaitAcked = c.waitAckedFor(lk.node)
	c.send(lk, m)
}

func sortForgotten(f []ForgottenNode) {
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].Name < f[j-1].Name; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

func inGossip(g []GossipEntry, id string) bool {
	for i := range g {
		if g[i].Name == id {
			return true
		}
	}
	return false
}

// gossipEntry is clusterSetGossipEntry.
func gossipEntry(n *Node) GossipEntry {
	return GossipEntry{Name: n.ID, PingSent: n.PingSent / 1000, PongReceived: n.PongRecv / 1000,
		IP: n.IP, Port: n.Port, CPort: n.CPort, PPort: n.pport, Flags: n.Flags & printedFlags}
}

// randN draws from [0, n) with the injected Rand.
func (c *Core) randN(n int) int { return int(c.cfg.Rand.Uint64() % uint64(n)) }

// Publish propagates a PUBLISH (shard false: to every node) or SPUBLISH
// (shard true: to the other nodes of myself's shard) over the bus. The
// caller delivers to this node's own subscribers itself.
func (c *Core) Publish(channel, message []byte, shard bool) {
	t := MsgPublish
	if shard {
		t = MsgPublishShard
	}
	m := c.header(t)
	m.Publish = &PublishBody{Channel: channel, Message: message}
	if !shard {
		c.broadcast(m)
		return
	}
	master := c.myself
	if master.IsSlave() && master.Master != nil {
		master = master.Master
	}
	if master != c.myself {
		c.send(master.link, m)
	}
	for _, r := range master.Replicas {
		if r != c.myself {
			c.send(r.link, m)
		}
	}
}
