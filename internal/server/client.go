package server

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/slot"
)

const (
	readBufMin = 16 * 1024
	// asyncLimit is the pub/sub output buffer hard limit (client-output-buffer-limit pubsub 32mb).
	asyncLimit = 32 << 20
)

// client is one connection's state. Fields without a comment are touched only
// by the connection's own goroutine.
type client struct {
	srv  *Server
	conn net.Conn
	id   int64

	rd    resp.Reader
	rbuf  []byte
	w     resp.Writer
	ctx   command.Ctx
	keys  []int
	slots []int
	locks []int

	db     *keyspace.DB
	authed bool

	// meta is read by CLIENT LIST/INFO from other goroutines.
	metaMu   sync.Mutex
	name     string
	libName  string
	libVer   string
	lastCmd  string
	created  time.Time
	lastUsed atomic.Int64 // unix ms

	// replyMode: CLIENT REPLY ON/OFF/SKIP.
	replyOff, replySkip bool

	// MULTI state.
	inMulti  bool
	multiErr bool
	queued   []queuedCmd
	watcher  *keyspace.Watcher
	watched  []watchedKey

	// pub/sub: once asyncOut is set, every reply goes through the output
	// queue so it stays ordered with messages pushed by other clients.
	subs     map[string]struct{}
	psubs    map[string]struct{}
	asyncOut atomic.Bool
	outMu    sync.Mutex
	out      []byte
	flushing bool

	closeAfterReply bool
	closed          atomic.Bool

	// Blocking commands (blocking.go): the client's place in the wait
	// queues, its request, whether it is in its wait loop, and bytes read
	// while it was blocked, not yet given to the read loop.
	waiter      *waiter
	blockReq    command.BlockRequest
	inBlockLoop bool
	pushback    []byte
}

type queuedCmd struct {
	spec *command.Spec
	args [][]byte
}

type watchedKey struct {
	db  *keyspace.DB
	key string
}

func (s *Server) newClient(conn net.Conn) *client {
	c := &client{srv: s, conn: conn, id: s.nextID.Add(1), created: time.Now()}
	c.w.Proto = 2
	c.db = s.ks.DB(0)
	c.authed = *s.requirepass.Load() == ""
	c.ctx.W = &c.w
	c.ctx.KS = s.ks
	c.ctx.Client = c
	c.lastUsed.Store(time.Now().UnixMilli())
	s.clientsMu.Lock()
	s.clients[c.id] = c
	s.clientsMu.Unlock()
	s.stats.connections.Add(1)
	return c
}

