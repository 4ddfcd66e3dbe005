package server

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/acl"
	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/script"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/stream"
)

// Scripts and locks (see docs/scripting.md).
//
// A script runs holding the stripes of the keys it declared (numkeys),
// taken by its handler (the EVAL/FCALL specs are OwnLocks). A command in
// the script that reaches a key in a stripe not held takes that stripe too.
// Waiting for a stripe while holding others is what can deadlock, so only
// one script at a time may do it: the exclusive script, which holds
// scriptLocking.excl, taken before any stripe. Every script that may
// write runs exclusive (it could reach an undeclared key after a write,
// when a re-run is no longer possible), unless it is closed
// (script.Script.Closed: every key it can reach is declared, so it holds
// all its stripes from the start and never waits for one; it is then
// like a multi-key command). A read-only script runs without
// it and takes an undeclared stripe with TryLock; when that fails it is
// stopped, its locks released, and it runs again from the start as the
// exclusive script; its SHA (or function name) is remembered so later runs
// are exclusive at once. Every other taker of several stripes (LockSlots,
// LockAll) never waits while holding one (keyspace.lockList), so no cycle
// of waits can form.
//
// Inside MULTI/EXEC a queued EVAL/FCALL makes EXEC take every stripe.

// scriptLocking is the exclusive script's token and the read-only scripts
// that reached undeclared keys.
type scriptLocking struct {
	excl chan struct{} // capacity 1: holding it = a send that went through
	wide sync.Map      // name (SHA or function) → true
	// busy is closed when the BUSY state starts (refreshBusy) and replaced
	// by an open one when it ends: it wakes the scripts waiting for excl.
	busy   atomic.Pointer[chan struct{}]
	busyMu sync.Mutex // orders the close and the replacement
}

func (s *Server) busyError() string {
	if r, ok := s.scripts.Running(0, false); ok && !r.Eval {
		return rediserr.BusyFunction
	}
	return rediserr.BusyScript
}

// scriptRun is one invocation's state, pooled.
type scriptRun struct {
	run script.Run
	srv *Server
	c   *client
	ctx *command.Ctx
	all bool
	// excl: the run holds scriptLocking.excl (may wait for stripes).
	excl bool
	// closed: the script can reach only its declared keys (script.Closed).
	closed bool
	// wrote: a write command of the script has run (it can no longer be
	// stopped and run again).
	wrote bool
	// oom: used memory was over maxmemory when the script started
	// (server.pre_command_oom_state): its first deny-oom command is refused.
	oom bool
	// nowMs is the script's start, the time its commands judge TTLs by
	// on the stripes it holds (Redis's scriptTimeSnapshot).
	nowMs int64
	held  [keyspace.NumStripes]bool
	list  []int
	// slot is the slot the script's keys hash to in cluster mode (-1: none yet).
	slot    int
	keys    []int
	inner   command.Ctx
	slotBuf []int
}

var scriptRunPool = sync.Pool{New: func() any { return &scriptRun{} }}

func (s *Server) registerScripting() {
	s.scripts = script.NewEngine(s.table)
	s.scriptLock.excl = make(chan struct{}, 1)
	open := make(chan struct{})
	s.scriptLock.busy.Store(&open)
	s.scripts.Log = func(level int, msg string) {
		s.Logf(".-*#"[level], "%s", msg)
	}
	for _, name := range []string{"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"} {
		sp := s.table.Get(name)
		sp.OwnLocks, sp.ExecLocksAll = true, true
	}
	// CMD_MAY_REPLICATE is hidden from COMMAND INFO, so the generated
	// table lacks it; read-only scripts refuse these, and CLIENT PAUSE
	// WRITE holds them back (commands.c 7.0.15).
	for _, name := range []string{"pfcount", "publish", "spublish", "eval", "evalsha", "fcall"} {
		if sp := s.table.Get(name); sp != nil {
			sp.Flags |= command.FlagMayReplicate
		}
	}
	s.handle("eval", func(ctx *command.Ctx) { s.evalCommand(ctx, false, false) })
	s.handle("evalsha", func(ctx *command.Ctx) { s.evalCommand(ctx, true, false) })
	s.handle("eval_ro", func(ctx *command.Ctx) { s.evalCommand(ctx, false, true) })
	s.handle("evalsha_ro", func(ctx *command.Ctx) { s.evalCommand(ctx, true, true) })
	s.handle("fcall", func(ctx *command.Ctx) { s.fcallCommand(ctx, false) })
	s.handle("fcall_ro", func(ctx *command.Ctx) { s.fcallCommand(ctx, true) })
	s.registerScriptCmd()
	s.registerFunctionCmd()
	go s.scriptWatchdog()
}

