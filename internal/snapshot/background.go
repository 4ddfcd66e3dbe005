package snapshot

import (
	"runtime"
	"sync"
)

// procsMu makes each GOMAXPROCS change one read-modify-write: a BGSAVE
// may start while the last one's goroutine is still giving its P back.
var procsMu sync.Mutex

// Background readies the calling goroutine for a long background walk, as
// Redis's fork child is one for its parent: it gets a P of its own
// (GOMAXPROCS one higher until the returned function is called) and an OS
// thread of its own at the lowest priority (nice 19, on Linux).
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
// The walk holds a slot's stripe while it copies the slot's entries, and
// makes the slot's writers wait while it encodes them: a loop that needs
// either waits for the low-priority thread, but it waits on a mutex, so
// its thread sleeps and leaves the walk the core.
//
// The caller must return from its goroutine after calling the returned
// function: the thread stays locked, so the runtime ends it with the
// goroutine rather than reuse a thread at the lowest priority.
func Background() (done func()) {
	procsMu.Lock()
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	procsMu.Unlock()
	runtime.LockOSThread()
	lowerThreadPriority()
	return func() {
		procsMu.Lock()
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) - 1)
		procsMu.Unlock()
	}
}
