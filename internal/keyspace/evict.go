package keyspace

import (
	"math"
	"strings"

	"github.com/shoal-db/shoal/internal/slot"
)

// Policy is a maxmemory-policy.
type Policy uint8

const (
	NoEviction Policy = iota
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
	AllkeysLRU
	AllkeysLFU
	AllkeysRandom
)

// ParsePolicy maps a maxmemory-policy name to its Policy (noeviction for
// anything else).
func ParsePolicy(name string) Policy {
	switch name {
	case "volatile-lru":
		return VolatileLRU
	case "volatile-lfu":
		return VolatileLFU
	case "volatile-random":
		return VolatileRandom
	case "volatile-ttl":
		return VolatileTTL
	case "allkeys-lru":
		return AllkeysLRU
	case "allkeys-lfu":
		return AllkeysLFU
	case "allkeys-random":
		return AllkeysRandom
	}
	return NoEviction
}

// LFU reports whether p keeps LFU counters.
func (p Policy) LFU() bool { return p == VolatileLFU || p == AllkeysLFU }

// volatileOnly reports whether p evicts only keys with a TTL.
func (p Policy) volatileOnly() bool { return p >= VolatileLRU && p <= VolatileTTL }

// poolSize is the eviction pool's size (Redis's EVPOOL_SIZE).
const poolSize = 16

type candidate struct {
	score uint64 // higher: evict first
	db    int
	key   string // "": empty place
}

// Evictor chooses and deletes keys to free memory, as Redis 7.0's
// evict.c does: a pool of the best candidates seen so far, refilled by
// sampling maxmemory-samples keys of each database, for the LRU, LFU and
// TTL policies; a random key for the random ones. It is not safe for
// concurrent use (the server serializes evictions) and takes each stripe
// it reads by itself, so its caller must hold none.
type Evictor struct {
	ks   *Keyspace
	pool [poolSize]candidate // sorted by score, ascending; empty places first
	next int                 // next database for the random policies

	// Rand returns a random int in [0, n); injected for tests.
	Rand func(n int) int

	// OnEvict is called for each key evicted, with its stripe still
	// locked, after the deletion (the server appends DEL/UNLINK to the
	// write stream there, as for an expiry); it must not call into the
	// keyspace.
	OnEvict func(db int, key string)
}

// NewEvictor makes an evictor over ks.
func NewEvictor(ks *Keyspace, rnd func(n int) int) *Evictor {
	return &Evictor{ks: ks, Rand: rnd}
}

// EvictOne evicts one key under policy p, sampling samples keys per
// database for the pool policies. It returns an estimate of the bytes the
// deletion frees and whether a key was evicted (false: nothing evictable).
func (ev *Evictor) EvictOne(p Policy, samples int) (int64, bool) {
	switch p {
	case NoEviction:
		return 0, false
	case AllkeysRandom, VolatileRandom:
		return ev.evictRandom(p)
	}
	for {
		total := int64(0)
		for i, db := range ev.ks.dbs {
			n := db.keys.Load()
			if p.volatileOnly() {
				n = db.volatile.Load()
			}
			if n > 0 {
				total += n
				ev.populate(i, p, samples)
			}
		}
		if total == 0 {
			return 0, false
		}
		for j := poolSize - 1; j >= 0; j-- {
			c := ev.pool[j]
			if c.key == "" {
				continue
			}
			ev.pool[j] = candidate{} // the rightmost: the rest stays contiguous
			if freed, ok := ev.evictKey(c.db, c.key, p.volatileOnly()); ok {
				return freed, true
			}
			// A ghost (deleted or changed since it was sampled): try the next.
		}
		// Every candidate was a ghost: sample again.
	}
}

// populate samples keys of database dbi into the pool (Redis's
// evictionPoolPopulate). Like dictGetSomeKeys, it takes consecutive keys
// from a random place: from a random position of a random non-empty slot
// on through that slot and the following ones, under each slot's stripe,
// until it has samples keys (with a TTL, for the volatile policies) or has
// seen every slot; so a database smaller than samples is sampled whole.
func (ev *Evictor) populate(dbi int, p Policy, samples int) {
	db := ev.ks.dbs[dbi]
	vol := p.volatileOnly()
	got := 0
	ev.walk(db, vol, func(t *slotTable, i int) bool {
		e := t.at(i)
		ev.insert(candidate{score: ev.score(e, p), db: dbi}, e)
		got++
		return got < samples
	})
}

