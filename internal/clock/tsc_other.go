//go:build !amd64 || purego

package clock

// No TSC here: Fast is Mono.
const haveInvariantTSC = false

func readTSC() uint64 { return 0 }
