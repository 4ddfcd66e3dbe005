package clusternode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/clusterbus"
)

// The bus half of the runner: listeners accept inbound links, dials open
// the outbound links Ready.Connect asks for, and every event of a link (an
// accept, a decoded message, a finished dial, a closed connection) enters the
// core under Node.mu and is followed by carrying out Ready (flushReady).
//
// Nothing here waits on the keyspace or on client connections: link writes
// are non-blocking (clusterbus.Link.Send into a bounded queue), data changes
// and Pub/Sub deliveries go to the runner's worker goroutine (worker.go), and
// Link.Close, which waits for the link's read goroutine (itself possibly
// waiting for Node.mu), is never called with Node.mu held.

// linkQueueLen is each link's write queue, in messages. Redis 7.0 has no
// limit by default (cluster-link-sendbuf-limit 0); a full queue means the
// peer has stopped reading for a long time, and the link is closed, to be
// reopened by the cron.
const linkQueueLen = 4096

// maxPending bounds the messages kept for a link still connecting.
const maxPending = 1024

// busLink is the runner's side of one link the core knows.
type busLink struct {
	id      cluster.LinkID
	link    *clusterbus.Link      // nil while an outbound link is connecting
	pending []*clusterbus.Message // messages for a connecting link, in order
	inbound bool
}

// bus is the runner's link table. Guarded by Node.mu.
type bus struct {
	listeners []*clusterbus.Listener
	cancel    context.CancelFunc // cancels dials in progress at Close
	ctx       context.Context
	links     map[cluster.LinkID]*busLink
	// inbound maps an accepted link to its ID. A zero ID is a tombstone: the
	// core closed the link, whose read goroutine may still deliver a message
	// before it stops; it is dropped, not taken for a new connection.
	inbound map[*clusterbus.Link]cluster.LinkID
	closing bool
}

// listenBus starts the bus listeners: one per bind address, on port. A
// bind address starting with '-' is optional (redis.conf's "-::*"): failing
// to listen on it is not an error.
func (n *Node) listenBus(binds []string, port int) error {
	if len(binds) == 0 {
		binds = []string{"*"}
	}
	cfg := clusterbus.LinkConfig{OnMessage: n.onInbound, OnDrop: n.onDrop, QueueLen: linkQueueLen}
	if get := n.opts.BusTLS; get != nil {
		cfg.Wrap = func(c net.Conn) net.Conn {
			if srv, _ := get(); srv != nil {
				return tls.Server(c, srv)
			}
			return c
		}
	}
	for _, b := range binds {
		optional := len(b) > 0 && b[0] == '-'
		if optional {
			b = b[1:]
		}
		host := b
		switch b {
		case "*":
			host = "0.0.0.0"
		case "::*":
			host = "::"
		}
		ln, err := clusterbus.Listen(net.JoinHostPort(host, strconv.Itoa(port)), cfg, n.accepted)
		if err != nil {
			if optional {
				continue
			}
			return fmt.Errorf("Warning: Could not create server TCP listening socket %s:%d: %s", b, port, strerror(err))
		}
		n.bus.listeners = append(n.bus.listeners, ln)
	}
	return nil
}

// accepted is Listen's callback for a new inbound link.
func (n *Node) accepted(l *clusterbus.Link) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.inboundID(l)
	n.flushLocked()
}

// inboundID returns the core's ID for an inbound link, registering the link
// with the core (Accept) on first sight: the link's read goroutine may
// deliver its first message before Listen's accept callback runs. Returns 0
// for a link the core closed, or when the runner is closing. Needs n.mu.
func (n *Node) inboundID(l *clusterbus.Link) cluster.LinkID {
	if id, ok := n.bus.inbound[l]; ok {
		return id
	}
	select {
	case <-l.Done():
		// Ended (and possibly already reported) before this late
		// message or accept: not a new connection.
		return 0
	default:
	}
	if n.bus.closing {
		go l.Close()
		return 0
	}
	local, peer := ipOf(l.Conn().LocalAddr()), ipOf(l.Conn().RemoteAddr())
	id := n.core.Accept(local, peer)
	n.bus.inbound[l] = id
	n.bus.links[id] = &busLink{id: id, link: l, inbound: true}
	n.watch(l, id)
	return id
}