// scriptWatchdog raises and clears the BUSY state: Redis checks the
// running time from its Lua hook; here a ticker looks at the running
// scripts, so BUSY starts within 50 ms of the threshold.
func (s *Server) scriptWatchdog() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	var logged uint64 // the run the log line was written for
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		r, ok, limit := s.refreshBusy()
		if ok && logged != r.ID {
			logged = r.ID
			cmd := "SCRIPT KILL"
			if !r.Eval {
				cmd = "FUNCTION KILL"
			}
			s.Logf('#', "Slow script detected: still in execution after %d milliseconds. You can try killing the script using the %s command. Script name is: %s.", limit, cmd, r.Name)
		}
	}
}

// refreshBusy sets the BUSY state from the running scripts and returns the
// oldest one past the threshold.
func (s *Server) refreshBusy() (script.RunInfo, bool, int64) {
	s.cfg.RLock()
	limit := s.cfg.BusyReplyThreshold
	s.cfg.RUnlock()
	var r script.RunInfo
	on := false
	if limit > 0 {
		r, on = s.scripts.Running(time.Duration(limit)*time.Millisecond, false)
	}
	if s.scriptBusy.Load() != on {
		s.scriptLock.busyMu.Lock()
		if s.scriptBusy.Load() != on {
			if on {
				close(*s.scriptLock.busy.Load())
			} else {
				open := make(chan struct{})
				s.scriptLock.busy.Store(&open)
			}
			s.scriptBusy.Store(on)
		}
		s.scriptLock.busyMu.Unlock()
	}
	return r, on, limit
}

// numKeys parses EVAL/FCALL's numkeys; "" when it is fine.
func numKeys(args [][]byte, fcall bool) (int, string) {
	n, ok := rnum.ParseInt(args[2])
	if !ok {
		if fcall {
			return 0, rediserr.FcallNumKeys
		}
		return 0, rediserr.NotInteger
	}
	if n > int64(len(args)-3) {
		return 0, rediserr.NumKeysTooMany
	}
	if n < 0 {
		return 0, rediserr.NumKeysNegative
	}
	return int(n), ""
}

func (s *Server) evalCommand(ctx *command.Ctx, bySHA, ro bool) {
	s.feedScriptMonitors(ctx)
	if c := ctx.Client.(*client); c.ldb != ldbOff && !ctx.Locked {
		switch {
		case bySHA && len(ctx.Args[1]) != 40:
			ctx.Error(rediserr.NoScript)
		case bySHA:
			ctx.Error(rediserr.EvalshaDebug)
		case c.ldb == ldbYes:
			ctx.Error(scriptDebugYes)
		default:
			s.evalDebug(ctx, c, ro)
		}
		return
	}
	s.evalRun(ctx, bySHA, ro, nil)
}

