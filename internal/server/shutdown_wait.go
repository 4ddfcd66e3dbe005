package server

import (
	"errors"
	"sync"
	"time"

	"github.com/shoal-db/shoal/internal/command"
)

// Shutdown waits for lagging replicas (Redis 7.0's shutdown-timeout): a
// master asked to stop (SIGTERM, SIGINT, SHUTDOWN without NOW) while a
// replica has not acknowledged its whole stream pauses writes, asks the
// replicas for their offsets, and waits — up to shutdown-timeout seconds —
// until every replica has acknowledged it; then it logs the replicas still
// lagging and shuts down as before (PrepareShutdown). SHUTDOWN clients wait
// meanwhile, counted as blocked; INFO shows shutdown_in_milliseconds; SHUTDOWN
// ABORT cancels the wait and the waiting SHUTDOWNs fail; SHUTDOWN NOW (or a
// shutdown-timeout of 0) does not wait.

// errShutdownAborted is the result of a wait cancelled by SHUTDOWN ABORT.
var errShutdownAborted = errors.New("shutdown aborted")

// shutdownWait is the wait in progress, if any.
type shutdownWait struct {
	mu       sync.Mutex
	deadline int64         // unix ms; 0: no wait in progress
	abort    chan struct{} // closed by SHUTDOWN ABORT
	done     chan struct{} // closed when the wait (and the shutdown) ended
	err      error         // the shutdown's result, once done is closed
	// aborts counts the waits SHUTDOWN ABORT cancelled: a SHUTDOWN
	// blocked before an abort fails with it, even if its goroutine had
	// not joined the wait yet (Redis fails every blocked SHUTDOWN).
	aborts int64
}

// ShutdownNow is SHUTDOWN NOW: do not wait for lagging replicas.
const ShutdownNow = ShutdownForce << 1

// Shutdown is prepareForShutdown: wait for lagging replicas unless flags
// has ShutdownNow, then PrepareShutdown. A shutdown already waiting is
// joined (its result is returned). nil: the caller must exit.
func (s *Server) Shutdown(flags int) error {
	return s.shutdownFor(flags, -1)
}

// shutdownFor is Shutdown for a SHUTDOWN client blocked when
// aborts was seen (-1: no client): it fails if a wait was aborted since.
func (s *Server) shutdownFor(flags int, seen int64) error {
	w := &s.sdWait
	w.mu.Lock()
	if seen >= 0 && w.aborts != seen {
		w.mu.Unlock()
		return errShutdownAborted
	}
	if w.deadline != 0 {
		done := w.done
		w.mu.Unlock()
		<-done
		return w.err
	}
	timeout := s.shutdownTimeout()
	if flags&ShutdownNow != 0 || timeout <= 0 || s.isReplica() || s.replicasInSync() {
		w.mu.Unlock()
		s.logReplicasAtShutdown()
		return s.PrepareShutdown(flags)
	}
	w.deadline = time.Now().UnixMilli() + timeout*1000
	w.abort, w.done = make(chan struct{}), make(chan struct{})
	abort, done := w.abort, w.done
	w.mu.Unlock()

	s.stream.AppendReplicasOnly([]byte("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"))
	s.pauseClients(pauseByShutdown, 1<<62, pauseWrite)
	s.Logf('*', "Waiting for replicas before shutting down.")
	timer := time.NewTimer(time.Duration(timeout) * time.Second)
	defer timer.Stop()
	var err error
wait:
	for !s.replicasInSync() {
		s.repl.mu.Lock()
		ch := s.repl.acked
		s.repl.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			break wait
		case <-abort:
			err = errShutdownAborted
			break wait
		case <-time.After(100 * time.Millisecond): // a replica that went away
		}
	}
	if err == nil {
		s.logReplicasAtShutdown()
		err = s.PrepareShutdown(flags)
	}
	if err != nil {
		s.unpauseClients(pauseByShutdown)
	}
	w.mu.Lock()
	w.err, w.deadline = err, 0
	close(done)
	w.mu.Unlock()
	return err
}

// ShutdownAborted reports whether err is a shutdown cancelled by SHUTDOWN
// ABORT (nothing to log: the abort was).
func ShutdownAborted(err error) bool { return errors.Is(err, errShutdownAborted) }

// AbortShutdown is SHUTDOWN ABORT: false when no shutdown is waiting.
func (s *Server) AbortShutdown() bool {
	w := &s.sdWait
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.deadline == 0 {
		return false
	}
	select {
	case <-w.abort:
		return false // aborted already; the wait is ending
	default:
	}
	close(w.abort)
	w.aborts++
	s.Logf('*', "Shutdown manually aborted.")
	return true
}

// shutdownInMs is INFO's shutdown_in_milliseconds; ok false when no
// shutdown is waiting.
func (s *Server) shutdownInMs() (int64, bool) {
	w := &s.sdWait
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.deadline == 0 {
		return 0, false
	}
	return max(w.deadline-time.Now().UnixMilli(), 0), true
}

func (s *Server) shutdownTimeout() int64 {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return int64(s.cfg.ShutdownTimeout)
}

// replicasInSync is isReadyToShutdown: every attached replica acknowledged
// the whole stream.
func (s *Server) replicasInSync() bool {
	end := s.stream.Offset()
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	for _, l := range s.repl.replicas {
		if l.state.Load() != replClosed && l.ackOff.Load() != end {
			return false
		}
	}
	return true
}

// logReplicasAtShutdown is finishShutdown's report of the replicas.
func (s *Server) logReplicasAtShutdown() {
	if s.isReplica() {
		return
	}
	end := s.stream.Offset()
	now := time.Now().UnixMilli()
	s.repl.mu.Lock()
	links := append([]*replicaLink(nil), s.repl.replicas...)
	s.repl.mu.Unlock()
	n, lagging := 0, 0
	for _, l := range links {
		st := l.state.Load()
		if st == replClosed {
			continue
		}
		n++
		if off := l.ackOff.Load(); off != end {
			lagging++
			lag := int64(0)
			if st == replOnline {
				lag = (now - l.ackTime.Load()) / 1000
			}
			s.Logf('#', "Lagging replica %s reported offset %d behind master, lag=%d, state=%s.", l.name(), end-off, lag, replStateNames[st])
		}
	}
	if n > 0 {
		s.Logf('*', "%d of %d replicas are in sync when shutting down.", n-lagging, n)
	}
}

// shutdownBlock counts c as blocked on SHUTDOWN (blocked_clients, CLIENT
// LIST's b flag), as Redis's blockClient before prepareForShutdown: from
// the moment the event loop hands the command off, so that a command
// read after it (INFO) sees it blocked.
func (c *client) shutdownBlock() {
	if !c.shutdownBlocked {
		w := &c.srv.sdWait
		w.mu.Lock()
		c.shutdownSeen = w.aborts
		w.mu.Unlock()
		c.shutdownBlocked = true
		c.blockedNow.Store(true)
		c.srv.blocking.count.Add(1)
	}
}

// shutdownUnblock ends shutdownBlock.
func (c *client) shutdownUnblock() {
	if c.shutdownBlocked {
		c.shutdownBlocked = false
		c.srv.blocking.count.Add(-1)
		c.blockedNow.Store(false)
	}
}

// SHUTDOWN may wait for replicas: it runs off the event loop.
func (s *Server) registerShutdownWait() {
	s.table.Get("shutdown").Flags |= command.FlagOffLoop
}
