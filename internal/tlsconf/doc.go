// Package tlsconf turns Redis 7.0's tls-* directives into crypto/tls
// configurations: one for the client port, one for the cluster bus's
// listening side, and one for outbound links (a replica's link to its
// master, the cluster bus, MIGRATE). Load checks the directives as Redis's
// tlsConfigure does and returns errors worded as Redis's log lines; a
// failed Load leaves whatever configuration was in force untouched, which
// is how CONFIG SET of a certificate file reloads it atomically.
//
// What Go's crypto/tls cannot express is documented in docs/tls.md.
package tlsconf
