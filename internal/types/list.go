package types

import "slices"

// List is a Redis list: a deque of fixed-capacity chunks of strings, the
// Go counterpart of Redis's quicklist of listpack nodes. Pushes and pops at
// either end are O(1) (amortised); an index is found by skipping whole
// chunks, so LINDEX/LSET/LRANGE cost O(n/chunkCap + range); an insert or a
// delete in the middle moves at most one chunk's elements.
//
// Invariants: every chunk in chunks[head:] is non-empty (but for the one
// Reserve makes, until the first push); n is the sum of the
// chunk lengths. A chunk fills towards whichever end is pushed, so a list
// built by pushes at one end packs its chunks fully. Most lists are short,
// so a list's first chunk starts small and doubles up to chunkCap (a
// three-element list costs ~200 bytes, not a 2 KB chunk); every later chunk
// is full-sized.
//
// Redis 7.0 reports OBJECT ENCODING "quicklist" for every list (the
// listpack encoding for small lists arrived in 7.2), so Encoding is fixed.
type List struct {
	chunks []*listChunk // live chunks are chunks[head:]
	head   int
	n      int
}

// chunkCap is the number of elements per chunk. 128 strings (2 KB of
// headers) keep the chunk walk short and a middle insert cheap.
const chunkCap = 128

// firstChunkCap is the capacity of an unsized list's first chunk.
const firstChunkCap = 4

// listChunk holds items[lo:hi]; len(items) ≤ chunkCap is its capacity.
type listChunk struct {
	lo, hi int
	items  []string
}

// newChunk returns an empty chunk of capacity n, positioned to be filled
// from its start (atBack) or from its end.
func newChunk(n int, atBack bool) *listChunk {
	c := &listChunk{items: make([]string, n)}
	if !atBack {
		c.lo, c.hi = n, n
	}
	return c
}

// grow doubles a chunk's capacity (up to chunkCap), keeping the free room
// at the end that is not being pushed to.
func (c *listChunk) grow(atBack bool) {
	old := len(c.items)
	n := min(max(2*old, firstChunkCap), chunkCap)
	items := make([]string, n)
	if atBack {
		copy(items[c.lo:], c.items[c.lo:c.hi])
	} else {
		shift := n - old
		copy(items[c.lo+shift:], c.items[c.lo:c.hi])
		c.lo += shift
		c.hi += shift
	}
	c.items = items
}

func (c *listChunk) len() int { return c.hi - c.lo }

// NewList returns an empty list.
func NewList() *List { return &List{} }

// Reserve sizes an empty list's first chunk for n elements pushed at the
// back (RDB loads, RPUSH with many arguments), and must be followed by a
// push; it does nothing to a list that has elements.
func (l *List) Reserve(n int) {
	if l.n != 0 || n <= 0 {
		return
	}
	l.chunks, l.head = append(l.chunks[:0], newChunk(min(n, chunkCap), true)), 0
}

// Kind is KindList.
func (l *List) Kind() Kind { return KindList }

// Encoding is "quicklist", as Redis 7.0 reports for every list.
func (l *List) Encoding() string { return "quicklist" }

// Len is the number of elements.
func (l *List) Len() int { return l.n }

func (l *List) live() []*listChunk { return l.chunks[l.head:] }

// PushBack appends v at the tail.
func (l *List) PushBack(v string) {
	cs := l.live()
	var c *listChunk
	switch {
	case len(cs) == 0:
		c = newChunk(firstChunkCap, true)
		l.chunks, l.head = append(l.chunks[:0], c), 0
	default:
		c = cs[len(cs)-1]
		if c.hi == len(c.items) {
			if len(c.items) < chunkCap {
				c.grow(true)
			} else {
				c = newChunk(chunkCap, true)
				l.chunks = append(l.chunks, c)
			}
		}
	}
	c.items[c.hi] = v
	c.hi++
	l.n++
}

