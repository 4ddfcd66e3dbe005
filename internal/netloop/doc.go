// Package netloop is an epoll event-loop transport for Linux, the way Redis
// itself does I/O: a few loops (one per two cores) each own a set of
// non-blocking sockets, read whatever is ready, hand the bytes to the
// server, and write the replies back, with no goroutine per connection.
// Go's netpoller costs a park/unpark, a scheduler pass and an extra
// EAGAIN read per request; on a request/response protocol that is a large
// share of the CPU a request costs.
//
// Each connection reads into its own input buffer, as Redis reads into a
// client's query buffer: at least 16 KB of room per read, exactly a large
// frame's length when the handler says it (WantIn), trimmed by the handler
// (ShrinkIn, from a function Post runs on the loop).
//
// Threading: a Conn's Handler callbacks run on its loop's goroutine.
// Write and Close are safe from any goroutine (a per-conn mutex guards the
// output buffer). Detach hands a connection to a goroutine for a while
// (blocking commands): until that goroutine returns, it alone owns the
// connection's handler state and the loop neither reads the socket nor
// calls the Handler for it. A close requested meanwhile (Close, the peer
// hanging up, shutdown) only closes the Conn's HUP channel, which tells the
// goroutine to finish; the loop closes the connection, calling OnClose on
// its own goroutine, when the goroutine hands it back.
//
// A watchdog hands a loop stuck in one handler call (a slow script) to a
// new goroutine (handoff_linux.go): the call keeps its connection, as if
// detached, and the loop's other connections are served meanwhile.
//
// Adopt brings a connection that was set up with blocking I/O (a TLS
// handshake) onto the loops; from then on it is served like an accepted
// one, its Context telling the handler what it is.
package netloop
