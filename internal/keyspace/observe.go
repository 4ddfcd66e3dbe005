package keyspace

import (
	"sync/atomic"
	"unsafe"
)

// A WriteObserver is told about changes before they happen, while a
// point-in-time snapshot of the keyspace runs (internal/snapshot). Every
// method is called with the lock it names held, before the data changes,
// so the observer can still read the slot as it was.
type WriteObserver interface {
	// BeforeSlotWrite: keys of slot s, in some database, are about to
	// change, which ones not said (FlushSlot empties the slot). Called
	// with s's stripe locked.
	BeforeSlotWrite(s int)
	// BeforeKeyWrite: key of slot s, in some database, is about to change
	// (set, deleted, expired, its TTL changed, or its collection changed
	// in place); nothing else of the slot does. Called with s's stripe
	// locked.
	BeforeKeyWrite(s int, key string)
	// BeforeFlush: every key of database db is about to be dropped. Called
	// under LockAll.
	BeforeFlush(db int)
	// BeforeSwap: databases a and b are about to exchange contents. Called
	// under LockAll.
	BeforeSwap(a, b int)
}

type observerBox struct{ o WriteObserver }

// SetObserver installs o (nil: none). Call it under LockAll, so the change
// falls between commands: a command that holds any stripe sees either no
// observer or o for its whole run.
func (ks *Keyspace) SetObserver(o WriteObserver) {
	if o == nil {
		ks.observer.Store(nil)
		return
	}
	ks.observer.Store(&observerBox{o})
}

// ClearObserver removes o if it is the one installed. Unlike SetObserver it
// needs no lock: an observer is only cleared once it has nothing left to do.
func (ks *Keyspace) ClearObserver(o WriteObserver) {
	if b := ks.observer.Load(); b != nil && b.o == o {
		ks.observer.CompareAndSwap(b, nil)
	}
}

// Observed reports whether an observer is installed: the one atomic load
// a write pays when no snapshot runs.
func (ks *Keyspace) Observed() bool { return ks.observer.Load() != nil }

// BeforeWrite tells the observer, if any, that slot s is about to change
// as a whole, or in keys the caller does not name. The caller holds s's
// stripe. A change to named keys uses BeforeWriteKey.
func (ks *Keyspace) BeforeWrite(s int) {
	if b := ks.observer.Load(); b != nil {
		b.o.BeforeSlotWrite(s)
	}
}

// BeforeWriteKey tells the observer, if any, that key (of slot s) is
// about to change: a snapshot then keeps only that key as it was, not the
// whole slot. The caller holds s's stripe. The dispatcher calls it for
// every key a write command names before the command runs, which covers
// collections changed in place; the keyspace's own write paths call it
// too.
func (ks *Keyspace) BeforeWriteKey(s int, key []byte) { ks.beforeWriteKey(s, bytesString(key)) }

func (ks *Keyspace) beforeWriteKey(s int, key string) {
	if b := ks.observer.Load(); b != nil {
		b.o.BeforeKeyWrite(s, key)
	}
}

// SlotData is one slot's table of one database, as a snapshot holds it:
// after a FLUSHDB the table is no longer the database's, and nothing
// changes it any more.
type SlotData struct{ t *slotTable }

// Slot returns slot s's current table. Needs s's stripe locked (or LockAll).
func (db *DB) Slot(s int) SlotData { return SlotData{db.st().tables[s]} }

// Len is the number of entries (expired ones not yet reclaimed included).
func (d SlotData) Len() int {
	if d.t == nil {
		return 0
	}
	return int(d.t.n)
}

// Find returns key's stored value and expiry (-1: none), expired or not,
// and whether it is stored. The caller holds the slot's stripe, or the
// table is detached.
func (d SlotData) Find(key string) (Value, int64, bool) {
	t := d.t
	if t == nil || t.n == 0 {
		return Value{}, -1, false
	}
	i := t.find(hashKey(key), key)
	if i < 0 {
		return Value{}, -1, false
	}
	e := t.at(i)
	return e.value(), e.expireMs(), true
}

