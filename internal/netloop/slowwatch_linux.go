//go:build linux

package netloop

import (
	"sync"
	"time"
)

// Slow-call watch: Redis's software watchdog (watchdog-period) logs the
// main thread's stack when the event loop has not come back for the
// period. Here the hand-off watchdog (handoff_linux.go) also looks for a
// handler call that has run longer than the period — a loop's current round
// of events, or a call it handed off — and reports each such call once.

type slowWatch struct {
	period int64  // clock.Mono units (ns)
	fn     func() // called on the watchdog goroutine
}

// outCalls are the calls handed off and not yet back, with when their
// round began; told marks the ones already reported.
type outCalls struct {
	mu    sync.Mutex
	calls map[*Conn]*outCall
}

type outCall struct {
	since int64
	told  bool
}

// SetSlowCallWatch makes the watchdog call fn once for every handler call
// that runs longer than period (0: off). fn runs on the watchdog's
// goroutine while the slow call is still running.
func (s *Server) SetSlowCallWatch(period time.Duration, fn func()) {
	if period <= 0 || fn == nil {
		s.slow.Store(nil)
		return
	}
	s.slow.Store(&slowWatch{period: int64(period), fn: fn})
}

// handedOff records c's call, taken away from its loop in a round that
// began at since (told: the watch reported that round already).
func (s *Server) handedOff(c *Conn, since int64, told bool) {
	s.out.mu.Lock()
	if s.out.calls == nil {
		s.out.calls = make(map[*Conn]*outCall)
	}
	s.out.calls[c] = &outCall{since: since, told: told}
	s.out.mu.Unlock()
}

// cameBack forgets c's handed-off call.
func (s *Server) cameBack(c *Conn) {
	s.out.mu.Lock()
	delete(s.out.calls, c)
	s.out.mu.Unlock()
}

// checkSlow reports the calls over the watch's period; from the watchdog.
func (s *Server) checkSlow(now int64) {
	w := s.slow.Load()
	if w == nil {
		return
	}
	fire := false
	for _, l := range s.loops {
		// A round is reported once (told is the watchdog's own).
		if b := l.busySince.Load(); b != 0 && now-b > w.period && l.slowTold != b {
			l.slowTold = b
			fire = true
		}
	}
	s.out.mu.Lock()
	for _, oc := range s.out.calls {
		if !oc.told && now-oc.since > w.period {
			oc.told = true
			fire = true
		}
	}
	s.out.mu.Unlock()
	if fire {
		w.fn()
	}
}
