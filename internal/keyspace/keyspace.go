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
	// net counts the bytes of values stored under this stripe less those
	// released (deleted, overwritten, expired, evicted): the server adds
	// its change since the last collection to the live heap (NetBytes).
	net atomic.Int64
	// fixedMs, when not 0, is the time the command holding the stripe
	// judges TTLs by (FixTime): Redis's fixed_time_expire, so a key cannot
	// expire halfway through a transaction or a script.
	fixedMs atomic.Int64
	_       [64 - 24]byte // keep each lock on its own cache line
}

// Keyspace is the set of databases and their locks.
type Keyspace struct {
	stripes [NumStripes]stripe
	dbs     []*DB

	// NowMs returns the current time in milliseconds; injected for tests.
	NowMs func() int64

	// OnExpire, when set, is called for every key deleted because its TTL
	// passed — lazily on access, by active expiry, or when a write replaces
	// it — with the key's stripe still locked, before the deletion is
	// visible to any other command. The server appends the deletion to the
	// write stream there (Redis 7.0 propagates an expired key as DEL, or
	// UNLINK with lazyfree-lazy-expire), so the stream agrees with the
	// key's history. It must not call into the keyspace. Set before serving.
	OnExpire func(db int, key string)

	// OnTouch, when set, is called for every key a write changes, expires
	// or deletes (Redis's signalModifiedKey) while Tracking is non-zero,
	// with the key's stripe locked; it must not call into the keyspace. It
	// feeds client-side caching invalidations: with Tracking zero (no
	// client tracks keys) a write pays one atomic load. Set before serving.
	OnTouch  func(db int, key string)
	Tracking atomic.Int64

	// OnNew is called, while NotifyNew is set, for every key added to a
	// database (absent or past its TTL before the write), with its stripe
	// locked: the "new" keyspace event. It must not call into the keyspace.
	OnNew     func(db int, key string)
	NotifyNew atomic.Bool

	// Loading is set while an AOF is replayed: as in Redis, nothing
	// expires then (a key whose TTL passed is kept, and an absolute expiry
	// in the past is stored), so the replay ends in the state that was logged.
	Loading atomic.Bool
	// ReplicaMode is set while this node replicates a master: a key whose
	// TTL passed is hidden from reads but never deleted here (the master's
	// DEL removes it), active expiry is off, and OnExpire is never called,
	// so the replica's stream stays byte for byte its master's.
	ReplicaMode atomic.Bool
	// ExpirePaused is set during a client pause: as on a replica, a key
	// whose TTL passed is hidden but not deleted, and active expiry is off,
	// so the dataset stays as it is (Redis's expireIfNeeded and
	// activeExpireCycle under checkClientPauseTimeoutAndReturnIfPaused).
	ExpirePaused atomic.Bool
	// MasterApplying is set while a replica runs a command from its
	// master's stream: that command sees keys as the master did, live
	// until the master deletes them (Redis's expireIfNeeded for the master
	// client).
	MasterApplying atomic.Bool
	// OnReplicaTTL, when set, is told of every TTL a client of a writable
	// replica gives a key (Redis's slaveKeysWithExpire): the replica
	// expires those keys itself, its master knowing nothing of them. Called
	// with the key's stripe locked; must not call into the keyspace.
	OnReplicaTTL func(db int, key string)

	// Dirty counts changes since the last save (INFO rdb_changes_since_last_save).
	Dirty atomic.Int64
	// Stats are the keyspace counters INFO stats reports.
	Stats Stats

	// observer is told before changes while a snapshot runs (observe.go).
	observer atomic.Pointer[observerBox]

	// clocks feed the entries' LRU/LFU access clocks (clock.go).
	clocks accessClocks
	// bigFreed: BigFreed.
	bigFreed atomic.Int64
	bigSteps atomic.Int64 // BigSteps
}

// Stats are keyspace counters.
type Stats struct {
	ExpiredKeys atomic.Int64
	EvictedKeys atomic.Int64
	Hits        atomic.Int64
	Misses      atomic.Int64
	// LazyFreed is INFO's lazyfreed_objects: values Redis would have
	// freed in its background thread (UNLINK of a value whose free effort
	// passes types.LazyFreeThreshold, the keys of an ASYNC flush).
	LazyFreed atomic.Int64
}

