package stream

import (
	"errors"
	"sync"
	"sync/atomic"
)

// chunkSize is the size of the buffers the stream's bytes are kept in. An
// entry never straddles two chunks; a larger entry gets a chunk of its own.
const chunkSize = 64 << 10

// ErrTrimmed is returned to a reader whose offset is no longer retained
// (it fell behind the backlog, or asked for an offset before it).
var ErrTrimmed = errors.New("stream: offset no longer retained")

// ErrClosed is returned by a reader after Close.
var ErrClosed = errors.New("stream: reader closed")

type chunk struct {
	start int64  // stream offset of buf[0]
	buf   []byte // written bytes; never modified while retained
	// holders counts the readers whose last Next returned bytes of this
	// chunk (the caller may still be writing them out); under s.mu.
	holders int32
}

// Stream is the ordered write stream. The zero value is not usable; call New.
type Stream struct {
	// active is true while the stream keeps bytes (a reader is attached or
	// a backlog is configured); when false, appends do nothing.
	active atomic.Bool

	mu     sync.Mutex
	chunks []*chunk
	// spare is a trimmed chunk no reader holds, kept for the next one
	// (trim): a stream that moves a backlog along (a master's, a replica's
	// own) would otherwise hand the collector a 64 KB chunk for every 64 KB
	// of commands. It counts in held, as memory the stream keeps.
	spare *chunk
	// held is the retained chunks' capacity (Held); written under mu.
	held    atomic.Int64
	start   int64 // offset of the first retained byte
	end     int64 // offset after the last byte: the replication offset
	lastDB  int   // database of the last entry; -1: SELECT before the next one
	backlog int64 // bytes kept for readers that attach later
	readers []*Reader
	// sleepers are readers waiting for bytes past end.
	sleepers []*Reader
	// wakeDue: a deferred append (AppendDeferred) left a sleeper that
	// only WakeDeferred wakes.
	wakeDue atomic.Bool
	// wokenAt is the end when sleepers were last woken: deferred appends
	// wake them at once when deferWakeBytes have gathered since.
	wokenAt int64
	// inline are the readers with a serve function (SetInline), copied on
	// change: the appender walks it without s.mu.
	inline atomic.Pointer[[]*Reader]

	// Local entries (local.go): a writable replica's own writes, for the
	// readers that include them; hold ≥ 0 is where an open MULTI of the
	// master's stream began.
	locals       []local
	localBase    uint64 // sequence number of locals[0]
	localReaders int
	hasLocal     atomic.Bool
	localCount   atomic.Uint64
	hold         int64
	holdDB       int
	// masterDB is the database a replica's stream (its master's bytes,
	// AppendRaw) is in at its end, as the applier reports it.
	masterDB int
}

// New returns an empty stream whose next byte has offset off.
func New(off int64) *Stream {
	return &Stream{start: off, end: off, lastDB: -1, hold: -1}
}

// Active reports whether appends are kept. Writers may skip building an
// entry when it is false.
func (s *Stream) Active() bool { return s.active.Load() }

// Offset is the offset after the last byte appended (master_repl_offset).
func (s *Stream) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.end
}

// SetBacklog sets how many bytes behind the end are kept for readers that
// attach later (repl-backlog-size); 0 keeps only what readers still need.
func (s *Stream) SetBacklog(n int64) {
	s.mu.Lock()
	s.backlog = n
	s.updateActive()
	s.trim()
	s.mu.Unlock()
}

// ForceSelect makes the next entry start with a SELECT and returns the
// offset it will start at: a reader starting there (a new AOF file, a
// replica after a full sync) needs no earlier bytes to know its database.
func (s *Stream) ForceSelect() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastDB = -1
	return s.end
}

// Append appends one command run in database db, copying argv once, and
// returns the offset after it (0 when the stream is not active).
func (s *Stream) Append(db int, argv ...[]byte) int64 {
	return s.appendCommand(db, argv, false)
}

// deferWakeBytes bounds what deferred appends gather before they wake the
// readers themselves: a round of many pipelines need not reach a replica
// all at its end (its lag), and each write still carries many commands.
const deferWakeBytes = 16 << 10

// AppendDeferred is Append for an event loop's client: the sleeping
// readers are woken by the loop's WakeDeferred at the end of its round,
// once for all the round's appends, as Redis writes to its replicas once
// per event-loop turn (a reader woken per append, on the other core,
// wrote a few bytes each time and cost a wake-up per command). Readers
// marked SelfServed are not woken at all: the appender writes for them.
func (s *Stream) AppendDeferred(db int, argv [][]byte) int64 {
	return s.appendCommand(db, argv, true)
}