// walk calls fn for live entries (with a TTL if vol) of db, from a random
// position of a random non-empty slot onwards, each slot under its stripe,
// until fn returns false or every slot was visited once.
func (ev *Evictor) walk(db *DB, vol bool, fn func(t *slotTable, i int) bool) {
	first := db.NextNonEmptySlot(ev.Rand(slot.Count))
	if first < 0 {
		if first = db.NextNonEmptySlot(0); first < 0 {
			return
		}
	}
	for s, n := first, 0; n < slot.Count; n++ {
		if db.st().keys[s].Load() > 0 {
			ev.ks.LockSlot(s)
			more := true
			if t := db.st().tables[s]; t != nil && t.n > 0 && (!vol || t.volatile > 0) {
				c := t.ctrlLen()
				start := ev.Rand(c)
				for j := 0; j < c && more; j++ {
					i := start + j
					if i >= c {
						i -= c
					}
					if e := t.liveAt(i); e != nil && (!vol || e.volatile()) {
						more = fn(t, i)
					}
				}
			}
			ev.ks.UnlockSlot(s)
			if !more {
				return
			}
		}
		if s++; s == slot.Count {
			s = 0
		}
	}
}

// score is how eagerly e is evicted under p: its idle time (LRU), 255
// less its counter (LFU), or the inverse of its expiry time (TTL).
func (ev *Evictor) score(e *entry, p Policy) uint64 {
	switch p {
	case AllkeysLRU, VolatileLRU:
		return uint64(ev.ks.IdleMs(e.clock()))
	case AllkeysLFU, VolatileLFU:
		return 255 - uint64(ev.ks.lfuDecayed(e.clock()))
	}
	return math.MaxUint64 - uint64(e.exp())
}

// insert puts c (for entry e, whose key it clones only if it is kept) in
// the pool if it beats the worst candidate there or a place is empty
// (Redis's pool insertion: candidates ascending from the left, empty
// places at the right).
func (ev *Evictor) insert(c candidate, e *entry) {
	// As in Redis, a key sampled twice may hold two places; the second is
	// a ghost once the first is evicted (comparing keys here cost more).
	k := e.key()
	i := 0
	for i < poolSize && ev.pool[i].key != "" && ev.pool[i].score < c.score {
		i++
	}
	last := poolSize - 1
	if i == 0 && ev.pool[last].key != "" {
		return // worse than everything in a full pool
	}
	c.key = strings.Clone(k)
	switch {
	case i < poolSize && ev.pool[i].key == "":
	case ev.pool[last].key == "":
		copy(ev.pool[i+1:], ev.pool[i:last]) // room at the right
	default:
		i-- // full: drop the worst, at the left
		copy(ev.pool[:i], ev.pool[1:i+1])
	}
	ev.pool[i] = c
}

// evictRandom evicts a random key (with a TTL, for volatile-random),
// trying the databases round-robin as Redis does.
func (ev *Evictor) evictRandom(p Policy) (int64, bool) {
	vol := p == VolatileRandom
	for range ev.ks.dbs {
		dbi := ev.next % len(ev.ks.dbs)
		ev.next++
		db := ev.ks.dbs[dbi]
		n := db.keys.Load()
		if vol {
			n = db.volatile.Load()
		}
		if n == 0 {
			continue
		}
		var freed int64
		found := false
		ev.walk(db, vol, func(t *slotTable, i int) bool {
			freed, found = ev.remove(db, t, t.slotOf(i), i, t.at(i).key()), true
			return false
		})
		if found {
			return freed, true
		}
	}
	return 0, false
}