// NetBytes is the bytes of values (and table growth) the keyspace stored
// since start less those it released, estimated by allocator size class,
// for used_memory.
func (ks *Keyspace) NetBytes() int64 {
	var n int64
	for i := range ks.stripes {
		n += ks.stripes[i].net.Load()
	}
	return n
}

// BigFreed is the total of bytes of large values (bigValue or more)
// released since start: the server gives memory back to the OS after it grows.
func (ks *Keyspace) BigFreed() int64 { return ks.bigFreed.Load() }

// BigSteps counts writes that grew the keyspace by bigStep or more at
// once. The maxmemory check re-measures when it moves: between its
// measures (every few commands, or every command near the limit) one
// such write could cross the limit unseen, where Redis evicts before the
// next command.
func (ks *Keyspace) BigSteps() int64 { return ks.bigSteps.Load() }

// bigStep is the growth of one write that BigSteps counts.
const bigStep = 16 << 10

// bigValue is the size from which a freed value counts in BigFreed.
const bigValue = 1 << 20

// released notes that e, an entry of slot s's table t, is being dropped.
func (ks *Keyspace) released(s int, t *slotTable, e *entry) {
	ks.stripes[StripeOf(s)].net.Add(t.grown - ks.freeing(e))
	t.grown = 0
}

// freeing is e's allocated size, counted in BigFreed if it is large.
func (ks *Keyspace) freeing(e *entry) int64 { return ks.freeingSize(e.allocated()) }

// freeingSize is freeing for an entry of allocated size n.
func (ks *Keyspace) freeingSize(n int64) int64 {
	if n >= bigValue {
		ks.bigFreed.Add(n)
	}
	return n
}

