package keyspace

import (
	"unsafe"

	"github.com/shoal-db/shoal/internal/slot"
)

// SetStringFunc stores a new string value of n bytes for key, replacing
// any value, in a new single key+value allocation (never the old string's
// record: fill may read the old value): fill writes the value bytes
// (zeroed on entry) and must not keep val nor touch the database. It lets a command build its result (APPEND, SETRANGE,
// SETBIT, INCR…) without an intermediate buffer. The TTL is cleared unless
// keepTTL.
func (db *DB) SetStringFunc(key []byte, n int, keepTTL bool, fill func(val []byte)) {
	fill(db.setString(slot.Of(key), key, n, keepTTL, false, -1))
}

// SetStringKeepTTL replaces key's value with val, keeping its TTL, as
// Redis's dbOverwrite does (INCR, INCRBYFLOAT), into the old string's
// record when it fits, as SetString.
func (db *DB) SetStringKeepTTL(key, val []byte) {
	copy(db.setString(slot.Of(key), key, len(val), true, true, -1), val)
}

// MutateString lets fn change key's string value in place, keeping its
// length, TTL and access clock, for commands that rewrite a few bytes of a
// large value (PFADD on a dense HyperLogLog: copying its 12 KB for every
// changed register was most of the command's cost). It calls nothing and
// reports false when key holds no live string. This is safe because every
// reader of a stored value holds the key's slot lock and copies what it
// keeps (replies, scripts, DUMP), and a snapshot takes the slot before
// the change (BeforeWrite). Needs key's slot locked.
func (db *DB) MutateString(key []byte, fn func(val []byte)) bool {
	e := db.liveEntry(slot.Of(key), key)
	if e == nil {
		return false
	}
	var val []byte
	switch {
	case e.boxed() && e.boxKind() == boxStr:
		s := (*strBox)(e.p).str
		val = unsafe.Slice(unsafe.StringData(s), len(s))
	case e.boxed():
		return false
	case e.vlen&lenMask != 0: // an empty value may end its allocation
		val = unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen())), int(e.vlen&lenMask))
	}
	db.ks.beforeWriteKey(slot.Of(key), bytesString(key))
	fn(val)
	e.setClock(db.ks.accessed(e.clock()))
	db.touch(bytesString(key))
	return true
}
