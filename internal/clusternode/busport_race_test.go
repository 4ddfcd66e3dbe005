//go:build race

package clusternode

// busTestPort for the race build, apart from the plain build's
// (busport_test.go), which CI runs at the same time.
const busTestPort = 17340