// New makes a keyspace of n databases.
func New(n int) *Keyspace {
	ks := &Keyspace{NowMs: func() int64 { return time.Now().UnixMilli() }}
	ks.SetClockNow(time.Now().UnixMilli())
	ks.SetAccessPolicy(false, 10, 1)
	ks.dbs = make([]*DB, n)
	for i := range ks.dbs {
		ks.dbs[i] = &DB{ks: ks, Index: i}
		ks.dbs[i].sl.Store(&noSlots)
	}
	// Database 0, where nearly every dataset lives, has its arrays from the
	// start: its first write would otherwise add their 192 KB to
	// used_memory at once, a step Redis's first write does not make (with
	// maxmemory a little over an idle server's use, it evicted at once).
	if n > 0 {
		ks.dbs[0].own()
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

// TryLockSlot locks the stripe of slot s if it is free, reporting whether it did.
func (ks *Keyspace) TryLockSlot(s int) bool { return ks.stripes[StripeOf(s)].TryLock() }

// UnlockSlot unlocks the stripe of slot s.
func (ks *Keyspace) UnlockSlot(s int) { ks.stripes[StripeOf(s)].Unlock() }

// LockSlots locks the stripes of the given slots, once each (lockList),
// and returns the stripes locked (reusing buf) for UnlockStripes.
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
	ks.lockList(buf)
	return buf
}

// allStripes lists every stripe, in order, for LockAll.
var allStripes = func() (a [NumStripes]int) {
	for i := range a {
		a[i] = i
	}
	return
}()

// lockList locks the stripes sts (ascending, distinct) and never waits for
// one while it holds another: it takes the first, TryLocks the rest, and
// when one is taken it lets go of all, waits for that one alone and starts
// over from it. Only a script (cmd_script.go) may wait for a stripe while
// holding others, so no cycle of waits can form: a script that already
// wrote and then reaches a lower, busy stripe cannot deadlock with a
// multi-stripe command. Uncontended, this is one Lock and len-1 TryLocks.
func (ks *Keyspace) lockList(sts []int) {
	if len(sts) == 0 {
		return
	}
	first := 0 // held before the others: the one waited for last
	ks.stripes[sts[0]].Lock()
	for {
		failed := -1
		for i, st := range sts {
			if i != first && !ks.stripes[st].TryLock() {
				failed = i
				break
			}
		}
		if failed < 0 {
			return
		}
		for j := 0; j < failed; j++ {
			if j != first {
				ks.stripes[sts[j]].Unlock()
			}
		}
		ks.stripes[sts[first]].Unlock()
		first = failed
		ks.stripes[sts[first]].Lock()
	}
}

// UnlockStripes unlocks stripes returned by LockSlots.
func (ks *Keyspace) UnlockStripes(stripes []int) {
	for i := len(stripes) - 1; i >= 0; i-- {
		ks.stripes[stripes[i]].Unlock()
	}
}

// LockStripe locks stripe st (0 ≤ st < NumStripes). A caller that holds
// other stripes uses TryLockStripe: waiting while holding is reserved to
// the one exclusive script (see lockList).
func (ks *Keyspace) LockStripe(st int) { ks.stripes[st].Lock() }

// TryLockStripe locks stripe st if it is free and reports whether it did.
func (ks *Keyspace) TryLockStripe(st int) bool { return ks.stripes[st].TryLock() }

// UnlockStripe unlocks stripe st.
func (ks *Keyspace) UnlockStripe(st int) { ks.stripes[st].Unlock() }

// LockAll locks every stripe, for commands over the whole keyspace
// (waiting for one stripe at a time, as LockSlots).
func (ks *Keyspace) LockAll() { ks.lockList(allStripes[:]) }

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

// DB is one numbered database.
type DB struct {
	ks    *Keyspace
	Index int
	// sl is the database's slot tables: noSlots until its first write
	// (database 0: from the start).
	sl atomic.Pointer[dbSlots]

	keys     atomic.Int64
	volatile atomic.Int64

	// keysPerSlotHint sizes new slot tables while an RDB loads (ExpectKeys).
	keysPerSlotHint atomic.Int64

	watch watchRegistry
}

// dbSlots is a database's table and key count per slot. A database other
// than 0 gets its own at its first write: the arrays take 192 KB, and 16 databases'
// worth would be most of an idle server's memory (Redis's empty dicts cost
// next to nothing).
type dbSlots struct {
	tables [slot.Count]*slotTable
	// keys counts keys per slot, readable without the stripe lock.
	keys [slot.Count]atomic.Int32
}

// noSlots is what a database never written reads: empty, and never written
// (a write takes the database's own arrays first: DB.own).
var noSlots dbSlots

// st is the database's slot tables, to read (noSlots before its first
// write): one pointer load.
func (db *DB) st() *dbSlots { return db.sl.Load() }

// own is the database's slot tables to write, made at its first write
// (stripes of different slots may get here at once: one wins).
func (db *DB) own() *dbSlots {
	if p := db.sl.Load(); p != &noSlots {
		return p
	}
	p := new(dbSlots)
	if db.sl.CompareAndSwap(&noSlots, p) {
		return p
	}
	return db.sl.Load()
}

// bytesString views b as a string without copying, for map lookups only.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Replaying reports whether commands now replay a recorded history (an
// AOF being loaded, or a master's stream on a replica): nothing expires,
// and a command does what the history says it did.
func (ks *Keyspace) Replaying() bool { return ks.Loading.Load() || ks.MasterApplying.Load() }

// ttlPassed reports whether a TTL at whenMs has passed for an access to
// slot s (its stripe held): by the stripe holder's fixed time if it set
// one (FixTime), else by the clock.
func (ks *Keyspace) ttlPassed(s int, whenMs int64) bool {
	now := ks.stripes[StripeOf(s)].fixedMs.Load()
	if now == 0 {
		now = ks.NowMs()
	}
	return whenMs <= now && !ks.Replaying()
}

// FixTime makes accesses under stripe st, which the caller holds, judge
// TTLs at ms until it calls FixTime(st, 0) before unlocking: EXEC and
// scripts run at one time from start to end, as Redis's call() freezes
// the time for nested calls (fixed_time_expire) and a script's time is
// its start (scriptTimeSnapshot).
func (ks *Keyspace) FixTime(st int, ms int64) { ks.stripes[st].fixedMs.Store(ms) }

// keepExpired reports whether keys past their TTL stay stored (a replica,
// or a client pause).
func (ks *Keyspace) keepExpired() bool { return ks.ReplicaMode.Load() || ks.ExpirePaused.Load() }