func (s *Stream) appendCommand(db int, argv [][]byte, deferred bool) int64 {
	if !s.active.Load() {
		return 0
	}
	n := commandLen(argv)
	s.mu.Lock()
	c := s.reserve(db, n)
	c.buf = AppendCommand(c.buf, argv)
	return s.commit(c, deferred)
}

// AppendBatch appends the batch's commands as one contiguous unit run
// starting in database b's first; more than one command is wrapped in
// MULTI … EXEC. It returns the offset after it (0 when nothing was kept).
func (s *Stream) AppendBatch(b *Batch) int64 { return s.appendBatch(b, false) }

// AppendBatchDeferred is AppendBatch with AppendDeferred's wake-up.
func (s *Stream) AppendBatchDeferred(b *Batch) int64 { return s.appendBatch(b, true) }

func (s *Stream) appendBatch(b *Batch, deferred bool) int64 {
	if b.split {
		if b.total == 0 || !s.active.Load() {
			return 0
		}
		return s.appendSplit(b, deferred)
	}
	if b.n == 0 || !s.active.Load() {
		return 0
	}
	multi := b.n > 1
	n := len(b.buf)
	if multi {
		n += len(multiCmd) + len(execCmd)
	}
	s.mu.Lock()
	c := s.reserve(b.firstDB, n)
	if multi {
		c.buf = append(c.buf, multiCmd...)
	}
	c.buf = append(c.buf, b.buf...)
	if multi {
		c.buf = append(c.buf, execCmd...)
	}
	s.lastDB = b.lastDB
	return s.commit(c, deferred)
}

// appendSplit appends a batch whose commands do not all go to every
// consumer (Batch.AddTo): the replicas' part becomes the stream's bytes,
// and the AOF's part a local entry read in their place (its skip), so the
// AOF gets its commands where they ran and the offsets count only what
// replicas receive, as Redis's master_repl_offset. It returns the offset
// after the unit.
func (s *Stream) appendSplit(b *Batch, deferred bool) int64 {
	repl, rStart, rEnd := b.unit(b)
	aof, aStart, aEnd := b.unit(b.aof)
	s.mu.Lock()
	at, db0 := s.end, s.lastDB
	var c *chunk
	if len(repl) > 0 {
		c = s.reserve(rStart, len(repl))
		c.buf = append(c.buf, repl...)
		s.lastDB = rEnd
	}
	if s.localReaders > 0 {
		end, db1 := s.end, s.lastDB
		if c != nil {
			end = c.start + int64(len(c.buf))
		}
		// An empty AOF part still carries the skipped bytes' SELECT.
		e := localEntry(aof, aStart, aEnd, db0, db1)
		if len(e) > 0 || end > at {
			s.locals = append(s.locals, local{at: at, skip: end - at, b: e})
			s.localCount.Add(1)
		}
	}
	if c == nil {
		s.unlockAndWake()
		return s.end
	}
	return s.commit(c, deferred)
}

const (
	multiCmd = "*1\r\n$5\r\nMULTI\r\n"
	execCmd  = "*1\r\n$4\r\nEXEC\r\n"
)

// reserve returns the chunk an entry of n bytes (plus a SELECT if db
// changed) goes into, with s.mu held, and writes the SELECT.
func (s *Stream) reserve(db, n int) *chunk {
	sel := db != s.lastDB
	if sel {
		n += 32
	}
	var c *chunk
	if k := len(s.chunks); k > 0 {
		c = s.chunks[k-1]
		if cap(c.buf)-len(c.buf) < n {
			c = nil
		}
	}
	if c == nil {
		if n <= chunkSize && s.spare != nil {
			c, s.spare = s.spare, nil
			c.start, c.buf = s.end, c.buf[:0]
		} else {
			size := max(n, chunkSize)
			c = &chunk{start: s.end, buf: make([]byte, 0, size)}
			s.held.Add(int64(size))
		}
		s.chunks = append(s.chunks, c)
		s.trim()
	}
	if sel {
		c.buf = AppendSelect(c.buf, db)
		s.lastDB = db
	}
	return c
}

