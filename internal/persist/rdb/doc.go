// Package rdb is Redis 7.0's RDB version 10 codec: values as DUMP/RESTORE
// and MIGRATE carry them, and RDB files (BGSAVE, full sync).
//
// Values. Encoder writes a keyspace.Value as rdbSaveObjectType and
// rdbSaveObject do: strings raw, integer-encoded or LZF-compressed; lists
// as QUICKLIST_2 with listpack nodes cut as quicklistPushTail cuts them;
// sets as INTSET or SET; hashes as HASH_LISTPACK or HASH; sorted sets as
// ZSET_LISTPACK or ZSET_2; streams as STREAM_LISTPACKS_2 (stream.go).
// Listpacks, intsets and LZF output are byte-identical to Redis's for the
// same data. The decoder reads every type Redis 7.0 reads, older
// ziplist, zipmap, quicklist v1, linked-list, string-score and type-15
// stream encodings included, and converts encodings after loading as
// rdbLoadObject does, so OBJECT ENCODING matches Redis. Module values are
// refused whole (ErrUnsupportedType).
//
// Payloads. AppendDump / ParseDump are DUMP's format: value, RDB version
// (2 bytes LE), CRC64 (8 bytes LE, Redis's Jones polynomial). ReplyText
// maps a ParseDump error to RESTORE's reply.
//
// Files. Writer and Reader stream an RDB file through bufio: magic, aux
// fields, SELECTDB, RESIZEDB, expiry, key/value pairs, EOF and checksum.
// Reader accepts versions 1–10 and verifies the checksum.
//
// Safety. Decoding never panics and never allocates more than its input
// justifies: every length is checked against the remaining input (or, in
// a stream, read in bounded chunks) before anything is allocated for it.
// A value is returned whole or not at all.
//
// Settings carries the thresholds that choose decoded encodings, the list
// node size and rdbcompression; callers pass the ones in force.
package rdb
