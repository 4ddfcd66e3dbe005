// Package stream is the ordered write stream (DESIGN decisions 4 and 8):
// every change to the dataset, in the form Redis 7.0 propagates it, as the
// RESP bytes Redis writes to its AOF and sends to its replicas.
//
// Writers append while they still hold the stripe locks of the keys they
// changed, so the stream's order agrees with every key's history even with
// many event loops executing at once. An append is a short critical section
// that copies bytes into the current chunk; nothing else is done under the
// stream's mutex. The offset is the count of bytes appended since the stream
// was created (Redis's master_repl_offset).
//
// SELECT is inserted when the database changes between consecutive entries,
// and a Batch of more than one command is wrapped in MULTI … EXEC as one
// contiguous unit, as Redis's propagatePendingCommands does.
//
// Readers (the AOF writer now, the replication backlog and replicas later)
// start at an offset. A pinning reader (the AOF) holds the chunks it has not
// read yet; any other reader that falls behind the retained window gets
// ErrTrimmed. With no reader and no backlog, appends cost one atomic load.
package stream