func (c *client) serve() {
	defer c.cleanup()
	c.rbuf = make([]byte, readBufMin)
	start, end := 0, 0
	for {
		if t := c.srv.timeout.Load(); t > 0 && !c.isPubSub() {
			c.conn.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
		}
		if end == len(c.rbuf) {
			if start > 0 {
				end = copy(c.rbuf, c.rbuf[start:end])
				start = 0
			}
			if end == len(c.rbuf) || c.rd.Need() > len(c.rbuf) {
				if int64(end) >= c.srv.qbufLimit.Load() {
					c.srv.Logf('#', "Closing client that reached max query buffer length (qbuf=%d)", end)
					return
				}
				size := 2 * len(c.rbuf)
				if need := c.rd.Need(); need > size {
					size = need
				}
				nb := make([]byte, size)
				copy(nb, c.rbuf[:end])
				c.rbuf = nb
			}
		}
		n, err := c.read(c.rbuf[end:]) // conn.Read, after bytes read while blocked (blocking.go)
		if n > 0 {
			end += n
			c.srv.stats.netInput.Add(int64(n))
			c.lastUsed.Store(time.Now().UnixMilli())
			c.rd.Limits = resp.Limits{MaxBulkLen: c.srv.maxBulk.Load(), MaxInline: 64 * 1024, Unauthenticated: !c.authed}
			for start < end {
				args, used, perr := c.rd.Next(c.rbuf[start:end])
				if perr != nil {
					c.w.Error(perr.Error())
					c.flush()
					c.srv.Logf('#', "Protocol error (%s) from client: id=%d addr=%s", perr.Error(), c.id, c.conn.RemoteAddr())
					return
				}
				if used == 0 {
					break
				}
				start += used
				if len(args) > 0 {
					c.execute(args)
				}
				if c.closeAfterReply || c.closed.Load() {
					c.flush()
					return
				}
			}
			if start == end {
				start, end = 0, 0
				if len(c.rbuf) > 4*readBufMin && end == 0 {
					c.rbuf = make([]byte, readBufMin)
				}
			}
			if !c.flush() {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// flush writes pending replies. It reports false when the connection is gone.
func (c *client) flush() bool {
	if c.w.Len() == 0 {
		return true
	}
	if c.asyncOut.Load() {
		c.enqueue(c.w.Buf)
		c.w.Reset()
		return !c.closed.Load()
	}
	n, err := c.conn.Write(c.w.Buf)
	c.srv.stats.netOutput.Add(int64(n))
	if cap(c.w.Buf) > 1<<20 {
		c.w.Buf = nil
	} else {
		c.w.Reset()
	}
	return err == nil
}

// enqueue adds bytes to the async output queue and makes sure a writer runs.
// Safe from any goroutine.
func (c *client) enqueue(b []byte) {
	c.outMu.Lock()
	if c.closed.Load() {
		c.outMu.Unlock()
		return
	}
	c.out = append(c.out, b...)
	if len(c.out) > asyncLimit {
		c.outMu.Unlock()
		c.srv.Logf('#', "Client id=%d scheduled to be closed ASAP for overcoming of output buffer limits.", c.id)
		c.kill()
		return
	}
	if !c.flushing {
		c.flushing = true
		go c.asyncWriter()
	}
	c.outMu.Unlock()
}

func (c *client) asyncWriter() {
	var buf []byte
	for {
		c.outMu.Lock()
		if len(c.out) == 0 {
			c.flushing = false
			c.outMu.Unlock()
			return
		}
		buf, c.out = c.out, buf[:0]
		c.outMu.Unlock()
		n, err := c.conn.Write(buf)
		c.srv.stats.netOutput.Add(int64(n))
		if err != nil {
			c.outMu.Lock()
			c.flushing = false
			c.out = nil
			c.outMu.Unlock()
			return
		}
	}
}

// kill closes the connection; the read loop then cleans up.
func (c *client) kill() {
	c.closed.Store(true)
	c.conn.Close()
}

func (c *client) isPubSub() bool { return len(c.subs)+len(c.psubs) > 0 }

func (c *client) cleanup() {
	c.closed.Store(true)
	c.conn.Close()
	c.unwatchAll()
	c.srv.pubsub.unsubscribeAll(c)
	c.srv.clientsMu.Lock()
	delete(c.srv.clients, c.id)
	c.srv.clientsMu.Unlock()
}

// reject replies with an error to a command that did not run, and spoils
// an open transaction as Redis's rejectCommand does.
func (c *client) reject(msg string) {
	if c.inMulti {
		c.multiErr = true
	}
	c.srv.stats.totalErrorReplies.Add(1)
	c.w.Error(msg)
}

// execute runs one command through Redis's checks (processCommand order).
func (c *client) execute(args [][]byte) {
	s := c.srv
	s.stats.commands.Add(1)
	mark := len(c.w.Buf)
	skip := c.replySkip
	c.replySkip = false
	defer func() {
		if c.replyOff || skip {
			c.w.Buf = c.w.Buf[:mark]
		}
	}()

	spec := s.table.Lookup(args[0])
	if spec == nil || !spec.Implemented() {
		c.reject(rediserr.UnknownCommand(string(args[0]), args[1:]))
		return
	}
	if spec.Subs != nil && len(args) >= 2 {
		sub := spec.LookupSub(args)
		if sub == nil || sub.Handler == nil {
			c.reject(rediserr.UnknownSubcommand(string(args[1]), strings.ToUpper(spec.Name)))
			return
		}
		spec = sub
	}
	if !spec.CheckArity(len(args)) {
		c.reject(rediserr.WrongArity(spec.Name))
		return
	}
	if !c.authed && !spec.Has(command.FlagNoAuth) {
		c.reject(rediserr.NoAuth)
		return
	}
	if c.inMulti && spec.Has(command.FlagNoMulti) {
		c.reject("ERR Command not allowed inside a transaction")
		return
	}
	if c.isPubSub() && c.w.Proto == 2 && !allowedInPubSub(spec) {
		c.reject("ERR Can't execute '" + spec.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	if c.inMulti && !multiControl(spec) {
		c.queued = append(c.queued, queuedCmd{spec, cloneArgs(args)})
		c.w.Simple("QUEUED")
		return
	}
	c.call(spec, args, false)
}

// call runs a command, locking the stripes it needs unless the caller
// (EXEC) already holds them.
func (c *client) call(spec *command.Spec, args [][]byte, locked bool) {
	ctx := &c.ctx
	ctx.Args, ctx.Cmd, ctx.DB, ctx.Dirty, ctx.Err = args, spec, c.db, 0, false
	c.beforeCall(ctx, locked) // blocking commands: see blocking.go
	var start time.Time
	start = time.Now()
	if !locked {
		if spec.LockAll {
			c.srv.ks.LockAll()
			c.runHandler(spec, ctx)
			c.srv.ks.UnlockAll()
		} else if c.keys = spec.KeyPositions(args, c.keys[:0]); len(c.keys) > 0 {
			c.slots = c.slots[:0]
			for _, i := range c.keys {
				c.slots = append(c.slots, slot.Of(args[i]))
			}
			if len(c.slots) == 1 {
				c.srv.ks.LockSlot(c.slots[0])
				c.runHandler(spec, ctx)
				c.srv.ks.UnlockSlot(c.slots[0])
			} else {
				c.locks = c.srv.ks.LockSlots(c.slots, c.locks)
				c.runHandler(spec, ctx)
				c.srv.ks.UnlockStripes(c.locks)
			}
		} else {
			c.runHandler(spec, ctx)
		}
	} else {
		c.runHandler(spec, ctx)
	}
	spec.Calls.Add(1)
	spec.Usec.Add(time.Since(start).Microseconds())
	if ctx.Err {
		spec.FailedCalls.Add(1)
		c.srv.stats.totalErrorReplies.Add(1)
	}
	if ctx.Dirty > 0 {
		c.srv.ks.Dirty.Add(int64(ctx.Dirty))
	}
	c.metaMu.Lock()
	c.lastCmd = spec.Name
	c.metaMu.Unlock()
	// Blocking commands (blocking.go): wake waiters of the keys this
	// command filled; park this client if its handler asked to block.
	if !locked {
		c.afterCall(spec, args)
	}
}

func allowedInPubSub(spec *command.Spec) bool {
	switch spec.Name {
	case "ping", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "quit", "reset":
		return true
	}
	return false
}

// multiControl lists the commands that run at once inside MULTI instead of being queued.
func multiControl(spec *command.Spec) bool {
	switch spec.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

func cloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a):]
	}
	return out
}
