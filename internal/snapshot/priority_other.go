//go:build !linux

package snapshot

// lowerThreadPriority does nothing where a thread has no nice value of its
// own (setpriority would lower the whole process).
func lowerThreadPriority() {}
