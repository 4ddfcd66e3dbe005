package keyspace

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

// NumStripes is how many lock stripes the 16384 slots are grouped into.
// Several per core keep contention low; a power of two keeps the mapping a mask.
const NumStripes = 256

type stripe struct {
	sync.Mutex
	_ [64 - 8]byte // keep each lock on its own cache line
}

// Keyspace is the set of databases and their locks.
type Keyspace struct {
	stripes [NumStripes]stripe
	dbs     []*DB

	// NowMs returns the current time in milliseconds; injected for tests.
	NowMs func() int64

	// Dirty counts changes since the last save (INFO rdb_changes_since_last_save).
	Dirty atomic.Int64
	// Stats are the keyspace counters INFO stats reports.
	Stats Stats
}

// Stats are keyspace counters.
type Stats struct {
	ExpiredKeys atomic.Int64
	Hits        atomic.Int64
	Misses      atomic.Int64
}

// New makes a keyspace of n databases.
func New(n int) *Keyspace {
	ks := &Keyspace{NowMs: func() int64 { return time.Now().UnixMilli() }}
	ks.dbs = make([]*DB, n)
	for i := range ks.dbs {
		ks.dbs[i] = &DB{ks: ks, Index: i}
	}
	return ks
}

// DB returns database i (0 ≤ i < NumDBs).
func (ks *Keyspace) DB(i int) *DB { return ks.dbs[i] }

// NumDBs is the number of databases.
func (ks *Keyspace) NumDBs() int { return len(ks.dbs) }

// StripeOf is the lock stripe of a slot.
func StripeOf(s int) int { return s & (NumStripes - 1) }

// LockSlot locks the stripe of slot s.
func (ks *Keyspace) LockSlot(s int) { ks.stripes[StripeOf(s)].Lock() }

// UnlockSlot unlocks the stripe of slot s.
func (ks *Keyspace) UnlockSlot(s int) { ks.stripes[StripeOf(s)].Unlock() }

// LockSlots locks the stripes of the given slots in ascending order, once
// each, and returns the stripes locked (reusing buf) for UnlockStripes.
func (ks *Keyspace) LockSlots(slots []int, buf []int) []int {
	buf = buf[:0]
	for _, s := range slots {
		buf = append(buf, StripeOf(s))
	}
	if len(buf) > 1 {
		sort.Ints(buf)
		j := 1
		for i := 1; i < len(buf); i++ {
			if buf[i] != buf[j-1] {
				buf[j] = buf[i]
				j++
			}
		}
		buf = buf[:j]
	}
	for _, st := range buf {
		ks.stripes[st].Lock()
	}
	return buf
}

// UnlockStripes unlocks stripes returned by LockSlots.
func (ks *Keyspace) UnlockStripes(stripes []int) {
	for i := len(stripes) - 1; i >= 0; i-- {
		ks.stripes[stripes[i]].Unlock()
	}
}

// LockAll locks every stripe, for commands over the whole keyspace.
func (ks *Keyspace) LockAll() {
	for i := range ks.stripes {
		ks.stripes[i].Lock()
	}
}

// UnlockAll undoes LockAll.
func (ks *Keyspace) UnlockAll() {
	for i := len(ks.stripes) - 1; i >= 0; i-- {
		ks.stripes[i].Unlock()
	}
}

// Value is what a key holds: a string (Obj == nil) or a collection.
type Value struct {
	Str string
	Obj types.Object
}

// Kind is the value's Redis type.
func (v Value) Kind() types.Kind {
	if v.Obj == nil {
		return types.KindString
	}
	return v.Obj.Kind()
}

// slotTable is one slot's share of a database. Strings live in strs with
// the key and value in one allocation; collections in objs; TTLs in expires
// (absolute ms), present only for volatile keys.
type slotTable struct {
	strs    map[string]string
	objs    map[string]types.Object
	expires map[string]int64
}

func (t *slotTable) count() int { return len(t.strs) + len(t.objs) }

// DB is one numbered database.
type DB struct {
	ks    *Keyspace
	Index int
	slots [slot.Count]*slotTable

	keys     atomic.Int64
	volatile atomic.Int64
	// slotKeys counts keys per slot, readable without the stripe lock.
	slotKeys [slot.Count]atomic.Int32

	watch watchRegistry
}

// bytesString views b as a string without copying, for map lookups only.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (db *DB) table(s int) *slotTable { return db.slots[s] }

func (db *DB) tableForWrite(s int) *slotTable {
	t := db.slots[s]
	if t == nil {
		t = &slotTable{}
		db.slots[s] = t
	}
	return t
}

