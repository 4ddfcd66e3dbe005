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
	t := db.tableForWrite(s)
	k := bytesString(key)
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
	var e entry
	if v.Obj == nil {
		var val []byte
		e, val = newString(k, len(v.Str), vol, whenMs)
		copy(val, v.Str)
	} else {
		e = newObject(k, v.Obj, vol, whenMs)
	}
	db.place(t, s, i, found, h, e)
	if !found {
		db.added(k)
	}
	db.touch(k)
	return true
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
