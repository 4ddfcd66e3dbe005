package keyspace

import (
	"github.com/shoal-db/shoal/internal/slot"
)

// Put stores v under key with absolute expiry whenMs (-1: no TTL), replacing
// any value. RENAME, MOVE and COPY use it to land a value with its TTL in one
// step. A string is copied (key, value and TTL in one allocation), so the new
// key keeps nothing of the old one alive. Needs key's stripe locked.
func (db *DB) Put(key []byte, v Value, whenMs int64) {
	db.put(key, v, whenMs, true)
}

// PutNew is Put for a key that must not exist yet (an RDB being loaded):
// it stores nothing and reports false when key is present, with one lookup
// instead of an Exists and a Put.
func (db *DB) PutNew(key []byte, v Value, whenMs int64) bool {
	return db.put(key, v, whenMs, false)
}

func (db *DB) put(key []byte, v Value, whenMs int64, replace bool) bool {
	s := slot.Of(key)
	k := bytesString(key)
	t := db.tableForWrite(s, k)
	h := hashKey(k)
	i, found := t.slotFor(h, k)
	if found && !replace {
		return false
	}
	db.carriedTTL(t, s, i, found, false, k) // counts an overwritten expired key
	vol := whenMs >= 0
	if vol {
		db.localTTL(k)
	}
	db.place(t, s, i, found, h, newEntry(k, v, vol, whenMs))
	if !found {
		db.added(k)
	}
	db.touch(k)
	return true
}

// An Owner gives a value Replace stores memory of its own (rdb.Restorer:
// a value decoded from a DUMP payload may alias the payload).
type Owner interface {
	// Own returns v ready to store. old is the value just deleted, which
	// nothing references any more (its memory may be reused), or the zero
	// Value.
	Own(v, old Value) Value
}

// Replace stores v under key as a new key with absolute expiry whenMs (-1:
// no TTL), deleting the value key held first: Redis's dbDelete then dbAdd
// (RESTORE … REPLACE), in one lookup. As dbDelete, it deletes a key past
// its TTL but not yet reclaimed like a live one, without an expiry. Unlike
// Put's overwrite, the key then counts as created: a new access clock and
// the "new" event. The value stored is o.Own(v, old), old being the
// deleted value or the zero Value; a string is copied, into the deleted
// string's record when the new one needs no more bytes and the same size
// class (Redis's allocator hands a freed block to the next allocation at
// once, Go's only after a collection), else into a new record. Reports
// whether a value was deleted. Needs key's stripe locked.
func (db *DB) Replace(key []byte, v Value, whenMs int64, o Owner) bool {
	return db.ReplaceIn(-1, key, v, whenMs, o)
}

// ReplaceIn is Replace for a key whose slot s the caller has computed
// already (-1: not known).
func (db *DB) ReplaceIn(s int, key []byte, v Value, whenMs int64, o Owner) bool {
	s = slotOf(s, key)
	k := bytesString(key)
	t := db.tableForWrite(s, k) // a snapshot running keeps the key as it was
	h := hashKey(k)
	i, found := t.slotFor(h, k)
	vol := whenMs >= 0
	if vol {
		db.localTTL(k)
	}
	if !found {
		db.place(t, s, i, false, h, newEntry(k, o.Own(v, Value{}), vol, whenMs))
		db.added(k)
		db.touch(k)
		return false
	}
	old := t.at(i)
	oldSize, wasVol := old.allocated(), old.volatile() // before Own and reuseString change them
	v = o.Own(v, old.value())
	var e entry
	reused := false
	if v.Obj == nil {
		var val []byte
		if val, reused = old.reuseString(len(v.Str), vol, whenMs); reused {
			e = *old
		} else {
			e, val = newString(k, len(v.Str), vol, whenMs)
		}
		copy(val, v.Str)
	} else if old.boxed() && old.boxKind() != boxStr && (!vol || old.boxKind() == boxObjTTL) {
		// A collection replacing a collection takes over its box (boxes
		// are never handed out), as SetObject does.
		old.setObj(v.Obj)
		e = *old
		e.vlen &^= flagVolatile
		if vol {
			e.vlen |= flagVolatile
			old.setExp(whenMs)
		}
	} else {
		e = newObject(k, v.Obj, vol, whenMs)
	}
	d := t.grown
	if !reused { // else the same bytes under the same size class
		d += e.allocated() - db.ks.freeingSize(oldSize) // a reused box's size as a new one's
	}
	db.ks.stripes[StripeOf(s)].net.Add(d)
	if d >= bigStep {
		db.ks.bigSteps.Add(1)
	}
	t.grown = 0
	if dv := b2i(e.volatile()) - b2i(wasVol); dv != 0 {
		t.volatile += int32(dv)
		db.volatile.Add(int64(dv))
	}
	e.setClock(db.ks.newClock())
	*old = e
	db.added(k)
	db.touch(k)
	return true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newEntry is the entry of a new key holding v: a string record (v
// copied) or a boxed collection.
func newEntry(k string, v Value, vol bool, whenMs int64) entry {
	if v.Obj != nil {
		return newObject(k, v.Obj, vol, whenMs)
	}
	e, val := newString(k, len(v.Str), vol, whenMs)
	copy(val, v.Str)
	return e
}

// SwapDB exchanges the contents of databases a and b, as SWAPDB does: every
// client connected to a now sees b's data and the reverse. Watch registries
// stay with their database; a watcher of a key stored in either database
// before the swap is marked dirty, unless the change is only between a
// missing and a logically expired key (Redis touchAllWatchedKeysInDb).
// Needs LockAll.
func (ks *Keyspace) SwapDB(a, b int) {
	if a == b {
		return
	}
	if o := ks.observer.Load(); o != nil {
		o.o.BeforeSwap(a, b)
	}
	x, y := ks.dbs[a], ks.dbs[b]
	x.watch.touchAll(x, y)
	y.watch.touchAll(y, x)
	swapContents(x, y)
}

// swapContents exchanges the keys of x and y and their counts; watch
// registries stay with their database.
func swapContents(x, y *DB) {
	xs := x.sl.Load()
	x.sl.Store(y.sl.Load())
	y.sl.Store(xs)
	swapAtomic64(&x.keys, &y.keys)
	swapAtomic64(&x.volatile, &y.volatile)
}

type atomicInt64 interface {
	Load() int64
	Store(int64)
}

func swapAtomic64(p, q atomicInt64) {
	n := p.Load()
	p.Store(q.Load())
	q.Store(n)
}
