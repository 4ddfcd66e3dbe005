// Package slot maps keys to Redis Cluster hash slots and represents sets of
// slots.
//
// A key's slot is CRC16 (XMODEM) of the key, or of its hash tag (the bytes
// between the first '{' and the first '}' after it, when non-empty), modulo
// Count. Of and OfString are checked against CLUSTER KEYSLOT answers recorded
// from redis-server 7.0.15 (testdata/gen_keyslots.sh, keyslots.golden) and do
// not allocate.
//
// Range is an inclusive run of slots in the text form CLUSTER NODES and
// nodes.conf use ("0-5460", "7"); Bitmap is a fixed 2 KiB slot set whose
// Ranges method produces the merged runs those outputs print.
package slot
