//go:build amd64 && !purego

package clock

// readTSC is RDTSC.
//
//go:noescape
func readTSC() uint64

// cpuid runs CPUID with leaf and subleaf.
//
//go:noescape
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// haveInvariantTSC: the counter ticks at a constant rate in every power
// state (CPUID 0x80000007 EDX bit 8; Linux's constant_tsc/nonstop_tsc).
var haveInvariantTSC = func() bool {
	if max, _, _, _ := cpuid(0x80000000, 0); max < 0x80000007 {
		return false
	}
	_, _, _, d := cpuid(0x80000007, 0)
	return d&(1<<8) != 0
}()
