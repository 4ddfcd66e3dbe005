package keyspace

import (
	"unsafe"

	"github.com/shoal-db/shoal/internal/slot"
)

// SetStringFunc stores a new string value of n bytes for key, replacing
// any value, in the same single key+value allocation SetString makes: fill
// writes the value bytes (zeroed on entry) and must not keep val. It lets a
// command build its result (APPEND, SETRANGE, SETBIT, INCR…) without an
// intermediate buffer. The TTL is cleared unless keepTTL.
func (db *DB) SetStringFunc(key []byte, n int, keepTTL bool, fill func(val []byte)) {
	s := slot.Of(key)
	t := db.tableForWrite(s)
	buf := make([]byte, len(key)+n)
	copy(buf, key)
	fill(buf[len(key):])
	whole := unsafe.String(unsafe.SliceData(buf), len(buf))
	k, v := whole[:len(key)], whole[len(key):]
	db.store(t, s, k, v, nil, keepTTL)
	if keepTTL {
		db.rekeyExpire(t, k)
	}
}

// SetStringKeepTTL replaces key's value with val, keeping its TTL, as
// Redis's dbOverwrite does (INCR, APPEND, SETRANGE…).
func (db *DB) SetStringKeepTTL(key, val []byte) {
	db.SetStringFunc(key, len(val), true, func(dst []byte) { copy(dst, val) })
}

// rekeyExpire makes the expires entry of k use k's new allocation, so the
// replaced value's allocation (which the old map key shares) can be freed.
func (db *DB) rekeyExpire(t *slotTable, k string) {
	if len(t.expires) == 0 {
		return
	}
	if when, ok := t.expires[k]; ok {
		delete(t.expires, k)
		t.expires[k] = when
	}
}