// PushFront inserts v at the head.
func (l *List) PushFront(v string) {
	cs := l.live()
	var c *listChunk
	switch {
	case len(cs) == 0:
		c = newChunk(firstChunkCap, false)
		l.chunks, l.head = append(l.chunks[:0], c), 0
	default:
		c = cs[0]
		if c.len() == 0 { // reserved for pushes at the back
			c.lo, c.hi = len(c.items), len(c.items)
		}
		if c.lo == 0 {
			if len(c.items) < chunkCap {
				c.grow(false)
			} else {
				c = newChunk(chunkCap, false)
				l.prependChunk(c)
			}
		}
	}
	c.lo--
	c.items[c.lo] = v
	l.n++
}

// prependChunk puts c before the first live chunk, regrowing the chunk
// slice with room at the front when there is none.
func (l *List) prependChunk(c *listChunk) {
	if l.head == 0 {
		live := len(l.chunks)
		room := live + 4
		nc := make([]*listChunk, room+live, room+live+live/2+4)
		copy(nc[room:], l.chunks)
		l.chunks = nc
		l.head = room
	}
	l.head--
	l.chunks[l.head] = c
}

// PopFront removes and returns the head element.
func (l *List) PopFront() (string, bool) {
	if l.n == 0 {
		return "", false
	}
	c := l.chunks[l.head]
	v := c.items[c.lo]
	c.items[c.lo] = ""
	c.lo++
	l.n--
	if c.lo == c.hi {
		l.removeChunk(0)
	}
	return v, true
}

// PopBack removes and returns the tail element.
func (l *List) PopBack() (string, bool) {
	if l.n == 0 {
		return "", false
	}
	cs := l.live()
	c := cs[len(cs)-1]
	c.hi--
	v := c.items[c.hi]
	c.items[c.hi] = ""
	l.n--
	if c.lo == c.hi {
		l.removeChunk(len(cs) - 1)
	}
	return v, true
}

// removeChunk drops the i-th live chunk.
func (l *List) removeChunk(i int) {
	cs := l.live()
	switch {
	case i == 0:
		l.chunks[l.head] = nil
		l.head++
	case i == len(cs)-1:
		l.chunks[len(l.chunks)-1] = nil
		l.chunks = l.chunks[:len(l.chunks)-1]
	default:
		copy(cs[i:], cs[i+1:])
		l.chunks[len(l.chunks)-1] = nil
		l.chunks = l.chunks[:len(l.chunks)-1]
	}
	if l.head == len(l.chunks) {
		l.chunks, l.head = l.chunks[:0], 0
	}
}

// norm turns a Redis index (negative counts from the tail) into 0..n-1,
// reporting false when it is out of range.
func (l *List) norm(i int64) (int, bool) {
	if i < 0 {
		i += int64(l.n)
	}
	if i < 0 || i >= int64(l.n) {
		return 0, false
	}
	return int(i), true
}

// locate finds the chunk (live index) and the offset inside it of element
// i (0 ≤ i < n), walking from the nearer end.
func (l *List) locate(i int) (int, int) {
	cs := l.live()
	if i < l.n/2 {
		for ci, c := range cs {
			if i < c.len() {
				return ci, c.lo + i
			}
			i -= c.len()
		}
	} else {
		back := l.n - 1 - i
		for ci := len(cs) - 1; ci >= 0; ci-- {
			c := cs[ci]
			if back < c.len() {
				return ci, c.hi - 1 - back
			}
			back -= c.len()
		}
	}
	panic("types: list index out of range")
}

// Index returns element i (negative counts from the tail).
func (l *List) Index(i int64) (string, bool) {
	j, ok := l.norm(i)
	if !ok {
		return "", false
	}
	ci, off := l.locate(j)
	return l.live()[ci].items[off], true
}

// Set replaces element i (negative counts from the tail), reporting false
// when i is out of range.
func (l *List) Set(i int64, v string) bool {
	j, ok := l.norm(i)
	if !ok {
		return false
	}
	ci, off := l.locate(j)
	l.live()[ci].items[off] = v
	return true
}

