package snapshot

import (
	"runtime"
	"sync"
	"time"
)

// procs is the extra Ps that background walks hold: each GOMAXPROCS
// change stops the world (every event loop stalls until it is stopped),
// so the P a walk adds is kept after it ends, for the next one, and given
// back only once no walk has run for procsHold (ReleaseIdleProcs).
var procs struct {
	sync.Mutex
	walks int       // walks running now
	extra int       // Ps added above what the process had
	last  time.Time // when the last walk ended
}

// procsHold is how long the Ps added for walks stay after the last one
// ends. Back-to-back BGSAVEs (bench-save.sh's saver, a replica
// resyncing) keep their P; a save every few minutes pays the two changes.
const procsHold = 5 * time.Second

// Background readies the calling goroutine for a long background walk, as
// Redis's fork child is one for its parent: it gets a P of its own
// (GOMAXPROCS one higher than before any walk ran, until ReleaseIdleProcs
// finds no walk has run for procsHold) and an OS thread of its own at the
// lowest priority (SCHED_IDLE, or nice 19, on Linux).
//
// Why: a paced walk sleeps often, so the kernel's scheduler saw its thread
// as an interactive one and let it keep a core an event loop woke up for
// (a fork child never sleeps, so a woken parent preempts it at once). On 2
// cores, back-to-back BGSAVEs of 1M keys under GET at -c 50 gave a p99 of
// 0.86-1.02 ms against Redis's 0.54-0.70 in the same rounds; with the walk
// at nice 19, on its own P and in 0.2 ms stretches, 0.58-0.73 in 7 runs of
// 8 (one 1.21) against Redis's 0.54-0.75 (docs/snapshot.md; at nice 0 the
// rest alone gave no gain). The P of its own lets the walk run its stretch
// without yielding between slots: a goroutine locked to its thread that
// yields hands the thread over, which doubled a BGSAVE's CPU.
//
// Why the P outlives the walk: raising and lowering GOMAXPROCS are each a
// stop-the-world, which interrupts every event loop. Back-to-back BGSAVEs
// of an empty node under GET at -c 50 stopped the world 45 times in 2.7 s
// (280 µs on average, up to 2.2 ms), and GET's p99 was 0.72-0.86 ms
// against 0.50 with no save running (Redis: 0.63-0.68).
//
// The walk holds a slot's stripe while it copies the slot's entries, and
// makes the slot's writers wait while it encodes them: a loop that needs
// either waits for the low-priority thread, but it waits on a mutex, so
// its thread sleeps and leaves the walk the core.
//
// The caller must return from its goroutine after calling the returned
// function: the thread stays locked, so the runtime ends it with the
// goroutine rather than reuse a thread at the lowest priority.
func Background() (done func()) {
	procs.Lock()
	procs.walks++
	if procs.walks > procs.extra {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
		procs.extra++
	}
	procs.Unlock()
	runtime.LockOSThread()
	lowerThreadPriority()
	return func() {
		procs.Lock()
		procs.walks--
		procs.last = time.Now()
		procs.Unlock()
	}
}

// ReleaseIdleProcs gives back the Ps Background added once no walk has
// run for procsHold (the server's cron calls it), and reports how many
// extra Ps are left.
func ReleaseIdleProcs(now time.Time) int {
	procs.Lock()
	defer procs.Unlock()
	if procs.walks == 0 && procs.extra > 0 && now.Sub(procs.last) >= procsHold {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) - procs.extra)
		procs.extra = 0
	}
	return procs.extra
}
