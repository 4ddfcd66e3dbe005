// Package durability holds process tests of the write stream and the AOF:
// crash tests (kill -9 with appendfsync always and everysec, every
// acknowledged write back after the restart), replay of a random workload
// over every type by a real redis-server 7.0 (and of Redis's files by
// Shoal) compared with DEBUG DIGEST, redis-check-aof on Shoal's files,
// -LOADING during a long load. SHOAL_LONG=1 runs 20 crash rounds.
package durability