// expireIfNeeded deletes key if its TTL has passed, reporting whether it did.
func (db *DB) expireIfNeeded(t *slotTable, s int, k string) bool {
	if len(t.expires) == 0 {
		return false
	}
	when, ok := t.expires[k]
	if !ok || when > db.ks.NowMs() {
		return false
	}
	db.remove(t, s, k)
	db.ks.Stats.ExpiredKeys.Add(1)
	db.touch(k)
	return true
}

// Lookup returns the live value of key.
func (db *DB) Lookup(key []byte) (Value, bool) {
	s := slot.Of(key)
	t := db.table(s)
	if t == nil {
		return Value{}, false
	}
	k := bytesString(key)
	if db.expireIfNeeded(t, s, k) {
		return Value{}, false
	}
	if v, ok := t.strs[k]; ok {
		return Value{Str: v}, true
	}
	if o, ok := t.objs[k]; ok {
		return Value{Obj: o}, true
	}
	return Value{}, false
}

// Exists reports whether key holds a live value.
func (db *DB) Exists(key []byte) bool {
	_, ok := db.Lookup(key)
	return ok
}

// SetString stores a string value, replacing any value. The TTL is cleared
// unless keepTTL. Key and value are copied into one allocation.
func (db *DB) SetString(key, val []byte, keepTTL bool) {
	s := slot.Of(key)
	t := db.tableForWrite(s)
	buf := make([]byte, len(key)+len(val))
	copy(buf, key)
	copy(buf[len(key):], val)
	whole := unsafe.String(unsafe.SliceData(buf), len(buf))
	k, v := whole[:len(key)], whole[len(key):]
	db.store(t, s, k, v, nil, keepTTL)
}

// SetObject stores a collection value, replacing any value. The TTL is
// cleared unless keepTTL.
func (db *DB) SetObject(key []byte, o types.Object, keepTTL bool) {
	s := slot.Of(key)
	t := db.tableForWrite(s)
	db.store(t, s, string(key), "", o, keepTTL)
}

func (db *DB) store(t *slotTable, s int, k, v string, o types.Object, keepTTL bool) {
	// A key past its TTL is gone: it must not lend its TTL (KEEPTTL) or count as present.
	db.expireIfNeeded(t, s, k)
	_, inStrs := t.strs[k]
	_, inObjs := t.objs[k]
	if !inStrs && !inObjs {
		db.keys.Add(1)
		db.slotKeys[s].Add(1)
	}
	if o == nil {
		if inObjs {
			delete(t.objs, k)
		}
		if t.strs == nil {
			t.strs = make(map[string]string)
		}
		t.strs[k] = v
	} else {
		if inStrs {
			delete(t.strs, k)
		}
		if t.objs == nil {
			t.objs = make(map[string]types.Object)
		}
		t.objs[k] = o
	}
	if !keepTTL {
		db.dropExpire(t, k)
	}
	db.touch(k)
}

func (db *DB) dropExpire(t *slotTable, k string) bool {
	if len(t.expires) == 0 {
		return false
	}
	if _, ok := t.expires[k]; !ok {
		return false
	}
	delete(t.expires, k)
	db.volatile.Add(-1)
	return true
}

// remove deletes k from t without signalling watchers.
func (db *DB) remove(t *slotTable, s int, k string) bool {
	found := false
	if _, ok := t.strs[k]; ok {
		delete(t.strs, k)
		found = true
	} else if _, ok := t.objs[k]; ok {
		delete(t.objs, k)
		found = true
	}
	if found {
		db.keys.Add(-1)
		db.slotKeys[s].Add(-1)
		db.dropExpire(t, k)
	}
	return found
}

// Delete removes key, reporting whether it held a live value.
func (db *DB) Delete(key []byte) bool {
	s := slot.Of(key)
	t := db.table(s)
	if t == nil {
		return false
	}
	k := bytesString(key)
	if db.expireIfNeeded(t, s, k) {
		return false
	}
	if db.remove(t, s, k) {
		db.touch(k)
		return true
	}
	return false
}

// Expire returns key's absolute expiry time in ms, or -1 if it has none.
// The key must exist (call Lookup first).
func (db *DB) Expire(key []byte) int64 {
	t := db.table(slot.Of(key))
	if t == nil || len(t.expires) == 0 {
		return -1
	}
	if when, ok := t.expires[bytesString(key)]; ok {
		return when
	}
	return -1
}

// SetExpire sets key's absolute expiry time in ms. The key must exist.
func (db *DB) SetExpire(key []byte, whenMs int64) {
	t := db.tableForWrite(slot.Of(key))
	k := bytesString(key)
	if t.expires == nil {
		t.expires = make(map[string]int64)
	}
	if _, ok := t.expires[k]; !ok {
		db.volatile.Add(1)
	}
	// Always store an owned key: assigning to an existing string key
	// replaces the map's key too, and k views the caller's argument buffer.
	// Prefer the string the value map already holds over a new copy.
	k = db.ownedKey(t, k)
	t.expires[k] = whenMs
	db.touch(k)
}