// evalRun runs EVAL or EVALSHA, under the debugger when d is not nil.
func (s *Server) evalRun(ctx *command.Ctx, bySHA, ro bool, d *script.Debug) {
	args := ctx.Args
	nk, msg := numKeys(args, false)
	if msg != "" {
		ctx.Error(msg)
		return
	}
	var sc *script.Script
	if bySHA {
		if sc = s.scripts.Get(args[1]); sc == nil {
			ctx.Error(rediserr.NoScript)
			return
		}
	} else if sc, msg = s.scripts.Load(args[1]); msg != "" {
		ctx.Error(msg)
		return
	}
	if msg := s.scriptPrepareError(ctx, sc.Flags, ro); msg != "" {
		ctx.Error(msg)
		return
	}
	keys, argv := args[3:3+nk], args[3+nk:]
	sr := s.newScriptRun(ctx, sc.SHA, sc.Flags, ro)
	sr.closed = sc.Closed
	sr.run.Debug = d
	s.runScript(sr, keys, func(w *resp.Writer) bool { return s.scripts.RunScript(&sr.run, sc, keys, argv, w) })
}

func (s *Server) fcallCommand(ctx *command.Ctx, ro bool) {
	args := ctx.Args
	s.feedScriptMonitors(ctx)
	fn := s.scripts.Functions.Get(args[1])
	if fn == nil {
		ctx.Error(rediserr.FunctionNotFound)
		return
	}
	nk, msg := numKeys(args, true)
	if msg != "" {
		ctx.Error(msg)
		return
	}
	if msg := s.scriptPrepareError(ctx, fn.Flags, ro); msg != "" {
		ctx.Error(msg)
		return
	}
	keys, argv := args[3:3+nk], args[3+nk:]
	sr := s.newScriptRun(ctx, fn.Name, fn.Flags, ro)
	s.runScript(sr, keys, func(w *resp.Writer) bool { return s.scripts.RunFunction(&sr.run, fn, keys, argv, w) })
}

// scriptPrepareError is scriptPrepareForRun's refusals: the script's
// declared flags, then, for a script that may write, the replication
// gates (a read-only replica, too few good replicas). An EVAL without
// flags meets those gates at each write it makes (Exec).
func (s *Server) scriptPrepareError(ctx *command.Ctx, flags script.Flags, ro bool) string {
	if msg := script.PrepareError(flags, ro, s.clusterEnabled()); msg != "" {
		return msg
	}
	// On a stale replica (replica-serve-stale-data no, link down) only a
	// script declaring allow-stale runs (scriptFlagsToCmdFlags).
	if (flags&script.FlagEvalCompat != 0 || flags&script.FlagAllowStale == 0) && s.staleFor(ctx.Client.(*client)) {
		return rediserr.MasterDown
	}
	if flags&(script.FlagEvalCompat|script.FlagNoWrites) == 0 {
		if msg := s.replWriteGate(ctx.Client.(*client)); msg != "" {
			return msg
		}
		if msg := s.diskWriteError(ctx.Client.(*client)); msg != "" {
			return msg
		}
	}
	// A script with flags is deny-oom unless allow-oom or no-writes
	// (scriptFlagsToCmdFlags): refused up front when memory is out.
	if flags&(script.FlagEvalCompat|script.FlagNoWrites|script.FlagAllowOOM) == 0 && s.scriptOOM(ctx.Client.(*client)) {
		return rediserr.OOM
	}
	return ""
}

// staleFor reports whether c's commands meet the stale-replica refusal.
func (s *Server) staleFor(c *client) bool {
	return !c.session && s.repl.gate.Load()&gateStale != 0
}

// scriptOOM is pre_command_oom_state for a script's caller: used memory
// over maxmemory (the dispatcher has already evicted what it could).
// Sessions (AOF loading, a master's stream) are never refused.
func (s *Server) scriptOOM(c *client) bool {
	mm := s.settings.Load().cmd.Maxmemory
	return mm > 0 && !c.session && s.mem.used.Load() > mm
}

func (s *Server) newScriptRun(ctx *command.Ctx, name string, flags script.Flags, ro bool) *scriptRun {
	sr := scriptRunPool.Get().(*scriptRun)
	sr.run = script.Run{Host: sr, Name: name, Flags: flags, Args: ctx.Args,
		ReadOnly: ro || (flags&script.FlagEvalCompat == 0 && flags&script.FlagNoWrites != 0)}
	sr.run.Data = sr
	sr.srv, sr.ctx, sr.c = s, ctx, ctx.Client.(*client)
	sr.oom = flags&script.FlagAllowOOM == 0 && s.scriptOOM(sr.c)
	return sr
}

