package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/script"
)

// Client pause, as Redis 7.0's pauseClients (networking.c): CLIENT PAUSE
// and a manual failover (the master pauses writes while its replica
// catches up) each hold a pause of their own, WRITE or ALL, with an end
// time; the pause in force is the most restrictive of them, until the
// furthest end among those of that kind. A paused client's command waits
// before it runs (or is queued in MULTI): under ALL every command, under
// WRITE the commands that write or may replicate (EVAL, PUBLISH, …, and
// EXEC of such a transaction). Connections without a socket (AOF loading)
// are never paused, but for a replica's link to its master, whose commands
// wait as Redis postpones its master client while the link reads on
// (applyBatch and applyStream in repl_replica.go).

// pauseKind is a pause type; a greater one is more restrictive.
type pauseKind int32

const (
	pauseOff pauseKind = iota
	pauseWrite
	pauseAll
)

// pausePurpose is who asked for a pause (Redis's pause_purpose).
type pausePurpose int

const (
	pauseByClient   pausePurpose = iota // CLIENT PAUSE
	pauseByFailover                     // a manual failover of this master
	pauseByShutdown                     // a shutdown waiting for replicas (shutdown_wait.go)
	numPausePurposes
)

type pauseState struct {
	// kind is the pause in force: the one atomic load of the hot path.
	kind atomic.Int32

	mu  sync.Mutex
	per [numPausePurposes]struct {
		kind pauseKind
		end  int64 // unix ms
	}
	// wake is closed when the pause weakens or ends, so waiting clients
	// look again.
	wake  chan struct{}
	timer *time.Timer
	// waiting counts the clients whose command waits for the pause: Redis
	// counts them in blocked_clients (BLOCKED_POSTPONE).
	waiting atomic.Int64
}

// pauseClients is pauseClients: a pause for purpose p until end (unix ms),
// merged with the one p already holds (the more restrictive kind, the
// later end).
func (s *Server) pauseClients(p pausePurpose, end int64, kind pauseKind) {
	ps := &s.pause
	ps.mu.Lock()
	defer ps.mu.Unlock()
	e := &ps.per[p]
	if e.kind == pauseOff {
		e.kind, e.end = kind, end
	} else {
		e.kind, e.end = max(e.kind, kind), max(e.end, end)
	}
	s.updatePauseLocked()
}

// unpauseClients is unpauseClients: drop purpose p's pause.
func (s *Server) unpauseClients(p pausePurpose) {
	ps := &s.pause
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.per[p].kind = pauseOff
	s.updatePauseLocked()
}

// updatePauseLocked is updateClientPauseTypeAndEndTime: expire pauses,
// publish the one in force, wake the waiters if it weakened, and arm the
// timer for its end. Needs ps.mu.
func (s *Server) updatePauseLocked() {
	ps := &s.pause
	now := time.Now().UnixMilli()
	kind := pauseOff
	for i := range ps.per {
		e := &ps.per[i]
		if e.kind != pauseOff && e.end < now {
			e.kind = pauseOff
		}
		kind = max(kind, e.kind)
	}
	var end int64
	for i := range ps.per {
		if e := &ps.per[i]; e.kind == kind && kind != pauseOff {
			end = max(end, e.end)
		}
	}
	old := pauseKind(ps.kind.Swap(int32(kind)))
	s.ks.ExpirePaused.Store(kind != pauseOff) // the dataset stays as it is
	if kind < old && ps.wake != nil {
		close(ps.wake)
		ps.wake = nil
	}
	if ps.timer != nil {
		ps.timer.Stop()
		ps.timer = nil
	}
	if kind != pauseOff {
		ps.timer = time.AfterFunc(time.Duration(end-now+1)*time.Millisecond, func() {
			ps.mu.Lock()
			defer ps.mu.Unlock()
			s.updatePauseLocked()
		})
	}
}

// pauseWaitCh returns a channel closed when the pause next weakens.
func (s *Server) pauseWaitCh() <-chan struct{} {
	ps := &s.pause
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.wake == nil {
		ps.wake = make(chan struct{})
	}
	return ps.wake
}

// pausedFor reports whether spec (with args) must wait under the pause
// kind k.
func (c *client) pausedFor(spec *command.Spec, args [][]byte, k pauseKind) bool {
	if c.session {
		return false
	}
	return c.pauseCovers(spec, args, k)
}

// pauseCovers reports whether the pause kind k covers spec (with args),
// whoever runs it.
func (c *client) pauseCovers(spec *command.Spec, args [][]byte, k pauseKind) bool {
	if k == pauseOff {
		return false
	}
	if k == pauseAll {
		return true
	}
	const mayReplicate = command.FlagWrite | command.FlagMayReplicate
	if spec.Flags&mayReplicate != 0 {
		return !c.srv.scriptNoWrites(spec, args)
	}
	if spec.Name == "exec" && c.inMulti {
		for _, q := range c.queued {
			if q.spec.Flags&mayReplicate != 0 && !c.srv.scriptNoWrites(q.spec, q.args) {
				return true
			}
		}
	}
	return false
}

