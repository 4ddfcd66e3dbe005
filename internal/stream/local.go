package stream

// Local entries: a writable replica's own writes (replica-read-only no).
// Its stream is its master's, byte for byte (offsets, backlog and
// sub-replicas are the master's), so its clients' writes are not part of
// it; but Redis writes them to the replica's AOF (propagate reaches
// feedAppendOnlyFile and stops at replicationFeedSlaves). A local entry
// sits between two stream offsets without taking any: only readers that
// asked for them (IncludeLocal: the AOF writer) see it, at the place it was
// appended, and it changes no offset.
//
// An entry is placed at the stream's end, or, while the master's stream
// has a MULTI open (HoldLocal … ReleaseLocal), before that MULTI: the
// queued commands have not run yet, so a write that happened meanwhile
// comes first when the file is replayed, and it never lands inside the
// transaction. A local reader does not read past an open MULTI.
//
// The stream does not parse its master's bytes, so the applier tells it
// which database they leave it in (AppendRaw's db, SetMasterDB after a
// full sync or an EXEC), and an entry takes its SELECTs from the
// database at the place it goes, found under the same lock that places
// it. (Looked up apart from the placing, a replica's transaction landed
// after the master's EXEC but returned to the database the MULTI had
// begun in, and the master's next command replayed in the wrong database
// after a restart: test/replication TestWritableReplicaAOF.)

type local struct {
	at int64 // stream offset the entry is read at (before the byte at at)
	// skip is how many stream bytes from at the entry stands in for: a
	// split batch's replica part, which the AOF reads as its own part.
	skip int64
	b    []byte
}

// IncludeLocal makes r return the local entries appended from now on.
func (r *Reader) IncludeLocal() {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.local || r.closed || r.stale {
		return
	}
	r.local = true
	r.lseq = s.localBase + uint64(len(s.locals))
	s.localReaders++
	s.hasLocal.Store(true)
}

// KeepsLocal reports whether a reader wants local entries (an AOF is on):
// a writable replica collects its clients' effects only then.
func (s *Stream) KeepsLocal() bool { return s.hasLocal.Load() }

// LocalCount is how many local entries were appended so far.
func (s *Stream) LocalCount() uint64 { return s.localCount.Load() }

// LocalAppended is the stream's LocalCount.
func (r *Reader) LocalAppended() uint64 { return r.s.localCount.Load() }

// LocalDelivered is the sequence number after the last local entry the
// reader returned (comparable with LocalAppended).
func (r *Reader) LocalDelivered() uint64 {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.lseq
}

// AppendLocal appends the batch as a local entry: its commands (wrapped
// in MULTI … EXEC when more than one), with SELECTs from and back to the
// database the master's stream is in where the entry goes (MasterDB, or
// the one an open MULTI began in). It returns the stream offset at which
// it is read, or -1 when no reader keeps local entries.
func (s *Stream) AppendLocal(b *Batch) int64 {
	if b.Len() == 0 || !s.hasLocal.Load() {
		return -1
	}
	v := b
	if b.split {
		v = b.aof // a script's redis.set_repl: a replica has no replicas of its own writes
	}
	u, first, last := b.unit(v)
	if len(u) == 0 {
		return -1
	}
	s.mu.Lock()
	if s.localReaders == 0 {
		s.mu.Unlock()
		return -1
	}
	at, db := s.end, s.masterDB
	if s.hold >= 0 {
		at, db = s.hold, s.holdDB
	}
	e := localEntry(u, first, last, db, db)
	s.locals = append(s.locals, local{at: at, b: e})
	s.localCount.Add(1)
	s.unlockAndWake()
	return at
}

// localEntry is a local entry for unit u, which runs from database first
// to last, read where the stream is in database from and leaving the
// reader in database to (to < 0: the stream selects one before its next
// entry anyway), with the SELECTs that takes.
func localEntry(u []byte, first, last, from, to int) []byte {
	if len(u) == 0 {
		first, last = from, from
	}
	var e []byte
	if first != from {
		e = AppendSelect(e, first)
	}
	e = append(e, u...)
	if last != to && to >= 0 {
		e = AppendSelect(e, to)
	}
	return e
}

// HoldLocal marks the stream's end as the start of an open MULTI of the
// master's stream; ReleaseLocal ends it, after the EXEC (or DISCARD) is
// appended and the database the EXEC left the stream in is known
// (SetMasterDB).
func (s *Stream) HoldLocal() {
	s.mu.Lock()
	if s.hold < 0 {
		s.hold, s.holdDB = s.end, s.masterDB
	}
	s.mu.Unlock()
}

// ReleaseLocal ends HoldLocal and wakes the readers it held.
func (s *Stream) ReleaseLocal() {
	s.mu.Lock()
	if s.hold < 0 {
		s.mu.Unlock()
		return
	}
	s.hold = -1
	s.unlockAndWake()
}

// SetMasterDB records the database the master's stream is in at the
// stream's end: after a full sync (the RDB's repl-stream-db), and after
// the master's EXEC, whose bytes went in before its commands ran.
func (s *Stream) SetMasterDB(db int) {
	s.mu.Lock()
	s.masterDB = db
	s.mu.Unlock()
}

// MasterDB is, on a replica, the database its master's stream is in at
// the stream's end: where the master session applies, what an RDB
// records as repl-stream-db and a new AOF file selects first.
func (s *Stream) MasterDB() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.masterDB
}

// nextLocal is Next's part for a local reader, with s.mu held: the local
// entry due at the reader's offset (ok), or the offset its stream bytes
// must stop at (a later entry's place, an open MULTI; -1: none).
func (r *Reader) nextLocal() (b []byte, limit int64, ok bool) {
	s := r.s
	limit = -1
	for i := int(r.lseq - s.localBase); i < len(s.locals); i = int(r.lseq - s.localBase) {
		e := s.locals[i]
		if e.at > r.off {
			limit = e.at
			break
		}
		r.lseq++
		r.off += e.skip
		s.trimLocal()
		if len(e.b) > 0 {
			return e.b, 0, true
		}
	}
	if s.hold >= 0 && (limit < 0 || s.hold < limit) {
		limit = s.hold
	}
	return nil, limit, false
}

// ready reports whether Next has something to return, with s.mu held.
func (r *Reader) ready() bool {
	s := r.s
	if !r.local {
		return r.off < s.end
	}
	limit := s.end
	if i := int(r.lseq - s.localBase); i < len(s.locals) {
		if s.locals[i].at <= r.off {
			return true
		}
		limit = min(limit, s.locals[i].at)
	}
	if s.hold >= 0 {
		limit = min(limit, s.hold)
	}
	return r.off < limit
}

// trimLocal drops the local entries every local reader has returned.
func (s *Stream) trimLocal() {
	low := s.localBase + uint64(len(s.locals))
	for _, r := range s.readers {
		if r.local && r.lseq < low {
			low = r.lseq
		}
	}
	if n := int(low - s.localBase); n > 0 {
		clear(s.locals[:n])
		s.locals = s.locals[n:]
		s.localBase = low
	}
}

// dropLocalReader forgets a local reader (Close, Reset), with s.mu held.
func (s *Stream) dropLocalReader(r *Reader) {
	if !r.local {
		return
	}
	r.local = false
	s.localReaders--
	s.hasLocal.Store(s.localReaders > 0)
	if s.localReaders == 0 {
		s.locals, s.localBase = nil, s.localBase+uint64(len(s.locals))
	} else {
		s.trimLocal()
	}
}
