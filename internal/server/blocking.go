package server

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP, XREAD, XREADGROUP): a blocked client waits on a
// goroutine of its own.
//
// HOW A HANDLER BLOCKS. A blocking handler first tries to serve exactly as
// its non-blocking twin would. When it finds nothing it calls
//
//	c.BlockOn(keys, timeout, nullArray)   // timeout 0 = forever
//
// and writes nothing (parse the timeout with command.BlockTimeout, before
// looking at the keys, as Redis does). Inside MULTI/EXEC (c.CanBlock false)
// BlockOn itself writes the timeout reply: a null array when nullArray,
// else a null bulk. That is all a handler does; everything else is here.
//
// HOW A COMMAND WAKES WAITERS. A handler that may make a key non-empty
// (LPUSH, LMOVE's destination, ZADD, RENAME/COPY/MOVE/RESTORE into a key,
// SORT … STORE, …) calls c.SignalReady(key) under the key's stripe lock. It
// costs one atomic load when no client is blocked anywhere.
//
// WHAT THE DISPATCHER DOES (client.call):
//   - After the handler, while the stripes are still locked, a client that
//     asked to block is registered as a waiter on its keys (db-qualified),
//     so a push cannot slip in between the handler's look and the
//     registration.
//   - On an event loop the command's first run is like any other's: on the
//     loop, in the order the loop read it among its clients' commands (a
//     command that arrived after it cannot overtake it, and "$" means the
//     last ID as of its turn). Only if it blocked does the loop hand the
//     connection to a goroutine, which waits (client.parked, runDetached).
//   - After the stripes are released, every key signalled by the command
//     (or by a whole MULTI/EXEC) gives its FIRST waiter (FIFO by block
//     time) a turn, and the signalling client waits until that turn is
//     over. Its next command therefore runs after the waiter was served, as
//     in Redis, where blocked clients are served right after the command.
//   - A waiter's turn: it re-runs its own command through the normal path
//     (locking its own keys). Served (or replied an error), it leaves every
//     queue and signals its keys again so the next waiter gets a turn
//     (LPUSH k a b c serves three BLPOP clients in arrival order). Finding
//     nothing (someone else took the data), it waits again, keeping its
//     place in the queues.
//   - Timeout: the waiter replies the null (array) and leaves. CLIENT
//     UNBLOCK id [TIMEOUT|ERROR] ends the wait the same way or with
//     -UNBLOCKED.
//   - While blocked, a helper goroutine reads the connection to notice the
//     peer closing. Bytes it reads (pipelined commands) are handed back to
//     the read loop (client.read) and run after the blocked command.
//     A disconnected waiter leaves every queue at once.
//
// Lock order: stripes, then blockRegistry.mu. Nobody waits for a turn
// while holding a stripe.

import (
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/slot"
)

// turnWait bounds how long a signalling client waits for a waiter's turn;
// a turn takes microseconds, this only guards against a stuck peer.
const turnWait = 2 * time.Second

type blockKey struct {
	db  int
	key string
}

// Reasons a wait ends other than by data.
const (
	unblockNone = iota
	unblockTimeout
	unblockError
	unblockRoleChange // the node became a replica (disconnectAllBlockedClients)
)

// errUnblockedRole is the error a client blocked on keys gets when its
// master becomes a replica: only the master's stream changes keys now.
const errUnblockedRole = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"

// waiter is a blocked client.
type waiter struct {
	c      *client
	keys   []blockKey
	notify chan struct{} // capacity 1: "look at your state"
	timed  bool          // waits with a timeout (clients_in_timeout_table)

	// Guarded by blockRegistry.mu.
	dones   []chan struct{} // signallers waiting for this waiter's turn
	unblock int             // CLIENT UNBLOCK reason
	wokenBy string          // first key signalled since the last take
	woken   bool
}

// blockRegistry maps keys to their FIFO queues of waiters.
type blockRegistry struct {
	mu   sync.Mutex
	keys map[blockKey][]*waiter
	byID map[int64]*waiter
	// count is the number of blocked clients (command.Ctx.Waiters, INFO
	// blocked_clients); timed counts those with a timeout (INFO
	// clients_in_timeout_table: Redis keeps only those in its table).
	count atomic.Int64
	timed atomic.Int64
}