// onInbound receives a message on an inbound link (read goroutine).
func (n *Node) onInbound(l *clusterbus.Link, w *clusterbus.Message) {
	if n.dropped(w) {
		return
	}
	m := fromWire(w)
	n.mu.Lock()
	defer n.mu.Unlock()
	if id := n.inboundID(l); id != 0 {
		n.core.Step(id, m, n.opts.Now())
		n.flushLocked()
	}
}

// onOutbound returns the message callback of outbound link id.
func (n *Node) onOutbound(id cluster.LinkID) func(*clusterbus.Link, *clusterbus.Message) {
	return func(_ *clusterbus.Link, w *clusterbus.Message) {
		if n.dropped(w) {
			return
		}
		m := fromWire(w)
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.bus.closing {
			return
		}
		// The core ignores messages on links it has closed.
		n.core.Step(id, m, n.opts.Now())
		n.flushLocked()
	}
}

func (n *Node) onDrop(l *clusterbus.Link, err error) {
	n.opts.Logf('-', "Dropping a cluster bus message from %s: %v", l.Conn().RemoteAddr(), err)
}

// watch reports link l's end to the core. Needs n.mu.
func (n *Node) watch(l *clusterbus.Link, id cluster.LinkID) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		<-l.Done()
		n.mu.Lock()
		defer n.mu.Unlock()
		if bl := n.bus.links[id]; bl != nil && bl.link == l {
			delete(n.bus.links, id)
			if !n.bus.closing {
				n.core.LinkClosed(id, n.opts.Now())
				n.flushLocked()
			}
		}
		// Only inbound links are in the map. Reap the link's goroutines,
		// never with n.mu held.
		delete(n.bus.inbound, l)
		go l.Close()
	}()
}

// dial opens outbound link d (Ready.Connect) in a goroutine and reports the
// outcome to the core: LinkConnected, then the messages queued meanwhile are
// sent ahead of what LinkConnected produced (the PING or MEET), as they would
// leave Redis's link send buffer; or LinkClosed. Needs n.mu.
func (n *Node) dial(d cluster.Dial) {
	n.bus.links[d.Link] = &busLink{id: d.Link}
	timeout := time.Duration(n.core.Config().NodeTimeout) * time.Millisecond
	addr := net.JoinHostPort(d.IP, strconv.Itoa(d.CPort))
	ctx := n.bus.ctx
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		dl := net.Dialer{Timeout: timeout}
		conn, err := dl.DialContext(ctx, "tcp", addr)
		if err == nil && n.opts.BusTLS != nil {
			conn, err = tlsHandshake(ctx, conn, n.opts.BusTLS, timeout)
		}
		var l *clusterbus.Link
		if err == nil {
			l = clusterbus.NewLink(conn, clusterbus.LinkConfig{OnMessage: n.onOutbound(d.Link), OnDrop: n.onDrop,
				QueueLen: linkQueueLen})
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		bl := n.bus.links[d.Link]
		if bl == nil || n.bus.closing {
			// The core gave up on the link (Disconnect) while it connected.
			if l != nil {
				go l.Close()
			}
			return
		}
		now := n.opts.Now()
		if err != nil {
			delete(n.bus.links, d.Link)
			n.opts.Logf('.', "Unable to connect to Cluster Node [%s]: %v", addr, err)
			n.core.LinkClosed(d.Link, now)
			n.flushLocked()
			return
		}
		bl.link = l
		for _, m := range bl.pending {
			n.sendOn(bl, m)
		}
		bl.pending = nil
		n.watch(l, d.Link)
		n.core.LinkConnected(d.Link, ipOf(conn.LocalAddr()), now)
		n.flushLocked()
	}()
}

// disconnect closes link id (Ready.Disconnect); the core has forgotten it.
// Needs n.mu.
func (n *Node) disconnect(id cluster.LinkID) {
	bl := n.bus.links[id]
	if bl == nil {
		return
	}
	delete(n.bus.links, id)
	if bl.link == nil {
		return // still connecting: the dial goroutine closes what it gets
	}
	if bl.inbound {
		n.bus.inbound[bl.link] = 0
	}
	go bl.link.Close()
}

