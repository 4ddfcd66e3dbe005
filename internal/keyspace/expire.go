package keyspace

import (
	"github.com/shoal-db/shoal/internal/slot"
)

func slotOfString(k string) int { return slot.OfString(k) }

// Expirer runs Redis's active expiry: each cycle samples keys with a TTL
// slot by slot and reclaims the expired ones, until the time budget is spent
// or a sample finds few expired keys. Time is injected through NowMs and the
// budget check, so tests drive it deterministically.
type Expirer struct {
	ks     *Keyspace
	cursor []int // next slot to sample, per DB
}

// NewExpirer returns an active-expiry driver for ks.
func NewExpirer(ks *Keyspace) *Expirer {
	return &Expirer{ks: ks, cursor: make([]int, ks.NumDBs())}
}

// samplePerSlot is how many volatile keys one visit to a slot examines (Redis: 20 per loop).
const samplePerSlot = 20

// Cycle runs one active-expiry cycle and returns the number of keys reclaimed.
// keepGoing is polled between slots; the cycle stops when it returns false.
func (e *Expirer) Cycle(keepGoing func() bool) int {
	total := 0
	if e.ks.Loading.Load() || e.ks.keepExpired() {
		return 0 // nothing expires while an AOF is replayed, on a replica, nor during a pause
	}
	for i, db := range e.ks.dbs {
		if db.volatile.Load() == 0 {
			continue
		}
		visited := 0
		for visited < slot.Count && keepGoing() {
			s := e.cursor[i]
			e.cursor[i] = (s + 1) % slot.Count
			visited++
			if db.st().keys[s].Load() == 0 {
				continue
			}
			n := e.sweepSlot(db, s)
			total += n
			if db.volatile.Load() == 0 {
				break
			}
		}
	}
	return total
}

// sweepMaxVisit bounds the positions one visit to a slot examines, so a
// huge slot with few volatile keys costs a bounded step per visit; the
// table's sweep position carries over to the next visit.
const sweepMaxVisit = 20 * samplePerSlot

func (e *Expirer) sweepSlot(db *DB, s int) int {
	e.ks.LockSlot(s)
	defer e.ks.UnlockSlot(s)
	t := db.st().tables[s]
	if t == nil || t.volatile == 0 {
		return 0
	}
	now := e.ks.NowMs()
	c := t.ctrlLen()
	pos := int(t.sweep)
	if pos >= c {
		pos = 0
	}
	n, seen := 0, 0
	for visited := 0; visited < c && visited < sweepMaxVisit && seen < samplePerSlot; visited++ {
		i := pos
		if pos++; pos == c {
			pos = 0
		}
		en := t.liveAt(i)
		if en == nil || !en.volatile() {
			continue
		}
		seen++
		if en.exp() <= now {
			k := en.key()
			db.expired(k)
			db.removeAt(t, s, i)
			db.touch(k)
			n++
		}
	}
	t.sweep = int32(pos)
	if n > 0 {
		db.dropIfEmpty(s, t)
	}
	e.ks.Stats.ExpiredKeys.Add(int64(n))
	return n
}
