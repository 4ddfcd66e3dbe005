package snapshot

import (
	"syscall"
	"unsafe"
)

// schedIdle is Linux's SCHED_IDLE scheduling policy.
const schedIdle = 5

// lowerThreadPriority puts the calling thread in Linux's SCHED_IDLE class,
// or at nice 19 where that is refused. Both are the thread's own (set by
// thread id), so the rest of the process keeps its priority.
//
// Why SCHED_IDLE rather than nice 19: when the kernel places a waking
// thread, a core that runs only SCHED_IDLE threads counts as idle, and the
// woken thread preempts the SCHED_IDLE one at once. At nice 19 the walk's
// core counted as busy, so a woken event loop could be queued behind the
// benchmark client on the other core. Back-to-back BGSAVEs of 1M keys
// under GET at -c 50, sixteen alternating runs: p99 median 0.74 ms
// against 0.78 at nice 19 (Redis 0.78 in the same rounds). The cost: a
// walk on a machine whose cores are all busy gets almost no CPU (nice 19
// got a little), so the BGSAVE waits for a quiet moment.
//
// The thread is also named "shoal-bgsave" (its comm, as top -H and perf
// show it), as Redis's child is "redis-rdb-bgsave".
func lowerThreadPriority() {
	name := []byte("shoal-bgsave\x00")
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0)
	var param struct{ priority int32 }
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(syscall.Gettid()), schedIdle, uintptr(unsafe.Pointer(&param)))
	if e != 0 {
		syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
	}
}
