package types

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// table is the "hashtable" encoding shared by hashes (V = string) and sets
// (V = struct{}): a chained hash table whose buckets hold indexes into one
// slab of entries.
//
// Why not a Go map: HSCAN/SSCAN must guarantee that every element present for
// the whole scan is returned, with a cursor the client holds between calls
// while the table grows and shrinks. Go maps have no stable iteration
// position. Redis gets the guarantee from power-of-two bucket arrays walked
// in reverse-binary cursor order (dictScan): when the table doubles or halves,
// the buckets already visited map onto buckets the cursor has already passed.
// We copy that scheme. An insertion-ordered array with tombstones would need
// compaction that moves elements behind the cursor; bucket order does not care
// where an entry lives in the slab, so the slab can be compacted at will.
//
// The slab also gives uniform random elements in O(1) (SPOP, SRANDMEMBER,
// HRANDFIELD): pick a slab slot, retry if it is free; compaction keeps at
// least half of the slots live.
type table[V any] struct {
	buckets []int32 // 1-based index into ents of the chain head; 0 = empty
	ents    []tentry[V]
	free    int32 // 1-based index of the first free entry; 0 = none
	nfree   int
	n       int
}

type tentry[V any] struct {
	val  V
	key  string
	hash uint32
	// next is, for a live entry, the 1-based index of the next entry in the
	// chain (0 = end); for a free entry, -1 - (1-based index of the next free
	// entry).
	next int32
}

const tableMinSize = 4

var tableSeed = maphash.MakeSeed()

func hashBytes(b []byte) uint32  { return uint32(maphash.Bytes(tableSeed, b)) }
func hashString(s string) uint32 { return uint32(maphash.String(tableSeed, s)) }

func newTable[V any](hint int) *table[V] {
	t := &table[V]{}
	t.buckets = make([]int32, nextPow2(hint))
	if hint > 0 {
		t.ents = make([]tentry[V], 0, hint)
	}
	return t
}

func nextPow2(n int) int {
	if n <= tableMinSize {
		return tableMinSize
	}
	return 1 << bits.Len(uint(n-1))
}

// Len is the number of live entries.
func (t *table[V]) Len() int { return t.n }

// find returns the slab index of key, or -1.
func (t *table[V]) find(key []byte) int32 { return t.findHashed(key, hashBytes(key)) }

// findHashed is find with key's hash h already computed.
func (t *table[V]) findHashed(key []byte, h uint32) int32 {
	for i := t.buckets[h&uint32(len(t.buckets)-1)]; i != 0; {
		e := &t.ents[i-1]
		if e.hash == h && e.key == string(key) {
			return i - 1
		}
		i = e.next
	}
	return -1
}

// findString is find for a Go string.
func (t *table[V]) findString(key string) int32 {
	h := hashString(key)
	for i := t.buckets[h&uint32(len(t.buckets)-1)]; i != 0; {
		e := &t.ents[i-1]
		if e.hash == h && e.key == key {
			return i - 1
		}
		i = e.next
	}
	return -1
}

// insert adds key, which must be absent, and returns its slab index.
func (t *table[V]) insert(key string, val V) int32 {
	return t.insertHashed(key, hashString(key), val)
}

// insertHashed is insert with key's hash h already computed (hashBytes and
// hashString agree).
func (t *table[V]) insertHashed(key string, h uint32, val V) int32 {
	if t.n >= len(t.buckets) {
		t.rehash(nextPow2(t.n + 1))
	}
	var idx int32
	if t.free != 0 {
		idx = t.free - 1
		t.free = -1 - t.ents[idx].next
		t.nfree--
	} else {
		t.ents = append(t.ents, tentry[V]{})
		idx = int32(len(t.ents) - 1)
	}
	b := &t.buckets[h&uint32(len(t.buckets)-1)]
	t.ents[idx] = tentry[V]{val: val, key: key, hash: h, next: *b}
	*b = idx + 1
	t.n++
	return idx
}

