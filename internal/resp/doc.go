// Package resp implements the Redis serialization protocol, versions 2 and 3:
// a resumable, allocation-free command reader (multibulk and inline) and an
// append-style reply writer. It imports nothing of Shoal's.
package resp
