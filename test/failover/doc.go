// Package failover holds process tests of failover: shoal-server nodes,
// alone and mixed with real redis-server 7.0.15 nodes, built into a cluster
// by the real `redis-cli --cluster create`, then broken with kill -9 and
// switched with CLUSTER FAILOVER (default, FORCE, TAKEOVER); and CLIENT
// PAUSE, which a master's manual failover uses, compared with redis-server.
//
// Every node binds 127.0.0.1 on a fixed port in 21600-21799 (its bus on
// port+10000), runs in a temp dir and is stopped by pid (internal/testutil);
// every wait is bounded. The package has no non-test code.
package failover
