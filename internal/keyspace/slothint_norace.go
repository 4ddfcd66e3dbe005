//go:build !race

package keyspace

// checkSlotHints: see slothint_race.go.
const checkSlotHints = false