// Range calls fn for elements start..end (0-based, inclusive, already
// clamped by the caller to 0 ≤ start ≤ end < n) in order; fn returns false
// to stop.
func (l *List) Range(start, end int, fn func(v string) bool) {
	if start > end || end >= l.n {
		return
	}
	cs := l.live()
	ci, off := l.locate(start)
	left := end - start + 1
	for ; ci < len(cs) && left > 0; ci++ {
		c := cs[ci]
		if off < c.lo {
			off = c.lo
		}
		for ; off < c.hi && left > 0; off++ {
			if !fn(c.items[off]) {
				return
			}
			left--
		}
		off = 0
	}
}

// RangeReverse calls fn for elements end down to start (0-based inclusive,
// clamped as for Range).
func (l *List) RangeReverse(start, end int, fn func(v string) bool) {
	if start > end || end >= l.n {
		return
	}
	cs := l.live()
	ci, off := l.locate(end)
	left := end - start + 1
	for ; ci >= 0 && left > 0; ci-- {
		c := cs[ci]
		if off >= c.hi {
			off = c.hi - 1
		}
		for ; off >= c.lo && left > 0; off-- {
			if !fn(c.items[off]) {
				return
			}
			left--
		}
		off = chunkCap
	}
}

// Insert puts v before (after=false) or after element i (0 ≤ i < n).
func (l *List) Insert(i int, v string, after bool) {
	if after {
		i++
	}
	l.insertAt(i, v)
}

// insertAt makes v element i (0 ≤ i ≤ n).
func (l *List) insertAt(i int, v string) {
	switch {
	case i == 0:
		l.PushFront(v)
		return
	case i == l.n:
		l.PushBack(v)
		return
	}
	ci, off := l.locate(i)
	c := l.live()[ci]
	if c.len() == len(c.items) && len(c.items) < chunkCap {
		lo := c.lo
		c.grow(true)
		off += c.lo - lo
	}
	if c.len() == chunkCap {
		// Split the full chunk in two halves, then insert in the right half.
		nc := newChunk(chunkCap, true)
		half := chunkCap / 2
		nc.hi = copy(nc.items[:], c.items[c.lo+half:c.hi])
		for k := c.lo + half; k < c.hi; k++ {
			c.items[k] = ""
		}
		c.hi = c.lo + half
		l.insertChunk(ci+1, nc)
		if off >= c.hi {
			c, off = nc, off-c.hi
		}
	}
	// Open a gap at off, moving whichever side has room.
	if c.hi < len(c.items) && (c.lo == 0 || off-c.lo >= c.hi-off) {
		copy(c.items[off+1:c.hi+1], c.items[off:c.hi])
		c.hi++
	} else {
		copy(c.items[c.lo-1:off-1], c.items[c.lo:off])
		c.lo--
		off--
	}
	c.items[off] = v
	l.n++
}

// insertChunk makes nc the i-th live chunk.
func (l *List) insertChunk(i int, nc *listChunk) {
	l.chunks = append(l.chunks, nil)
	cs := l.live()
	copy(cs[i+1:], cs[i:])
	cs[i] = nc
}

// merge moves chunk ci+1's elements onto chunk ci and drops ci+1.
func (l *List) merge(ci int) {
	cs := l.live()
	a, b := cs[ci], cs[ci+1]
	for len(a.items) < min(a.len()+b.len(), chunkCap) {
		a.grow(true)
	}
	if a.hi+b.len() > len(a.items) {
		k := copy(a.items[:], a.items[a.lo:a.hi])
		for j := k; j < a.hi; j++ {
			a.items[j] = ""
		}
		a.lo, a.hi = 0, k
	}
	a.hi += copy(a.items[a.hi:], b.items[b.lo:b.hi])
	l.removeChunk(ci + 1)
}