// send carries out one Outgoing. Needs n.mu.
func (n *Node) send(id cluster.LinkID, w *clusterbus.Message) {
	bl := n.bus.links[id]
	switch {
	case bl == nil:
		// Closed or unknown: dropped, as the contract says.
	case bl.link == nil:
		if len(bl.pending) < maxPending {
			bl.pending = append(bl.pending, w)
		}
	default:
		n.sendOn(bl, w)
	}
}

func (n *Node) sendOn(bl *busLink, w *clusterbus.Message) {
	err := bl.link.SendLimited(w, n.core.Config().LinkSendBufLimit)
	if err == clusterbus.ErrBufferLimit {
		// clusterCron: a link whose send buffer passed
		// cluster-link-sendbuf-limit is freed and counted; the cron
		// reconnects.
		n.opts.Logf('-', "Freeing cluster bus link to %s: send buffer limit reached", bl.link.Conn().RemoteAddr())
		n.core.NoteLinkBufferLimitExceeded()
		go bl.link.Close()
		return
	}
	if err == clusterbus.ErrQueueFull {
		// Redis frees a link past cluster-link-sendbuf-limit; the watch
		// goroutine reports the close and the cron reconnects.
		n.opts.Logf('-', "Freeing cluster bus link to %s: write queue full", bl.link.Conn().RemoteAddr())
		go bl.link.Close()
	}
}

// closeBus stops the listeners and every link, and waits for the runner's
// bus goroutines. It must be called without n.mu.
func (n *Node) closeBus() {
	n.mu.Lock()
	n.bus.closing = true
	if n.bus.cancel != nil {
		n.bus.cancel()
	}
	lns := n.bus.listeners
	n.bus.listeners = nil
	var links []*clusterbus.Link
	for _, bl := range n.bus.links {
		if bl.link != nil {
			links = append(links, bl.link)
		}
	}
	for l := range n.bus.inbound {
		links = append(links, l)
	}
	n.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, l := range links {
		l.Close()
	}
}

// ipOf is the IP of a TCP address, "" for anything else.
func ipOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		if v4 := t.IP.To4(); v4 != nil {
			return v4.String()
		}
		return t.IP.String()
	}
	return ""
}

// tlsHandshake runs the client side of a TLS handshake on conn when
// BusTLS gives a client configuration (tls-cluster yes), bounded by
// timeout; on failure conn is closed.
func tlsHandshake(ctx context.Context, conn net.Conn, get func() (server, client *tls.Config), timeout time.Duration) (net.Conn, error) {
	_, cfg := get()
	if cfg == nil {
		return conn, nil
	}
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// SetDropFilter is DEBUG DROP-CLUSTER-PACKET-FILTER: messages of type t
// received on any link are dropped with Redis's log line; -1 (or any
// number that is no type) drops none.
func (n *Node) SetDropFilter(t int64) { n.dropType.Store(t) }

// dropped applies the filter to a received message.
func (n *Node) dropped(w *clusterbus.Message) bool {
	if int64(w.Header.Type) != n.dropType.Load() {
		return false
	}
	n.opts.Logf('#', "Dropping packet that matches debug drop filter")
	return true
}

// strerror is err as Redis logs a failed bind: "bind: Address already in
// use" (strerror's capital).
func strerror(err error) string {
	var se *os.SyscallError
	if !errors.As(err, &se) {
		return err.Error()
	}
	text := se.Err.Error()
	if len(text) > 0 && 'a' <= text[0] && text[0] <= 'z' {
		text = string(text[0]-('a'-'A')) + text[1:]
	}
	return se.Syscall + ": " + text
}

// LinkStat is a bus link for CLUSTER LINKS: the core's record and the
// connection's state.
type LinkStat struct {
	cluster.LinkInfo
	Events string // "r" once connected (the read loop), "" while connecting
	Queued int    // bytes of the messages waiting for a connecting link
}

// Links lists the links the core associates with nodes.
func (n *Node) Links() []LinkStat {
	n.mu.Lock()
	defer n.mu.Unlock()
	infos := n.core.Links()
	out := make([]LinkStat, 0, len(infos))
	for _, li := range infos {
		st := LinkStat{LinkInfo: li}
		if bl := n.bus.links[li.ID]; bl != nil {
			if bl.link != nil {
				st.Events = "r"
			}
			for _, m := range bl.pending {
				st.Queued += m.Len()
			}
		}
		out = append(out, st)
	}
	return out
}
