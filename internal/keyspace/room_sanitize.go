//go:build asan || msan

package keyspace

// growInPlace is off under the address and memory sanitizers: they pad
// each allocation with a poisoned zone where the size class has room
// (recordRoom).
const growInPlace = false
