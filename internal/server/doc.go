// Package server is the network edge of a node: the accept loop, one
// goroutine per connection reading pipelined commands and flushing their
// replies once per batch, client state (auth, db, MULTI, WATCH, pub/sub,
// RESP version), the checks Redis makes before running a command, and
// dispatch to the command table with the command's stripes locked.
//
// Write path (effects.go): after a handler, still under its stripes, the
// command's effects (command.Ctx.Propagate, or its own arguments when it
// changed something) are appended to the write stream (internal/stream);
// EXEC appends its queue's effects as one MULTI … EXEC unit. The AOF
// (aof.go, aof_rewrite.go) reads the stream; with appendfsync always a
// connection syncs the AOF up to its last entry before its replies leave.
// A session (session.go) is a client without a socket: AOF loading runs
// commands through the same dispatch with one.
//
// Lock order: server AOF mutex → keyspace stripes (ascending) → stream
// mutex; keyspace stripes → DB watch mutex; the pub/sub hub lock and a
// client's output lock are never held while taking a stripe.
package server