// commit publishes what was written into c, wakes sleeping readers (or,
// deferred, leaves them to WakeDeferred until deferWakeBytes gathered)
// and unlocks s.mu.
func (s *Stream) commit(c *chunk, deferred bool) int64 {
	s.end = c.start + int64(len(c.buf))
	if cap(c.buf) > chunkSize {
		s.trim() // an entry larger than a chunk may push the window past it
	}
	end := s.end
	if deferred {
		switch {
		case end-s.wokenAt >= deferWakeBytes:
			s.wakeDue.Store(false)
			s.wakeLocked(false)
			s.mu.Unlock()
			s.serveInline()
			return end
		case !s.wakeDue.Load():
			for _, r := range s.sleepers {
				if !r.selfServed {
					s.wakeDue.Store(true)
					break
				}
			}
		}
		s.mu.Unlock()
		return end
	}
	s.unlockAndWake()
	return end
}

// unlockAndWake wakes the readers sleeping for bytes and releases s.mu.
func (s *Stream) unlockAndWake() {
	s.wakeLocked(true)
	s.mu.Unlock()
}

// wakeLocked wakes the sleeping readers, all of them or (all false)
// those not SelfServed, which keep sleeping. Needs s.mu.
func (s *Stream) wakeLocked(all bool) {
	s.wokenAt = s.end
	// The kept readers move down in place, written only where one moves
	// and the slice only when it shrank: this runs for every append, and
	// a pointer written while the collector marks goes through its write
	// barrier (a replica applies its master's stream with none asleep).
	n := 0
	for i, r := range s.sleepers {
		if !all && r.serve != nil && !r.selfServed {
			// The appender serves it once s.mu is released (serveInline);
			// it stays asleep unless that fails.
			r.serveDue.Store(true)
		}
		if !all && (r.selfServed || r.serve != nil) {
			if n != i {
				s.sleepers[n] = r
			}
			n++
			continue
		}
		r.sleeping = false
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	if n != len(s.sleepers) {
		clear(s.sleepers[n:])
		s.sleepers = s.sleepers[:n]
	}
}

// WakeDeferred wakes the readers that deferred appends left sleeping. An
// event loop calls it at the end of each round (and the server's cron, so
// that no append waits long for a round that does not come).
func (s *Stream) WakeDeferred() {
	if !s.wakeDue.Load() {
		return
	}
	s.mu.Lock()
	s.wakeDue.Store(false)
	s.wakeLocked(false)
	s.mu.Unlock()
	s.serveInline()
}

// serveInline runs the serve function of each inline reader that
// deferred appends left due, on the appender's goroutine; a serve that
// could not take everything wakes its reader's own goroutine.
func (s *Stream) serveInline() {
	rs := s.inline.Load()
	if rs == nil {
		return
	}
	for _, r := range *rs {
		if r.serveDue.Load() && r.serveDue.Swap(false) && !r.serve() {
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	}
}

// SetInline gives the reader a serve function that the appenders of
// deferred entries call at the end of their round (WakeDeferred) or at the
// wake threshold, on their own goroutine, instead of waking the reader's
// goroutine: a master's event loop writes to a replica's socket itself,
// as Redis's beforeSleep does, and no other thread wakes. serve must not
// block; it returns false when it could not take every byte (its socket
// was full, another goroutine was feeding it), and the reader's goroutine
// is then woken as without it. serve runs with no stream lock held and
// may call Next.
func (r *Reader) SetInline(serve func() bool) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	r.serve = serve
	s.publishInline()
}

// publishInline copies the inline readers into s.inline. Needs s.mu.
func (s *Stream) publishInline() {
	var rs []*Reader
	for _, r := range s.readers {
		if r.serve != nil && !r.closed {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		s.inline.Store(nil)
		return
	}
	s.inline.Store(&rs)
}

// trim drops chunks no pinning reader needs that lie wholly before the
// backlog window, and moves the first retained offset up to the window
// (or the first pinning reader), even inside a chunk: a large entry (a
// transaction) does not make its whole chunk a backlog a PSYNC can
// continue from. Called with s.mu held.
func (s *Stream) trim() {
	keep := s.end - s.backlog
	for _, r := range s.readers {
		if r.pin && r.off < keep {
			keep = r.off
		}
	}
	drop := 0
	for drop < len(s.chunks)-1 {
		c := s.chunks[drop]
		if c.start+int64(len(c.buf)) > keep {
			break
		}
		drop++
	}
	if drop > 0 {
		for _, c := range s.chunks[:drop] {
			if s.spare == nil && c.holders == 0 && cap(c.buf) == chunkSize {
				s.spare = c // no reader is writing its bytes out
				continue
			}
			s.held.Add(-int64(cap(c.buf)))
		}
		copy(s.chunks, s.chunks[drop:])
		for i := len(s.chunks) - drop; i < len(s.chunks); i++ {
			s.chunks[i] = nil
		}
		s.chunks = s.chunks[:len(s.chunks)-drop]
	}
	if len(s.chunks) > 0 {
		s.start = max(s.chunks[0].start, min(keep, s.end))
	} else {
		s.start = s.end
	}
}

func (s *Stream) updateActive() {
	s.active.Store(len(s.readers) > 0 || s.backlog > 0)
}

// DB is the database the stream is in after its last entry (-1: the next
// entry selects one).
func (s *Stream) DB() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastDB
}

// Held is the memory the retained bytes take: their chunks' capacity.
// One atomic load, safe from any goroutine (the server counts it in used
// memory as it changes, and leaves it out of the eviction decision).
func (s *Stream) Held() int64 { return s.held.Load() }

// Start is the first offset still retained.
func (s *Stream) Start() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Pinning readers that moved on since the last trim (the AOF) no
	// longer hold the bytes behind them: a PSYNC must not continue from
	// data the backlog alone would not keep.
	s.trim()
	return s.start
}

