// Package nodesconf reads and writes nodes.conf, the cluster configuration
// file of Redis Cluster, in the exact format of Redis 7.0.15.
//
// A file is one line per known node, then a vars line:
//
//	<id> <ip>:<port>@<cport>[,<hostname>] <flags> <master-id|-> <ping-sent> <pong-recv> <config-epoch> <link-state> [<slot>|<start>-<end>]... [[<slot>->-<id>]|[<slot>-<-<id>]]...
//	vars currentEpoch <n> lastVoteEpoch <n>
//
// This is the CLUSTER NODES text (Redis writes both with
// clusterGenNodesDescription), minus nodes in handshake. Migration marks
// appear only on the myself line. A slave's config-epoch field holds its
// master's config epoch. Older files without "@cport" are read with
// cport = port+10000, as Redis does.
//
// Parse accepts every file Redis 7.0.15 writes and rejects what Redis rejects
// (a bad node ID, fewer than eight fields, an unknown flag, a slot out of
// range, no myself node). It is stricter than Redis where Redis silently
// tolerates hand edits it never writes itself: non-numeric numbers (Redis uses
// atoi), quotes, duplicate node lines, a slot owned twice, reversed ranges,
// marks on a line other than myself, a migrating and importing mark on one
// slot, and IDs (master, mark target) with no line of their own. Every error
// names the line number and quotes the line.
//
// Marshal writes what Redis writes for the same state: flags in Redis's fixed
// order, slots as merged ascending runs, marks by ascending slot, a newline
// after every line. Node order is the File's; Redis's own order is its hash
// table's, which varies from process to process.
//
// WriteDurable is the runner's durable save: nodes.conf rewritten in place
// as Redis rewrites it (padded with '\n', then truncated), made safe against
// a torn write by a checksummed journal beside it written and fdatasynced
// first; ReadFile reads the journal's text back when a crash left the file
// torn (durable.go). WriteInPlace is the save Redis does without fsync.
// WriteAtomic replaces a file by temp file + fsync + rename + directory fsync.
// Lock takes the flock(2) Redis takes on nodes.conf, so neither a Shoal nor a
// Redis node can share a config file with a running Shoal node; WriteAtomic
// carries that lock over to the new file it renames into place.
package nodesconf
