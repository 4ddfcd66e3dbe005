// Package server is the network edge of a node: the accept loop, one
// goroutine per connection reading pipelined commands and flushing their
// replies once per batch, client state (auth, db, MULTI, WATCH, pub/sub,
// RESP version), the checks Redis makes before running a command, and
// dispatch to the command table with the command's stripes locked.
//
// Lock order: keyspace stripes (ascending) → DB watch mutex; the pub/sub
// hub lock and a client's output lock are never held while taking a stripe.
package server