// Reader reads the stream from an offset. A Reader is used by one goroutine.
type Reader struct {
	s      *Stream
	off    int64
	pin    bool
	closed bool
	// stale: the stream was Reset under the reader, whose offset now
	// means nothing; it gets ErrTrimmed.
	stale bool
	wake  chan struct{}
	// sleeping: the reader is on s.sleepers; selfServed: deferred
	// appends do not wake it (SetSelfServed).
	sleeping, selfServed bool
	// serve feeds the reader from the appender's goroutine (SetInline);
	// serveDue: deferred appends left it bytes to serve.
	serve    func() bool
	serveDue atomic.Bool
	// local: the reader returns local entries too; lseq is the sequence
	// number of the next one (local.go).
	local bool
	lseq  uint64
	// holding is the chunk the last Next returned bytes of (its holders
	// count this reader), nil if none.
	holding *chunk
}

// NewReader attaches a reader at offset off, which must be retained
// (Start ≤ off ≤ Offset). A pinning reader keeps every byte it has not read
// yet; others get ErrTrimmed once they fall behind the backlog.
func (s *Stream) NewReader(off int64, pin bool) (*Reader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off < s.start || off > s.end {
		return nil, ErrTrimmed
	}
	r := &Reader{s: s, off: off, pin: pin, wake: make(chan struct{}, 1)}
	s.readers = append(s.readers, r)
	s.updateActive()
	return r, nil
}

// Offset is the offset of the next byte the reader returns.
func (r *Reader) Offset() int64 { return r.off }

// SetSelfServed marks a reader whose bytes the appenders of deferred
// entries read for it themselves (the AOF writer, flushed by the loop
// before its replies leave): WakeDeferred does not wake it.
func (r *Reader) SetSelfServed() {
	r.s.mu.Lock()
	r.selfServed = true
	r.s.mu.Unlock()
}

// Next returns the bytes from the reader's offset up to at most the end of
// one chunk, and advances past them; nil when it is at the end. The bytes
// stay unmodified until the reader's next Next, or for good once it is
// closed (the caller may still be writing them out then); the caller must
// not modify them either.
func (r *Reader) Next() ([]byte, error) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.holding != nil { // the caller is done with the last bytes
		r.holding.holders--
		r.holding = nil
	}
	if r.closed {
		return nil, ErrClosed
	}
	if r.off < s.start || r.stale {
		return nil, ErrTrimmed
	}
	limit := s.end
	if r.local {
		b, at, ok := r.nextLocal()
		if ok {
			return b, nil
		}
		if at >= 0 && at < limit {
			limit = at
		}
	}
	if r.off >= limit {
		return nil, nil
	}
	// Chunks are few; the reader is usually in the first ones.
	for _, c := range s.chunks {
		if e := c.start + int64(len(c.buf)); r.off < e {
			e = min(e, limit)
			b := c.buf[r.off-c.start : e-c.start]
			r.off = e
			c.holders++
			r.holding = c
			return b, nil
		}
	}
	return nil, nil
}

