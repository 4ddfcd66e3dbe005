//go:build !asan && !msan

package keyspace

// growInPlace lets a string record grow within its allocation's size
// class (recordRoom).
const growInPlace = true
