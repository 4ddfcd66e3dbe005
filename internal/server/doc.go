// Package server is the network edge of a node: connections served by
// epoll event loops (internal/netloop; TLS clients join them after a
// handshake on a goroutine, tls_loop_linux.go; a goroutine per connection
// with SHOAL_IO=goroutine) reading pipelined commands and flushing their replies
// once per batch, client state (auth, db, MULTI, WATCH, pub/sub, RESP
// version), the checks Redis makes before running a command, and dispatch
// to the command table with the command's stripes locked.
//
// Ownership: one goroutine at a time owns a client — its event loop, or
// the goroutine a blocking command runs on until it hands the connection
// back (netloop.Conn.Detach); the client is freed (cleanup) only by its
// owner. Configuration is an immutable settings value swapped atomically on
// CONFIG SET (settings.go); each command reads the one in force when it
// starts. See docs/concurrency.md.
//
// Write path (effects.go): after a handler, still under its stripes, the
// command's effects (command.Ctx.Propagate, or its own arguments when it
// changed something) are appended to the write stream (internal/stream);
// EXEC appends its queue's effects as one MULTI … EXEC unit. The AOF
// (aof.go, aof_rewrite.go) reads the stream; with appendfsync always a
// connection syncs the AOF up to its last entry before its replies leave.
// On an event loop every client's replies of a round leave together at the
// round's end (loop_linux.go OnTurnEnd), after its one AOF write, as
// Redis's beforeSleep sends them.
// A session (session.go) is a client without a socket: AOF loading runs
// commands through the same dispatch with one.
//
// Lock order: server AOF mutex → keyspace stripes (ascending) → stream
// mutex; keyspace stripes → DB watch mutex; the pub/sub hub lock and a
// client's output lock are never held while taking a stripe.
package server
