package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// The standalone FAILOVER command (Redis 7.0's coordinated switch): the
// master pauses writes, waits until a replica (the one named, or the first
// caught up) has acknowledged its whole stream, then becomes a replica of
// it with PSYNC … FAILOVER, which tells that replica to promote itself
// first; the old master then continues partially from it. The pause ends
// when the handshake is done, or when the failover is aborted or times out
// (unless FORCE, which switches at the timeout regardless).

// failover states (INFO master_failover_state).
const (
	failoverNone int32 = iota
	failoverWaitSync
	failoverInProgress
)

var failoverStateNames = [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}

type failoverState struct {
	state atomic.Int32
	mu    sync.Mutex
	abort chan struct{} // closed by FAILOVER ABORT
}

func (s *Server) registerFailover() {
	s.handle("failover", s.failoverCommand)
}

func (s *Server) failoverStateName() string { return failoverStateNames[s.fo.state.Load()] }

// failoverCommand is FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
func (s *Server) failoverCommand(ctx *command.Ctx) {
	if s.clusterEnabled() {
		ctx.Error(rediserr.FailoverCluster)
		return
	}
	var host string
	var port int
	var timeoutMs int64
	force, to := false, false
	args := ctx.Args
	if len(args) == 2 && strings.EqualFold(string(args[1]), "abort") {
		s.fo.mu.Lock()
		defer s.fo.mu.Unlock()
		if s.fo.state.Load() == failoverNone || s.fo.abort == nil {
			ctx.Error(rediserr.NoFailover)
			return
		}
		select {
		case <-s.fo.abort:
		default:
			close(s.fo.abort)
		}
		ctx.W.OK()
		return
	}
	for i := 1; i < len(args); i++ {
		switch a := strings.ToLower(string(args[i])); {
		case a == "to" && i+2 < len(args) && !to:
			to = true
			host = string(args[i+1])
			p, ok := rnum.ParseInt(args[i+2])
			if !ok {
				ctx.Error(rediserr.NotInteger)
				return
			}
			port = int(p)
			i += 2
		case a == "force" && !force:
			force = true
		case a == "timeout" && i+1 < len(args) && timeoutMs == 0:
			v, ok := rnum.ParseInt(args[i+1])
			if !ok {
				ctx.Error(rediserr.NotInteger)
				return
			}
			if v <= 0 {
				ctx.Error(rediserr.FailoverTimeoutPositive)
				return
			}
			timeoutMs = v
			i++
		default:
			ctx.Error(rediserr.Syntax)
			return
		}
	}
	if s.isReplica() {
		ctx.Error(rediserr.FailoverOnReplica)
		return
	}
	s.repl.mu.Lock()
	links := append([]*replicaLink(nil), s.repl.replicas...)
	s.repl.mu.Unlock()
	if len(links) == 0 {
		ctx.Error(rediserr.FailoverNoReplicas)
		return
	}
	if force && (!to || timeoutMs == 0) {
		ctx.Error(rediserr.FailoverForceNeedsTarget)
		return
	}
	if to {
		var target *replicaLink
		for _, l := range links {
			if l.ip == host && l.port == port {
				target = l
			}
		}
		if target == nil {
			ctx.Error(rediserr.FailoverTargetNotReplica)
			return
		}
		if target.state.Load() != replOnline {
			ctx.Error(rediserr.FailoverTargetOffline)
			return
		}
	}
	if s.fo.state.Load() != failoverNone {
		ctx.Error(rediserr.FailoverInProgress)
		return
	}
	s.fo.mu.Lock()
	s.fo.abort = make(chan struct{})
	abortCh := s.fo.abort
	s.fo.mu.Unlock()
	s.fo.state.Store(failoverWaitSync)
	end := int64(1) << 62
	if timeoutMs > 0 {
		end = time.Now().UnixMilli() + timeoutMs
	}
	s.pauseClients(pauseByFailover, end, pauseWrite)
	s.Logf('*', "FAILOVER requested to %s.", map[bool]string{true: host + ":" + strconv.Itoa(port), false: "any replica"}[to])
	go s.runFailover(host, port, to, force, timeoutMs, abortCh)
	ctx.W.OK()
}

// runFailover waits for a replica to catch up, then switches.
func (s *Server) runFailover(host string, port int, to, force bool, timeoutMs int64, abortCh chan struct{}) {
	fail := func(why string) {
		s.Logf('#', "FAILOVER to %s:%d aborted: %s", host, port, why)
		s.fo.state.Store(failoverNone)
		s.unpauseClients(pauseByFailover)
	}
	var deadline <-chan time.Time
	if timeoutMs > 0 {
		t := time.NewTimer(time.Duration(timeoutMs) * time.Millisecond)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	synced := true
	for {
		off := s.stream.Offset()
		s.repl.mu.Lock()
		var ready *replicaLink
		for _, l := range s.repl.replicas {
			if l.state.Load() == replOnline && l.ackOff.Load() >= off && (!to || (l.ip == host && l.port == port)) {
				ready = l
				break
			}
		}
		s.repl.mu.Unlock()
		if ready != nil {
			host, port = ready.ip, ready.port
			break
		}
		select {
		case <-abortCh:
			fail("Failover aborted by user request")
			return
		case <-deadline:
			if !force {
				fail("Replica never caught up before timeout")
				return
			}
			// Redis's updateFailoverStatus, in its words.
			s.Logf('*', "FAILOVER to %s:%d time out exceeded, failing over.", host, port)
			synced = false
		case <-tick.C:
			continue
		}
		break
	}
	if synced {
		s.Logf('*', "Failover target %s:%d is synced, failing over.", host, port)
	}
	s.fo.state.Store(failoverInProgress)
	// This node becomes a replica of the target; the link's first PSYNC
	// carries FAILOVER, which makes the target promote itself.
	s.replicaOfFailover(host, port)
	s.setReplicaOfConfig(host, port)
}

// failoverHandshakeDone ends the failover once the link's PSYNC FAILOVER
// got its answer: accepted (the target is the master now), or refused
// (this node goes back to being a master).
func (s *Server) failoverHandshakeDone(ok bool, why string) {
	if s.fo.state.Load() != failoverInProgress {
		return
	}
	if !ok {
		s.Logf('#', "Failover target rejected psync request: %s", why)
		s.promote()
		s.setReplicaOfConfig("", 0)
	} else {
		s.Logf('*', "Failover request accepted, this node is now a replica.")
	}
	s.fo.state.Store(failoverNone)
	s.unpauseClients(pauseByFailover)
}
