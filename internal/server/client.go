package server

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/acl"
	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/stream"
)

const (
	readBufMin = 16 * 1024
	// flushAt: replies pile up in c.w.Buf while a batch of pipelined
	// commands runs; past this size they go to the transport at once, so
	// the output-buffer limits see them (obuf.go).
	flushAt = 256 * 1024
)

// client is one connection's state. Fields without a comment are touched only
// by the connection's own goroutine.
type client struct {
	srv  *Server
	conn net.Conn
	id   int64

	rd   resp.Reader
	rbuf []byte
	// pf prefetches the keys of pipelined commands (keyspace.Prefetcher);
	// pfLeft is how many commands of the last prefetched batch are still
	// to run.
	pf     keyspace.Prefetcher
	pfLeft int
	w      resp.Writer
	ctx    command.Ctx
	keys   []int
	slots  []int
	locks  []int

	db *keyspace.DB
	// authed is Redis's c->authenticated; user is the ACL user the
	// connection runs as (read by CLIENT LIST/KILL from other goroutines).
	authed bool
	user   atomic.Pointer[acl.User]
	aclSc  acl.Scratch
	// rb is the reply buffer's sizing and the query buffer's peak
	// (replybuf.go); resizeDue asks a goroutine-transport client to run
	// the resize cron at its next batch.
	rb        replyBuf
	resizeDue atomic.Bool
	// rbHeld is the reply buffer's size as last added to the server's
	// held client buffers (noteReplyBuf).
	rbHeld int
	// memTick counts commands since this client last measured memory (memory.go).
	memTick int

	// meta is read by CLIENT LIST/INFO from other goroutines.
	metaMu   sync.Mutex
	name     string
	libName  string
	libVer   string
	lastCmd  atomic.Pointer[string]
	created  time.Time
	lastUsed atomic.Int64 // unix ms

	// replyMode: CLIENT REPLY ON/OFF/SKIP.
	replyOff, replySkip bool
	// skipNow: the running command's reply is dropped (a SKIP before
	// it); CLIENT REPLY ON clears it, so its own +OK is sent, as Redis's.
	skipNow bool

	// inLen is the input of the batch being run (CLIENT LIST qbuf of the
	// client itself, as Redis's query buffer holds the batch until it ends).
	inLen int
	// cmdSeq numbers the commands of the batch being run (from 1);
	// clockAt is the clock as the command numbered clockSeq ended. The
	// next command of the same batch starts its timing there instead of
	// reading the clock again (call): one clock read per pipelined
	// command instead of two. clockSeq 0: no chain.
	cmdSeq, clockSeq int
	clockAt          int64

	// MULTI state.
	inMulti  bool
	multiErr bool
	queued   []queuedCmd
	multiMem int // bytes the queued commands hold (CLIENT LIST multi-mem)
	watcher  *keyspace.Watcher
	watched  []watchedKey

	// pub/sub: once asyncOut is set, every reply goes through the output
	// queue so it stays ordered with messages pushed by other clients.
	subs  map[string]struct{}
	psubs map[string]struct{}
	ssubs map[string]struct{} // shard channels (shardpubsub.go)
	trk   trackState          // CLIENT TRACKING (tracking.go)
	// trkBroken: the redirect target went away (set by other clients' flushes).
	trkBroken atomic.Bool
	asyncOut  atomic.Bool
	outMu     sync.Mutex
	out       []byte
	flushing  bool
	asyncLen  atomic.Int64 // len(out) plus what asyncWriter holds, for the limits

	// Output-buffer limits (obuf.go): qc is the transport's queue (nil if
	// it blocks instead), obufSoftSince the unix second the soft limit was
	// first seen reached, obufClosed set once the client is closed for it.
	qc            queuedConn
	obufSoftSince atomic.Int64
	obufClosed    atomic.Bool

	// cl is the cluster-mode state: ASKING, READONLY (routing.go).
	cl clusterClient

	closeAfterReply bool
	// ldb is the client's SCRIPT DEBUG mode (script_debug.go).
	ldb uint8
	// tls: the connection came in on tls-port (tls.go).
	tls    bool
	closed atomic.Bool

	batch statBatch
	// blockedNow is set while the client waits in a blocking command (the
	// idle sweep must not close it).
	blockedNow atomic.Bool

	// loopMode: the connection is driven by an event loop (netloop), which
	// must not block; detachPending asks it to hand the connection to a
	// goroutine for a command that may block.
	loopMode      bool
	detachPending bool
	detachedIn    []byte // runDetached's input (loop_linux.go): what follows a SYNC
	// adm is what CLIENT LIST/INFO, MONITOR and CLIENT NO-EVICT keep per
	// connection (cmd_client.go).
	adm clientAdmin
	// Blocking commands (blocking.go): the client's place in the wait
	// queues, its request, whether it is in its wait loop, and bytes read
	// while it was blocked, not yet given to the read loop.
	waiter      *waiter
	blockReq    command.BlockRequest
	blockRunNs  int64 // how long the run that blocked took (latency.go)
	inBlockLoop bool
	pushback    []byte
	// parked is a command that blocked on the event loop, waiting for the
	// goroutine the loop hands the connection to (blocking.go).
	parked *parkedCmd
	// wkeys is scratch for beforeWrite's key positions (load.go).
	wkeys []int

	// Write stream (effects.go): the command effects being collected, set
	// while EXEC runs its queue, and the stream offset after this client's
	// last entry (appendfsync always syncs up to it before replying).
	effects   stream.Batch
	inExec    bool
	streamOff int64
	// cfgToken: a CLUSTER SETSLOT's nodes.conf save this client's replies
	// wait for (cmd_cluster.go commitConfig).
	cfgToken uint64

	// session: no socket (session.go); replay: its commands are not
	// appended to the write stream (AOF loading).
	session, replay bool
	// migrWait is set when the command found one of its keys in flight
	// (cmd_migrate.go) and did not run; it is closed when the key lands.
	migrWait <-chan struct{}
	// routedAt is the MIGRATE landings counted when the command was
	// routed (migrateMoved).
	routedAt uint64

	// Replication (repl_master.go): what the connection said with
	// REPLCONF, its replica link once it sent PSYNC/SYNC, and the stream
	// offset after its last write (WAIT waits for it). isMaster marks the
	// session applying a master's stream on a replica.
	hs       *replHandshake
	replLink atomic.Pointer[replicaLink]
	// shutdownBlocked: counted as blocked on SHUTDOWN (shutdown_wait.go).
	shutdownBlocked bool
	shutdownSeen    int64 // sdWait.aborts when it blocked
	woff            int64
	isMaster        bool
	// masterRaw: the master's bytes of the command the master session
	// runs, appended to the stream by the first handler that runs under
	// the command's locks (blocking.go runHandler), else after it.
	masterRaw []byte
}

