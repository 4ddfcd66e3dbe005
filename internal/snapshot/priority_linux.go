package snapshot

import "syscall"

// lowerThreadPriority sets the calling thread's nice value to 19. On Linux
// a thread's nice value is its own (setpriority with a thread id), so the
// rest of the process keeps its priority.
func lowerThreadPriority() {
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
