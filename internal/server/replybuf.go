package server

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/migrate"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// Per-client buffers sized as Redis 7.0 sizes them (docs/output-buffers.md).
//
// The reply buffer is c.w.Buf: a client's replies of one batch go into it
// and leave at the batch's end. It starts at Redis's 16 KB
// (PROTO_REPLY_CHUNK_BYTES); a batch whose replies do not fit grows it
// (Redis's reply list), and with maxmemory-clients set it goes back to its
// size once they are written (else a grown buffer up to 1 MB is kept for
// the next batch: resetReplyBuf). Its peak is the most of it one batch used. The cron
// (clientsCronResizeOutputBuffer) halves it toward the peak, never below
// 1 KB, when the peak is under half of it, doubles it (up to 16 KB) when a
// batch filled it, and resets the peak every reply-buffer peak-reset-time
// ms (DEBUG REPLYBUFFER; default 5000, -1 never). CLIENT LIST shows the size
// as rbs and the peak as rbp; INFO stats counts reply_buffer_shrinks and
// reply_buffer_expands.
//
// The query buffer is the input the transport holds for the client
// (netloop's per-connection buffer, or the goroutine transport's read
// buffer). The same cron trims it as clientsCronResizeQueryBuffer does:
// when more than 4 KB of it is free, to nothing after 2 s idle, else to the
// latest peak when it is over 32 KB and twice that peak.
//
// The cron runs on the goroutine that owns the client: netloop runs it on
// the connection's loop (Poster); a goroutine-transport client runs it at
// its next batch.

const (
	replyBufMin   = 1024     // PROTO_REPLY_MIN_BYTES
	replyBufChunk = 16 << 10 // PROTO_REPLY_CHUNK_BYTES
	// queryResizeMin is PROTO_RESIZE_THRESHOLD: a query buffer under this
	// is trimmed only when the client is idle.
	queryResizeMin = 32 << 10
	// queryWasteMin: a query buffer with less free than this is left as it is.
	queryWasteMin = 4 << 10
	// replyPeakResetDefault is REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME (ms).
	replyPeakResetDefault = 5000
)

// replyBuf is a client's reply-buffer sizing state (owner goroutine only).
type replyBuf struct {
	size      int   // the buffer's size between batches (rbs)
	peak      int   // the most of it a batch used since the last reset (rbp)
	peakReset int64 // unix ms of the last peak reset
	// qpeak is the most input one batch held (Redis's querybuf_peak).
	qpeak int
}

// bufSizing is the server's side: DEBUG REPLYBUFFER's settings and the
// INFO stats counters.
type bufSizing struct {
	peakResetMs atomic.Int64 // -1: never
	noResize    atomic.Bool  // DEBUG REPLYBUFFER RESIZING 0
	shrinks     atomic.Int64
	expands     atomic.Int64
	tick        atomic.Uint64
}

// Poster is what a transport offers to run a function on the goroutine
// that owns the connection (netloop.Conn); it does not run fn if the
// connection is closed or handed to another goroutine by then.
type Poster interface {
	Post(fn func())
}

// inBuffer is what a transport reports of its input buffer for the
// connection and lets the cron trim (owner goroutine only).
type inBuffer interface {
	InLen() int
	InCap() int
	ShrinkIn(n int)
}

// initReplyBuf gives a new client its reply buffer.
func (c *client) initReplyBuf() {
	c.rb.size = replyBufChunk
	c.rb.peakReset = c.srv.nowMs.Load()
	c.w.Buf = make([]byte, 0, replyBufChunk)
	c.noteReplyBuf()
}

// noteReplyBuf brings the server's count of held client buffers
// (memory.go) up to date with the reply buffer's size: one comparison when
// it did not change. Owner goroutine; a closed client holds nothing.
func (c *client) noteReplyBuf() {
	n := cap(c.w.Buf)
	if c.closed.Load() {
		n = 0
	}
	if d := n - c.rbHeld; d != 0 {
		c.rbHeld = n
		c.srv.mem.bufs.Add(int64(d))
	}
}

// noteReplyPeak records the batch's use of the reply buffer before its
// replies leave: n bytes.
func (c *client) noteReplyPeak(n int) {
	if u := min(n, c.rb.size); u > c.rb.peak {
		c.rb.peak = u
	}
}

// resetReplyBuf empties the reply buffer after its bytes were written,
// giving back what a batch grew it by.
func (c *client) resetReplyBuf() {
	// A buffer a batch grew is kept for the next batch (up to 1 MB, and
	// counted in the client's memory as it is held) unless client
	// eviction is on, where a client's memory must fall back once its
	// replies are written, as Redis frees its reply list: making it anew
	// for every batch of large replies (pipelined DUMPs) cost up to twice
	// the CPU per reply in the growing and the garbage.
	if cap(c.w.Buf) <= c.rb.size || cap(c.w.Buf) <= 1<<20 && c.srv.conf().clientMemLimit == 0 {
		c.w.Reset()
		c.noteReplyBuf()
		return
	}
	if cap(c.w.Buf) > 1<<20 {
		c.srv.released(cap(c.w.Buf))
	}
	c.w.Buf = make([]byte, 0, c.rb.size)
	c.noteReplyBuf()
}

