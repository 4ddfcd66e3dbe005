// Package clusterbus is the Redis 7.0 cluster bus wire format: bytes to typed
// messages and back. It decides nothing; the pure cluster core
// (internal/cluster) interprets messages and the runner moves them.
//
// # Format
//
// Every message is a clusterMsg (Redis src/cluster.h): a fixed HeaderLen
// (2256) byte header starting with "RCmb", the total length, protocol
// version 1 and the type, then a body that depends on the type. Numbers are
// big-endian (htons/htonl/htonu64); node ids are 40 raw bytes; IPs are
// NUL-padded 46-byte fields; slot bitmaps are 2048 bytes, slot s at bit s%8
// of byte s/8. TestHeaderOffsets pins every field at Redis's static_assert
// offsets.
//
//	PING, PONG, MEET      Count gossip entries (104 bytes each), then, when
//	                      MFlags[0] has MFlag0ExtData, Extensions ping
//	                      extensions, each 8-byte aligned
//	FAIL                  the failing node's id
//	PUBLISH, PUBLISHSHARD channel and message lengths, then both
//	UPDATE                config epoch, node id, slot bitmap
//	AUTH_REQUEST/ACK,     header only
//	MFSTART
//	MODULE                module id, length, type, payload (kept raw)
//
// Redis 7.0.15 sends one ping extension, the hostname
// (cluster-announce-hostname), and sets MFlag0ExtData only when it does. The
// 7.2 types (forgotten node, shard id; human node name is kept raw) are
// decoded and encoded with 7.2's numbers, but a 7.0 node logs a warning for
// every one it receives, so senders talking to 7.0 should not use them.
// ExtShoalWaitAcked (type 0x5341, one uint64 offset) is Shoal's own, for
// cluster-replica-wait-safe; 7.0 skips it with the same warning.
//
// # Validation
//
// ReadFrame does what clusterReadHandler does before buffering a message
// (signature, totlen at least HeaderLen) plus an upper bound; its errors mean
// the link should be closed. Decode does what clusterProcessPacket checks
// (version, totlen against the type's expected length, extension padding and
// bounds) and rejects types 7.0 does not know; its errors mean the message
// should be logged and dropped while the link stays up. Decode never panics
// (FuzzDecode), and a decoded message re-encodes byte for byte: reserved
// fields are kept.
//
// # Golden data
//
// testdata/captures holds frames recorded from a real redis-server 7.0.15
// cluster by testdata/capture.sh (TestCapture, build tag "capture"): four
// nodes announce a bus port on which a recording proxy forwards to the real
// one, so every bus link passes through it, and the scenario (MEET, steady
// gossip, cluster-announce-ip/hostname, PUBLISH, SPUBLISH, manual failover,
// a stopped master's FAIL and takeover, the UPDATE its stale config earns)
// produces every message type but MODULE. Each file carries the facts
// TestGoldenCaptures asserts (sender's CLUSTER MYID, ports, slots, ...).
//
// # Links
//
// Link owns one TCP connection: a read goroutine that frames, decodes and
// hands messages to a callback (dropping bad ones, closing on a bad stream)
// and a write goroutine draining a bounded queue. Listen accepts inbound
// links (LinkConfig.Wrap wraps each in TLS for tls-cluster), Dial opens
// outbound ones; reconnecting is the runner's job.
// TestInteropMeet MEETs a real redis-server and gets its PONG and PING.
package clusterbus
