package cluster

import "strings"

// Links: the core's record of the bus connections the runner holds. As in
// Redis 7.0 a node has an outbound link (node->link, opened by the cron and
// carrying our PINGs, MEETs, FAILs and UPDATEs) and may have an inbound one
// (node->inbound_link, on which it pings us and we answer with PONGs).

// link is a clusterLink.
type link struct {
	id      LinkID
	node    *Node // outbound: the node dialled; inbound: the sender once known
	inbound bool
	// up: an outbound link finished connecting (inbound links always are).
	up    bool
	ctime int64
	// local and peer are the two IPs of the connection: local is myself's
	// address as the peer sees it (connSockName), peer the remote address.
	local, peer string
}

func (c *Core) newLink(inbound bool) *link {
	c.lastLink++
	l := &link{id: c.lastLink, inbound: inbound, ctime: c.now}
	c.links[l.id] = l
	return l
}

// Accept records an inbound bus connection the runner accepted: local is
// the local IP of the socket, peer the remote IP. The returned ID names the
// link in Step and LinkClosed.
func (c *Core) Accept(local, peer string) LinkID {
	l := c.newLink(true)
	l.up, l.local, l.peer = true, local, peer
	return l.id
}

// LinkConnected reports that the outbound link l, asked for in
// Ready.Connect, is connected; local is the socket's local IP. It is
// clusterLinkConnectHandler: the first message is a MEET if the node is
// flagged so, else a PING, without disturbing a pending ping time.
func (c *Core) LinkConnected(l LinkID, local string, now int64) {
	c.advance(now)
	lk := c.links[l]
	if lk == nil || lk.inbound || lk.up {
		return
	}
	lk.up, lk.local = true, local
	n := lk.node
	old := n.PingSent
	if n.Flags&FlagMeet != 0 {
		c.sendPing(lk, MsgMeet)
	} else {
		c.sendPing(lk, MsgPing)
	}
	if old != 0 {
		n.PingSent = old
	}
	n.Flags &^= FlagMeet
	c.logf('-', "Connecting with Node ", n.ID, " at ", n.IP, ":", itoa(n.CPort))
}

// LinkClosed reports that link l failed to connect or was closed (by the
// peer or by an error). Unknown links are ignored, so reporting a link the
// core itself asked to close is harmless.
func (c *Core) LinkClosed(l LinkID, now int64) {
	c.advance(now)
	lk := c.links[l]
	if lk == nil {
		return
	}
	if !lk.inbound && !lk.up {
		c.logf('-', "Connection with Node ", lk.node.ID, " at ", lk.node.IP, ":", itoa(lk.node.CPort), " failed")
	}
	c.freeLink(lk, false)
}

// freeLink is freeClusterLink; notify asks the runner to close it.
func (c *Core) freeLink(lk *link, notify bool) {
	if c.links[lk.id] != lk {
		return
	}
	delete(c.links, lk.id)
	if n := lk.node; n != nil {
		if !lk.inbound && n.link == lk {
			n.link = nil
			n.Linked = false
			c.version++
		}
		if lk.inbound && n.inbound == lk {
			n.inbound = nil
		}
	}
	if notify {
		c.ready.Disconnect = append(c.ready.Disconnect, lk.id)
	}
}

// connect is the link-creating part of clusterNodeCronHandleReconnect.
func (c *Core) connect(n *Node) {
	lk := c.newLink(false)
	lk.node, lk.peer = n, n.IP
	n.link = lk
	n.Linked = true
	c.version++
	c.ready.Connect = append(c.ready.Connect, Dial{Link: lk.id, IP: n.IP, CPort: n.CPort})
}

// send queues m on lk and counts it (stats_bus_messages_sent).
func (c *Core) send(lk *link, m *Msg) {
	if lk == nil {
		return
	}
	c.sent[m.Type]++
	c.ready.Messages = append(c.ready.Messages, Outgoing{Link: lk.id, Msg: m})
}

// broadcast is clusterBroadcastMessage: m to every node with an outbound
// link, except myself and nodes in handshake.
func (c *Core) broadcast(m *Msg) {
	for _, n := range c.order {
		if n.link == nil || n.Flags&(FlagMyself|FlagHandshake) != 0 {
			continue
		}
		c.send(n.link, m)
	}
}

// LinkCount is the number of links the core knows (for tests and CLUSTER
// LINKS).
func (c *Core) LinkCount() int { return len(c.links) }

// LinkInfo is one bus link as CLUSTER LINKS shows it.
type LinkInfo struct {
	ID      LinkID
	Node    string // the peer's node ID
	Inbound bool   // direction "from" (else "to")
	Created int64  // unix ms (create-time)
}

// Links lists the links associated with a node
// (addReplyClusterLinksDescription): for each node its outbound link,
// then its inbound one.
func (c *Core) Links() []LinkInfo {
	var out []LinkInfo
	for _, n := range c.order {
		for _, l := range []*link{n.link, n.inbound} {
			if l != nil {
				out = append(out, LinkInfo{ID: l.id, Node: n.ID, Inbound: l.inbound, Created: l.ctime})
			}
		}
	}
	return out
}

// KillLinks is DEBUG CLUSTERLINK KILL: it closes node id's outbound link
// (dir "to"), its inbound one ("from") or both ("all"); the cron dials the
// outbound one again. The error is Redis's reply text.
func (c *Core) KillLinks(dir, id string) error {
	n := c.nodes[id]
	if n == nil {
		return errf(KindUnknownNode, "Unknown node ", id)
	}
	var kill []*link
	switch strings.ToLower(dir) {
	case "from":
		kill = []*link{n.inbound}
	case "to":
		kill = []*link{n.link}
	case "all":
		kill = []*link{n.link, n.inbound}
	default:
		return errf(KindInvalid, "Unknown direction ", dir)
	}
	for _, l := range kill {
		if l != nil {
			c.freeLink(l, true)
		}
	}
	return nil
}
