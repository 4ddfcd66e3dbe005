package server

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

// sigShutdownState is a signal's shutdown: pending until the cron starts
// it (Redis's shutdown_asap), running while Shutdown waits or saves.
type sigShutdownState struct {
	pending atomic.Int32 // the signal
	running atomic.Bool
}

// SignalShutdown is SIGTERM's and SIGINT's handler (main calls it). As
// Redis's sigShutdownHandler, it only asks for the shutdown: the next cron
// tick starts it (shutdownCron), so DEBUG PAUSE-CRON holds it back and
// SHUTDOWN ABORT cancels it. A second SIGINT while one is pending or
// running exits at once with status 1, removing the final save's temp
// file.
func (s *Server) SignalShutdown(sig syscall.Signal) {
	st := &s.sigShutdown
	if (st.pending.Load() != 0 || st.running.Load()) && sig == syscall.SIGINT {
		s.Logf('#', "You insist... exiting now.")
		if path, _ := s.rdbPath(); path != "" {
			os.Remove(filepath.Join(filepath.Dir(path), fmt.Sprintf("temp-%d.rdb", os.Getpid())))
		}
		os.Exit(1)
	}
	name := "SIGTERM"
	if sig == syscall.SIGINT {
		name = "SIGINT"
	}
	if s.loadingNow() {
		s.Logf('#', "Received shutdown signal during loading, scheduling shutdown.")
	} else {
		s.Logf('#', "Received %s scheduling shutdown...", name)
	}
	st.pending.Store(int32(sig))
}

// shutdownCron starts a signal's shutdown (serverCron's shutdown_asap
// step) on a goroutine of its own, so the cron goes on while Shutdown
// waits for lagging replicas (shutdown_wait.go). A failed or aborted
// shutdown is forgotten, as Redis does.
func (s *Server) shutdownCron() {
	st := &s.sigShutdown
	if st.pending.Load() == 0 || !st.running.CompareAndSwap(false, true) {
		return
	}
	st.pending.Store(0)
	go func() {
		defer st.running.Store(false)
		err := s.Shutdown(0)
		if err == nil {
			s.RequestShutdown()
			return
		}
		if !ShutdownAborted(err) {
			s.Logf('#', "SIGTERM received but errors trying to shut down the server, check the logs for more information")
		}
	}()
}

// abortSignalShutdown is SHUTDOWN ABORT for a signal's shutdown the cron
// has not started: false if there is none.
func (s *Server) abortSignalShutdown() bool {
	pending := s.sigShutdown.pending.Swap(0) != 0
	// Redis's handler runs on the thread the signal interrupts, so a
	// SIGTERM sent before the SHUTDOWN ABORT is always seen by it. Go's
	// passes through the runtime's signal goroutine and main's select
	// first, which a loaded machine can hold past the next command: give
	// an in-flight signal a moment before answering that none is pending.
	for i := 0; !pending && i < signalGraceMillis; i++ {
		time.Sleep(time.Millisecond)
		pending = s.sigShutdown.pending.Swap(0) != 0
	}
	if !pending {
		return false
	}
	s.Logf('*', "Shutdown manually aborted.")
	return true
}

// signalGraceMillis bounds abortSignalShutdown's wait for a signal on its
// way (only SHUTDOWN ABORT with nothing to abort pays it).
const signalGraceMillis = 30