// Wait returns a channel that receives when bytes past the reader's offset
// may be available (at once if they already are).
func (r *Reader) Wait() <-chan struct{} {
	s := r.s
	s.mu.Lock()
	if r.ready() || r.closed || r.stale {
		s.mu.Unlock()
		select {
		case r.wake <- struct{}{}:
		default:
		}
		return r.wake
	}
	if !r.sleeping {
		r.sleeping = true
		s.sleepers = append(s.sleepers, r)
	}
	s.mu.Unlock()
	return r.wake
}

// Close detaches the reader; the stream stops keeping bytes for it.
func (r *Reader) Close() {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	s.dropLocalReader(r)
	for i, x := range s.readers {
		if x == r {
			s.readers = append(s.readers[:i], s.readers[i+1:]...)
			break
		}
	}
	if r.serve != nil {
		s.publishInline()
	}
	s.updateActive()
	s.trim()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// AppendStrings is Append for string arguments (the keyspace's expiry hook
// appends DEL key without converting the key).
func (s *Stream) AppendStrings(db int, argv ...string) int64 {
	if !s.active.Load() {
		return 0
	}
	n := headerLen(len(argv))
	for _, a := range argv {
		n += headerLen(len(a)) + len(a) + 2
	}
	s.mu.Lock()
	c := s.reserve(db, n)
	c.buf = appendHeader(c.buf, '*', len(argv))
	for _, a := range argv {
		c.buf = appendHeader(c.buf, '$', len(a))
		c.buf = append(c.buf, a...)
		c.buf = append(c.buf, '\r', '\n')
	}
	return s.commit(c, false)
}

// NewReaderAtEnd attaches a reader at the current end and makes the next
// entry start with a SELECT, in one step: the reader (a new AOF file, a
// replica after a full sync) needs no earlier byte to know its database.
func (s *Stream) NewReaderAtEnd(pin bool) *Reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastDB = -1
	r := &Reader{s: s, off: s.end, pin: pin, wake: make(chan struct{}, 1)}
	s.readers = append(s.readers, r)
	s.updateActive()
	return r
}

// AppendRaw appends b, RESP commands already encoded elsewhere (a
// replica passes its master's stream on byte for byte, so that its
// offsets are its master's), after which the stream is in database db
// (SameDB: b selects none, as a PING, or not yet known, as inside a
// transaction: SetMasterDB says). It returns the offset after b (0 when
// the stream is not active).
func (s *Stream) AppendRaw(db int, b []byte) int64 {
	if db != SameDB && !s.active.Load() {
		s.SetMasterDB(db) // nothing kept, but local entries start from it
	}
	if len(b) == 0 || !s.active.Load() {
		return 0
	}
	s.mu.Lock()
	c := s.reserve(s.lastDB, len(b))
	c.buf = append(c.buf, b...)
	if db != SameDB {
		s.lastDB, s.masterDB = db, db
	}
	return s.commit(c, false)
}

// AppendReplicasOnly is AppendRaw for bytes that select no database and
// that Redis sends to replicas only (the master's PING and REPLCONF
// GETACK, PUBLISH standalone): they take their offset, and the readers of
// local entries (the AOF) skip them.
func (s *Stream) AppendReplicasOnly(b []byte) int64 {
	if len(b) == 0 || !s.active.Load() {
		return 0
	}
	s.mu.Lock()
	c := s.reserve(s.lastDB, len(b))
	at := c.start + int64(len(c.buf))
	c.buf = append(c.buf, b...)
	if s.localReaders > 0 {
		s.locals = append(s.locals, local{at: at, skip: int64(len(b))})
		s.localCount.Add(1)
	}
	return s.commit(c, false)
}

// SameDB is AppendRaw's db for bytes that select no database.
const SameDB = -2

// Reset discards every byte and makes off the next offset (a replica
// after a full sync takes its master's offset). Readers attached before
// get ErrTrimmed: their offsets belong to the history just dropped.
func (s *Stream) Reset(off int64) {
	s.mu.Lock()
	for _, r := range s.readers {
		s.dropLocalReader(r)
		r.stale = true
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	s.readers = nil
	s.inline.Store(nil)
	s.chunks, s.spare = nil, nil // a stale reader may still be writing a chunk out
	s.held.Store(0)
	s.start, s.end, s.lastDB, s.hold = off, off, -1, -1
	s.updateActive()
	s.unlockAndWake()
}