// register adds c to the queues of req's keys. Called with the keys'
// stripes held; a client already waiting keeps its place.
func (r *blockRegistry) register(c *client, req *command.BlockRequest) {
	if c.waiter != nil {
		return
	}
	w := &waiter{c: c, notify: make(chan struct{}, 1)}
	db := c.db.Index
	for _, k := range req.Keys {
		bk := blockKey{db, string(k)}
		dup := false
		for _, have := range w.keys {
			if have == bk {
				dup = true
				break
			}
		}
		if !dup {
			w.keys = append(w.keys, bk)
		}
	}
	r.mu.Lock()
	if r.keys == nil {
		r.keys = make(map[blockKey][]*waiter)
		r.byID = make(map[int64]*waiter)
	}
	for _, bk := range w.keys {
		r.keys[bk] = append(r.keys[bk], w)
	}
	r.byID[c.id] = w
	r.mu.Unlock()
	r.count.Add(1)
	if req.Timeout > 0 {
		w.timed = true
		r.timed.Add(1)
	}
	c.waiter = w
	c.blockReq = *req
	c.blockedNow.Store(true) // CLIENT LIST's "b" from now, as blocked_clients
}

// deregister removes w from every queue and returns the turns still owed.
func (r *blockRegistry) deregister(w *waiter) []chan struct{} {
	r.mu.Lock()
	for _, bk := range w.keys {
		q := r.keys[bk]
		for i, x := range q {
			if x == w {
				q = append(q[:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.keys, bk)
		} else {
			r.keys[bk] = q
		}
	}
	if r.byID[w.c.id] == w {
		delete(r.byID, w.c.id)
	}
	dones := w.dones
	w.dones = nil
	r.mu.Unlock()
	r.count.Add(-1)
	if w.timed {
		r.timed.Add(-1)
	}
	w.c.waiter = nil
	return dones
}

// signal gives the first waiter of each key a turn and waits for the turns
// to end. Called with no stripe held.
func (r *blockRegistry) signal(ready []blockKey) {
	var dones []chan struct{}
	r.mu.Lock()
	for _, bk := range ready {
		q := r.keys[bk]
		if len(q) == 0 {
			continue
		}
		w := q[0]
		d := make(chan struct{})
		w.dones = append(w.dones, d)
		dones = append(dones, d)
		if w.woken {
			// Already told: the waiter may hold the token and be waiting
			// for mu to take its turn; a second token would wake it again
			// for nothing.
			continue
		}
		w.woken, w.wokenBy = true, bk.key
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
	r.mu.Unlock()
	if len(dones) == 0 {
		return
	}
	t := time.NewTimer(turnWait)
	defer t.Stop()
	for _, d := range dones {
		select {
		case <-d:
		case <-t.C:
			return
		}
	}
}

// take returns the pending turns, the CLIENT UNBLOCK reason and the key
// whose signal woke w ("" when none did).
func (r *blockRegistry) take(w *waiter) ([]chan struct{}, int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := w.dones
	w.dones = nil
	by := w.wokenBy
	w.woken, w.wokenBy = false, ""
	return d, w.unblock, by
}

// appendKeysOf appends every key clients wait on in db.
func (r *blockRegistry) appendKeysOf(dst []blockKey, db int) []blockKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	for bk := range r.keys {
		if bk.db == db {
			dst = append(dst, bk)
		}
	}
	return dst
}

// waiters reports how many clients wait on key in db (tests, INFO).
func (r *blockRegistry) waiters(db int, key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys[blockKey{db, key}])
}

// BlockedClients is the number of clients blocked on keys (INFO blocked_clients).
func (s *Server) BlockedClients() int64 { return s.blocking.count.Load() }

func closeAll(ds []chan struct{}) {
	for _, d := range ds {
		close(d)
	}
}

// runHandler runs spec's handler with the stripes held and, if it asked to
// block, registers the client before the stripes are released.
func (c *client) runHandler(spec *command.Spec, ctx *command.Ctx) {
	if c.srv.ks.Observed() && spec.Has(command.FlagWrite) {
		c.beforeWrite(spec, ctx.Args) // a snapshot runs (save.go)
	}
	c.beforeEffects(ctx)
	if ctx.Settings.NotifyFlags&command.NotifyKeyMiss != 0 {
		command.NotifyKeyMisses(ctx) // notify.go
	}
	spec.Handler(ctx)
	c.afterEffects(ctx) // effects.go: still under the stripe locks
	if c.masterRaw != nil {
		// A replica applying its master's stream: the master's bytes join
		// this node's stream under the same locks, so a snapshot point
		// never separates a change from its bytes (repl_replica.go).
		c.srv.appendMasterRaw(c, spec, c.masterRaw)
		c.masterRaw = nil
	}
	if ctx.Block != nil {
		c.srv.blocking.register(c, ctx.Block)
	}
}

// beforeCall prepares the blocking fields of ctx for one command.
func (c *client) beforeCall(ctx *command.Ctx, locked bool) {
	ctx.Block = nil
	ctx.CanBlock = !locked
	c.sessionCanBlock(ctx)
	ctx.Waiters = &c.srv.blocking.count
	if !locked {
		ctx.Ready = ctx.Ready[:0]
	}
}

// afterBlocking runs once a top-level command (not one inside EXEC) is done and
// its stripes released: it gives waiters of the keys it filled their turn,
// then parks this client if its command asked to block.
func (c *client) afterBlocking(spec *command.Spec, args [][]byte) {
	ctx := &c.ctx
	if len(ctx.Ready) > 0 {
		ready := make([]blockKey, 0, len(ctx.Ready))
		for _, k := range ctx.Ready {
			if k.WholeDB {
				ready = c.srv.blocking.appendKeysOf(ready, k.DB)
				continue
			}
			ready = append(ready, blockKey{k.DB, k.Key})
		}
		ctx.Ready = ctx.Ready[:0]
		c.srv.blocking.signal(ready)
	}
	if ctx.Block != nil && !c.inBlockLoop && c.waiter != nil {
		if c.loopMode {
			// On an event loop: the command ran (and registered) in its
			// turn among other clients' commands; only the wait moves to
			// the goroutine the loop hands the connection to.
			c.parked = &parkedCmd{spec, cloneArgs(args)}
			return
		}
		c.blockLoop(spec, args)
	}
}

// parkedCmd is a command that blocked on an event loop; its args are a
// copy (the loop reuses its input buffer).
type parkedCmd struct {
	spec *command.Spec
	args [][]byte
}

// blockLoop waits until the client's command is served, times out, is
// unblocked or the peer goes away.
func (c *client) blockLoop(spec *command.Spec, args [][]byte) {
	r := &c.srv.blocking
	w := c.waiter
	req := c.blockReq
	c.inBlockLoop = true
	c.blockedNow.Store(true)
	defer func() { c.inBlockLoop = false; c.blockedNow.Store(false) }()

	var deadline <-chan time.Time
	if req.Timeout > 0 {
		t := time.NewTimer(req.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	gone, stop := c.watchPeer()
	defer stop()
	// In a cluster the wait ends with a redirect once this node stops
	// serving the keys' slot (looked at periodically, as Redis's clientsCron).
	var recheck <-chan time.Time
	if c.srv.cl.node != nil {
		tk := time.NewTicker(blockedRedirectEvery)
		defer tk.Stop()
		recheck = tk.C
	}

	// leave ends the wait without being served; a turn owed to us is passed
	// on to the next waiter.
	leave := func(owed []chan struct{}) {
		owed = append(owed, r.deregister(w)...)
		if len(owed) > 0 {
			r.signal(w.keys)
		}
		closeAll(owed)
	}
	timeoutReply := func() {
		spec.Calls.Add(1) // the blocked call counts now (client.call skipped it)
		c.noteBlockedLatency(spec)
		if req.NullArray {
			c.w.NullArray()
		} else {
			c.w.Null()
		}
	}
	for {
		select {
		case <-w.notify:
			owed, reason, by := r.take(w)
			switch reason {
			case unblockTimeout:
				timeoutReply()
				leave(owed)
				return
			case unblockError, unblockRoleChange:
				spec.Calls.Add(1)
				spec.FailedCalls.Add(1)
				c.noteBlockedLatency(spec)
				msg := rediserr.UnblockedByClient
				if reason == unblockRoleChange {
					msg = errUnblockedRole
				}
				c.w.Error(msg)
				c.srv.stats.totalErrorReplies.Add(1)
				c.srv.noteErrorReply(msg) // errorstat_UNBLOCKED
				leave(owed)
				return
			}
			c.ctx.Woken = true
			if by != "" {
				c.ctx.WokenKey = []byte(by)
			}
			c.call(spec, args, false, -1)
			c.ctx.Woken, c.ctx.WokenKey = false, nil
			if ch := c.migrWait; ch != nil {
				// A key is in flight (cmd_migrate.go): look again once it landed.
				c.migrWait = nil
				closeAll(owed)
				<-ch
				select {
				case w.notify <- struct{}{}:
				default:
				}
				continue
			}
			if c.ctx.Block == nil {
				// Served: leave, and let the next waiter of our keys look.
				owed = append(owed, r.deregister(w)...)
				r.signal(w.keys)
				closeAll(owed)
				return
			}
			closeAll(owed)
		case <-deadline:
			timeoutReply()
			leave(nil)
			return
		case <-recheck:
			if msg := c.blockedRedirect(spec); msg != "" {
				c.reject(msg)
				leave(nil)
				return
			}
		case <-gone:
			leave(nil)
			c.kill()
			return
		}
	}
}

// watchPeer reads the connection while the client is blocked, to notice
// the peer closing. Bytes read are kept in c.pushback for the read loop.
// stop ends the watch and returns once the reader has exited.
func (c *client) watchPeer() (gone <-chan struct{}, stop func()) {
	if hup := c.hangup(); hup != nil {
		// Event-loop transport: the loop watches the socket while this
		// client is detached and closes hup when the peer goes away;
		// pipelined bytes stay in the socket until the loop takes it back.
		return hup, func() {}
	}
	ch := make(chan struct{})
	exited := make(chan struct{})
	var stopping atomic.Bool
	// Blocked clients are not subject to the idle timeout.
	c.conn.SetReadDeadline(time.Time{})
	limit := c.srv.conf().qbufLimit
	go func() {
		defer close(exited)
		buf := make([]byte, 4096)
		for {
			n, err := c.conn.Read(buf)
			if n > 0 {
				c.pushback = append(c.pushback, buf[:n]...)
				if int64(len(c.pushback)) > limit {
					close(ch)
					return
				}
			}
			if err != nil {
				if !stopping.Load() || !errors.Is(err, os.ErrDeadlineExceeded) {
					close(ch)
				}
				return
			}
		}
	}()
	return ch, func() {
		stopping.Store(true)
		c.conn.SetReadDeadline(time.Now())
		<-exited
		c.conn.SetReadDeadline(time.Time{})
	}
}

// read is conn.Read for the read loop, handing back first the bytes the
// blocked-client watcher read.
func (c *client) read(p []byte) (int, error) {
	if len(c.pushback) > 0 {
		n := copy(p, c.pushback)
		c.pushback = c.pushback[n:]
		if len(c.pushback) == 0 {
			c.pushback = nil
		}
		return n, nil
	}
	return c.conn.Read(p)
}

// unblockAll ends every wait with reason.
func (r *blockRegistry) unblockAll(reason int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.byID {
		if w.unblock == unblockNone {
			w.unblock = reason
			select {
			case w.notify <- struct{}{}:
			default:
			}
		}
	}
}

// registerBlocking attaches CLIENT UNBLOCK.
func (s *Server) registerBlocking() {
	s.handle("client|unblock", func(ctx *command.Ctx) {
		id, ok := rnum.ParseInt(ctx.Args[2])
		if !ok {
			ctx.Error(rediserr.NotInteger)
			return
		}
		reason := unblockTimeout
		if len(ctx.Args) == 4 {
			switch {
			case strings.EqualFold(string(ctx.Args[3]), "timeout"):
			case strings.EqualFold(string(ctx.Args[3]), "error"):
				reason = unblockError
			default:
				ctx.Error(rediserr.UnblockReason)
				return
			}
		} else if len(ctx.Args) > 4 {
			ctx.Error("ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.")
			return
		}
		r := &s.blocking
		r.mu.Lock()
		w := r.byID[id]
		ok = w != nil && w.unblock == unblockNone
		if ok {
			w.unblock = reason
			select {
			case w.notify <- struct{}{}:
			default:
			}
		}
		r.mu.Unlock()
		if ok {
			ctx.W.Int(1)
		} else {
			ctx.W.Int(0)
		}
	})
}

// blockedRedirectEvery is how often a client blocked in a cluster checks
// that this node still serves its keys' slot.
const blockedRedirectEvery = 200 * time.Millisecond

// blockedRedirect is clusterRedirectBlockedClientIfNeeded: the error a
// client blocked on keys gets once the cluster is down (CLUSTERDOWN), or
// its keys' slot is unassigned (CLUSTERDOWN … unbound) or served by
// another node and not being imported here (MOVED); "" while it may wait.
func (c *client) blockedRedirect(spec *command.Spec) string {
	cn, w := c.srv.cl.node, c.waiter
	if cn == nil || w == nil || len(w.keys) == 0 {
		return ""
	}
	t := c.view(cn.Topology())
	if !t.OK {
		return rediserr.ClusterDown
	}
	s := slot.Of([]byte(w.keys[0].key)) // all keys share one slot
	r := t.Route(s)
	owner := r.Owner
	if c.cl.readonly && !spec.Has(command.FlagWrite) && t.MyMaster != 0 && t.MyMaster == owner {
		owner = t.Me
	}
	switch {
	case owner == t.Me || r.Mark == cluster.MarkImporting:
		return ""
	case owner == 0:
		return rediserr.ClusterDownSlot
	}
	return rediserr.Moved(s, t.Addr(owner).Redirect)
}