// resizeBufs is the per-client part of the cron, on the owner goroutine.
func (c *client) resizeBufs(now int64) {
	if c.closed.Load() {
		return
	}
	s := c.srv
	c.resizeQueryBuf(now)
	rb := &c.rb
	if !s.bufs.noResize.Load() && c.rb.size > 0 {
		n := 0
		if rb.size/2 >= replyBufMin && rb.peak < rb.size/2 {
			n = max(replyBufMin, rb.peak+1)
			s.bufs.shrinks.Add(1)
		} else if rb.size*2 < 2*replyBufChunk && rb.peak == rb.size {
			n = min(replyBufChunk, rb.size*2)
			s.bufs.expands.Add(1)
		}
		if t := s.bufs.peakResetMs.Load(); t >= 0 && now-rb.peakReset >= t {
			rb.peak = min(len(c.w.Buf), rb.size)
			rb.peakReset = now
		}
		if n != 0 {
			rb.size = n
			// Replies waiting for the round's end (repliesAtTurnEnd) keep
			// their bytes; a buffer holding more than n gets its new size
			// once they are written (resetReplyBuf).
			if len(c.w.Buf) <= n {
				nb := make([]byte, len(c.w.Buf), n)
				copy(nb, c.w.Buf)
				c.w.Buf = nb
				c.noteReplyBuf()
			}
		}
	}
	c.updateSnap()
}

// resizeQueryBuf trims the transport's input buffer (Redis's
// clientsCronResizeQueryBuffer) and resets the peak.
func (c *client) resizeQueryBuf(now int64) {
	ib, ok := c.conn.(inBuffer)
	if !ok {
		return
	}
	held, size := ib.InLen(), ib.InCap()
	bulk := 0
	if need := c.rd.Need(); need > held && held > 0 {
		bulk = need
	}
	if size-held > queryWasteMin {
		idle := now/1000 - c.lastUsed.Load()/1000
		if idle > 2 {
			ib.ShrinkIn(held)
		} else if size > queryResizeMin && size/2 > c.rb.qpeak {
			ib.ShrinkIn(max(held, c.rb.qpeak, bulk))
		}
	}
	c.rb.qpeak = max(held, bulk)
	c.noteQbuf(held, ib.InCap())
}

// clientsResizeCron runs resizeBufs for each client on its owner: every
// client each tick while there are few, else a hz-th of them (Redis's
// clientsCron walks numclients/hz per call, at least 5).
func (s *Server) clientsResizeCron(hz int) {
	tick := s.bufs.tick.Add(1)
	s.clientsMu.Lock()
	cs := make([]*client, 0, len(s.clients))
	all := len(s.clients) <= 5*hz
	for _, c := range s.clients {
		if all || uint64(c.id)%uint64(hz) == tick%uint64(hz) {
			cs = append(cs, c)
		}
	}
	s.clientsMu.Unlock()
	for _, c := range cs {
		if c.session || c.replLink.Load() != nil || c.bufsSettled() {
			continue
		}
		if p, ok := c.conn.(Poster); ok {
			// (Post skips a connection a goroutine holds: detached.)
			c := c
			p.Post(func() { c.resizeBufs(s.nowMs.Load()) })
		} else {
			c.resizeDue.Store(true)
		}
	}
}

// bufsSettled reports whether the cron has nothing to do for c: no query
// buffer, and a reply buffer at its smallest that no batch filled (so it
// cannot shrink or grow). An idle client costs the cron nothing once its
// buffers are down. Safe from any goroutine.
func (c *client) bufsSettled() bool {
	sn := c.adm.snap.Load()
	return sn != nil && c.adm.qsize.Load() == 0 && sn.rbs == replyBufMin && sn.rbp < sn.rbs
}

// debugReplyBuffer is DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms>
// and RESIZING <0|1>.
func (s *Server) debugReplyBuffer(ctx *command.Ctx, args [][]byte) {
	v := string(args[3])
	switch strings.ToLower(string(args[2])) {
	case "peak-reset-time":
		switch strings.ToLower(v) {
		case "never":
			s.bufs.peakResetMs.Store(-1)
		case "reset":
			s.bufs.peakResetMs.Store(replyPeakResetDefault)
		default:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				ctx.Error(rediserr.NotInteger)
				return
			}
			s.bufs.peakResetMs.Store(n)
		}
	case "resizing":
		s.bufs.noResize.Store(migrate.Atoi(v) == 0) // C's atoi, as Redis
	default:
		ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "DEBUG"))
		return
	}
	ctx.W.OK()
}
