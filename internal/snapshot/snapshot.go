// Package snapshot takes point-in-time snapshots of the keyspace without
// fork and without copying it (DESIGN decision 9), for BGSAVE, and later a
// replica's full sync and an AOF rewrite.
//
// A snapshot is taken at a point: Start installs it as the keyspace's write
// observer while every stripe is held, so no command is half done, and runs
// a caller's hook there (to read the write stream's offset). From then on
// each slot (of every database) is serialized exactly once, as it was at
// the point:
//   - by the walk (Run), which visits the slots in order: under the
//     slot's stripe lock it encodes the collections and copies the string
//     entries, then encodes the copies with the stripe released and the
//     slot's writers kept waiting (a GET on the stripe's other slots never
//     waits for the encoder, nor for the walk's thread when the kernel
//     preempts it mid-slot); or
//   - by a writer that is about to change a key of a slot the walk has
//     not reached: the keyspace (and the dispatcher, for collections
//     changed in place) calls BeforeKeyWrite with the stripe held, before
//     any change, and that key alone is serialized there and queued for the
//     walk to emit, and skipped when its slot is serialized; a change to
//     a whole slot (BeforeSlotWrite) serializes the slot.
//
// Whether a slot is done is a plain flag read and written under the slot's
// stripe lock. FLUSHDB/FLUSHALL hand the tables of the slots not yet done
// to the snapshot (they are no longer the keyspace's, so nothing changes
// them), and SWAPDB moves where a snapshot database lives; both run under
// LockAll. Extra memory is what writers force out ahead of the walk, and
// the walk drains it between slots. Writers never wait for the walk (but
// for the slot it is encoding): a write pays serializing its keys, or one
// slot (about 1/16384 of the data) for a slot-wide change.
// With no snapshot running a write pays one atomic load.
package snapshot

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/slot"
)

// Encoder appends one key's record to dst. It is called concurrently (by
// the walk and by writers on other stripes), with the key's stripe held
// or (the walk's string records) with every writer of the key's slot kept
// waiting, so it must be a pure function of its arguments, and must not
// keep v's collection past its return. expireMs is -1 for a key without a TTL. An
// error (a value the format cannot hold) fails the whole snapshot: Run
// returns it, so no file is written that silently lacks a key.
type Encoder func(dst []byte, key string, v keyspace.Value, expireMs int64) ([]byte, error)

// Chunk is the encoded records of one slot of one database.
type Chunk struct {
	DB   int // database index as of the snapshot point
	Keys int
	Data []byte
}

// DBSize is a database's size at the snapshot point (RDB's RESIZEDB hint).
type DBSize struct{ Keys, Volatile int64 }

// Stats describe a finished (or running) snapshot.
type Stats struct {
	Keys         int64 // records emitted
	ForcedSlots  int64 // slots serialized by writers ahead of the walk
	ForcedKeys   int64 // keys serialized by writers ahead of the walk
	ForcedBytes  int64 // bytes both produced (the extra memory writers caused)
	PeakPending  int64 // most forced bytes waiting for the walk at once
	SlotsWalked  int64
	FlushedDBs   int64 // databases flushed while the snapshot ran
	SwappedPairs int64
}

// ErrCancelled is Run's error after Cancel.
var ErrCancelled = errors.New("snapshot cancelled")