// runScript takes the locks, runs the script, and runs it again as the
// exclusive script if it asked for a restart.
func (s *Server) runScript(sr *scriptRun, keys [][]byte, exec func(w *resp.Writer) bool) {
	c := sr.c
	db := c.db
	defer func() {
		if s.scriptBusy.Load() {
			s.refreshBusy()
		}
		if sr.run.ErrReply {
			// The script's error reply: counted in errorstats (by the
			// dispatcher, from the reply) unless the command that raised
			// it was counted already; failed_calls either way.
			if sr.run.ErrCounted {
				sr.ctx.Cmd.FailedCalls.Add(1)
			} else {
				sr.ctx.Err = true
			}
		}
		c.db = db
		sr.ctx.DB = db
		sr.srv, sr.ctx, sr.c = nil, nil, nil
		sr.closed, sr.wrote, sr.oom = false, false, false
		sr.run = script.Run{}
		scriptRunPool.Put(sr)
	}()
	sr.slot = -1
	if len(keys) > 0 && s.cl.node != nil {
		sr.slot = slot.Of(keys[0])
	}
	if sr.ctx.Locked {
		sr.all = true
		exec(sr.ctx.W)
		sr.commitEffects() // inside EXEC: joins the transaction's batch
		return
	}
	sr.all = false
	sr.nowMs = s.ks.NowMs()
	excl := !sr.run.ReadOnly && !sr.closed
	if !excl {
		_, excl = s.scriptLock.wide.Load(sr.run.Name)
	}
	if !sr.lock(keys, excl) {
		return
	}
	restart := exec(sr.ctx.W)
	if !restart {
		sr.commitEffects()
	}
	sr.unlock()
	if !restart {
		return
	}
	// A read-only or closed script met a busy undeclared stripe before any
	// write: it runs again as the exclusive script (it wrote nothing; its
	// redis.log lines repeat).
	s.scriptLock.wide.Store(sr.run.Name, true)
	sr.wrote = false
	c.db = db
	name, flags, ro, dbg := sr.run.Name, sr.run.Flags, sr.run.ReadOnly, sr.run.Debug
	sr.run = script.Run{Host: sr, Name: name, Flags: flags, Args: sr.ctx.Args, ReadOnly: ro, Data: sr, Debug: dbg}
	if !sr.lock(keys, true) {
		return
	}
	exec(sr.ctx.W)
	sr.commitEffects()
	sr.unlock()
}

// lock takes the exclusive token if excl, then the declared keys'
// stripes. False when the script must not run: BUSY while waiting for the
// token (answered), or a declared key that a MIGRATE is moving (the
// dispatcher waits for it and routes the command again, cmd_migrate.go).
func (sr *scriptRun) lock(keys [][]byte, excl bool) bool {
	s := sr.srv
	if excl {
		if !s.scriptExclusive() {
			sr.ctx.Error(s.busyError())
			return false
		}
		sr.excl = true
	}
	sr.slotBuf = sr.slotBuf[:0]
	for _, k := range keys {
		sr.slotBuf = append(sr.slotBuf, slot.Of(k))
	}
	sr.list = s.ks.LockSlots(sr.slotBuf, sr.list)
	for _, st := range sr.list {
		sr.held[st] = true
		s.ks.FixTime(st, sr.nowMs)
	}
	if s.migr.flights.Active() && sr.c.keyListInFlight(keys) {
		sr.unlock()
		return false
	}
	return true
}

