//go:build linux

package server

import (
	"net"
	"os"
	"strconv"

	"github.com/shoal-db/shoal/internal/netloop"
)

// useLoops reports whether connections are served by epoll event loops (the
// default on Linux: measured at about 0.7× the goroutine transport's CPU per
// pipelined request) rather than a goroutine each (SHOAL_IO=goroutine).
// SHOAL_LOOPS sets the number of loops (default: one per two cores).
func useLoops() bool { return netloop.Supported && os.Getenv("SHOAL_IO") != "goroutine" }

// loopHandler adapts the server to netloop's callbacks.
type loopHandler struct{ s *Server }

func (h loopHandler) OnOpen(conn *netloop.Conn) {
	s := h.s
	nc, isTLS := openTLS(conn) // a TLS client after its handshake (tls_loop_linux.go)
	if !s.admit(nc) {
		return
	}
	c := s.newClient(nc)
	c.loopMode = true
	c.tls = isTLS
	conn.Context = c
}

func (h loopHandler) OnData(conn *netloop.Conn, in []byte) int {
	c, _ := conn.Context.(*client)
	if c == nil || c.closed.Load() {
		return len(in) // closed (CLIENT KILL, a limit): its input is dropped
	}
	if c.tls {
		return h.onTLSData(c, conn, in)
	}
	c.batch.netIn += int64(conn.Fresh)
	conn.Fresh = 0
	used := h.run(c, conn, in)
	if used < 0 {
		return len(in)
	}
	if c.detachPending {
		c.detachPending = false
		conn.Detach(c.runDetached)
		return used
	}
	if c.overQueryLimit(in[used:]) {
		return len(in)
	}
	return used
}

// run runs the client's commands at the start of in and sends their
// replies, the part of a loop round that plaintext and TLS clients share.
// It returns how many bytes of in were consumed, or -1 when the
// connection is being closed (its input is dropped).
func (h loopHandler) run(c *client, conn *netloop.Conn, in []byte) int {
	c.lastUsed.Store(c.srv.nowMs.Load())
	used := c.process(in)
	c.rb.qpeak = max(c.rb.qpeak, len(in))
	rest := len(in) - used
	if need := c.rd.Need(); need > rest && rest > 0 {
		conn.WantIn(need)
	} else {
		conn.WantIn(0)
	}
	c.noteQbuf(rest, conn.InCap())
	if c.closing() {
		c.unregister() // before its last reply leaves
	}
	if c.repliesAtTurnEnd() {
		// The replies leave after the round's one AOF write (and fsync,
		// with appendfsync always) and one nodes.conf save for CLUSTER
		// SETSLOT, in OnTurnEnd, as Redis's leave after beforeSleep's.
		conn.AtTurnEnd()
	} else {
		c.flush()
	}
	if c.closing() {
		c.drainAsync()
		conn.Close()
		return -1
	}
	return used
}

// OnTurnEnd is netloop's TurnEnder: one nodes.conf save and one AOF write
// (and fsync, with appendfsync always) cover the changes and writes of
// every client of the loop's round that waits for them, then their
// replies leave.
func (h loopHandler) OnTurnEnd(conns []*netloop.Conn) {
	var last int64
	var cfg uint64
	for _, conn := range conns {
		if c, _ := conn.Context.(*client); c != nil && !conn.Detached() {
			last = max(last, c.streamOff)
			cfg = max(cfg, c.cfgToken)
		}
	}
	h.s.commitConfig(cfg)
	h.s.aofSync(last)
	for _, conn := range conns {
		c, _ := conn.Context.(*client)
		if c == nil || conn.Detached() || c.closed.Load() {
			continue
		}
		c.flush()
	}
}

// OnRoundEnd is netloop's RoundEnder: the replica links (and other
// stream readers) wake once for the round's writes (effects.go).
func (h loopHandler) OnRoundEnd() { h.s.stream.WakeDeferred() }

// OnRelease is netloop's Releaser: a connection let go of a large buffer (obuf.go).
func (h loopHandler) OnRelease(n int) { h.s.released(n) }

func (h loopHandler) OnClose(conn *netloop.Conn) {
	if c, ok := conn.Context.(*client); ok {
		c.cleanup()
	}
}

// runDetached drives the client from a goroutine while it runs commands
// that may block, then hands it back to its loop with what it left unread.
func (c *client) runDetached(in []byte) []byte {
	c.loopMode = false
	if p := c.parked; p != nil {
		c.parked = nil
		c.blockLoop(p.spec, p.args) // blocking.go
	}
	c.detachedIn = in
	used := c.process(in)
	c.detachedIn = nil
	closing := c.closing()
	if closing {
		c.unregister() // before its last reply leaves
	}
	c.flush()
	if closing {
		c.conn.Close()
	}
	c.loopMode = true
	return in[used:]
}

// hangup is closed when the peer disconnects while the client is blocked.
func (c *client) hangup() <-chan struct{} {
	switch lc := c.conn.(type) {
	case *netloop.Conn:
		return lc.HUP
	case *tlsLoopConn:
		return lc.lc.HUP
	}
	return nil
}

// newLoops makes the event loops (SHOAL_LOOPS of them, default one per
// two cores).
func (s *Server) newLoops() (*netloop.Server, error) {
	n, _ := strconv.Atoi(os.Getenv("SHOAL_LOOPS")) // 0: one per two cores
	return netloop.New(loopHandler{s}, n)
}

// loopsForTLS makes event loops with no listener of their own when only
// tls-port listens (port 0): TLS clients move to them after their
// handshake (tls_loop_linux.go).
func (s *Server) loopsForTLS() error {
	if !useLoops() {
		return nil
	}
	ls, err := s.newLoops()
	if err != nil {
		return err
	}
	s.loops = ls
	s.applyWatchdog()
	return nil
}

// listenLoops listens on every bind address with event loops, which
// serve until Close.
func (s *Server) listenLoops(binds []string, port int) error {
	ls, err := s.newLoops()
	if err != nil {
		return err
	}
	for _, b := range binds {
		b, host, optional := bindHost(b)
		addr, err := ls.Listen(host, port)
		if err != nil {
			if optional {
				continue
			}
			ls.Close()
			return &listenError{port: port, err: &bindError{addr: b, port: port, err: err}}
		}
		s.loopAddrs = append(s.loopAddrs, addr)
	}
	if len(s.loopAddrs) == 0 {
		ls.Close()
		return &listenError{port: port}
	}
	s.loops = ls
	s.applyWatchdog()
	return nil
}

type listenError struct {
	port int
	err  error
}

func (e *listenError) Error() string {
	msg := "Failed listening on port " + strconv.Itoa(e.port) + " (TCP), aborting."
	if e.err != nil {
		msg = e.err.Error() + "\n" + msg
	}
	return msg
}

// takeOver gives a command that keeps the connection for itself (PSYNC:
// the connection becomes a replica link) a net.Conn it alone uses. On an
// event loop that is a duplicate of the socket (the loop stops reading
// it); the original is closed when the client closes.
func (c *client) takeOver() (net.Conn, error) {
	switch lc := c.conn.(type) {
	case *netloop.Conn:
		return lc.TakeOver()
	case *tlsLoopConn:
		return takeOverTLS(lc)
	}
	return c.conn, nil
}