// Snapshot is one point-in-time view of the keyspace being serialized.
type Snapshot struct {
	ks  *keyspace.Keyspace
	enc Encoder

	// done[s]: slot s is serialized. Read and written under s's stripe.
	done [slot.Count]bool
	// keyed[s] holds the keys of slot s (whatever their database) a writer
	// reached before the walk: each key's records as of the point were
	// serialized then (or it had none), so the slot's serialization skips
	// them. Read and written under s's stripe while done[s] is false.
	keyed [slot.Count]map[string]struct{}
	// dbAt[d] is the keyspace index where the snapshot's database d lives
	// now (SWAPDB moves databases). Written under LockAll.
	dbAt []int
	// flushed[d], once database d was flushed, holds its tables as of the
	// point for the slots not yet done; the keyspace's database d then
	// holds only later data. Written under LockAll; an element is cleared
	// under its slot's stripe once serialized.
	flushed [][]keyspace.SlotData
	// Sizes are the databases' sizes at the point.
	Sizes []DBSize
	// Aux are extra RDB aux fields the caller recorded at the point (the
	// replication ID and offset a restart or a replica continues from).
	Aux [][2]string

	mu      sync.Mutex
	pending []Chunk // serialized by writers, waiting for the walk
	// keyChunks[d] gathers database d's keys writers serialized one by
	// one, until it is large enough to join pending (or the walk drains).
	keyChunks []Chunk
	// spare holds the buffers of forced chunks the walk has emitted, for
	// the next writer to serialize into: a forced slot then neither
	// allocates nor grows a buffer. Writers reach slots ahead of the walk
	// on every random write; growing a fresh buffer each time (about a
	// dozen allocations per slot, zeroed, often on pages new to the
	// process) was a third of what a BGSAVE cost the event loop.
	spare [][]byte

	// The walk encodes a slot from copies of its tables' entries (copies,
	// one per database) taken under the slot's stripe, with the stripe
	// released: a GET on another slot of the stripe does not wait for the
	// encoder, nor for the walk's thread when the kernel preempts it
	// mid-slot. walking is s+1 while that runs for slot s (0: no slot),
	// and encoding is held; a writer of s waits on encoding
	// (BeforeSlotWrite), since the records must not change meanwhile.
	walking  atomic.Int32
	encoding sync.Mutex
	copies   []keyspace.SlotCopy
	encs     []encState // the walk's chunk per database

	// Pace, when set before Run, is called by the walk between slots,
	// with no stripe held: a background save (BGSAVE) rests there so
	// that it leaves the event loops a core (see Pacer).
	Pace func()

	held      bool // StartHeld: the caller holds every stripe
	cancelled atomic.Bool
	encErr    atomic.Pointer[error] // the first Encoder error; Run returns it
	stats     struct {
		keys, forcedSlots, forcedKeys, forcedBytes, pendingBytes, peakPending, walked, flushed, swapped atomic.Int64
	}
}

// ErrBusy is Start's error while another snapshot runs.
var ErrBusy = errors.New("a snapshot is already running")

func newSnapshot(ks *keyspace.Keyspace, enc Encoder) *Snapshot {
	n := ks.NumDBs()
	sn := &Snapshot{ks: ks, enc: enc, dbAt: make([]int, n), flushed: make([][]keyspace.SlotData, n), Sizes: make([]DBSize, n), keyChunks: make([]Chunk, n)}
	for d := range sn.dbAt {
		sn.dbAt[d] = d
	}
	for d := range sn.Sizes {
		db := ks.DB(d)
		sn.Sizes[d] = DBSize{db.Len(), db.Volatile()}
	}
	return sn
}

// Start takes a snapshot of ks now. atPoint, if not nil, runs at the
// snapshot point with every stripe held (no write is in progress), to read
// what must agree with it, such as the write stream's offset. Only one
// snapshot may run at a time (ErrBusy); the caller must Run or Cancel it.
// The caller must hold no stripe.
func Start(ks *keyspace.Keyspace, enc Encoder, atPoint func(*Snapshot)) (*Snapshot, error) {
	ks.LockAll()
	defer ks.UnlockAll()
	if ks.Observed() {
		return nil, ErrBusy
	}
	sn := newSnapshot(ks, enc)
	if atPoint != nil {
		atPoint(sn)
	}
	ks.SetObserver(sn)
	return sn, nil
}

// StartHeld is Start for a caller that holds every stripe and keeps them
// until Run returns (a save at shutdown, or FLUSHALL's): nothing changes
// meanwhile, so no observer is installed and the walk takes no lock.
func StartHeld(ks *keyspace.Keyspace, enc Encoder) *Snapshot {
	sn := newSnapshot(ks, enc)
	sn.held = true
	return sn
}

