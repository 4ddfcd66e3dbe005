// Package clustermgr is shoal-cli's --cluster manager: create, check, info,
// fix, reshard, rebalance, add-node, del-node, call, set-timeout, import,
// backup and help, with redis-cli 7.0.15's behaviour and output line for
// line (clusterManagerCommand* in redis-cli.c), built on the public client
// package.
//
// The manager loads the cluster as redis-cli does: the entry node's CLUSTER
// NODES names its friends, each friend is asked for its own view, and the
// node list keeps that order. Beyond redis-cli, --cluster-parallel N lets
// reshard and rebalance move up to N slots at a time with larger MIGRATE
// batches.
package clustermgr
