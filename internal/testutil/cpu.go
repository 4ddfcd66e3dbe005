package testutil

import (
	"syscall"
	"testing"
)

// ReportCPU starts counting the process's CPU time (user+system, GC
// workers included); the function it returns reports it per op as
// "cpu-ns/op". On a shared machine that says more than the wall clock.
func ReportCPU(b *testing.B) func() {
	start := ProcessCPU()
	return func() { b.ReportMetric(float64(ProcessCPU()-start)/float64(b.N), "cpu-ns/op") }
}

// ProcessCPU is the user+system CPU time this process has used, in ns.
func ProcessCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
