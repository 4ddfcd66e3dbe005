//go:build !race

package clusternode

// busTestPort is the first of the bus tests' fixed ports (client port; the
// bus is +10000). CI runs this package's tests with and without -race at
// the same time, so the race build takes other ports (busport_race_test.go).
const busTestPort = 17240
