// Package hll is Redis 7.0's HyperLogLog, bit for bit (hyperloglog.c): a
// string with a 16-byte header ("HYLL", the encoding, three unused bytes,
// the cached cardinality in little endian with its top bit marking it
// stale) followed by 16384 six-bit registers, either dense (12288 bytes)
// or sparse (ZERO, XZERO and VAL opcodes). Elements are hashed with
// MurmurHash64A, seed 0xadc83b19; counts use Ertl's estimator. Because the
// bytes and every transition between encodings match Redis's, an HLL string
// moves between Redis and Shoal unchanged and PFCOUNT gives the same
// estimate on both. The package is pure: no keyspace, no RESP.
package hll
