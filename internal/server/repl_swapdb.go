package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/shoal-db/shoal/internal/command"
)

// repl-diskless-load swapdb (Redis 7.0's readSyncBulkPayload with a temp
// db): the master's payload is parsed from the socket into a keyspace
// aside (keyspace.NewTemp) while this node keeps its own data. If the load
// fails, the old data and functions stay as they were; if it succeeds, the
// two are swapped under every stripe lock and the old data is dropped.
//
// When the master's replication ID is the one this node already follows
// (a resync of the same history), the old data keeps being served during
// the load: INFO says async_loading:1 and loading:0, and only commands
// flagged no_async_loading (REPLICAOF, SAVE, CLUSTER changes…) and
// CONFIG SET of deny-loading directives get -LOADING. With another ID the
// old data is a different history: clients get -LOADING as for any load.

// loadSwapdb loads a full sync's payload into a keyspace aside and swaps it
// in; on error this node's data and functions are untouched.
func (s *Server) loadSwapdb(ml *masterLink, body io.Reader, id string, off int64, usemark bool, size int64) error {
	ml.applyMu.Lock()
	defer ml.applyMu.Unlock()
	if ml.stopped.Load() {
		return nil
	}
	// The AOF stops for the load and restarts from the new dataset
	// (stopAppendOnly before the load, restartAOFAfterSYNC after).
	s.aof.mu.Lock()
	aofOn := s.aof.w.Load() != nil
	s.stopAOF()
	s.aof.mu.Unlock()

	async := id == s.replHistory().ID
	tmp := s.ks.NewTemp()
	s.Logf('*', "MASTER <-> REPLICA sync: Loading DB in memory")
	s.loading.reset(max(size, 0))
	ld := &s.loading.active
	if async {
		ld = &s.loading.async
	}
	ld.Store(true)
	var fns [][]byte
	rec := &readErrRecorder{r: body}
	err := s.loadRDBInto(tmp, rec, false, &fns)
	if err == nil {
		// The payload's libraries replace this node's (Redis swaps in the
		// functions context loaded with the keys); one that does not
		// compile fails the load before anything changed.
		err = s.swapFunctions(fns)
		if err != nil {
			s.ks.DropTemp(tmp)
		}
	}
	if err != nil {
		ld.Store(false)
		s.Logf('*', "MASTER <-> REPLICA sync: Discarding temporary DB in background")
		if e := rec.first(); e != nil {
			if isTimeout(e) {
				return errTransferTimeout
			}
			return fmt.Errorf("I/O error trying to sync with MASTER: %v", e)
		}
		return fmt.Errorf("Failed trying to load the MASTER synchronization DB from socket: %v", err)
	}
	s.Logf('*', "MASTER <-> REPLICA sync: Swapping active DB with loaded DB")
	s.ks.LockAll()
	s.ks.SwapIn(tmp)
	s.ks.UnlockAll()
	s.track.flushed() // trackingInvalidateKeysOnFlush
	if s.blocking.count.Load() > 0 {
		var ready []blockKey
		for i := range s.ks.NumDBs() {
			ready = s.blocking.appendKeysOf(ready, i)
		}
		s.blocking.signal(ready)
	}
	s.repl.localMu.Lock()
	s.repl.local = nil // flushSlaveKeysWithExpireList
	s.repl.localMu.Unlock()
	ld.Store(false)
	s.ks.DropTemp(tmp)
	s.Logf('*', "MASTER <-> REPLICA sync: Discarding old DB in background")
	s.attachLoadedDataset(ml, id, off, usemark)
	if aofOn {
		s.aof.mu.Lock()
		s.restartAOFAfterSync()
		s.aof.mu.Unlock()
	}
	return nil
}

// swapFunctions makes codes this node's function libraries, all of them
// or (on error) none.
func (s *Server) swapFunctions(codes [][]byte) error {
	if len(codes) == 0 {
		s.scripts.Functions.Flush()
	} else if msg := s.scripts.Functions.Restore(codes, "FLUSH"); msg != "" {
		s.Logf('#', "Failed loading library, %s", msg)
		return errors.New(msg)
	}
	s.scriptLock.wide.Clear()
	return nil
}

// asyncLoadingDenied reports whether spec (or, for EXEC, a command queued
// in the transaction) may not run during an async load.
func asyncLoadingDenied(c *client, spec *command.Spec) bool {
	if spec.Has(command.FlagNoAsyncLoading) {
		return true
	}
	if spec.Name == "exec" {
		for _, q := range c.queued {
			if q.spec.Has(command.FlagNoAsyncLoading) {
				return true
			}
		}
	}
	return false
}