// ForEach calls fn for every stored entry, expired or not (Redis's save
// writes keys whose TTL has passed but which were not yet reclaimed; its
// loader drops them), until fn returns false. expireMs is -1 for a key
// without a TTL. The caller holds the slot's stripe, or the table is
// detached; fn must not change it.
func (d SlotData) ForEach(fn func(key string, v Value, expireMs int64) bool) bool {
	t := d.t
	if t == nil {
		return true
	}
	var batch [walkBatch]*entry
	var sink uint64
	nc := t.ctrlLen()
	for i := 0; i < nc; {
		n := 0
		for ; i < nc && n < walkBatch; i++ {
			if e := t.liveAt(i); e != nil {
				batch[n] = e
				n++
			}
		}
		if !visitBatch(batch[:n], &sink, fn) {
			return false
		}
	}
	walkSink.Add(sink) // keeps the touches from being optimized away
	return true
}

// visitBatch calls fn for each entry of batch. The entries' records are
// touched first, stage by stage (records and boxes, then boxed
// collections), so the CPU overlaps their cache misses instead of paying
// them one key after another (as Prefetcher does for a pipeline's keys).
func visitBatch(batch []*entry, sink *uint64, fn func(key string, v Value, expireMs int64) bool) bool {
	for _, e := range batch {
		*sink += e.touch()
	}
	for _, e := range batch {
		if e.boxed() {
			if o := e.obj(); o != nil {
				*sink += uint64(*(*byte)((*[2]unsafe.Pointer)(unsafe.Pointer(&o))[1]))
			}
		}
	}
	for _, e := range batch {
		if !fn(e.key(), e.value(), e.expireMs()) {
			walkSink.Add(*sink)
			return false
		}
	}
	return true
}

// expireMs is e's expiry in ms, -1 without a TTL (as snapshots take it).
func (e *entry) expireMs() int64 {
	if e.volatile() {
		return e.exp()
	}
	return -1
}

// SlotCopy is a copy of one slot table's string entries, taken under the
// slot's stripe so that a snapshot's walk can encode them after releasing
// the stripe: the stripe is held for a copy of the entry array rather than
// for encoding every record, and a command on another slot of the stripe
// (a GET) does not wait for the walk's encoder. The records are not
// copied: they stay as they were only while nothing writes the slot, so
// the holder must make every writer of the slot wait (in
// WriteObserver.BeforeSlotWrite and BeforeKeyWrite) until it is done with
// them. Boxed entries (collections, strings of 1 GB or more) are not
// copied but visited under the stripe, by Take: a read command may change a
// collection in place (SORT_RO converts a sorted set to a skiplist, as
// Redis does) without being a write.
type SlotCopy struct{ ents []entry }

// Take copies d's unboxed string entries, replacing what c held, and
// calls boxed for its other entries (as ForEach would) until boxed returns
// false. The caller holds the slot's stripe, or the table is detached.
func (c *SlotCopy) Take(d SlotData, boxed func(key string, v Value, expireMs int64) bool) bool {
	c.ents = c.ents[:0]
	t := d.t
	if t == nil {
		return true
	}
	var batch [walkBatch]*entry
	var sink uint64
	n := 0
	for i := range t.ctrlLen() {
		e := t.liveAt(i)
		if e == nil {
			continue
		}
		if !e.boxed() {
			c.ents = append(c.ents, *e)
			continue
		}
		batch[n] = e
		if n++; n == walkBatch {
			if !visitBatch(batch[:n], &sink, boxed) {
				return false
			}
			n = 0
		}
	}
	if !visitBatch(batch[:n], &sink, boxed) {
		return false
	}
	walkSink.Add(sink)
	return true
}

// Len is the number of entries copied.
func (c *SlotCopy) Len() int { return len(c.ents) }

// ForEach is SlotData.ForEach over the copy. No lock is needed, but the
// slot must not have been written since Take (see SlotCopy).
func (c *SlotCopy) ForEach(fn func(key string, v Value, expireMs int64) bool) bool {
	var batch [walkBatch]*entry
	var sink uint64
	for i := 0; i < len(c.ents); i += walkBatch {
		n := 0
		for j := i; j < len(c.ents) && n < walkBatch; j++ {
			batch[n] = &c.ents[j]
			n++
		}
		if !visitBatch(batch[:n], &sink, fn) {
			return false
		}
	}
	walkSink.Add(sink)
	return true
}

// Clear drops the copy's references, so the records it pointed at can be
// collected, and keeps its array.
func (c *SlotCopy) Clear() {
	clear(c.ents)
	c.ents = c.ents[:0]
}

// walkBatch is how many entries ForEach touches ahead of its callbacks.
const walkBatch = 16

var walkSink atomic.Uint64
