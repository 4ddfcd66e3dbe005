// Package clusternode runs a node's cluster core (internal/cluster): it
// owns nodes.conf (locked for the life of the process, loaded at start,
// rewritten atomically with fsync after every change and before the change
// is observed), ticks the core, serializes every operation on it, and
// publishes the core's Topology snapshots through an atomic pointer for the
// request path.
//
// Lock order: Node's mutex, then keyspace stripes (a caller of Do may lock
// stripes inside fn or after; nothing that holds a stripe may call Do).
//
// The cluster bus is a later layer; it will feed the core through Do and
// carry out Ready's messages after the config is saved.
package clusternode
