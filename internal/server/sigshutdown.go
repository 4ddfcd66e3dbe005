package server

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// SignalShutdown is SIGTERM's and SIGINT's handler (main calls it). As
// Redis's sigShutdownHandler, it only asks for the shutdown: the next cron
// tick performs it (shutdownCron), so DEBUG PAUSE-CRON holds it back and
// SHUTDOWN ABORT cancels it. A second SIGINT while one is pending (or the
// final save runs) exits at once with status 1, removing the final save's
// temp file.
func (s *Server) SignalShutdown(sig syscall.Signal) {
	if s.sigShutdown.Load() != 0 && sig == syscall.SIGINT {
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
	s.sigShutdown.Store(int32(sig))
}

// shutdownCron performs a signal's shutdown (serverCron's shutdown_asap
// step); true once the process is to stop. A failed final save keeps the
// server running and forgets the request, as Redis does.
func (s *Server) shutdownCron() bool {
	if s.sigShutdown.Load() == 0 {
		return false
	}
	if err := s.PrepareShutdown(0); err != nil {
		s.Logf('#', "SIGTERM received but errors trying to shut down the server, check the logs for more information")
		s.sigShutdown.Store(0)
		return false
	}
	s.RequestShutdown()
	return true
}

// abortSignalShutdown is SHUTDOWN ABORT: false if no signal asked for a
// shutdown that has not happened yet.
func (s *Server) abortSignalShutdown() bool {
	if s.sigShutdown.Swap(0) == 0 {
		return false
	}
	s.Logf('*', "Shutdown manually aborted.")
	return true
}