// scriptNoWrites reports whether spec is EVAL/EVALSHA/FCALL (or _RO) of a
// script or function that declares no-writes: Redis's evalGetCommandFlags
// then clears write and may-replicate, so a WRITE pause lets it run.
func (s *Server) scriptNoWrites(spec *command.Spec, args [][]byte) bool {
	flags, ok := s.declaredScriptFlags(spec, args)
	return ok && flags&script.FlagNoWrites != 0
}

// scriptDeclaresWrite reports whether spec is a script or function call
// whose declared flags make it a write command (no no-writes).
func (s *Server) scriptDeclaresWrite(spec *command.Spec, args [][]byte) bool {
	flags, ok := s.declaredScriptFlags(spec, args)
	return ok && flags&script.FlagNoWrites == 0
}

// declaredScriptFlags is the flags a script or function call declares
// (evalGetCommandFlags / fcallGetCommandFlags): ok false for another
// command, an unknown SHA or function, a bad shebang, and an EVAL body
// without one, all of which keep the command's own flags.
func (s *Server) declaredScriptFlags(spec *command.Spec, args [][]byte) (script.Flags, bool) {
	if len(args) < 2 || !spec.Has(command.FlagNoMandatoryKeys) {
		return 0, false // not a script call (they all have that flag)
	}
	var flags script.Flags
	switch spec.Name {
	case "eval", "eval_ro":
		f, _, msg := script.ParseShebang(args[1])
		if msg != "" {
			return 0, false
		}
		flags = f
	case "evalsha", "evalsha_ro":
		if len(args[1]) != 40 {
			return 0, false
		}
		sc := s.scripts.Get(args[1])
		if sc == nil {
			return 0, false
		}
		flags = sc.Flags
	case "fcall", "fcall_ro":
		fn := s.scripts.Functions.Get(args[1])
		if fn == nil {
			return 0, false
		}
		flags = fn.Flags
	default:
		return 0, false
	}
	return flags, flags&script.FlagEvalCompat == 0
}

// waitPause blocks the client's goroutine until spec may run.
func (c *client) waitPause(spec *command.Spec, args [][]byte) {
	c.blockedNow.Store(true)
	c.srv.pause.waiting.Add(1)
	defer func() {
		c.srv.pause.waiting.Add(-1)
		c.blockedNow.Store(false)
	}()
	for {
		ch := c.srv.pauseWaitCh()
		if !c.pausedFor(spec, args, pauseKind(c.srv.pause.kind.Load())) {
			return
		}
		<-ch
	}
}

// failoverPause carries out Ready.Pause on a master (until > 0): pause
// writes, let the writes already running finish (every write appends to
// the stream under its stripes, so holding every stripe once is a
// barrier), then tell the core the offset they left. until 0 lifts it.
func (s *Server) failoverPause(until int64) {
	if until == 0 {
		s.unpauseClients(pauseByFailover)
		return
	}
	s.pauseClients(pauseByFailover, until, pauseWrite)
	// A write that passed its pause check just before the pause took
	// effect may not hold its stripe yet when the barrier runs; it is
	// done within microseconds unless descheduled. So the offset is taken
	// once it stayed the same across two barriers a few ms apart.
	off := s.writeBarrier()
	for i := 0; i < 50; i++ {
		time.Sleep(5 * time.Millisecond)
		next := s.writeBarrier()
		if next == off {
			break
		}
		off = next
	}
	if n := s.cl.node; n != nil {
		rd, _ := n.Do(func(c *cluster.Core) error {
			c.ManualFailoverPaused(off)
			return nil
		})
		s.applyReady(rd, false)
	}
}

// replLinkLastIO is what the cluster core's cluster-replica-validity-factor
// check needs (Core.SetReplLink): the last byte from the master while the
// link is up, else when it went down; 1 (long ago) if it never came up, as
// Redis counts a replica that never synced; 0 when this is no replica.
func (s *Server) replLinkLastIO() int64 {
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	switch {
	case ml == nil:
		return 0
	case ml.state.Load() == linkConnected:
		return ml.lastIO.Load()
	case ml.downSince.Load() > 0:
		return ml.downSince.Load() * 1000
	}
	return 1
}

// writeBarrier waits for the writes holding stripes and returns the
// stream offset they left.
func (s *Server) writeBarrier() int64 {
	s.ks.LockAll()
	defer s.ks.UnlockAll()
	return s.stream.Offset()
}

// failoverPaused reports whether a manual failover (or a shutdown waiting
// for its replicas) holds writes paused: the offset the replicas must
// reach stays put, with no PING added to the stream.
func (s *Server) failoverPaused() bool {
	ps := &s.pause
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.per[pauseByFailover].kind != pauseOff || ps.per[pauseByShutdown].kind != pauseOff
}
