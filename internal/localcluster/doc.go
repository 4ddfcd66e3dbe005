// Package localcluster starts, stops and wipes a Redis Cluster of
// shoal-server processes on this machine (shoal-cli --cluster-local): the
// cluster tutorial's six nodes on ports 7001-7006 by default, each in its
// own directory with the tutorial's five-line redis.conf.
package localcluster