// ownedKey returns the map's own copy of k (sharing its allocation).
func (db *DB) ownedKey(t *slotTable, k string) string {
	if v, ok := t.strs[k]; ok {
		// key and value share one allocation: key precedes value.
		if len(v) > 0 {
			p := unsafe.Pointer(unsafe.StringData(v))
			return unsafe.String((*byte)(unsafe.Add(p, -len(k))), len(k))
		}
	}
	return string([]byte(k))
}

// Persist removes key's TTL, reporting whether it had one.
func (db *DB) Persist(key []byte) bool {
	t := db.table(slot.Of(key))
	if t == nil {
		return false
	}
	k := bytesString(key)
	if db.dropExpire(t, k) {
		db.touch(k)
		return true
	}
	return false
}

// Touch signals that key was modified in place (a collection changed), so
// WATCH sees it.
func (db *DB) Touch(key []byte) { db.touch(bytesString(key)) }

// Len is the number of keys in the database (expired keys not yet reclaimed included, as in Redis).
func (db *DB) Len() int64 { return db.keys.Load() }

// Volatile is the number of keys with a TTL.
func (db *DB) Volatile() int64 { return db.volatile.Load() }

// CountInSlot is the number of keys in slot s; O(1), no lock needed.
func (db *DB) CountInSlot(s int) int { return int(db.slotKeys[s].Load()) }

// KeysInSlot appends up to max keys of slot s to dst. Needs s's stripe locked.
func (db *DB) KeysInSlot(s int, max int, dst []string) []string {
	t := db.table(s)
	if t == nil {
		return dst
	}
	for k := range t.strs {
		if max <= 0 {
			return dst
		}
		dst = append(dst, k)
		max--
	}
	for k := range t.objs {
		if max <= 0 {
			return dst
		}
		dst = append(dst, k)
		max--
	}
	return dst
}

// ForEachInSlot calls fn for every live key of slot s until fn returns false.
// Needs s's stripe locked. Expired keys are reclaimed, not reported.
func (db *DB) ForEachInSlot(s int, fn func(key string, v Value) bool) bool {
	t := db.table(s)
	if t == nil {
		return true
	}
	now := db.ks.NowMs()
	for k, v := range t.strs {
		if db.expiredAt(t, k, now) {
			continue
		}
		if !fn(k, Value{Str: v}) {
			return false
		}
	}
	for k, o := range t.objs {
		if db.expiredAt(t, k, now) {
			continue
		}
		if !fn(k, Value{Obj: o}) {
			return false
		}
	}
	return true
}

func (db *DB) expiredAt(t *slotTable, k string, now int64) bool {
	if len(t.expires) == 0 {
		return false
	}
	when, ok := t.expires[k]
	return ok && when <= now
}

// NextNonEmptySlot returns the first slot ≥ from holding keys, or -1.
func (db *DB) NextNonEmptySlot(from int) int {
	for s := from; s < slot.Count; s++ {
		if db.slotKeys[s].Load() > 0 {
			return s
		}
	}
	return -1
}

// Flush removes every key, returning how many there were. Needs LockAll.
func (db *DB) Flush() int64 {
	db.watch.touchAll(db)
	n := db.keys.Load()
	for s := range db.slots {
		if db.slots[s] != nil {
			db.slots[s] = nil
			db.slotKeys[s].Store(0)
		}
	}
	db.keys.Store(0)
	db.volatile.Store(0)
	return n
}

// FlushSlot removes every key of slot s. Needs s's stripe locked.
func (db *DB) FlushSlot(s int) int {
	t := db.slots[s]
	if t == nil {
		return 0
	}
	n := t.count()
	for k := range t.strs {
		db.touch(k)
	}
	for k := range t.objs {
		db.touch(k)
	}
	db.keys.Add(int64(-n))
	db.volatile.Add(int64(-len(t.expires)))
	db.slotKeys[s].Store(0)
	db.slots[s] = nil
	return n
}

// RandomKey returns a random live key, or false if the database is empty.
// Needs LockAll. rnd returns a random int in [0, n).
func (db *DB) RandomKey(rnd func(n int) int) (string, bool) {
	if db.keys.Load() == 0 {
		return "", false
	}
	for tries := 0; tries < 100; tries++ {
		start := rnd(slot.Count)
		s := db.NextNonEmptySlot(start)
		if s < 0 {
			s = db.NextNonEmptySlot(0)
		}
		if s < 0 {
			return "", false
		}
		var key string
		found := false
		db.ForEachInSlot(s, func(k string, _ Value) bool { key, found = k, true; return false })
		if found {
			return key, true
		}
	}
	return "", false
}
