package server

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/script"
)

// The Lua debugger's sessions (SCRIPT DEBUG SYNC, docs/scripting.md).

// SCRIPT DEBUG modes (client.ldb).
const (
	ldbOff  = iota
	ldbSync // SCRIPT DEBUG SYNC: the next EVAL is a debugging session
	ldbYes  // SCRIPT DEBUG YES was asked for and refused: EVAL is refused too
)

// scriptDebugYes refuses SCRIPT DEBUG YES, Redis's forked session (the
// script's writes are rolled back and the server keeps serving): Shoal
// does not fork and has no rollback, so it does not pretend to. EVAL is
// refused with the same text until SCRIPT DEBUG NO or SYNC, so that a
// client that ignores the refusal (redis-cli --ldb) does not run the
// script for real when it asked for a session whose changes are undone.
const scriptDebugYes = "ERR SCRIPT DEBUG YES (forked session, changes rolled back) is not supported by Shoal: use SCRIPT DEBUG SYNC (redis-cli --ldb-sync-mode)"

// ldbStarts reports whether spec starts a debugging session for a client
// in debug mode (EVAL, EVAL_RO): the loop hands the connection to a
// goroutine first, which may then block reading the debugger's commands.
func ldbStarts(spec *command.Spec) bool { return spec.Name == "eval" || spec.Name == "eval_ro" }

// scriptDebug is SCRIPT DEBUG with Redis's checks (scriptCommand): not in a
// pipeline, then the mode.
func scriptDebug(ctx *command.Ctx) {
	if len(ctx.W.Buf) > 0 {
		ctx.Error("ERR SCRIPT DEBUG must be called outside a pipeline")
		return
	}
	c := ctx.Client.(*client)
	switch mode := ctx.Args[2]; {
	case strings.EqualFold(string(mode), "no"):
		c.ldb = ldbOff
		ctx.W.OK()
	case strings.EqualFold(string(mode), "sync"):
		c.ldb = ldbSync
		ctx.W.OK()
	case strings.EqualFold(string(mode), "yes"):
		c.ldb = ldbYes
		ctx.Error(scriptDebugYes)
	default:
		ctx.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

// evalDebug runs EVAL as a synchronous debugging session
// (evalGenericCommandWithDebugging): the client's socket is read and
// written directly by the debugger (script.Debug) while the script runs;
// the session ends with "<endsession>", the EVAL's reply, and the
// connection closed. The handler runs off the event loop (ldbStarts), so
// only this client and what waits for the script's keys wait for it.
func (s *Server) evalDebug(ctx *command.Ctx, c *client, ro bool) {
	nc, err := c.takeOver()
	if err != nil {
		ctx.Error("ERR can't start the debugging session: " + err.Error())
		return
	}
	s.ldbLive.add()
	defer s.ldbLive.done()
	mark := len(ctx.W.Buf) // where the EVAL's reply starts
	s.Logf('#', "Redis synchronous debugging eval session started")
	s.cfg.RLock()
	busy := s.cfg.BusyReplyThreshold
	s.cfg.RUnlock()
	dc := &debugConn{nc: nc, hup: c.hangup(), stop: func() bool {
		// A shutdown (SIGTERM/SIGINT, Close) ends the session as a client
		// that left would: the script runs to its end, its locks go, and
		// the shutdown, which takes every stripe, goes on.
		st := &s.sigShutdown
		select {
		case <-s.quit:
			return true
		default:
		}
		return st.pending.Load() != 0 || st.running.Load() || s.ldbLive.ending.Load()
	}}
	d := script.NewDebug(dc, ctx.Args[1])
	d.BusyMs = int64(busy)
	s.evalRun(ctx, false, ro, d)
	d.End()
	s.Logf('#', "Redis synchronous debugging eval session ended")
	c.sendFinal(dc, mark)
	if nc != c.conn {
		nc.Close()
	}
	c.closeAfterReply = true
}

// sendFinal sends the replies the client is owed after "<endsession>" on
// the session's socket (dc: blocking, 5 s per write) rather than leaving
// them to the transport's next flush: a shutdown waits for the session
// (Close, ldbLive), not for that flush, and an event loop stopped by the
// shutdown would not send what one write did not take. They are the
// replies of commands before the EVAL in the same read (goroutine
// transport) and the EVAL's, from mark, unless CLIENT REPLY OFF or SKIP
// drops it; its error is counted in errorstats here, as afterCall would
// from the buffer, and the script's writes reach the AOF first (flushOut).
func (c *client) sendFinal(w io.Writer, mark int) {
	if c.ctx.Err {
		c.noteErrorStat(mark)
	}
	out := c.w.Buf
	if c.replyOff || c.skipNow {
		out = out[:mark]
	}
	if c.streamOff > 0 {
		c.srv.aofSync(c.streamOff)
		c.streamOff = 0
	}
	if len(out) > 0 {
		n, _ := w.Write(out)
		c.batch.netOut += int64(n)
	}
	c.resetReplyBuf()
}

// ldbCloseWait bounds a shutdown's wait for debugging sessions to send
// their last reply: a session's reads end within 200 ms of a shutdown, the
// script then runs to its end unless the debugger's timeout stops it,
// and a client that does not read holds each write 5 s at most.
const ldbCloseWait = 5 * time.Second

// ldbSessions counts the debugging sessions that have not sent their
// last reply, which a shutdown waits for (bounded): PrepareShutdown
// before it takes every stripe (a script may still need some), Close
// before it closes the clients.
type ldbSessions struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // made as n leaves 0, closed as it returns to 0
	// ending is set while PrepareShutdown runs: sessions end as if their
	// client had left (a signal's shutdown and Close end them too).
	ending atomic.Bool
}

func (l *ldbSessions) add() {
	l.mu.Lock()
	if l.n == 0 {
		l.idle = make(chan struct{})
	}
	l.n++
	l.mu.Unlock()
}

func (l *ldbSessions) done() {
	l.mu.Lock()
	if l.n--; l.n == 0 {
		close(l.idle)
	}
	l.mu.Unlock()
}

// wait waits up to d for the count to fall to 0; false if it did not.
func (l *ldbSessions) wait(d time.Duration) bool {
	l.mu.Lock()
	n, idle := l.n, l.idle
	l.mu.Unlock()
	if n == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}

// debugConn is the debugging client's socket as the debugger uses it:
// reads wait for the client's next command but end when the client is
// closed (HUP: its loop closing it, the peer leaving) or the server
// shuts down; writes
// give up after 5 s (Redis's connSendTimeout).
type debugConn struct {
	nc   net.Conn
	hup  <-chan struct{}
	stop func() bool
}

func (d *debugConn) Read(p []byte) (int, error) {
	for {
		d.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := d.nc.Read(p)
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			select {
			case <-d.hup:
				return 0, io.EOF
			default:
			}
			if d.stop() {
				return 0, io.EOF
			}
			continue
		}
		return n, err
	}
}

func (d *debugConn) Write(p []byte) (int, error) {
	d.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	n, err := d.nc.Write(p)
	d.nc.SetWriteDeadline(time.Time{})
	return n, err
}
