package keyspace

import (
	"unsafe"

	"github.com/shoal-db/shoal/internal/slot"
)

// Put stores v under key with absolute expiry whenMs (-1: no TTL), replacing
// any value. RENAME, MOVE and COPY use it to land a value with its TTL in one
// step. A string is copied (key and value in one allocation), so the new key
// keeps nothing of the old one alive. Needs key's stripe locked.
func (db *DB) Put(key []byte, v Value, whenMs int64) {
	s := slot.Of(key)
	t := db.tableForWrite(s)
	if v.Obj == nil {
		buf := make([]byte, len(key)+len(v.Str))
		copy(buf, key)
		copy(buf[len(key):], v.Str)
		whole := unsafe.String(unsafe.SliceData(buf), len(buf))
		db.store(t, s, whole[:len(key)], whole[len(key):], nil, false)
	} else {
		db.store(t, s, string(key), "", v.Obj, false)
	}
	if whenMs >= 0 {
		db.SetExpire(key, whenMs)
	}
}

// SwapDB exchanges the contents of databases a and b, as SWAPDB does: every
// client connected to a now sees b's data and the reverse. Watch registries
// stay with their database; each watcher of a key that exists in either
// database before the swap is marked dirty (Redis touchAllWatchedKeysInDb).
// Needs LockAll.
func (ks *Keyspace) SwapDB(a, b int) {
	if a == b {
		return
	}
	x, y := ks.dbs[a], ks.dbs[b]
	for _, r := range []*watchRegistry{&x.watch, &y.watch} {
		r.touchAll(x)
		r.touchAll(y)
	}
	x.slots, y.slots = y.slots, x.slots
	swapAtomic64(&x.keys, &y.keys)
	swapAtomic64(&x.volatile, &y.volatile)
	for s := range x.slotKeys {
		n := x.slotKeys[s].Load()
		x.slotKeys[s].Store(y.slotKeys[s].Load())
		y.slotKeys[s].Store(n)
	}
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
