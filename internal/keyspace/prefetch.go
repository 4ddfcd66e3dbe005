package keyspace

import (
	"math/bits"

	"github.com/shoal-db/shoal/internal/slot"
)

// PrefetchMax is how many keys one Prefetch call takes.
const PrefetchMax = 16

// Prefetcher brings the table data of the keys a batch of pipelined
// commands will look up into the CPU cache before the commands run.
//
// A lookup is a chain of dependent loads, each a likely cache miss on a
// large keyspace: the slot table, its control group and entries, the
// record. Run one command after another and the misses are paid one after
// another. Touching the same chain for every key of the batch stage by
// stage (all tables, then all groups, then all records) issues each
// stage's loads independently of each other, so the CPU overlaps their
// misses; the commands then find their data cached. This is what Redis 8's
// IO threads do with explicit prefetch instructions; Go has none, so the
// touches are ordinary loads whose results are summed into a sink.
//
// It only reads, under TryLock of each key's stripe: a stripe another
// goroutine holds is skipped (the command will pay its misses), so a
// prefetch never waits and never changes what a command sees. A
// Prefetcher belongs to one connection and is reused between batches.
//
// It holds no pointers: Add keeps a key's slot and hash, not its bytes,
// and the stages find a slot's table again by its number. While the
// collector marks, every pointer written to memory goes through its write
// barrier; a replica applying its master's stream then spent a quarter of
// its barrier work on a Prefetcher's keys and tables.
type Prefetcher struct {
	held [NumStripes / 64]uint64
	n    int
	ks   [PrefetchMax]pfKey
	sink uint64
}

type pfKey struct {
	s    int
	h    uint64
	ctrl uint64 // the probed control group (stage 3)
	g    int
}

// Add queues key for the next Run, reporting false when the batch is full.
func (p *Prefetcher) Add(key []byte) bool {
	if p.n == PrefetchMax {
		return false
	}
	p.ks[p.n] = pfKey{s: slot.Of(key), h: hashKey(bytesString(key))}
	p.n++
	return true
}

// Len is how many keys are queued.
func (p *Prefetcher) Len() int { return p.n }

// Run touches the queued keys' data in db and empties the batch.
func (p *Prefetcher) Run(db *DB) {
	ks := db.ks
	live := p.ks[:0]
	// Stage 1: lock each key's stripe. Locked instructions order memory
	// accesses on x86, so they all come before the first touch, which
	// would otherwise wait for every miss before it.
	for _, k := range p.ks[:p.n] {
		st := StripeOf(k.s)
		w, b := st>>6, uint64(1)<<(st&63)
		if p.held[w]&b == 0 {
			if !ks.stripes[st].TryLock() {
				continue
			}
			p.held[w] |= b
		}
		live = append(live, k)
	}
	// Stage 2: each slot table's header.
	tables := &db.st().tables
	sink := p.sink
	j := 0
	for _, k := range live {
		if t := tables[k.s]; t != nil {
			sink += uint64(t.n)
			live[j] = k
			j++
		}
	}
	live = live[:j]
	// Stage 3: each key's first control group and, in a chunked table,
	// the pointer to the chunk holding its entries.
	for i := range live {
		k := &live[i]
		t := tables[k.s]
		if t.capacity() == 0 {
			k.ctrl = lsb * ctrlEmpty // matches no tag in stage 5
			continue
		}
		k.g = t.startGroup(k.h)
		k.ctrl = t.group(k.g)
		sink += uint64(uintptr(t.groupBase(k.g)))
	}
	// Stage 4: the group's entries (its first and last, two cache lines).
	for i := range live {
		k := &live[i]
		if t := tables[k.s]; t.capacity() > 0 {
			base := t.groupBase(k.g)
			last := min(groupSize, t.capacity()-k.g*groupSize) - 1
			sink += uint64(entryIn(base, 0).vlen) + uint64(entryIn(base, last).vlen)
		}
	}
	// Stage 5: the record (or box) of the entry whose tag matches.
	for i := range live {
		k := &live[i]
		if m := matchTag(k.ctrl, tagOf(k.h)); m != 0 {
			sink += entryIn(tables[k.s].groupBase(k.g), bits.TrailingZeros64(m)>>3).touch()
		}
	}
	p.sink = sink
	for w, bitsHeld := range p.held {
		for ; bitsHeld != 0; bitsHeld &= bitsHeld - 1 {
			ks.stripes[w<<6|bits.TrailingZeros64(bitsHeld)].Unlock()
		}
		p.held[w] = 0
	}
	p.Reset()
}

// touch loads the first byte of the entry's record (or box), so a later
// access finds it in cache; the byte is summed into a sink by the caller.
func (e *entry) touch() uint64 {
	if e.p == nil {
		return 0
	}
	return uint64(*(*byte)(e.p))
}

// Reset empties the batch without touching anything.
func (p *Prefetcher) Reset() { p.n = 0 }