// scriptExclusive waits for the exclusive script's token, holding no
// stripe. A script that passes busy-reply-threshold meanwhile (or had
// passed it: the BUSY state started after the dispatcher's check) ends the
// wait (false: the caller answers BUSY, as Redis answers every command
// once a script is that slow), so an event loop is never stuck behind it.
func (s *Server) scriptExclusive() bool {
	select {
	case s.scriptLock.excl <- struct{}{}:
		return true
	default:
	}
	busy := *s.scriptLock.busy.Load()
	select {
	case s.scriptLock.excl <- struct{}{}:
		return true
	case <-busy:
		return false
	}
}

// commitEffects appends the script's effects to the stream while its
// stripes are held, and marks the EVAL/FCALL as propagated so the
// dispatcher never appends the script call itself. Inside EXEC they stay in
// the transaction's batch.
func (sr *scriptRun) commitEffects() {
	ctx := sr.ctx
	ctx.Propagated++
	if ctx.Effects != nil && !sr.c.inExec && ctx.Effects.Len() > 0 {
		sr.c.commitEffects()
	}
}

// unlock releases the stripes and the exclusive token.
func (sr *scriptRun) unlock() {
	ks := sr.srv.ks
	for i := len(sr.list) - 1; i >= 0; i-- {
		st := sr.list[i]
		sr.held[st] = false
		ks.FixTime(st, 0)
		ks.UnlockStripe(st)
	}
	sr.list = sr.list[:0]
	if sr.excl {
		sr.excl = false
		<-sr.srv.scriptLock.excl
	}
}

// acquire makes sure stripe st is held; false asks for a restart. Only the
// exclusive script waits for a stripe while holding others; any other
// script is read-only or closed, and stops for a re-run when the stripe
// is busy. A closed script never gets here (every stripe it can reach was
// declared), so one that already wrote cannot either; should the analysis
// ever let one through, it waits rather than stop after a write, and its
// name is remembered so later runs are exclusive.
func (sr *scriptRun) acquire(st int) bool {
	if sr.all || sr.held[st] {
		return true
	}
	ks := sr.srv.ks
	switch {
	case sr.excl:
		ks.LockStripe(st)
	case ks.TryLockStripe(st):
	case sr.wrote:
		sr.srv.scriptLock.wide.Store(sr.run.Name, true)
		ks.LockStripe(st)
	default:
		return false
	}
	sr.held[st] = true
	ks.FixTime(st, sr.nowMs)
	sr.list = append(sr.list, st)
	return true
}

// Exec runs one command for the script (script.Host): the stale, write
// and OOM gates, the cluster checks of scriptVerifyClusterState, the locks,
// then the handler with its own reply writer.
// CheckACL is script.ACLChecker: the script runs with its caller's user.
func (sr *scriptRun) CheckACL(spec *command.Spec, args [][]byte) string {
	return sr.c.aclScriptCheck(spec, args)
}

// ACLPermits is script.ACLPermitter (redis.acl_check_cmd): the caller's
// user's permissions, checked without logging.
func (sr *scriptRun) ACLPermits(spec *command.Spec, args [][]byte) bool {
	p := sr.c.user.Load().Perms()
	if p.All {
		return true
	}
	r, _ := p.Check(sr.srv.acl.Cat, spec, args, &sr.c.aclSc)
	return r == acl.OK
}

// Rejected counts a command the script called that was refused before it
// ran, as scriptCall's error path does: total_error_replies, errorstats
// (the code of a "-CODE ..." text, else ERR) and the command's
// rejected_calls.
func (sr *scriptRun) Rejected(spec *command.Spec, msg string) {
	s := sr.srv
	s.stats.totalErrorReplies.Add(1)
	code := "ERR"
	if strings.HasPrefix(msg, "-") {
		if i := strings.IndexByte(msg[:min(len(msg), 32)], ' '); i > 1 {
			code = msg[1:i]
		}
	}
	s.noteErrorReply(code)
	if spec != nil {
		spec.RejectedCalls.Add(1)
	}
}