// remove deletes key, reporting whether it was present.
func (t *table[V]) remove(key []byte) bool {
	h := hashBytes(key)
	p := &t.buckets[h&uint32(len(t.buckets)-1)]
	for *p != 0 {
		i := *p - 1
		e := &t.ents[i]
		if e.hash == h && e.key == string(key) {
			*p = e.next
			*e = tentry[V]{next: -1 - t.free}
			t.free = i + 1
			t.nfree++
			t.n--
			t.afterRemove()
			return true
		}
		p = &e.next
	}
	return false
}

// afterRemove shrinks the bucket array below 10% fill (as Redis's
// htNeedsResize) and compacts the slab when more than half of it is free.
func (t *table[V]) afterRemove() {
	if len(t.buckets) > tableMinSize && t.n*10 < len(t.buckets) {
		t.rehash(nextPow2(t.n))
		return
	}
	if t.nfree > t.n && len(t.ents) > 16 {
		t.rehash(len(t.buckets))
	}
}

// rehash rebuilds the table with size buckets, compacting the slab.
func (t *table[V]) rehash(size int) {
	ents := t.ents
	if t.nfree > 0 {
		live := make([]tentry[V], 0, t.n+t.n/4+1)
		for i := range ents {
			if ents[i].next >= 0 {
				live = append(live, ents[i])
			}
		}
		ents = live
		t.free, t.nfree = 0, 0
	}
	if size == len(t.buckets) {
		clear(t.buckets)
	} else {
		t.buckets = make([]int32, size)
	}
	mask := uint32(size - 1)
	for i := range ents {
		b := &t.buckets[ents[i].hash&mask]
		ents[i].next = *b
		*b = int32(i + 1)
	}
	t.ents = ents
}

// live reports whether slab index i holds an entry.
func (t *table[V]) live(i int) bool { return t.ents[i].next >= 0 }

// randomIndex returns the slab index of a uniformly random entry. The table
// must not be empty.
func (t *table[V]) randomIndex() int32 {
	for {
		i := rand.IntN(len(t.ents))
		if t.ents[i].next >= 0 {
			return int32(i)
		}
	}
}

// each calls fn for every entry until it returns false.
func (t *table[V]) each(fn func(e *tentry[V]) bool) bool {
	for i := range t.ents {
		if t.ents[i].next >= 0 && !fn(&t.ents[i]) {
			return false
		}
	}
	return true
}

// scanBucket calls fn for each entry of the bucket cursor v points at and
// returns the next cursor (0 when the scan is complete), advancing in
// reverse-binary order as Redis's dictScan does for a single table.
func (t *table[V]) scanBucket(v uint64, fn func(e *tentry[V])) uint64 {
	m := uint64(len(t.buckets) - 1)
	for i := t.buckets[v&m]; i != 0; {
		e := &t.ents[i-1]
		i = e.next
		fn(e)
	}
	v |= ^m
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// bucketEmpty reports whether cursor v points at an empty bucket.
func (t *table[V]) bucketEmpty(v uint64) bool {
	return t.buckets[v&uint64(len(t.buckets)-1)] == 0
}

// clone returns a deep copy (strings are immutable and shared).
func (t *table[V]) clone() *table[V] {
	c := &table[V]{n: t.n}
	c.buckets = append([]int32(nil), t.buckets...)
	c.ents = append([]tentry[V](nil), t.ents...)
	c.free, c.nfree = t.free, t.nfree
	return c
}

// RandIntN is the random source of SPOP, SRANDMEMBER and HRANDFIELD.
func RandIntN(n int) int { return rand.IntN(n) }

// reset empties t into newTable(hint)'s shape, keeping its bucket array and
// entry slab when their capacity fits hint with little waste (a scratch
// table refilled per value: Set.ResetTable); the old keys are dropped.
func (t *table[V]) reset(hint int) {
	nb := nextPow2(hint)
	if c := cap(t.buckets); c >= nb && c <= 2*nb {
		t.buckets = t.buckets[:nb]
		clear(t.buckets)
	} else {
		t.buckets = make([]int32, nb)
	}
	clear(t.ents) // no key kept alive
	if c := cap(t.ents); hint > 0 && (c < hint || c > 2*hint+8) {
		t.ents = make([]tentry[V], 0, hint)
	} else {
		t.ents = t.ents[:0]
	}
	t.free, t.nfree, t.n = 0, 0, 0
}
