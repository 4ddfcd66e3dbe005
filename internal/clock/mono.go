package clock

import _ "unsafe" // for go:linkname

// Mono returns the runtime's monotonic clock in nanoseconds: one vDSO call,
// half the cost of time.Now, for per-command timing on the hot path.
//
//go:linkname Mono runtime.nanotime
func Mono() int64
