// Package replication holds the parts of Redis 7.0's master/replica
// protocol that do not depend on the server: replication IDs, the PSYNC
// decision a master makes, the framing of the full-sync payload (a
// length-prefixed bulk or the diskless EOF-marker form) and the replica's
// handshake. The server (internal/server/replication*.go) drives them: it
// owns the sockets, the write stream and the keyspace.
//
// Offsets are the write stream's (internal/stream): a replica passes its
// master's stream on byte for byte, so every node of a chain agrees on
// offsets, and a promoted replica keeps its old master's ID as its
// second ID so that its siblings resync partially from it.
package replication
