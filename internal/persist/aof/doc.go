// Package aof is Redis 7.0's multi-part append-only file: the manifest
// (appenddirname/appendfilename.manifest, Redis's exact line format), a base
// file and incremental files; loading them in order (annotations, a
// truncated tail, an RDB-format base); and the Writer that copies the write
// stream (internal/stream) into the current incremental file with the
// appendfsync policy. It knows files and RESP, not commands: loading hands
// each command to the caller, which runs it through the server's dispatch.
package aof
