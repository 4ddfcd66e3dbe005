package server

import (
	"math"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/config"
)

// Output-buffer limits (client-output-buffer-limit) and giving buffer
// memory back; see docs/output-buffers.md.
//
// What a client owes is what its socket has not taken: the transport's
// queue (netloop.Conn.Queued) plus, for a client in pub/sub mode on the
// goroutine transport, the async queue (client.out). After every flush of
// replies and every message pushed to a subscriber it is compared with the
// limits of the client's class, as Redis's checkClientOutputBufferLimits
// does after each reply: at the hard limit, or above the soft limit for
// longer than its seconds, the client is closed with Redis's log line, and
// nothing more is queued for it.

// queuedConn is a transport that queues output the peer has not read
// (netloop.Conn); Queued is one atomic load.
type queuedConn interface {
	Queued() int
	QueuedChunks() int
}

// obufClass is Redis's getClientType for the limits: pubsub while
// subscribed to anything, else normal. (A replica's link is served by
// replication, which applies the replica class: replicaObufLimit.)
func (c *client) obufClass() int {
	if sn := c.adm.snap.Load(); sn != nil && sn.sub+sn.psub+sn.ssub > 0 {
		return config.ObufPubsub
	}
	return config.ObufNormal
}

// queuedOut is what the client owes: bytes queued for its socket.
func (c *client) queuedOut() int64 {
	n := int64(0)
	if c.qc != nil {
		n = int64(c.qc.Queued())
	}
	return n + c.asyncLen.Load()
}

// maxQueuedOut is the most bytes any client owes now: INFO's
// client_recent_max_output_buffer (Redis's is the peak over the last few
// seconds; this is the current one).
func (s *Server) maxQueuedOut() int64 {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	m := int64(0)
	for _, c := range s.clients {
		m = max(m, c.queuedOut())
	}
	return m
}

// overObufLimit reports whether used bytes owed reach the client's hard
// limit, or have stayed at or over its soft limit for more than its
// seconds (the soft clock starts the first time it is seen over, and stops
// when it is seen under). Safe from any goroutine.
func (c *client) overObufLimit(used int64) bool {
	lim := c.srv.conf().obuf[c.obufClass()]
	if lim.HardBytes > 0 && uint64(used) >= lim.HardBytes {
		return true
	}
	if lim.SoftBytes == 0 || uint64(used) < lim.SoftBytes {
		c.obufSoftSince.Store(0)
		return false
	}
	now := c.srv.nowMs.Load() / 1000
	since := c.obufSoftSince.Load()
	if since == 0 {
		c.obufSoftSince.CompareAndSwap(0, now)
		return false
	}
	return now-since > lim.SoftSeconds
}

// checkObuf closes the client if it owes more than its limits allow, with
// Redis's log line. It reports whether the client was closed.
func (c *client) checkObuf() bool { return c.checkObufWith(0) }

// checkObufWith is checkObuf with pending more bytes owed: replies about to
// be written, past the reply buffer's size (Redis counts its reply list
// as the reply is added, before any of it is written). The limits are
// checked before maxmemory-clients, so a client over them is closed, not
// evicted.
func (c *client) checkObufWith(pending int64) bool {
	used := c.queuedOut() + pending
	if used == 0 || c.replLink.Load() != nil || !c.overObufLimit(used) {
		if lim := c.srv.conf().clientMemLimit; lim > 0 {
			c.noteMem(lim) // replies queued by another client count (clientevict.go)
		}
		return false
	}
	c.closeOverObuf()
	return true
}

