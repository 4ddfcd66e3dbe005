//go:build linux

package server

import (
	"runtime"
	"strconv"
	"time"
)

// watchdog-period (Redis's software watchdog, a debugging aid): when a
// command has kept its event loop for longer than the period, the stack of
// every goroutine — the slow command's among them — goes to the log, once
// per slow call. Redis raises the period to at least two cron ticks
// (2000/hz ms); so does Shoal. The event loops' watchdog finds the slow
// call (internal/netloop, slowwatch_linux.go); with the goroutine
// transport (SHOAL_IO=goroutine) there is no loop to watch.

// applyWatchdog hands the configured period to the event loops.
func (s *Server) applyWatchdog() {
	if s.loops == nil {
		return
	}
	v, _ := s.cfg.Value("watchdog-period")
	ms, _ := strconv.Atoi(v)
	if ms <= 0 {
		s.loops.SetSlowCallWatch(0, nil)
		return
	}
	s.cfg.RLock()
	hz := max(s.cfg.Hz, 1)
	s.cfg.RUnlock()
	ms = max(ms, 2*(1000/hz))
	s.loops.SetSlowCallWatch(time.Duration(ms)*time.Millisecond, s.watchdogReport)
}

// watchdogReport is Redis's watchdogSignalHandler's log.
func (s *Server) watchdogReport() {
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	s.Logf('#', "\n--- WATCHDOG TIMER EXPIRED ---\n------ STACK TRACE ------\n%s\n--------\n", stacks)
}
