// Package replication holds process tests of master/replica replication:
// real shoal-server and redis-server 7.0 processes in every pairing, a
// random workload over every type, and DEBUG DIGEST compared at the end.
package replication
