// Package cluster holds process tests of the cluster bus: shoal-server
// nodes, alone and mixed with real redis-server 7.0.15 nodes, built into a
// cluster by the real `redis-cli --cluster create`, then checked, used,
// loaded with redis-benchmark, and broken with kill -9.
//
// Every node binds 127.0.0.1 on a fixed port in 17200-17399 (its bus on
// port+10000), runs in a temp dir and is stopped by pid (internal/testutil);
// every wait is bounded. The package has no non-test code.
package cluster