// slotData is slot s of database d as of the point (from the tables a
// FLUSHDB handed over, which it then forgets). Needs s's stripe held and
// done[s] false.
func (sn *Snapshot) slotData(s, d int) keyspace.SlotData {
	sd := sn.peekSlotData(s, d)
	if f := sn.flushed[d]; f != nil {
		f[s] = keyspace.SlotData{}
	}
	return sd
}

// peekSlotData is slotData without taking a flushed table over.
func (sn *Snapshot) peekSlotData(s, d int) keyspace.SlotData {
	if f := sn.flushed[d]; f != nil {
		return f[s]
	}
	return sn.ks.DB(sn.dbAt[d]).Slot(s)
}

// serialize encodes slot s of every database as of the point, handing
// each non-empty database's chunk to out. Needs s's stripe held and
// done[s] false; sets it.
func (sn *Snapshot) serialize(s int, bufs [][]byte, out func(d int, keys int, data []byte)) {
	sn.done[s] = true
	skip := sn.keyed[s]
	sn.keyed[s] = nil
	for d := range sn.dbAt {
		sd := sn.slotData(s, d)
		if sd.Len() == 0 {
			continue
		}
		e := encState{sn: sn, skip: skip}
		if bufs != nil {
			e.buf = bufs[d][:0]
		} else {
			e.buf = sn.spareBuf()
		}
		sd.ForEach(e.add)
		if bufs != nil {
			bufs[d] = e.buf
		}
		if e.keys > 0 { // none when writers kept every key (keyed)
			out(d, e.keys, e.buf)
		}
	}
}

// encState is one chunk being encoded.
type encState struct {
	sn   *Snapshot
	buf  []byte
	keys int
	skip map[string]struct{} // keys writers serialized already (keyed)
}

func (e *encState) add(key string, v keyspace.Value, exp int64) bool {
	if e.skip != nil {
		if _, ok := e.skip[key]; ok {
			return true
		}
	}
	b, err := e.sn.enc(e.buf, key, v, exp)
	if err != nil {
		e.sn.fail(err)
		return false
	}
	e.buf = b
	e.keys++
	return true
}

// walkSlot is the walk's serialize of slot s, whose stripe it holds:
// collections are encoded there (keyspace.SlotCopy), string entries
// copied, the stripe released, and the copies encoded with writers of s
// kept waiting (walking, encoding). Each non-empty database's chunk is
// appended to local. False if the snapshot was cancelled (the stripe is
// released then too).
func (sn *Snapshot) walkSlot(s int, bufs [][]byte, local []Chunk) ([]Chunk, bool) {
	sn.encoding.Lock()
	if sn.cancelled.Load() {
		// Cancel cleared the observer: writers no longer wait for the
		// walk, so it must not read the slot unlocked.
		sn.encoding.Unlock()
		sn.ks.UnlockSlot(s)
		return local, false
	}
	sn.done[s] = true
	skip := sn.keyed[s]
	sn.keyed[s] = nil
	sn.walking.Store(int32(s) + 1)
	for d := range sn.dbAt {
		e := &sn.encs[d]
		*e = encState{sn: sn, buf: bufs[d][:0], skip: skip}
		sn.copies[d].Take(sn.slotData(s, d), e.add)
	}
	sn.ks.UnlockSlot(s)
	for d := range sn.copies {
		e := &sn.encs[d]
		sn.copies[d].ForEach(e.add)
		bufs[d] = e.buf
		if e.keys > 0 {
			local = append(local, Chunk{DB: d, Keys: e.keys, Data: e.buf})
		}
	}
	sn.walking.Store(0)
	sn.encoding.Unlock()
	return local, true
}

// waitWalk, for a writer of slot s (done), waits while the walk encodes
// s from its entries' copies: their records must not change before it is
// done.
func (sn *Snapshot) waitWalk(s int) {
	if sn.walking.Load() == int32(s)+1 {
		sn.encoding.Lock()
		sn.encoding.Unlock()
	}
}

