package snapshot

import "time"

// Pacer spreads a background walk over time while the server is busy:
// after each Work of walking, if Busy reports requests served meanwhile,
// the walk rests for Rest. On a machine whose cores the event loops and
// their clients keep busy, an unpaced walk takes a core for as long as it
// runs and the loops' requests wait for the kernel to give them one back.
// How long a stretch of work lasts matters more than the duty: it bounds
// how long a loop may wait for the core (the server's setting, bgsaveWork,
// says more). The walk runs on a P and a thread of its own (Background),
// so it does not yield between slots. The walk needs a third of the CPU of
// Redis's child per key; on an idle server it is not held back.
type Pacer struct {
	Work, Rest time.Duration
	// Busy reports whether the server served requests since its last
	// call (nil: always busy).
	Busy func() bool

	now   func() time.Time    // time.Now; a test's clock
	sleep func(time.Duration) // time.Sleep; a test's
	since time.Time           // start of the current stretch of work
}

// Pace is Snapshot.Pace: once the current stretch of work reached p.Work,
// it rests if the server is busy.
func (p *Pacer) Pace() {
	if p.now == nil {
		p.now, p.sleep = time.Now, time.Sleep
	}
	now := p.now()
	if p.since.IsZero() {
		p.since = now
	}
	if now.Sub(p.since) < p.Work {
		return
	}
	if p.Busy == nil || p.Busy() {
		p.sleep(p.Rest)
	}
	p.since = p.now()
}
