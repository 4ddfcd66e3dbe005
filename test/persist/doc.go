// Package persist holds process tests of RDB persistence: dump.rdb files
// exchanged with a real redis-server 7.0 in both directions, BGSAVE's
// point-in-time consistency under concurrent writes, the final save on
// SIGTERM, MISCONF after a failed save, and refusal of corrupt files.
package persist