func (sr *scriptRun) Exec(run *script.Run, spec *command.Spec, args [][]byte, w *resp.Writer) string {
	s := sr.srv
	c := sr.c
	sr.keys = spec.KeyPositions(args, sr.keys[:0])
	if c.trk.on && spec.Has(command.FlagReadonly) {
		c.trk.scriptRead = true // the caller remembers its declared keys (tracking.go)
	}
	if !spec.Has(command.FlagStale) && s.staleFor(c) {
		return "Can not execute the command on a stale replica" // scriptVerifyAllowStale
	}
	// scriptCall's order: the write and OOM gates before the cluster
	// check (a write to a key of the master, by a READONLY client of its
	// replica, is refused as READONLY, not as a non-local key).
	if spec.Has(command.FlagWrite) {
		if msg := s.replWriteGate(c); msg != "" {
			return "-" + msg // scriptVerifyWriteCommandAllow: READONLY, NOREPLICAS
		}
		if msg := s.diskWriteError(c); msg != "" && !sr.wrote {
			return "-" + msg // ... which lets a script that wrote go on
		}
	}
	if sr.oom && !sr.wrote && spec.Has(command.FlagDenyOOM) {
		return "-" + rediserr.OOM // scriptVerifyOOM: only before the first write
	}
	if cn := s.cl.node; cn != nil {
		if msg := sr.clusterCheck(cn.Topology(), spec, args); msg != "" {
			return msg
		}
	}
	if !sr.all {
		if spec.LockAll {
			for st := 0; st < keyspace.NumStripes; st++ {
				if !sr.acquire(st) {
					return script.ErrRestart
				}
			}
		} else {
			for _, i := range sr.keys {
				if !sr.acquire(keyspace.StripeOf(slot.Of(args[i]))) {
					return script.ErrRestart
				}
			}
		}
	}
	in := &sr.inner
	out := sr.ctx
	*in = command.Ctx{Args: args, W: w, DB: c.db, KS: s.ks, Cmd: spec, Client: c, Settings: out.Settings,
		Effects: out.Effects, Waiters: &s.blocking.count, Ready: in.Ready[:0], Locked: true, InScript: true,
		ReplExcept: stream.ToAll &^ stream.Target(run.ReplFlags)}
	if s.ks.Observed() && spec.Has(command.FlagWrite) {
		// A snapshot runs (save.go): the keys this command changes are
		// written out first, as runHandler does for top-level commands.
		for _, i := range sr.keys {
			s.ks.BeforeWriteKey(slot.Of(args[i]), args[i])
		}
	}
	start := clock.Mono()
	mark := len(w.Buf)
	spec.Handler(in)
	ns := clock.Mono() - start
	if s.adm.nMonitors.Load() > 0 && !spec.Has(command.FlagAdmin|command.FlagSkipMonitor) && !c.session {
		// (A read-only script restarted under wider locks shows its
		// commands again, as its redis.log lines repeat.)
		s.feedMonitorsAs(c, "lua", args)
	}
	if spec.Has(command.FlagWrite) {
		sr.wrote = true
	}
	spec.Calls.Add(1)
	spec.Usec.Add(ns / 1000)
	if s.conf().latTrack {
		spec.Latency.Record(ns)
	}
	if in.Err {
		spec.FailedCalls.Add(1)
		// The command's error counts in errorstats and
		// total_error_replies when it is written, as Redis's
		// afterErrorReply, whether the script catches it (pcall) or not.
		s.stats.totalErrorReplies.Add(1)
		if b := w.Buf[mark:]; len(b) > 0 && b[0] == '-' {
			code, _, _ := strings.Cut(string(b[1:min(len(b), 34)]), " ")
			code, _, _ = strings.Cut(code, "\r")
			s.noteErrorReply(code)
		}
	}
	out.Dirty += in.Dirty
	out.Ready = append(out.Ready, in.Ready...)
	// Effects replication (Redis 7.0's only mode): the commands the script
	// ran reach the stream, not the EVAL; runScript appends them as one
	// MULTI … EXEC unit (one command alone unwrapped) before it unlocks.
	// redis.set_repl narrows their consumers: REPL_NONE keeps them out,
	// REPL_AOF and REPL_REPLICA send them to the AOF or the replicas only
	// (Batch.AddTo), and a command that propagates its own form
	// (Ctx.Propagate) follows the same choice through ReplExcept.
	if in.Effects != nil && in.Propagated == 0 && in.Dirty > 0 {
		in.Effects.AddTo(in.DB.Index, stream.Target(run.ReplFlags), args...)
	}
	return ""
}

