//go:build linux

package netloop

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/clock"
)

// Hand-off: a loop stuck in one handler call (a slow script, a command
// waiting for a key a script holds) would leave every other connection of
// the loop unanswered until the call returns; Redis answers them from
// inside the script (processEventsWhileBlocked). Here a watchdog gives the
// loop to a new goroutine instead: the stuck call keeps its goroutine and
// its connection (paused, as if detached), and when the call returns, that
// goroutine hands the connection back to the loop and exits. So one loop
// per two cores is enough for throughput, and no connection waits on
// another's slow command longer than stuckAfter plus a watchdog tick.

// runner is one goroutine's turn at owning a loop.
type runner struct {
	// inData is the connection whose OnData runs now, nil between calls.
	// The watchdog takes the call away by swapping it for nil; the runner
	// finds that when its swap after OnData does not return the connection.
	inData atomic.Pointer[Conn]
	// took is the connection whose call the runner's predecessor kept;
	// gone marks the predecessor, on its own goroutine, as leaving;
	// final marks the runner shutting the loop down, whose calls are
	// never handed off (inData stays nil).
	took  *Conn
	gone  bool
	final bool
}

func newRunner(s *Server) *runner { return &runner{} }

// watchTick is how often the watchdog looks for a stuck loop.
const watchTick = 50 * time.Millisecond

// onData calls the handler for c, and leaves the loop to its new runner if
// the call was handed off meanwhile.
func (l *loop) onData(c *Conn, in []byte) int {
	r := l.cur.Load() // this goroutine's runner: it changes only while a call is out
	if r.final {
		used := l.srv.h.OnData(c, in)
		l.listTurnEnd(c)
		return used
	}
	r.inData.Store(c)
	used := l.srv.h.OnData(c, in)
	if r.inData.Swap(nil) != c {
		r.gone = true
		l.finishHandoff(c, in[used:])
	}
	l.listTurnEnd(c)
	return used
}

// finishHandoff ends the goroutine of a runner whose call was handed off:
// it runs a detach the call asked for, hands c back to the loop's current
// runner with the input the call left, and exits.
func (l *loop) finishHandoff(c *Conn, rest []byte) {
	l.srv.cameBack(c)
	c.paused.Store(true)                // (the new runner sets it too; TakeOver in fn needs it now)
	rest = append([]byte(nil), rest...) // in c.in, which the loop takes back
	c.in = nil
	c.noteIn()
	if fn := c.detach; fn != nil {
		// This goroutine already holds c, as a detached one would.
		c.detach = nil
		rest = fn(rest)
	}
	l.post(func() { l.handBack(c, rest) })
	runtime.Goexit()
}

// watchIdleTicks is how many ticks the watchdog runs with every loop
// between rounds before it sleeps until one starts a round: an idle server
// wakes no thread twenty times a second for it.
const watchIdleTicks = 20

// watch hands every loop stuck in one handler call to a new runner, until
// stop is closed.
func (s *Server) watch(stop <-chan struct{}) {
	t := time.NewTicker(watchTick)
	defer t.Stop()
	idle := 0
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if s.closed.Load() {
			return
		}
		now := clock.Mono()
		s.checkSlow(now)
		for _, l := range s.loops {
			if l.stuck(now) {
				l.handOff()
			}
		}
		if s.anyBusy() {
			idle = 0
			continue
		}
		if idle++; idle < watchIdleTicks {
			continue
		}
		idle = 0
		t.Stop()
		s.watchParked.Store(true)
		// A round that began before the store saw no parked watchdog and
		// sent nothing: look again before sleeping.
		if !s.anyBusy() {
			select {
			case <-stop:
				return
			case <-s.watchWake:
			}
		}
		s.watchParked.Store(false)
		t.Reset(watchTick)
	}
}

// anyBusy reports whether a loop is inside a round of events, or a
// handed-off call is still out (watchdog-period may have to report it).
func (s *Server) anyBusy() bool {
	for _, l := range s.loops {
		if l.busySince.Load() != 0 {
			return true
		}
	}
	s.out.mu.Lock()
	out := len(s.out.calls)
	s.out.mu.Unlock()
	return out > 0
}

// wakeWatch wakes a parked watchdog; a loop calls it when a round begins.
func (s *Server) wakeWatch() {
	if s.watchParked.Load() {
		select {
		case s.watchWake <- struct{}{}:
		default:
		}
	}
}

// handOff starts a new runner for l if its current one is inside a
// handler call; from the watchdog.
func (l *loop) handOff() {
	if l.srv.closed.Load() {
		return // the owner is shutting the loop down
	}
	r := l.cur.Load()
	c := r.inData.Load()
	since := l.busySince.Load()
	if c == nil || !r.inData.CompareAndSwap(c, nil) {
		return // between calls: it is not stuck in one
	}
	l.srv.handedOff(c, since, l.slowTold == since)
	if f := afterTakeover.Load(); f != nil {
		(*f)()
	}
	nr := newRunner(l.srv)
	nr.took = c
	l.cur.Store(nr)
	l.start(nr)
}

// afterTakeover, when set (tests), runs between a call's takeover and its
// new runner's start: the call may well end in between.
var afterTakeover atomic.Pointer[func()]
