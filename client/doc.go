// Package client is Shoal's public Redis client: a RESP2/RESP3 connection
// with pipelining (Conn) and a cluster client (Cluster) that keeps an
// immutable slot-map snapshot and follows MOVED and ASK redirections.
//
// It is what shoal-cli and its --cluster manager are built on; it imports
// only the protocol leaf packages (internal/resp, internal/slot).
//
// Server error replies are values, not Go errors: Do returns the reply and a
// nil error, and ReplyError turns an error reply into a typed error
// (*MovedError, *AskError or *Error) for errors.As. Go errors are kept for
// I/O and protocol failures.
package client