// evictKey deletes key from database dbi if it is still there (with a TTL
// if vol), returning the bytes freed.
func (ev *Evictor) evictKey(dbi int, key string, vol bool) (int64, bool) {
	db := ev.ks.dbs[dbi]
	s := slotOfString(key)
	ev.ks.LockSlot(s)
	defer ev.ks.UnlockSlot(s)
	t := db.st().tables[s]
	if t == nil {
		return 0, false
	}
	i := t.find(hashKey(key), key)
	if i < 0 || (vol && !t.at(i).volatile()) {
		return 0, false
	}
	return ev.remove(db, t, s, i, key), true
}

// remove deletes position i (key k) of slot s as an eviction and returns
// the estimated bytes freed. Needs s's stripe locked.
func (ev *Evictor) remove(db *DB, t *slotTable, s, i int, k string) int64 {
	freed := t.at(i).size()
	k = strings.Clone(k) // the entry's bytes are freed below
	db.removeAt(t, s, i)
	db.dropIfEmpty(s, t)
	ev.ks.Stats.EvictedKeys.Add(1)
	if f := ev.OnEvict; f != nil {
		f(db.Index, k)
	}
	db.touch(k)
	return freed
}

// slotOf is the slot of the key at position i.
func (t *slotTable) slotOf(i int) int { return slotOfString(t.at(i).key()) }

// sizer is implemented by collections that can tell their memory use.
type sizer interface{ MemoryUsage() int }

// size estimates the bytes the entry holds, for MEMORY USAGE and the
// eviction loop: its allocations and its share of the table (as Redis's
// count includes its dictEntry).
func (e *entry) size() int64 { return e.allocated() + entryShare }

// entryShare is an entry's share of its table's arrays: a 16-byte entry and
// a control byte at ~0.7 load.
const entryShare = 24

// allocated estimates the bytes of the entry's own allocation(s), rounded
// to the allocator's size classes: what used_memory counts for it (the
// table's arrays count apart, as slotTable.grown).
func (e *entry) allocated() int64 {
	if !e.boxed() {
		n := e.klen() + int(e.vlen&lenMask)
		if e.volatile() {
			n += 8
		}
		return int64(roundAlloc(n))
	}
	switch e.boxKind() {
	case boxStr:
		b := (*strBox)(e.p)
		return int64(48 + roundAlloc(len(b.key)) + roundAlloc(len(b.str)))
	case boxObj16:
		return int64(32 + objSize(e))
	case boxObj32:
		return int64(48 + objSize(e))
	}
	return int64(48 + roundAlloc(len(e.key())) + objSize(e))
}

func objSize(e *entry) int {
	o := e.obj()
	if s, ok := o.(sizer); ok {
		return s.MemoryUsage()
	}
	return 64 + 32*o.Len()
}

// roundAlloc rounds n up to about the Go allocator's size class.
func roundAlloc(n int) int {
	switch {
	case n == 0:
		return 0
	case n <= 8:
		return 8
	case n <= 256:
		return (n + 15) &^ 15
	case n <= 1024:
		return (n + 127) &^ 127
	case n <= 32768:
		return (n + 1023) &^ 1023
	}
	return (n + 8191) &^ 8191
}

// TableOverhead is the bytes the databases' hash tables take beside the
// values (Redis counts its dicts in used_memory_overhead). It takes each
// stripe in turn.
func (ks *Keyspace) TableOverhead() int64 {
	var n int64
	for _, d := range ks.TableOverheads() {
		n += d
	}
	return n
}

// TableOverheads is TableOverhead per database (MEMORY STATS's
// overhead.hashtable.main of each db.N).
func (ks *Keyspace) TableOverheads() []int64 {
	out := make([]int64, len(ks.dbs))
	for st := 0; st < NumStripes; st++ {
		ks.LockStripe(st)
		for i, db := range ks.dbs {
			for s := st; s < slot.Count; s += NumStripes {
				if t := db.st().tables[s]; t != nil {
					out[i] += t.arrayBytes() + headerBytes
				}
			}
		}
		ks.UnlockStripe(st)
	}
	return out
}

// MemoryUsage is MEMORY USAGE's estimate for key: the bytes its entry,
// key and value take (entry.size), or false if there is no such key. As
// Redis's, it looks the key up without expiring it.
func (db *DB) MemoryUsage(key []byte) (int64, bool) {
	_, e := db.findEntry(key)
	if e == nil {
		return 0, false
	}
	return e.size(), true
}
