package keyspace

import (
	"math"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

func (db *DB) tableForWrite(s int, key string) *slotTable {
	db.ks.beforeWriteKey(s, key)
	t := db.st().tables[s]
	if t == nil {
		// The header counts with the first key placed (place adds grown).
		t = &slotTable{grown: headerBytes}
		db.own().tables[s] = t
	}
	if t.capacity() == 0 {
		if n := db.keysPerSlotHint.Load(); n > 0 {
			t.resize(capacityFor(int(n)))
		}
	}
	return t
}

// dropIfEmpty drops slot s's table t when removals left it empty, and
// shrinks it if they left it sparse. Its arrays count as released, so
// used_memory falls back once an eviction or expiry emptied the slot (a
// table per slot costs far more than Redis's one dict per database, whose
// cron shrinks it). Only where keys go away in bulk and are not put back
// at once (eviction, active expiry): DEL keeps the table, so that a key
// deleted and set again does not reallocate it. Needs s's stripe locked,
// and t unused by the caller afterwards.
func (db *DB) dropIfEmpty(s int, t *slotTable) {
	if t.n == 0 && db.st().tables[s] == t {
		db.ks.stripes[StripeOf(s)].net.Add(t.grown - t.arrayBytes() - headerBytes)
		db.st().tables[s] = nil
		return
	}
	t.shrinkIfSparse()
}

// ExpectKeys tells the database that about n keys are coming (RDB
// RESIZEDB, as Redis sizes its dict with it): each slot table is created
// at the size its share of n needs, rather than grown step by step while
// the keys arrive (resizing was a fifth of a load's CPU). The share
// assumes keys spread over all 16384 slots; a cluster node holding a third
// of them still grows its tables, but fewer times. n = 0 ends the hint.
func (db *DB) ExpectKeys(n uint64) {
	if n == 0 {
		db.keysPerSlotHint.Store(0)
		return
	}
	avg := float64(n) / slot.Count
	// One standard deviation above a Poisson mean: most slots never grow.
	db.keysPerSlotHint.Store(int64(min(avg+math.Sqrt(avg), 1<<20)))
}

// removeAt deletes live position i of slot s's table, without signalling
// watchers and without shrinking (callers iterating the table shrink after).
func (db *DB) removeAt(t *slotTable, s, i int) {
	e := t.at(i)
	db.ks.beforeWriteKey(s, e.key())
	if e.volatile() {
		db.volatile.Add(-1)
	}
	db.ks.released(s, t, e)
	t.eraseAt(i)
	db.keys.Add(-1)
	db.st().keys[s].Add(-1)
}

// expireAt reclaims position i, whose TTL has passed; k is its key.
func (db *DB) expireAt(t *slotTable, s, i int, k string) {
	db.expired(k)
	db.removeAt(t, s, i)
	t.shrinkIfSparse()
	db.ks.Stats.ExpiredKeys.Add(1)
	db.touch(k)
}

// expired reports key k's expiry to the OnExpire hook. The key is cloned
// so that k (often a view of the caller's argument) does not escape: the
// hot paths that take a key stay allocation-free.
func (db *DB) expired(k string) {
	if f := db.ks.OnExpire; f != nil {
		f(db.Index, strings.Clone(k))
	}
}

// added reports a key new to the database to the OnNew hook (Redis's
// "new" keyspace event, fired by dbAdd) when NotifyNew is set: one atomic
// load per key added otherwise. Not while loading (Redis's RDB load adds
// keys without the event).
func (db *DB) added(k string) {
	if db.ks.NotifyNew.Load() && !db.ks.Loading.Load() {
		db.ks.OnNew(db.Index, k)
	}
}

// place stores e at position i of t (found: replacing the live entry there;
// else: a free position from slotFor) and keeps the counters. A new key
// gets a new access clock; a replaced one counts as accessed (Redis keeps
// the LFU counter of an overwritten key and the write's lookup bumps it).
func (db *DB) place(t *slotTable, s, i int, found bool, h uint64, e entry) {
	old := t.at(i) // the live entry if found, else the free position
	if !found || old.p != e.p {
		d := e.allocated() + t.grown
		if found {
			d -= db.ks.freeing(old)
		}
		db.ks.stripes[StripeOf(s)].net.Add(d)
		if d >= bigStep {
			db.ks.bigSteps.Add(1)
		}
		t.grown = 0
	}
	if found {
		e.setClock(db.ks.accessed(old.clock()))
		d := 0
		if old.volatile() {
			d--
		}
		if e.volatile() {
			d++
		}
		if d != 0 {
			t.volatile += int32(d)
			db.volatile.Add(int64(d))
		}
		*old = e
		return
	}
	e.setClock(db.ks.newClock())
	t.insertAt(i, h, e)
	if e.volatile() {
		db.volatile.Add(1)
	}
	db.keys.Add(1)
	db.st().keys[s].Add(1)
}

// carriedTTL is the TTL a write at position i (if found) keeps: the old one
// if keepTTL and it has not passed. A key past its TTL is gone: it lends no
// TTL and counts as expired.
func (db *DB) carriedTTL(t *slotTable, s, i int, found, keepTTL bool, k string) (int64, bool) {
	if !found {
		return 0, false
	}
	old := t.at(i)
	if !old.volatile() {
		return 0, false
	}
	when := old.exp()
	if db.ks.ttlPassed(s, when) {
		if !db.ks.ReplicaMode.Load() {
			db.expired(k)
			db.ks.Stats.ExpiredKeys.Add(1)
			db.touch(k)
			db.added(k) // the write adds the key anew, as Redis's dbAdd after expiry
		}
		return 0, false
	}
	return when, keepTTL
}

// localTTL reports a TTL given by a client of a writable replica (not by
// its master) to the OnReplicaTTL hook: such keys the replica expires
// itself. A master pays one atomic load.
func (db *DB) localTTL(k string) {
	if db.ks.ReplicaMode.Load() && !db.ks.Replaying() {
		if f := db.ks.OnReplicaTTL; f != nil {
			f(db.Index, strings.Clone(k))
		}
	}
}

// ReclaimStored deletes key as stored, live or past its TTL, without the
// expiry hook: a writable replica expiring a key its own client set.
func (db *DB) ReclaimStored(key []byte) bool {
	s := slot.Of(key)
	t := db.st().tables[s]
	if t == nil {
		return false
	}
	k := bytesString(key)
	i := t.find(hashKey(k), k)
	if i < 0 {
		return false
	}
	db.removeAt(t, s, i) // a snapshot running keeps the key as it was
	t.shrinkIfSparse()
	db.ks.Stats.ExpiredKeys.Add(1)
	db.touch(k)
	return true
}

// Lookup returns the live value of key and marks it accessed (its LRU
// clock or LFU counter).
func (db *DB) Lookup(key []byte) (Value, bool) { return db.LookupIn(-1, key) }

// LookupIn is Lookup for a key whose slot s the caller has computed
// already (-1: not known).
func (db *DB) LookupIn(s int, key []byte) (Value, bool) {
	e := db.liveEntry(slotOf(s, key), key)
	if e == nil {
		return Value{}, false
	}
	e.setClock(db.ks.accessed(e.clock()))
	return e.value(), true
}

// Peek is Lookup without the access mark (Redis's LOOKUP_NOTOUCH: EXISTS,
// TYPE, OBJECT).
func (db *DB) Peek(key []byte) (Value, bool) { return db.peekLive(key) }

// peekLive is Lookup without the access mark.
func (db *DB) peekLive(key []byte) (Value, bool) {
	if e := db.liveEntry(slot.Of(key), key); e != nil {
		return e.value(), true
	}
	return Value{}, false
}

// liveEntry is key's entry if it is live, expiring it if its TTL passed.
func (db *DB) liveEntry(s int, key []byte) *entry {
	t := db.st().tables[s]
	if t == nil {
		return nil
	}
	k := bytesString(key)
	i := t.find(hashKey(k), k)
	if i < 0 {
		return nil
	}
	e := t.at(i)
	if e.volatile() && db.ks.ttlPassed(s, e.exp()) {
		if !db.ks.keepExpired() {
			db.expireAt(t, s, i, k)
		}
		return nil
	}
	return e
}

// Exists reports whether key holds a live value.
func (db *DB) Exists(key []byte) bool {
	_, ok := db.Lookup(key)
	return ok
}

// setString stores a new string record of n value bytes for key, replacing
// any value, and returns the (zeroed) value bytes for the caller to fill
// before it releases the stripe lock. The TTL becomes whenMs if ≥ 0, else
// is kept if keepTTL, else cleared. With overwrite (the caller writes all
// n bytes from a buffer that is not the old value's), a string replacing a
// string takes over its record when the new one fits its allocation and
// rounds to the same size class (reuseString: a sparse HyperLogLog grown by
// PFADD mostly does), and the bytes returned are the old ones (not zeroed):
// Redis's allocator hands a freed block to the next
// allocation at once, Go's only after a collection, so a replica applying
// a stream of SETs on existing keys would otherwise feed the collector a
// record per command.
func (db *DB) setString(s int, key []byte, n int, keepTTL, overwrite bool, whenMs int64) []byte {
	k := bytesString(key)
	t := db.tableForWrite(s, k)
	h := hashKey(k)
	i, found := t.slotFor(h, k)
	exp, vol := db.carriedTTL(t, s, i, found, keepTTL, k)
	if whenMs >= 0 {
		exp, vol = whenMs, true
		db.localTTL(k)
	}
	if found && overwrite {
		e := *t.at(i) // place counts the volatile change against the entry as it was
		if val, ok := e.reuseString(n, vol, exp); ok {
			db.place(t, s, i, true, h, e)
			db.touch(k)
			return val
		}
	}
	e, val := newString(k, n, vol, exp)
	db.place(t, s, i, found, h, e)
	if !found {
		db.added(k)
	}
	db.touch(k)
	return val
}

// SetString stores a string value, replacing any value. The TTL is cleared
// unless keepTTL. Key and value are copied into one allocation, the
// replaced string's when it fits (setString): a view of the old value
// taken before shows the new bytes after (val itself may be one: the copy
// moves as memmove does).
func (db *DB) SetString(key, val []byte, keepTTL bool) { db.SetStringIn(-1, key, val, keepTTL) }

// SetStringIn is SetString for a key whose slot s the caller has computed
// already (-1: not known).
func (db *DB) SetStringIn(s int, key, val []byte, keepTTL bool) {
	copy(db.setString(slotOf(s, key), key, len(val), keepTTL, true, -1), val)
}

// slotOf is key's slot: s when the caller knows it (≥ 0), else computed.
// Race-detector builds (the tests) check the caller's.
func slotOf(s int, key []byte) int {
	if s < 0 {
		return slot.Of(key)
	}
	if checkSlotHints && slot.Of(key) != s {
		panic("keyspace: slot hint " + strconv.Itoa(s) + " is not the key's slot")
	}
	return s
}

// SetStringExpire stores a string value with absolute expiry whenMs,
// replacing any value: SetString followed by SetExpire, in one allocation
// (SET … EX/PX/EXAT/PXAT).
func (db *DB) SetStringExpire(key, val []byte, whenMs int64) {
	copy(db.setString(slot.Of(key), key, len(val), false, true, whenMs), val)
}

// SetObject stores a collection value, replacing any value. The TTL is
// cleared unless keepTTL.
func (db *DB) SetObject(key []byte, o types.Object, keepTTL bool) {
	s := slot.Of(key)
	k := bytesString(key)
	t := db.tableForWrite(s, k)
	h := hashKey(k)
	i, found := t.slotFor(h, k)
	exp, vol := db.carriedTTL(t, s, i, found, keepTTL, k)
	if found {
		// Boxes are never handed out: a collection replacing a collection
		// updates the box in place when it can hold the TTL to keep.
		if old := t.at(i); old.boxed() && old.boxKind() != boxStr && (!vol || old.boxKind() == boxObjTTL) {
			old.setObj(o)
			e := *old
			e.vlen &^= flagVolatile
			if vol {
				e.vlen |= flagVolatile
				old.setExp(exp)
			}
			db.place(t, s, i, true, h, e)
			db.touch(k)
			return
		}
	}
	db.place(t, s, i, found, h, newObject(k, o, vol, exp))
	if !found {
		db.added(k)
	}
	db.touch(k)
}

// Stats are the counters of db's keyspace.
func (db *DB) Stats() *Stats { return &db.ks.Stats }

// Delete removes key, reporting whether it held a live value.
func (db *DB) Delete(key []byte) bool {
	s := slot.Of(key)
	t := db.st().tables[s]
	if t == nil {
		return false
	}
	k := bytesString(key)
	i := t.find(hashKey(k), k)
	if i < 0 {
		return false
	}
	if e := t.at(i); e.volatile() && db.ks.ttlPassed(s, e.exp()) {
		if !db.ks.keepExpired() {
			db.expireAt(t, s, i, k)
		}
		return false
	}
	db.removeAt(t, s, i)
	t.shrinkIfSparse()
	db.touch(k)
	return true
}

// findEntry is key's live-or-expired entry, or nil.
func (db *DB) findEntry(key []byte) (*slotTable, *entry) {
	t := db.st().tables[slot.Of(key)]
	if t == nil {
		return nil, nil
	}
	k := bytesString(key)
	i := t.find(hashKey(k), k)
	if i < 0 {
		return t, nil
	}
	return t, t.at(i)
}

// Expire returns key's absolute expiry time in ms, or -1 if it has none.
// The key must exist (call Lookup first).
func (db *DB) Expire(key []byte) int64 {
	if _, e := db.findEntry(key); e != nil && e.volatile() {
		return e.exp()
	}
	return -1
}

// SetExpire sets key's absolute expiry time in ms. The key must exist.
func (db *DB) SetExpire(key []byte, whenMs int64) {
	t, e := db.findEntry(key)
	if e == nil {
		return
	}
	db.localTTL(bytesString(key))
	db.ks.beforeWriteKey(slot.Of(key), bytesString(key))
	switch {
	case e.volatile():
		e.setExp(whenMs)
	case e.boxed() && e.boxKind() == boxStr:
		e.setExp(whenMs)
	case e.boxed():
		// A collection moves to a box with a TTL field.
		c := e.clock()
		*e = newObject(e.key(), e.obj(), true, whenMs)
		e.setClock(c)
		e.vlen &^= flagVolatile // set below
	default:
		// A new record with a trailer; the old one stays intact for readers.
		old := e.value().Str
		ne, val := newString(e.key(), len(old), true, whenMs)
		copy(val, old)
		e.p = ne.p
	}
	if !e.volatile() {
		e.vlen |= flagVolatile
		t.volatile++
		db.volatile.Add(1)
	}
	db.touch(bytesString(key))
}

// Persist removes key's TTL, reporting whether it had one.
func (db *DB) Persist(key []byte) bool {
	t, e := db.findEntry(key)
	if e == nil || !e.volatile() {
		return false
	}
	db.ks.beforeWriteKey(slot.Of(key), bytesString(key))
	// An unboxed record keeps its trailer bytes; with the flag clear they
	// are ignored, and the next SetExpire builds a new record.
	e.vlen &^= flagVolatile
	t.volatile--
	db.volatile.Add(-1)
	db.touch(bytesString(key))
	return true
}

// Touch signals that key was modified in place (a collection changed), so
// WATCH sees it.
func (db *DB) Touch(key []byte) { db.touch(bytesString(key)) }

// Len is the number of keys in the database (expired keys not yet reclaimed included, as in Redis).
func (db *DB) Len() int64 { return db.keys.Load() }

// Volatile is the number of keys with a TTL.
func (db *DB) Volatile() int64 { return db.volatile.Load() }

// CountInSlot is the number of keys in slot s; O(1), no lock needed.
func (db *DB) CountInSlot(s int) int { return int(db.st().keys[s].Load()) }

// KeysInSlot appends up to max keys of slot s to dst. Needs s's stripe locked.
func (db *DB) KeysInSlot(s int, max int, dst []string) []string {
	t := db.st().tables[s]
	if t == nil {
		return dst
	}
	for i := range t.ctrlLen() {
		if max <= 0 {
			break
		}
		if e := t.liveAt(i); e != nil {
			dst = append(dst, e.key())
			max--
		}
	}
	return dst
}

// ForEachInSlot calls fn for every live key of slot s until fn returns false.
// Needs s's stripe locked; fn must not modify slot s. Expired keys are
// skipped (left for lazy or active expiry).
func (db *DB) ForEachInSlot(s int, fn func(key string, v Value) bool) bool {
	t := db.st().tables[s]
	if t == nil {
		return true
	}
	for i := range t.ctrlLen() {
		e := t.liveAt(i)
		if e == nil || e.volatile() && db.ks.ttlPassed(s, e.exp()) {
			continue
		}
		if !fn(e.key(), e.value()) {
			return false
		}
	}
	return true
}

// NextNonEmptySlot returns the first slot ≥ from holding keys, or -1.
func (db *DB) NextNonEmptySlot(from int) int {
	for s := from; s < slot.Count; s++ {
		if db.st().keys[s].Load() > 0 {
			return s
		}
	}
	return -1
}

// Flush removes every key, returning how many there were. Needs LockAll.
func (db *DB) Flush() int64 {
	if b := db.ks.observer.Load(); b != nil {
		b.o.BeforeFlush(db.Index)
	}
	db.watch.touchAll(db, nil)
	n := db.keys.Load()
	for s := range db.st().tables {
		if t := db.st().tables[s]; t != nil {
			db.releaseAll(s, t)
			db.st().tables[s] = nil
			db.st().keys[s].Store(0)
		}
	}
	db.keys.Store(0)
	db.volatile.Store(0)
	return n
}

// FlushSlot removes every key of slot s. Needs s's stripe locked.
func (db *DB) FlushSlot(s int) int {
	t := db.st().tables[s]
	if t == nil {
		return 0
	}
	db.ks.BeforeWrite(s)
	for i := range t.ctrlLen() {
		if e := t.liveAt(i); e != nil {
			db.touch(e.key())
		}
	}
	n := int(t.n)
	db.releaseAll(s, t)
	db.keys.Add(int64(-n))
	db.volatile.Add(int64(-t.volatile))
	db.st().keys[s].Store(0)
	db.st().tables[s] = nil
	return n
}

// releaseAll notes the release of every entry of slot s's table t, which
// is being dropped whole (header and arrays too); a large total counts as
// a big release.
func (db *DB) releaseAll(s int, t *slotTable) {
	var n int64
	for i := range t.ctrlLen() {
		if e := t.liveAt(i); e != nil {
			n += e.allocated()
		}
	}
	n += t.arrayBytes() + headerBytes
	db.ks.stripes[StripeOf(s)].net.Add(t.grown - n)
	t.grown = 0
	db.ks.bigFreed.Add(n)
}

// RandomKey returns a random live key, or false if the database is empty.
// Needs LockAll. rnd returns a random int in [0, n).
func (db *DB) RandomKey(rnd func(n int) int) (string, bool) {
	if db.keys.Load() == 0 {
		return "", false
	}
	now := db.ks.NowMs()
	for tries := 0; tries < 100; tries++ {
		s := db.NextNonEmptySlot(rnd(slot.Count))
		if s < 0 {
			s = db.NextNonEmptySlot(0)
		}
		if s < 0 {
			return "", false
		}
		t := db.st().tables[s]
		c := t.ctrlLen()
		// From a random position, the first live key (wrapping): positions
		// are in hash order, so this is a random key of the slot.
		start := rnd(c)
		for j := 0; j < c; j++ {
			i := start + j
			if i >= c {
				i -= c
			}
			e := t.liveAt(i)
			if e == nil {
				continue
			}
			if !e.volatile() || e.exp() > now {
				return e.key(), true
			}
			if !db.ks.keepExpired() {
				// dbRandomKey: a key found expired is reclaimed (a DEL
				// for AOF and replicas) and another one is drawn.
				db.expireAt(t, s, i, strings.Clone(e.key()))
				break
			}
		}
	}
	return "", false
}

// ExpireStale reclaims every key of slot s whose TTL has passed (each one
// a DEL through OnExpire), as Redis's SCAN does for the keys it visits.
// Nothing on a replica. Needs s's stripe locked.
func (db *DB) ExpireStale(s int) {
	t := db.st().tables[s]
	if t == nil || db.volatile.Load() == 0 || db.ks.keepExpired() {
		return
	}
	n := 0
	for i := range t.ctrlLen() {
		if e := t.liveAt(i); e != nil && e.volatile() && db.ks.ttlPassed(s, e.exp()) {
			k := strings.Clone(e.key())
			db.expired(k)
			db.removeAt(t, s, i)
			db.ks.Stats.ExpiredKeys.Add(1)
			db.touch(k)
			n++
		}
	}
	if n > 0 {
		db.dropIfEmpty(s, t)
	}
}

// existsNoExpire reports whether k is stored, expired or not.
func (db *DB) existsNoExpire(k string) bool {
	t := db.st().tables[slotOfString(k)]
	return t != nil && t.find(hashKey(k), k) >= 0
}

// storedExpired reports whether k is stored but past its TTL (Redis
// keyIsExpired on a key in the dict).
func (db *DB) storedExpired(k string) bool {
	s := slotOfString(k)
	t := db.st().tables[s]
	if t == nil {
		return false
	}
	i := t.find(hashKey(k), k)
	if i < 0 {
		return false
	}
	e := t.at(i)
	return e.volatile() && db.ks.ttlPassed(s, e.exp())
}

// ForEachStored calls fn for every key stored in slot s, logically expired
// keys included (as Redis's DEBUG DIGEST walks its dict), with its expiry
// in ms (-1: none), until fn returns false. Needs s's stripe locked; fn
// must not modify slot s.
func (db *DB) ForEachStored(s int, fn func(key string, v Value, exp int64) bool) bool {
	return db.Slot(s).ForEach(fn)
}

// PeekStored returns key's value and expiry (-1: none) without expiring it
// (DEBUG DIGEST-VALUE works on logically expired keys).
func (db *DB) PeekStored(key []byte) (v Value, exp int64, ok bool) {
	_, e := db.findEntry(key)
	if e == nil {
		return Value{}, -1, false
	}
	exp = -1
	if e.volatile() {
		exp = e.exp()
	}
	return e.value(), exp, true
}