// closeOverObuf closes c for its output buffer limits, once. The line is
// logged before the close, as Redis logs before freeClientAsync: once the
// client is gone (its subscriptions with it) the line is there.
func (c *client) closeOverObuf() {
	if c.obufClosed.Swap(true) {
		return
	}
	c.srv.Logf('#', "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.infoLine(false, nil))
	c.kill()
}

// obufCron checks every client that owes bytes against its limits, as
// Redis's clientsCron does, so that a soft limit's seconds run out even
// when nothing more is written to the client.
func (s *Server) obufCron() {
	var owing []*client
	s.clientsMu.Lock()
	for _, c := range s.clients {
		if c.queuedOut() > 0 {
			owing = append(owing, c)
		}
	}
	s.clientsMu.Unlock()
	for _, c := range owing {
		c.checkObuf()
	}
}

// obufMinBytes is the least bytes at which a normal or pubsub client can
// be over its limits (its hard or soft limit, whichever is lower and set);
// math.MaxInt when neither class has one.
func obufMinBytes(lims *[3]config.ObufLimit) int {
	m := uint64(math.MaxInt)
	for _, class := range []int{config.ObufNormal, config.ObufPubsub} {
		for _, b := range []uint64{lims[class].HardBytes, lims[class].SoftBytes} {
			if b > 0 {
				m = min(m, b)
			}
		}
	}
	return int(m)
}

// replyLimit is Ctx.ReplyLimit for c's next command: the hard limit of its
// class, 0 when none (or c is a replication link, which is never closed
// for its replies).
// Runs on c's own goroutine, which owns its subscriptions.
func (c *client) replyLimit(st *settings) int {
	class := config.ObufNormal
	if len(c.subs)+len(c.psubs)+len(c.ssubs) > 0 {
		class = config.ObufPubsub
	}
	h := st.obuf[class].HardBytes
	if h == 0 || c.replLink.Load() != nil {
		return 0
	}
	return int(min(h, math.MaxInt))
}

// pendingOverObuf checks the limits after a command, before its replies
// (pending in c.w with those of the commands before it in the batch) are
// handed to the socket, as Redis checks after every reply it adds to the
// client's reply list: when the replies and the queue together are over,
// the client is closed, none of the pending replies is sent, and the rest
// of its input is not run (Redis's CLIENT_CLOSE_ASAP). It reports whether
// it closed c.
func (c *client) pendingOverObuf() bool {
	used := int64(len(c.w.Buf)) + c.queuedOut()
	if c.replLink.Load() != nil || !c.overObufLimit(used) {
		return false
	}
	c.closeOverObuf()
	c.w.Reset()
	return true
}

// overQueryLimit closes the client if its unprocessed input q is over
// client-query-buffer-limit, with Redis's log line (the client and the
// first 64 bytes of q, quoted). It reports whether it did.
func (c *client) overQueryLimit(q []byte) bool {
	if int64(len(q)) <= c.srv.conf().qbufLimit {
		return false
	}
	info := c.infoLine(false, nil)
	c.kill()
	c.srv.Logf('#', "Closing client that reached max query buffer length: %s (qbuf initial bytes: %s)", info, appendRepr(nil, q[:min(len(q), 64)]))
	return true
}

// releaser is the state of released: a generation bumped by every
// release, and whether a releaseLoop runs.
type releaser struct {
	gen     atomic.Int64
	running atomic.Bool
}

// releaseInterval is the least time between two returns of memory to the
// OS; releaseMin the smallest buffer that asks for one.
const (
	releaseInterval = time.Second
	releaseMin      = 1 << 20
)

// released notes that n bytes of buffers (an output queue, a query or
// reply buffer) were let go. The Go runtime keeps freed memory until a GC
// and its scavenger run, which on an idle node can take minutes; so a
// little later, and at most once per releaseInterval, the runtime is asked
// to collect and return free memory to the OS (debug.FreeOSMemory). Never
// blocks.
func (s *Server) released(n int) {
	if n < releaseMin {
		return
	}
	s.rel.gen.Add(1)
	if s.rel.running.CompareAndSwap(false, true) {
		go s.releaseLoop()
	}
}

func (s *Server) releaseLoop() {
	for {
		gen := s.rel.gen.Load()
		time.Sleep(releaseInterval / 4)
		debug.FreeOSMemory()
		time.Sleep(releaseInterval * 3 / 4)
		if s.rel.gen.Load() != gen {
			continue // more was released meanwhile
		}
		s.rel.running.Store(false)
		// A release between the check and the store found relRunning set
		// and left; take it over if nobody else has.
		if s.rel.gen.Load() == gen || !s.rel.running.CompareAndSwap(false, true) {
			return
		}
	}
}
