// Package race holds process tests run against a shoal-server built with
// the race detector (testutil.StartShoalRace): the reproductions of the
// races issue #18 found, and a soak test that drives every concurrent part
// of the server at once. A test fails when the server's log holds a
// "WARNING: DATA RACE" report, or when the server dies.
//
// Nodes bind 127.0.0.1 on free ports (cluster nodes set their bus port
// with cluster-port), so concurrent runs cannot collide. Every wait is
// bounded and every process is stopped by pid. The package has no non-test
// code.
package race