// BeforeKeyWrite implements keyspace.WriteObserver: a writer reached key
// in slot s before the walk, so the key's records (in every database) are
// serialized now, before the change, and queued, and the slot's
// serialization will skip the key. A key with no record is only marked:
// what is written to it later is not the point's. Redis's parent copies
// the page a write touches; serializing the written key alone, not its
// slot, keeps a random write's cost to one key (SET at -c 50 during
// back-to-back BGSAVEs of 1M keys forced 70 % of the data slot by slot,
// 42 % of the event loop's CPU).
func (sn *Snapshot) BeforeKeyWrite(s int, key string) {
	if sn.done[s] {
		sn.waitWalk(s)
		return
	}
	if sn.cancelled.Load() {
		return
	}
	m := sn.keyed[s]
	if _, ok := m[key]; ok {
		return
	}
	if len(m) >= maxKeyed {
		// Many keys of this slot written ahead of the walk (an insert
		// load): the slot is serialized now, as it was, so that the
		// records of kept keys stay bounded (16 per slot).
		sn.BeforeSlotWrite(s)
		return
	}
	if m == nil {
		m = make(map[string]struct{}, 4)
		sn.keyed[s] = m
	}
	m[strings.Clone(key)] = struct{}{}
	for d := range sn.dbAt {
		if v, exp, ok := sn.peekSlotData(s, d).Find(key); ok {
			sn.forceKey(d, key, v, exp)
		}
	}
}

// forceKey serializes one key for BeforeKeyWrite into database d's
// keyChunk, which joins pending once it is large enough.
func (sn *Snapshot) forceKey(d int, key string, v keyspace.Value, exp int64) {
	bp := keyScratch.Get().(*[]byte)
	b, err := sn.enc((*bp)[:0], key, v, exp)
	if err != nil {
		sn.fail(err)
		keyScratch.Put(bp)
		return
	}
	sn.stats.forcedKeys.Add(1)
	sn.countForced(len(b))
	sn.mu.Lock()
	c := &sn.keyChunks[d]
	if c.Data == nil {
		c.Data = sn.spareBufLocked()
	}
	c.DB = d
	c.Keys++
	c.Data = append(c.Data, b...)
	if len(c.Data) >= keyChunkSize {
		sn.pending = append(sn.pending, *c)
		*c = Chunk{}
	}
	sn.mu.Unlock()
	if cap(b) <= maxSpareCap {
		*bp = b
		keyScratch.Put(bp)
	}
}

// countForced counts n bytes writers serialized ahead of the walk, held
// until the walk emits them.
func (sn *Snapshot) countForced(n int) {
	sn.stats.forcedBytes.Add(int64(n))
	if p := sn.stats.pendingBytes.Add(int64(n)); p > sn.stats.peakPending.Load() {
		sn.stats.peakPending.Store(p) // approximate peak; races only lose a little
	}
}

// fail records an Encoder's error (the first one is Run's) and stops the
// snapshot: a file must not silently lack a key.
func (sn *Snapshot) fail(err error) {
	// A copy: taking err's own address would put it on the heap for every
	// key (a 1M-key sync spent a fifth of its CPU in the GC that caused).
	first := err
	sn.encErr.CompareAndSwap(nil, &first)
	sn.cancelled.Store(true)
}

// maxKeyed is how many keys of a slot writers keep one by one (keyed)
// before they serialize the rest of the slot.
const maxKeyed = 16

// keyChunkSize is when a keyChunk joins pending; keyScratch holds the
// buffers forceKey encodes a key into before copying it there.
const keyChunkSize = 16 << 10

var keyScratch = sync.Pool{New: func() any { return new([]byte) }}

// BeforeSlotWrite implements keyspace.WriteObserver: a writer reached slot
// s first, so s is serialized now, before the change, and queued.
func (sn *Snapshot) BeforeSlotWrite(s int) {
	if sn.done[s] {
		sn.waitWalk(s)
		return
	}
	if sn.cancelled.Load() {
		return
	}
	sn.stats.forcedSlots.Add(1)
	sn.serialize(s, nil, func(d, keys int, data []byte) {
		sn.countForced(len(data))
		sn.mu.Lock()
		sn.pending = append(sn.pending, Chunk{DB: d, Keys: keys, Data: data})
		sn.mu.Unlock()
	})
}