// Remove deletes up to count elements equal to v, scanning from the head
// (count > 0), from the tail (count < 0), or everywhere (count == 0), and
// returns how many it removed. Like Redis, a count of math.MinInt64 (whose
// negation wraps) removes every match from the tail. One pass, compacting
// each chunk in place.
func (l *List) Remove(v string, count int64) int {
	var removed, limit int64
	fromTail := count < 0
	limit = count
	if fromTail {
		limit = -count // may stay negative (MinInt64): never reached
	}
	more := func() bool { return limit == 0 || removed != limit }
	if !fromTail {
		for ci := 0; ci < len(l.live()) && more(); {
			c := l.live()[ci]
			w := c.lo
			for r := c.lo; r < c.hi; r++ {
				if more() && c.items[r] == v {
					removed++
					continue
				}
				c.items[w] = c.items[r]
				w++
			}
			clear(c.items[w:c.hi])
			c.hi = w
			if c.lo == c.hi {
				l.removeChunk(ci)
				continue
			}
			ci++
		}
	} else {
		for ci := len(l.live()) - 1; ci >= 0 && more(); ci-- {
			c := l.live()[ci]
			w := c.hi - 1
			for r := c.hi - 1; r >= c.lo; r-- {
				if more() && c.items[r] == v {
					removed++
					continue
				}
				c.items[w] = c.items[r]
				w--
			}
			clear(c.items[c.lo : w+1])
			c.lo = w + 1
			if c.lo == c.hi {
				l.removeChunk(ci)
			}
		}
	}
	l.n -= int(removed)
	if removed > 0 {
		l.compact()
	}
	return int(removed)
}

// compact merges neighbouring chunks that together fit in one, after a
// bulk removal.
func (l *List) compact() {
	for ci := 0; ci+1 < len(l.live()); {
		cs := l.live()
		if cs[ci].len()+cs[ci+1].len() <= chunkCap {
			l.merge(ci)
			continue
		}
		ci++
	}
}

// Find returns the index of the first element equal to v from the head, or -1.
func (l *List) Find(v string) int {
	i := 0
	for _, c := range l.live() {
		for off := c.lo; off < c.hi; off++ {
			if c.items[off] == v {
				return i
			}
			i++
		}
	}
	return -1
}

// Trim keeps elements start..end (0-based inclusive; start > end empties
// the list).
func (l *List) Trim(start, end int) {
	if start > end || start >= l.n {
		l.chunks, l.head, l.n = nil, 0, 0
		return
	}
	if end >= l.n {
		end = l.n - 1
	}
	l.DeleteFront(start)
	l.DeleteBack(l.n - (end - start + 1))
}

// DeleteFront removes the first k elements.
func (l *List) DeleteFront(k int) {
	for k > 0 && l.n > 0 {
		c := l.chunks[l.head]
		if c.len() <= k {
			k -= c.len()
			l.n -= c.len()
			l.removeChunk(0)
			continue
		}
		for j := c.lo; j < c.lo+k; j++ {
			c.items[j] = ""
		}
		c.lo += k
		l.n -= k
		k = 0
	}
}

// DeleteBack removes the last k elements.
func (l *List) DeleteBack(k int) {
	for k > 0 && l.n > 0 {
		cs := l.live()
		c := cs[len(cs)-1]
		if c.len() <= k {
			k -= c.len()
			l.n -= c.len()
			l.removeChunk(len(cs) - 1)
			continue
		}
		for j := c.hi - k; j < c.hi; j++ {
			c.items[j] = ""
		}
		c.hi -= k
		l.n -= k
		k = 0
	}
}

// Copy returns an independent copy (COPY, MULTI snapshotting…). Strings are
// immutable, so the elements are shared.
func (l *List) Copy() Object {
	nl := &List{n: l.n}
	nl.chunks = make([]*listChunk, 0, len(l.live()))
	for _, c := range l.live() {
		cc := *c
		cc.items = slices.Clone(c.items)
		nl.chunks = append(nl.chunks, &cc)
	}
	return nl
}

// Elements returns every element in order (tests, RDB encoding).
func (l *List) Elements() []string {
	out := make([]string, 0, l.n)
	for _, c := range l.live() {
		out = append(out, c.items[c.lo:c.hi]...)
	}
	return out
}