// clusterCheck is scriptVerifyClusterState over getNodeByQuery's outcome.
func (sr *scriptRun) clusterCheck(t *cluster.Topology, spec *command.Spec, args [][]byte) string {
	if len(sr.keys) == 0 {
		return ""
	}
	write := spec.Has(command.FlagWrite)
	first := -1
	for _, i := range sr.keys {
		sl := slot.Of(args[i])
		if first == -1 {
			first = sl
		} else if sl != first {
			return "Script attempted to access a non local key in a cluster node"
		}
	}
	if !t.OK {
		if !sr.srv.cl.readsWhenDown.Load() {
			return "Script attempted to execute a command while the cluster is down"
		}
		if write {
			return "Script attempted to execute a write command while the cluster is down and readonly"
		}
	}
	r := t.Route(first)
	local := r.Owner == t.Me || (r.Mark == cluster.MarkImporting && sr.c.cl.asking > 0) ||
		(sr.c.cl.readonly && !write && t.MyMaster != 0 && t.MyMaster == r.Owner)
	if !local {
		return "Script attempted to access a non local key in a cluster node"
	}
	if sr.run.Flags&(script.FlagAllowCrossSlot|script.FlagEvalCompat) == 0 {
		if sr.slot == -1 {
			sr.slot = first
		} else if sr.slot != first {
			return "Script attempted to access keys that do not hash to the same slot"
		}
	}
	return ""
}

func (s *Server) registerScriptCmd() {
	s.handle("script|load", func(ctx *command.Ctx) {
		sc, msg := s.scripts.Load(ctx.Args[2])
		if msg != "" {
			ctx.Error(msg)
			return
		}
		ctx.W.BulkString(sc.SHA)
	})
	s.handle("script|exists", func(ctx *command.Ctx) {
		ctx.W.Array(len(ctx.Args) - 2)
		for _, sha := range ctx.Args[2:] {
			if s.scripts.Exists(sha) {
				ctx.W.Int(1)
			} else {
				ctx.W.Int(0)
			}
		}
	})
	s.handle("script|flush", func(ctx *command.Ctx) {
		if len(ctx.Args) > 3 || (len(ctx.Args) == 3 && !strings.EqualFold(string(ctx.Args[2]), "sync") && !strings.EqualFold(string(ctx.Args[2]), "async")) {
			ctx.Error(rediserr.ScriptFlushOption)
			return
		}
		s.scripts.Flush()
		s.scriptLock.wide.Clear()
		ctx.W.OK()
	})
	s.handle("script|kill", func(ctx *command.Ctx) { s.killScript(ctx, true) })
	s.handle("script|debug", scriptDebug)
	s.handle("script|help", func(ctx *command.Ctx) { writeHelp(ctx.W, "SCRIPT", scriptHelp) })
}

func (s *Server) killScript(ctx *command.Ctx, eval bool) {
	if msg := s.scripts.Kill(eval); msg != "" {
		ctx.Error(msg)
		return
	}
	s.Logf('#', "Lua script killed by user with SCRIPT KILL.")
	ctx.W.OK()
}

var scriptHelp = []string{
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

// feedScriptMonitors shows EVAL/FCALL (skip_monitor commands) to the
// monitors before the commands their script calls, as Redis's
// evalCommand and fcallCommandGeneric do.
func (s *Server) feedScriptMonitors(ctx *command.Ctx) {
	if c, ok := ctx.Client.(*client); ok && s.adm.nMonitors.Load() > 0 && !c.session {
		s.feedMonitors(c, ctx.Args)
	}
}