// BeforeFlush implements keyspace.WriteObserver: the tables of database
// at's slots not yet serialized become the snapshot's. Under LockAll.
func (sn *Snapshot) BeforeFlush(at int) {
	d := sn.logical(at)
	if sn.flushed[d] != nil {
		return // the keyspace holds only later data for d already
	}
	sn.stats.flushed.Add(1)
	f := make([]keyspace.SlotData, slot.Count)
	db := sn.ks.DB(at)
	for s := range f {
		if !sn.done[s] {
			f[s] = db.Slot(s)
		}
	}
	sn.flushed[d] = f
}

// BeforeSwap implements keyspace.WriteObserver. Under LockAll.
func (sn *Snapshot) BeforeSwap(a, b int) {
	sn.stats.swapped.Add(1)
	da, db := sn.logical(a), sn.logical(b)
	sn.dbAt[da], sn.dbAt[db] = b, a
}

func (sn *Snapshot) logical(at int) int {
	for d, x := range sn.dbAt {
		if x == at {
			return d
		}
	}
	panic("snapshot: database index not mapped")
}

// Run walks every slot and calls emit with each chunk — the walk's own
// and those writers forced out — until all are emitted, then detaches the
// snapshot from the keyspace. emit runs with no lock held; its Data is
// only valid until it returns. An error from emit, or Cancel, ends the
// walk early (Run then detaches and returns the error or ErrCancelled).
func (sn *Snapshot) Run(emit func(Chunk) error) error {
	defer sn.ks.ClearObserver(sn)
	bufs := make([][]byte, len(sn.dbAt))
	sn.copies = make([]keyspace.SlotCopy, len(sn.dbAt))
	sn.encs = make([]encState, len(sn.dbAt))
	defer func() {
		for d := range sn.copies {
			sn.copies[d].Clear()
			sn.encs[d] = encState{}
		}
	}()
	var local []Chunk
	for s := 0; s < slot.Count; s++ {
		if sn.cancelled.Load() {
			return sn.cancelErr()
		}
		if err := sn.drain(emit); err != nil {
			sn.Cancel()
			return err
		}
		local = local[:0]
		if !sn.lockSlot(s) {
			return ErrCancelled
		}
		switch {
		case sn.done[s]:
			if !sn.held {
				sn.ks.UnlockSlot(s)
			}
		case sn.held:
			// Nothing changes meanwhile: no copies needed.
			sn.stats.walked.Add(1)
			sn.serialize(s, bufs, func(d, keys int, data []byte) {
				local = append(local, Chunk{DB: d, Keys: keys, Data: data})
			})
		default:
			sn.stats.walked.Add(1)
			var ok bool
			if local, ok = sn.walkSlot(s, bufs, local); !ok {
				return sn.cancelErr()
			}
		}
		for _, c := range local {
			sn.stats.keys.Add(int64(c.Keys))
			if err := emit(c); err != nil {
				sn.Cancel()
				return err
			}
		}
		// Let waiting goroutines (event loops woken by epoll) have the P
		// now rather than at the next preemption, up to 10 ms away: the
		// walk is background work and must not add to command latency.
		if sn.Pace != nil {
			sn.Pace()
		} else {
			runtime.Gosched()
		}
	}
	// Every slot is done: no writer adds to pending any more.
	if err := sn.drain(emit); err != nil {
		sn.Cancel()
		return err
	}
	sn.mu.Lock()
	sn.spare = nil
	sn.mu.Unlock()
	return nil
}

