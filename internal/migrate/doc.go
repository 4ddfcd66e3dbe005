// Package migrate is the network half of MIGRATE: its arguments, the
// cache of connections to target instances (one per host:port while
// MIGRATEs to it come one at a time, a few when they overlap; closed after
// 10 s idle, at most 64, as Redis's MIGRATE_SOCKET_CACHE_*), the
// pipelined AUTH/SELECT/RESTORE batch and the reading of its replies with
// Redis 7.0.15's retry and error rules, and the set of keys in flight.
//
// It knows nothing of the keyspace or of the server: the server
// (internal/server/cmd_migrate.go) serializes values under the stripe
// locks, hands the batch to Cache.Transfer with no lock held and off the
// event loop, then deletes the keys whose RESTORE replied OK. While a key
// is in flight, InFlight makes every other command that touches it wait,
// so MIGRATE stays atomic for the keys it moves (see docs/migrate.md).
package migrate
