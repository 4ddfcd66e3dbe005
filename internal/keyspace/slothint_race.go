//go:build race

package keyspace

// checkSlotHints: race-detector builds (the tests) check every slot a
// caller passes down against the key's own (slotOf).
const checkSlotHints = true