// lockSlot takes s's stripe for the walk, giving up if the snapshot is
// cancelled meanwhile: whoever cancels it may hold the stripe and wait for
// the walk to end (FLUSHALL, SHUTDOWN).
func (sn *Snapshot) lockSlot(s int) bool {
	if sn.held {
		return true
	}
	for spins := 0; !sn.ks.TryLockSlot(s); spins++ {
		if sn.cancelled.Load() {
			return false
		}
		if spins < 16 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
	return true
}

func (sn *Snapshot) drain(emit func(Chunk) error) error {
	sn.mu.Lock()
	for d := range sn.keyChunks {
		if c := &sn.keyChunks[d]; c.Keys > 0 {
			sn.pending = append(sn.pending, *c)
			*c = Chunk{}
		}
	}
	p := sn.pending
	sn.pending = nil
	sn.mu.Unlock()
	if len(p) == 0 {
		return nil
	}
	for _, c := range p {
		sn.stats.keys.Add(int64(c.Keys))
		sn.stats.pendingBytes.Add(-int64(len(c.Data)))
		if err := emit(c); err != nil {
			return err
		}
	}
	// emit keeps no Data past its return: the buffers serve the next
	// forced slots.
	sn.mu.Lock()
	for i, c := range p {
		if len(sn.spare) < maxSpare && cap(c.Data) <= maxSpareCap && !sn.cancelled.Load() {
			sn.spare = append(sn.spare, c.Data[:0])
		}
		p[i] = Chunk{}
	}
	if sn.pending == nil {
		sn.pending = p[:0] // no writer queued meanwhile: the slice serves again
	}
	sn.mu.Unlock()
	return nil
}

// maxSpare and maxSpareCap bound the buffers a snapshot keeps for forced
// slots: a few dozen of a slot's usual size (a slot of large collections
// gets a buffer of its own, dropped after use).
const (
	maxSpare    = 64
	maxSpareCap = 64 << 10
)

// spareBuf returns an emitted chunk's buffer, emptied, or nil.
func (sn *Snapshot) spareBuf() []byte {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.spareBufLocked()
}

// spareBufLocked is spareBuf with sn.mu held.
func (sn *Snapshot) spareBufLocked() []byte {
	n := len(sn.spare)
	if n == 0 {
		return nil
	}
	b := sn.spare[n-1]
	sn.spare[n-1] = nil
	sn.spare = sn.spare[:n-1]
	return b
}

// Cancel stops the snapshot: writers stop serializing, and Run returns
// ErrCancelled at its next slot. Safe to call more than once and from any
// goroutine.
func (sn *Snapshot) Cancel() {
	if sn.cancelled.Swap(true) {
		return
	}
	// A walk encoding a slot from copies relies on the slot's writers
	// waiting for it (BeforeSlotWrite), which they stop doing once the
	// observer is cleared: let it finish the slot first (it holds no
	// stripe meanwhile, so a caller holding stripes does not deadlock).
	sn.encoding.Lock()
	sn.ks.ClearObserver(sn)
	sn.encoding.Unlock()
	sn.mu.Lock()
	sn.pending = nil
	clear(sn.keyChunks)
	sn.spare = nil
	sn.mu.Unlock()
}

// Cancelled reports whether Cancel was called.
func (sn *Snapshot) Cancelled() bool { return sn.cancelled.Load() }

// Stats returns the snapshot's counters so far.
func (sn *Snapshot) Stats() Stats {
	return Stats{
		Keys:         sn.stats.keys.Load(),
		ForcedSlots:  sn.stats.forcedSlots.Load(),
		ForcedKeys:   sn.stats.forcedKeys.Load(),
		ForcedBytes:  sn.stats.forcedBytes.Load(),
		PeakPending:  sn.stats.peakPending.Load(),
		SlotsWalked:  sn.stats.walked.Load(),
		FlushedDBs:   sn.stats.flushed.Load(),
		SwappedPairs: sn.stats.swapped.Load(),
	}
}

// Held reports whether the snapshot is a StartHeld one (its caller holds
// every stripe while it runs).
func (sn *Snapshot) Held() bool { return sn.held }

// Progress is the fraction of slots the walk has passed, 0..1.
func (sn *Snapshot) Progress() float64 {
	return float64(sn.stats.walked.Load()+sn.stats.forcedSlots.Load()) / slot.Count
}

// cancelErr is why the snapshot stopped: an Encoder's error, else Cancel.
func (sn *Snapshot) cancelErr() error {
	if p := sn.encErr.Load(); p != nil {
		return *p
	}
	return ErrCancelled
}
