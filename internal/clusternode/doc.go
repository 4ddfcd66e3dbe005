// Package clusternode runs a node's cluster core (internal/cluster): it
// owns nodes.conf (locked for the life of the process, loaded at start,
// rewritten atomically after every change and before the change is
// observed; fsynced too unless the core says Redis would not (SyncConfig)), ticks the core, serializes every operation on it, and
// publishes the core's Topology snapshots through an atomic pointer for the
// request path.
//
// # The bus
//
// With Options.BusPort set the runner also drives the cluster bus
// (Config.Bus): it listens on the bus port (bus.go), dials the links the
// core asks for, translates messages between the core's model and the
// Redis 7.0 wire format (wire.go) and feeds every link event to the core —
// Accept, Step, LinkConnected, LinkClosed — under the one mutex that also
// serializes Do and the 100 ms tick. After each event it carries out Ready
// in the core's documented order: logs; nodes.conf fsynced before anything
// is sent; Disconnect; Connect; Messages (queued for links still
// connecting, dropped for closed ones); then deliveries and data changes go
// to the worker goroutine (worker.go).
//
// The bus is never starved: its goroutines take only the runner's mutex,
// whose holders never wait on the keyspace or on client connections; link
// writes go to per-link queues (a full queue closes the link, as Redis's
// send buffer limit does); and keyspace changes (DelSlotKeys) and Pub/Sub
// deliveries run on the worker, off the bus goroutines.
//
// Locks: nothing holding Node's mutex waits for a keyspace stripe — Do's fn
// reads only the keyspace's atomic counters, and the data changes of Do's
// Ready are carried out by its caller after Do returns — so a caller that
// holds stripes may call Do (EXEC running PUBLISH or CLUSTER RESET).
package clusternode