// statBatch accumulates a connection's counters between flushes, so the hot
// path does not bounce shared cache lines between cores on every command.
type statBatch struct {
	spec          *command.Spec
	calls, ns     int64
	cmds, dirty   int64
	netIn, netOut int64
}

// flushStats publishes the batched counters. Called by whoever drives the
// connection: before each reply flush, at close, and by the commands that
// read the server-wide counts exactly (a change of command publishes only
// the command's own: flushCmdStats).
func (c *client) flushStats() {
	c.flushCmdStats()
	b := &c.batch
	if b.cmds > 0 {
		c.srv.stats.commands.Add(b.cmds)
		b.cmds = 0
	}
	if b.dirty > 0 {
		c.srv.ks.Dirty.Add(b.dirty)
		b.dirty = 0
	}
	if b.netIn > 0 {
		c.srv.stats.netInput.Add(b.netIn)
		b.netIn = 0
	}
	if b.netOut > 0 {
		c.srv.stats.netOutput.Add(b.netOut)
		b.netOut = 0
	}
}

// flushCmdStats publishes the batched command's calls and time: when the
// command changes (a GET/SET mix changes it every command; the server-wide
// counters wait for the batch's end, and the commands that read them exactly,
// SAVE, FLUSHALL and the like, flush first).
func (c *client) flushCmdStats() {
	b := &c.batch
	if b.spec != nil && b.calls > 0 {
		b.spec.Calls.Add(b.calls)
		b.spec.Usec.Add(b.ns / 1000)
	}
	b.spec, b.calls, b.ns = nil, 0, 0
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
	c.user.Store(s.acl.Default())
	c.authed = !s.acl.AuthRequired()
	c.ctx.W = &c.w
	c.ctx.KS = s.ks
	c.ctx.Client = c
	c.qc, _ = conn.(queuedConn)
	c.initReplyBuf()
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
		if end == len(c.rbuf) {
			if start > 0 {
				end = copy(c.rbuf, c.rbuf[start:end])
				start = 0
			}
			if end == len(c.rbuf) || c.rd.Need() > len(c.rbuf) {
				if c.overQueryLimit(c.rbuf[:end]) {
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
			c.batch.netIn += int64(n)
			c.lastUsed.Store(c.srv.nowMs.Load())
			used := c.process(c.rbuf[start:end])
			start += used
			c.noteQbuf(end-start, len(c.rbuf))
			if c.closing() {
				c.unregister()
				c.flush()
				return
			}
			if c.overQueryLimit(c.rbuf[start:end]) {
				return
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

// process parses and runs every complete command at the start of buf and
// returns how many bytes it consumed. In loop mode it stops before a command
// that may block and sets detachPending, leaving that command unconsumed.
func (c *client) process(buf []byte) int {
	c.cmdSeq, c.clockSeq = 0, 0
	n := c.processBatch(buf)
	c.clockSeq = 0 // calls from outside a batch read the clock afresh
	return n
}

// processBatch is process for one buffer of input.
func (c *client) processBatch(buf []byte) int {
	st := c.srv.conf()
	c.rd.Limits = resp.Limits{MaxBulkLen: st.cmd.ProtoMaxBulkLen, MaxInline: 64 * 1024, Unauthenticated: !c.authed && c.srv.acl.AuthRequired()}
	if c.closing() {
		// Closed after an earlier reply (QUIT, ACL DELUSER of itself,
		// CLIENT KILL of itself): bytes that arrive before the socket is
		// gone are not commands any more.
		return len(buf)
	}
	used := 0
	c.pfLeft = 0
	c.inLen = len(buf)
	for used < len(buf) {
		c.prefetchAhead(buf[used:])
		args, n, perr := c.rd.Next(buf[used:])
		if perr != nil {
			c.w.Error(perr.Error())
			c.srv.Logf('#', "Protocol error (%s) from client: id=%d addr=%s", perr.Error(), c.id, c.conn.RemoteAddr())
			c.closeAfterReply = true
			return len(buf)
		}
		if n == 0 {
			if rest := buf[used:]; len(rest) >= 2 && rest[0] == 0x16 && rest[1] == 0x03 {
				c.refuseTLSHello() // tls.go
				return len(buf)
			}
			break
		}
		if len(args) > 0 {
			spec := c.srv.table.Lookup(args[0])
			if c.loopMode && spec != nil && (spec.Flags&command.FlagOffLoop != 0 || c.ldb != ldbOff && ldbStarts(spec)) && !c.inMulti {
				c.rd.Reset()
				c.detachPending = true
				if spec.Name == "shutdown" {
					c.shutdownBlock() // counted blocked now, as Redis's blockClient (shutdown_wait.go)
				}
				return used
			}
			if st.clientMemLimit > 0 && c.evictedBefore(len(buf)-used, st.clientMemLimit) {
				return len(buf)
			}
			c.cmdSeq++
			c.execute(spec, args)
			if c.parked != nil {
				// It blocked (blocking.go): its wait goes on off the loop.
				c.detachPending = true
				return used + n
			}
			if len(c.w.Buf) >= st.obufMin && c.pendingOverObuf() {
				return len(buf) // closed for its output-buffer limits (obuf.go)
			}
			if len(c.w.Buf) >= flushAt {
				if !c.flush() {
					return len(buf)
				}
				c.clockSeq = 0 // the write is not the next command's time
			}
			if c.detachPending {
				// A key of the command is in flight (MIGRATE): it runs
				// again, off the loop, once the key has landed.
				c.rd.Reset()
				return used
			}
		}
		used += n
		if c.closing() {
			return used
		}
	}
	return used
}

// prefetchAhead prefetches the commands at the start of buf when those of
// the last batch have run; the caller zeroes pfLeft at each new buffer.
func (c *client) prefetchAhead(buf []byte) {
	if c.pfLeft--; c.pfLeft <= 0 {
		c.pfLeft = c.prefetch(buf)
	}
}

// hotKeyPeek is how many commands naming one key make prefetch take a
// batch for a pipeline on a hot key.
const hotKeyPeek = 4

// prefetch queues the keys of the whole commands at the start of buf
// (up to keyspace.PrefetchMax) and, when they hold at least two different
// keys, brings their data into the cache together (keyspace.Prefetcher).
// It returns how many commands it looked at. The commands compute the
// keys' slots and hashes again when they run (a few ns each): passing them
// on was not worth a cache keyed by argument.
func (c *client) prefetch(buf []byte) int {
	n := 0
	var last []byte
	for n < keyspace.PrefetchMax {
		key, size := resp.PeekKeyArg(buf)
		if size == 0 {
			break
		}
		// A key repeated from the command before is cached by then: a
		// pipeline on one hot key costs a comparison per command.
		if !bytes.Equal(key, last) {
			c.pf.Add(key)
			last = key
		} else if n+1 == hotKeyPeek && c.pf.Len() == 1 {
			// The first commands all name one key: a pipeline on a hot
			// key, which the first command brings into the cache. The
			// rest of the batch's framing is not peeked at (~20 ns a
			// command): the next look is PrefetchMax commands on.
			c.pf.Reset()
			return keyspace.PrefetchMax
		}
		buf = buf[size:]
		n++
	}
	if c.pf.Len() >= 2 {
		c.pf.Run(c.db)
	} else {
		c.pf.Reset()
	}
	return n
}

func (c *client) closing() bool { return c.closeAfterReply || c.closed.Load() }

// repliesAtTurnEnd reports whether the loop holds this client's replies
// until the round's end (loop_linux.go OnTurnEnd), as Redis sends its
// replies in beforeSleep: after the round's AOF write or fsync and its
// nodes.conf save (a CLUSTER SETSLOT, cmd_cluster.go), and after every
// connection of the round was read. A peer then gets the round's replies
// together and the two sides wake each other less often (3-6 % less
// server CPU per GET at pipeline depth 1, 50 clients, in A/B runs;
// docs/concurrency.md). Held only while nothing else may write to the
// connection or take the client over (pushed messages, a detach, a
// close).
func (c *client) repliesAtTurnEnd() bool {
	return c.loopMode && !c.closing() && !c.detachPending && !c.asyncOut.Load()
}

// flush writes pending replies. It reports false when the connection is gone.
func (c *client) flush() bool {
	c.flushStats()
	if c.resizeDue.Load() && c.resizeDue.Swap(false) {
		c.resizeBufs(c.srv.nowMs.Load()) // replybuf.go
	}
	c.noteReplyPeak(len(c.w.Buf))
	ok := c.flushOut()
	c.updateSnap()
	if lim := c.srv.conf().clientMemLimit; lim > 0 {
		// maxmemory-clients (clientevict.go), after the replies went to
		// the transport: a client over its output-buffer limit is closed
		// by then and counts nothing, as Redis's limit check comes first.
		c.noteMem(lim)
	}
	return ok
}

// flushOut is flush's part that sends the replies.
func (c *client) flushOut() bool {
	c.commitConfig()
	if c.streamOff > 0 {
		// This client's writes are in the AOF (fsynced with appendfsync
		// always) before their replies leave (aof.go).
		c.srv.aofSync(c.streamOff)
		c.streamOff = 0
	}
	if c.w.Len() == 0 {
		return true
	}
	if c.obufClosed.Load() {
		// Closed for its output-buffer limits: nothing more is sent.
		c.w.Reset()
		return false
	}
	if c.asyncOut.Load() {
		c.enqueue(c.w.Buf)
		c.resetReplyBuf()
		return !c.closed.Load()
	}
	if over := len(c.w.Buf) - c.rb.size; over > 0 && c.qc != nil && c.checkObufWith(int64(over)) {
		c.resetReplyBuf() // closed for its output-buffer limits: not sent
		return false
	}
	n, err := c.conn.Write(c.w.Buf)
	c.batch.netOut += int64(n)
	c.resetReplyBuf()
	if c.qc != nil && c.qc.Queued() > 0 && c.checkObuf() {
		return false
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
	if c.qc != nil {
		// The transport queues without blocking: write in order, under
		// outMu, with no writer goroutine.
		n, _ := c.conn.Write(b)
		c.outMu.Unlock()
		c.srv.stats.netOutput.Add(int64(n))
		if c.qc.Queued() > 0 {
			c.checkObuf()
		}
		return
	}
	c.out = append(c.out, b...)
	c.asyncLen.Add(int64(len(b)))
	if !c.flushing {
		c.flushing = true
		go c.asyncWriter()
	}
	c.outMu.Unlock()
	c.checkObuf()
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
		c.asyncLen.Add(-int64(len(buf)))
		c.srv.stats.netOutput.Add(int64(n))
		if cap(buf) > 1<<20 {
			c.srv.released(cap(buf))
			buf = nil
		}
		if err != nil {
			c.outMu.Lock()
			c.flushing = false
			c.out = nil
			c.asyncLen.Store(0)
			c.outMu.Unlock()
			return
		}
	}
}

// drainAsync waits (bounded) for queued output, such as the +OK of a QUIT
// sent while subscribed, to reach the socket before the connection closes.
func (c *client) drainAsync() {
	if !c.asyncOut.Load() || c.closed.Load() {
		return
	}
	for i := 0; i < 200; i++ {
		c.outMu.Lock()
		busy := c.flushing || len(c.out) > 0
		c.outMu.Unlock()
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kill closes the connection; the read loop then cleans up.
func (c *client) kill() {
	c.closed.Store(true)
	if l := c.replLink.Load(); l != nil {
		l.close() // the link's goroutines own a socket of their own
	}
	c.conn.Close()
}

func (c *client) isPubSub() bool { return len(c.subs)+len(c.psubs)+len(c.ssubs) > 0 }

// unregister takes the client out of the server's tables (WATCH, Pub/Sub,
// tracking, the client list). A client closed after its reply (QUIT, a
// protocol error) is unregistered before that reply leaves: Redis frees it
// before any other client's next command runs, so a peer that has read the
// +OK of QUIT finds it gone (a tracking redirection to it is broken, it
// gets no more messages). Safe to call again.
func (c *client) unregister() {
	c.unwatchAll()
	c.srv.pubsub.unsubscribeAll(c)
	c.srv.track.disable(c)
	c.srv.clientsMu.Lock()
	delete(c.srv.clients, c.id)
	c.srv.clientsMu.Unlock()
}

// cleanup frees the client's server state, then closes the socket: as in
// Redis, by the time the peer sees EOF its subscriptions and watches are gone.
func (c *client) cleanup() {
	c.flushStats()
	c.drainAsync()
	if w := c.waiter; w != nil {
		// Registered as a waiter but never parked: closed from another
		// goroutine (a CLIENT KILL run on another loop or by a detached
		// client, client eviction) between its blocking command's
		// registration and the detach. Left registered, it stayed in
		// blocked_clients and in its keys' queues, where a push waited
		// turnWait for it.
		c.parked = nil
		closeAll(c.srv.blocking.deregister(w))
	}
	c.unregister()
	c.closed.Store(true)
	c.forgetMem()
	c.noteReplyBuf() // (closed: takes its reply buffer out of used memory)
	// The buffer goes now, not with the client: the close below posts a
	// call that holds the connection, and through it the client, until
	// the loop's next round. A collection before that (a FLUSHDB's) counted
	// the buffer live though no longer held, and keys were evicted for it
	// (unit/maxmemory's 20 MGET clients: 6.8 MB).
	c.w.Buf = nil
	c.conn.Close()
	c.evictionClosed()
	c.srv.mem.clientsGone.Add(1) // its buffers are garbage now (memory.go)
}

// reject replies with an error to a command that did not run, and spoils
// an open transaction as Redis's rejectCommand does.
func (c *client) reject(msg string) {
	if c.inMulti {
		c.multiErr = true
	}
	c.srv.stats.totalErrorReplies.Add(1)
	c.srv.noteErrorReply(msg) // INFO errorstats (info.go)
	c.w.Error(msg)
}

// execute runs one command through Redis's checks (processCommand order).
func (c *client) execute(spec *command.Spec, args [][]byte) {
	c.batch.cmds++
	asking := c.cl.asking
	c.beforeCommand()
	mark := len(c.w.Buf)
	skip := c.replySkip
	c.replySkip, c.skipNow = false, skip
	c.checkAndCall(spec, args, asking, skip)
	// Not a defer: with checkAndCall's many returns it would not be
	// open-coded, and its slow path cost ~9 % of dispatch. A handler call
	// handed off (netloop's Goexit) leaves only after execute returns.
	if (c.replyOff || c.skipNow) && len(c.w.Buf) >= mark {
		c.w.Buf = c.w.Buf[:mark]
	}
}

// checkAndCall is execute's checks, in Redis's processCommand order, and
// the call.
func (c *client) checkAndCall(spec *command.Spec, args [][]byte, asking uint8, skip bool) {
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
		c.rejectCmd(spec, rediserr.WrongArity(spec.Name))
		return
	}
	if spec == c.srv.debugSpec {
		if msg := c.protectedDenied(spec); msg != "" {
			c.rejectCmd(spec, msg)
			return
		}
	}
	if !c.authed && !spec.Has(command.FlagNoAuth) && c.srv.acl.AuthRequired() {
		c.rejectCmd(spec, rediserr.NoAuth)
		return
	}
	if c.inMulti && spec.Has(command.FlagNoMulti) {
		c.rejectCmd(spec, rediserr.NotInTransaction)
		return
	}
	// ACL (acl.go): the default user with every permission passes on
	// one flag; other users take the full check.
	if p := c.user.Load().Perms(); !p.All && !c.aclCheck(p, spec, args) {
		return
	}
	for {
		c.routedAt = c.srv.migr.flights.Landed()
		routed := -1
		if !c.session {
			var ok bool
			if routed, ok = c.route(spec, args); !ok {
				return
			}
		}
		// maxmemory (memory.go): evict, or refuse a command that may grow
		// memory with OOM; one settings load when no limit is set.
		if mm := c.srv.settings.Load().cmd.Maxmemory; mm > 0 && !c.memoryCheck(spec, mm) {
			c.rejectCmd(spec, rediserr.OOM)
			return
		}
		if c.srv.track.clients.Load() > 0 {
			c.srv.track.limitBefore(c) // tracking-table-max-keys (tracking.go)
		}
		// A small RDB load in progress: wait for it, as Redis (load.go).
		if c.srv.loading.active.Load() && c.srv.loadingHold(c, spec) {
			if c.loopMode {
				c.undoForDetach(asking, skip)
				return
			}
			c.waitLoading(spec)
			continue
		}
		// Persistence gates (aof.go): -LOADING while the dataset loads, MISCONF
		// after an AOF write error.
		if msg := c.srv.persistGate(c, spec); msg != "" {
			c.rejectCmd(spec, msg)
			return
		}
		if c.isPubSub() && c.w.Proto == 2 && !allowedInPubSub(spec) {
			c.rejectCmd(spec, rediserr.SubscribeContext(spec.Name))
			return
		}
		if c.srv.scriptBusy.Load() && !spec.Has(command.FlagAllowBusy) && !c.isMaster {
			// (The master's stream is not refused: its commands wait for
			// the stripes the script holds, as Redis defers them.)
			c.rejectCmd(spec, c.srv.busyError())
			return
		}
		// CLIENT PAUSE / a manual failover (pause.go): the command waits,
		// off the event loop, until the pause no longer covers it; then it
		// is checked from the top again, as Redis reprocesses it (after a
		// manual failover this node may no longer serve its slot).
		if k := pauseKind(c.srv.pause.kind.Load()); k != pauseOff && c.pausedFor(spec, args, k) {
			if c.loopMode {
				c.undoForDetach(asking, skip)
				return
			}
			c.waitPause(spec, args)
			continue
		}
		if c.inMulti && !multiControl(spec) {
			c.queued = append(c.queued, queuedCmd{spec, cloneArgs(args)})
			c.multiMem += queuedMem(args)
			c.w.Simple("QUEUED")
			return
		}
		c.call(spec, args, false, routed)
		if c.migrWait == nil {
			return
		}
		// A key is in flight (cmd_migrate.go): the command did not run.
		if c.loopMode {
			// Undone, to run again from the top on a goroutine.
			c.migrWait = nil
			c.undoForDetach(asking, skip)
			return
		}
		// Wait for the key to land, then route again: it may be gone (ASK).
		<-c.migrWait
		c.migrWait = nil
	}
}

// undoForDetach takes back a command that must wait off the event loop
// (a pause, a load, a key in flight): its ASKING and reply-skip state are
// restored and the loop hands the connection to a goroutine, which runs
// it again from the top.
func (c *client) undoForDetach(asking uint8, skip bool) {
	c.batch.cmds--
	c.cl.asking = asking
	c.replySkip = skip
	c.detachPending = true
}

// call runs a command, locking the stripes it needs unless the caller
// (EXEC) already holds them. routed is the slot of its only key if route
// has just computed it for these args, else -1.
func (c *client) call(spec *command.Spec, args [][]byte, locked bool, routed int) {
	ctx := &c.ctx
	ctx.Args, ctx.Cmd, ctx.DB, ctx.Dirty, ctx.Err = args, spec, c.db, 0, false
	// The settings in force as the command starts (settings.go): one
	// pointer load, and the handler never sees a half-applied CONFIG SET.
	st := c.srv.settings.Load()
	ctx.Settings = &st.cmd
	ctx.ReplyLimit = c.replyLimit(st) // obuf.go
	c.beforeCall(ctx, locked)         // blocking commands: see blocking.go
	// The command just before it in the batch ended moments ago (parse
	// and routing since): its end is this one's start.
	var start int64
	if c.clockSeq != 0 && c.clockSeq == c.cmdSeq-1 {
		start, c.clockSeq = c.clockAt, 0 // once: not again for EXEC's inner calls
	} else {
		start = clock.Fast()
	}
	mark := len(c.w.Buf) // where this command's reply starts (errorstats, cmd_client.go)
	ctx.Locked = locked
	ctx.SetKeySlot(-1)
	if !locked {
		if spec.LockAll {
			c.srv.ks.LockAll()
			c.runHandler(spec, ctx)
			c.srv.ks.UnlockAll()
		} else if c.keys = spec.KeyPositions(args, c.keys[:0]); len(c.keys) > 0 && !spec.OwnLocks {
			c.slots = c.slots[:0]
			if routed >= 0 && len(c.keys) == 1 {
				c.slots = append(c.slots, routed)
			} else {
				for _, i := range c.keys {
					c.slots = append(c.slots, slot.Of(args[i]))
				}
			}
			// Under the stripes, a key that a MIGRATE is moving makes the
			// command wait for it (cmd_migrate.go): one atomic load when
			// nothing is in flight.
			if len(c.slots) == 1 {
				ctx.SetKeySlot(c.slots[0])
				c.srv.ks.LockSlot(c.slots[0])
				if !c.migrateMoved(args) {
					c.runHandler(spec, ctx)
				}
				c.srv.ks.UnlockSlot(c.slots[0])
			} else {
				c.locks = c.srv.ks.LockSlots(c.slots, c.locks)
				if !c.migrateMoved(args) {
					c.runHandler(spec, ctx)
				}
				c.srv.ks.UnlockStripes(c.locks)
			}
		} else {
			c.runHandler(spec, ctx)
		}
	} else {
		c.runHandler(spec, ctx)
	}
	if c.migrWait != nil {
		return // it runs again once its keys have landed (execute)
	}
	if c.srv.track.clients.Load() > 0 {
		c.afterTracking(spec, args, locked)
	}
	b := &c.batch
	if b.spec != spec {
		c.flushCmdStats()
		b.spec = spec
		c.lastCmd.Store(&spec.Name)
	}
	if ctx.Block == nil {
		// A command that blocks counts once, when it is served, times out
		// or is unblocked (Redis's updateStatsOnUnblock; blocking.go).
		b.calls++
		end := clock.Fast()
		c.clockAt, c.clockSeq = end, c.cmdSeq
		ns := max(end-start, 0) // (a TSC behind another CPU's: clock.Fast)
		b.ns += ns
		// The settings in force after the command, as Redis reads them (a
		// CONFIG SET that lowers a threshold is itself logged): latency
		// tracking, SLOWLOG, LATENCY (latency.go, slowlog.go).
		if st = c.srv.settings.Load(); st.latTrack {
			spec.Latency.Record(ns)
		}
		if ns >= st.slowMinNs {
			c.noteSlow(spec, args, ns, st)
		}
	} else {
		c.blockRunNs = max(clock.Fast()-start, 0) // noteBlockedLatency
	}
	if ctx.Err {
		spec.FailedCalls.Add(1)
		c.srv.stats.totalErrorReplies.Add(1)
	}
	b.dirty += int64(ctx.Dirty)
	// MONITOR feed, errorstats and the CLIENT LIST snapshot (cmd_client.go).
	c.afterCall(spec, args, mark)
	// Blocking commands (blocking.go): wake waiters of the keys this
	// command filled; park this client if its handler asked to block.
	if !locked {
		c.afterBlocking(spec, args)
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
