package types

import (
	"slices"
)

// List is a Redis list kept as Redis 7.0 keeps it: a quicklist, a deque of
// nodes each holding a listpack (list_listpack.go) byte for byte as Redis
// would build it. Pushes go to the end node while quicklist's
// _quicklistNodeAllowInsert allows (list-max-listpack-size: a size class
// when negative, 8 KB by default, or an element count), else start a new
// node; an element of list-packed-threshold bytes or more gets a plain
// node of its own. So a list built by pushes has Redis's node cuts, and the
// RDB form (DUMP, RESTORE, files) is each node's bytes as they are: no
// encoding or decoding per element.
//
// A node's listpack is b[lo:]: the room before it lets pushes at the front
// and pops from it move the 6-byte header instead of the entries. Pushes
// and pops at either end are O(1) (amortised); an index is found by
// skipping whole nodes, then walking entries from the nearer end of one
// node, as quicklistGetIteratorAtIdx does; an insert or delete in the
// middle moves at most one node's bytes.
//
// Invariants: every node in nodes[head:] has at least one element; n is
// the sum of their counts.
//
// Redis 7.0 reports OBJECT ENCODING "quicklist" for every list (the
// listpack encoding for small lists arrived in 7.2), so Encoding is fixed.
//
// A list's first node struct, and the array that points at it, are
// inline: a list of one node is two allocations (this header and the
// listpack), not four, for the collector to mark (inlineNode). A List is
// never copied by value, as nodes may point into it: go vet reports a
// copy (noCopy).
type List struct {
	_     noCopy
	nodes []*listNode // live nodes are nodes[head:]
	n     int
	// head is 32 bits, beside scratch, so the header is 96 bytes (a
	// size class) with the inline node.
	head    int32
	scratch bool // a decoder's (NewScratchList)
	slot    [1]*listNode
	inline  listNode
}

// noCopy makes go vet's copylocks check report a List copied by value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// listNode is one quicklist node.
type listNode struct {
	b     []byte // the listpack is b[lo:]; its terminator is b's last byte
	lo    int
	count int
	plain bool // a large element's own node (QUICKLIST_NODE_CONTAINER_PLAIN)
}

// quicklist node sizing (src/quicklist.c).
const (
	qlSizeSafetyLimit = 8192
	qlSizeOverhead    = 8
	qlPackedThreshold = 1 << 30
	qlFillMax         = 1<<15 - 1
)

var qlOptimizationLevel = [...]int{4096, 8192, 16384, 32768, 65536}

// listFill is the quicklist fill for lim, clamped as quicklistSetFill does.
func (lim *Limits) listFill() int {
	return int(min(max(lim.ListMaxListpackSize, -5), qlFillMax))
}

// listPacked is the size from which an element gets a plain node.
func (lim *Limits) listPacked() int {
	if lim.ListPackedThreshold <= 0 {
		return qlPackedThreshold
	}
	return int(lim.ListPackedThreshold)
}

// qlAllowInsert is _quicklistNodeAllowInsert: may an element of sz bytes
// join a packed node of nodeSz bytes and count elements?
func qlAllowInsert(nodeSz, count, fill, sz, packed int) bool {
	if sz >= packed {
		return false
	}
	newSz := nodeSz + sz + qlSizeOverhead
	if fill < 0 {
		if off := -fill - 1; off < len(qlOptimizationLevel) && newSz <= qlOptimizationLevel[off] {
			return true
		}
	}
	if newSz > qlSizeSafetyLimit {
		return false
	}
	return count < fill
}

func (nd *listNode) lp() []byte { return nd.b[nd.lo:] }
func (nd *listNode) size() int  { return len(nd.b) - nd.lo }
func (nd *listNode) sync()      { qlpSetHeader(nd.b[nd.lo:], nd.count) }

// first is the offset in b of the first entry; end that of the terminator.
func (nd *listNode) first() int { return nd.lo + qlpHeader }
func (nd *listNode) end() int   { return len(nd.b) - 1 }

func (nd *listNode) allowInsert(sz int, lim *Limits) bool {
	return !nd.plain && qlAllowInsert(nd.size(), nd.count, lim.listFill(), sz, lim.listPacked())
}

// inlineNode returns the struct for a new node of l: its inline one when
// l has no live node (it then holds nothing: a node is dropped from nodes
// when it empties, and nothing else keeps one), else a new one. A scratch
// list's nodes are handed out by Own, so it never uses its own.
func (l *List) inlineNode() *listNode {
	if len(l.live()) > 0 || l.scratch {
		return new(listNode)
	}
	if cap(l.nodes) == 0 {
		l.nodes = l.slot[:0:1]
	}
	return &l.inline
}

// newListNode returns a node holding v alone, with room before it for
// pushes at the front (front) or none.
func newListNode(v []byte, front bool, lim *Limits) *listNode {
	return fillListNode(new(listNode), v, front, lim)
}

// fillListNode makes nd a node holding v alone, as newListNode.
func fillListNode(nd *listNode, v []byte, front bool, lim *Limits) *listNode {
	n := qlpHeader + qlpEntrySize(v) + 1
	b := classBuf(n)
	room := 0
	if front {
		room = cap(b) - n
		b = b[:cap(b)]
	}
	b = qlpAppend(b[:room+qlpHeader], v)
	b = append(b, qlpEOF)
	*nd = listNode{b: b, lo: room, count: 1, plain: len(v) >= lim.listPacked()}
	nd.sync()
	return nd
}

// seal drops a node's spare room once no push will reach it (a new end
// node was started), so a full node costs what Redis's does.
func (nd *listNode) seal() {
	if waste := cap(nd.b) - nd.size(); waste > 16 && waste > nd.size()/16 {
		nd.b, nd.lo = slices.Clip(slices.Clone(nd.lp())), 0
	}
}

// classBuf returns a buffer of length n whose capacity is the allocator's
// size class for n (no room is lost to rounding).
func classBuf(n int) []byte { return slices.Grow([]byte(nil), n)[:n] }

// nodeGrowth is how far a node's buffer grows beyond need: it doubles up
// to 2 KB, then grows 2 KB at a time (rounded up to a size class), so
// filling an 8 KB node copies it about twice over and a list's end nodes
// keep at most about 2 KB of spare room (a full node's is dropped by seal).
func nodeGrowth(size int) int { return min(size, 2048) }

// pushBack appends v's entry to the node.
func (nd *listNode) pushBack(v []byte) {
	if need := len(nd.b) + qlpEntrySize(v); need > cap(nd.b) {
		nb := classBuf(need + nodeGrowth(nd.size()))[:len(nd.b)]
		copy(nb, nd.b)
		nd.b = nb
	}
	nd.b = qlpAppend(nd.b[:nd.end()], v)
	nd.b = append(nd.b, qlpEOF)
	nd.count++
	nd.sync()
}

// pushFront puts v's entry first, moving the header into the room before
// the listpack (made when there is none: the next size class up, all of
// its spare room in front).
func (nd *listNode) pushFront(v []byte) {
	e := qlpEntrySize(v)
	if nd.lo < e {
		nb := classBuf(nd.size() + e + nodeGrowth(nd.size()))
		nb = nb[:cap(nb)]
		room := len(nb) - nd.size()
		copy(nb[room:], nd.lp())
		nd.b, nd.lo = nb, room
	}
	nd.lo -= e
	qlpAppend(nd.b[nd.first():nd.first()], v)
	nd.count++
	nd.sync()
}

// splice replaces del bytes at off with v's entry (none when !put),
// moving the rest of the node.
func (nd *listNode) splice(off, del int, v []byte, put bool) {
	e := 0
	if put {
		e = qlpEntrySize(v)
	}
	oldLen := len(nd.b)
	newLen := oldLen - del + e
	switch {
	case e <= del:
		copy(nd.b[off+e:], nd.b[off+del:])
		nd.b = nd.b[:newLen]
	case newLen <= cap(nd.b):
		nd.b = nd.b[:newLen]
		copy(nd.b[off+e:], nd.b[off+del:oldLen])
	default:
		nb := make([]byte, newLen, newLen+newLen/8)
		copy(nb, nd.b[:off])
		copy(nb[off+e:], nd.b[off+del:])
		nd.b = nb
	}
	if put {
		qlpAppend(nd.b[off:off], v)
	}
	nd.sync()
}

// seek is the offset of the node's j-th entry (0 ≤ j < count), walking
// from the nearer end.
func (nd *listNode) seek(j int) int {
	if j <= nd.count/2 {
		off := nd.first()
		for ; j > 0; j-- {
			off += qlpSize(nd.b, off)
		}
		return off
	}
	off := nd.end()
	for k := nd.count - j; k > 0; k-- {
		off = qlpPrev(nd.b, off)
	}
	return off
}

// NewList returns an empty list.
func NewList() *List { return &List{} }

// Kind is KindList.
func (l *List) Kind() Kind { return KindList }

// Encoding is "quicklist", as Redis 7.0 reports for every list.
func (l *List) Encoding() string { return "quicklist" }

// Len is the number of elements.
func (l *List) Len() int { return l.n }

func (l *List) live() []*listNode { return l.nodes[l.head:] }

// PushBack appends v at the tail (quicklistPushTail).
func (l *List) PushBack(v []byte, lim *Limits) {
	l.n++
	if cs := l.live(); len(cs) > 0 {
		nd := cs[len(cs)-1]
		if nd.allowInsert(len(v), lim) {
			nd.pushBack(v)
			return
		}
		nd.seal()
	}
	l.nodes = append(l.nodes, fillListNode(l.inlineNode(), v, false, lim))
}

// PushFront inserts v at the head (quicklistPushHead).
func (l *List) PushFront(v []byte, lim *Limits) {
	l.n++
	if cs := l.live(); len(cs) > 0 {
		nd := cs[0]
		if nd.allowInsert(len(v), lim) {
			nd.pushFront(v)
			return
		}
		nd.seal()
	}
	l.prependNode(fillListNode(l.inlineNode(), v, true, lim))
}

// prependNode puts nd before the first live node, regrowing the node
// slice with room at the front when there is none.
func (l *List) prependNode(nd *listNode) {
	if len(l.live()) == 0 {
		l.nodes, l.head = append(l.nodes[:0], nd), 0
		return
	}
	if l.head == 0 {
		live := len(l.nodes)
		room := live + 4
		nc := make([]*listNode, room+live, room+live+live/2+4)
		copy(nc[room:], l.nodes)
		l.nodes = nc
		l.head = int32(room)
	}
	l.head--
	l.nodes[l.head] = nd
}

// PopFront removes the head element and appends it to dst.
func (l *List) PopFront(dst []byte) ([]byte, bool) {
	if l.n == 0 {
		return dst, false
	}
	nd := l.nodes[l.head]
	dst, sz := qlpAppendValue(dst, nd.b, nd.first())
	l.n--
	if nd.count == 1 {
		l.removeNode(0)
		return dst, true
	}
	nd.lo += sz
	nd.count--
	nd.sync()
	return dst, true
}

// PopBack removes the tail element and appends it to dst.
func (l *List) PopBack(dst []byte) ([]byte, bool) {
	if l.n == 0 {
		return dst, false
	}
	cs := l.live()
	nd := cs[len(cs)-1]
	off := qlpPrev(nd.b, nd.end())
	dst, _ = qlpAppendValue(dst, nd.b, off)
	l.n--
	if nd.count == 1 {
		l.removeNode(len(cs) - 1)
		return dst, true
	}
	nd.b = nd.b[:off+1]
	nd.b[off] = qlpEOF
	nd.count--
	nd.sync()
	return dst, true
}

// removeNode drops the i-th live node.
func (l *List) removeNode(i int) {
	cs := l.live()
	switch {
	case i == 0:
		l.nodes[l.head] = nil
		l.head++
	case i == len(cs)-1:
		l.nodes[len(l.nodes)-1] = nil
		l.nodes = l.nodes[:len(l.nodes)-1]
	default:
		copy(cs[i:], cs[i+1:])
		l.nodes[len(l.nodes)-1] = nil
		l.nodes = l.nodes[:len(l.nodes)-1]
	}
	if int(l.head) == len(l.nodes) {
		l.nodes, l.head = l.nodes[:0], 0
	}
}

// insertNode makes nd the i-th live node.
func (l *List) insertNode(i int, nd *listNode) {
	l.nodes = append(l.nodes, nil)
	cs := l.live()
	copy(cs[i+1:], cs[i:])
	cs[i] = nd
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

// locate finds the node (live index) holding element i (0 ≤ i < n) and
// the element's position in it, walking from the nearer end.
func (l *List) locate(i int) (int, int) {
	cs := l.live()
	if i < l.n/2 {
		for ci, nd := range cs {
			if i < nd.count {
				return ci, i
			}
			i -= nd.count
		}
	} else {
		back := l.n - 1 - i
		for ci := len(cs) - 1; ci >= 0; ci-- {
			nd := cs[ci]
			if back < nd.count {
				return ci, nd.count - 1 - back
			}
			back -= nd.count
		}
	}
	panic("types: list index out of range")
}

// Index appends element i (negative counts from the tail) to dst.
func (l *List) Index(i int64, dst []byte) ([]byte, bool) {
	j, ok := l.norm(i)
	if !ok {
		return dst, false
	}
	ci, k := l.locate(j)
	nd := l.live()[ci]
	dst, _ = qlpAppendValue(dst, nd.b, nd.seek(k))
	return dst, true
}

// Set replaces element i (negative counts from the tail), reporting false
// when i is out of range (quicklistReplaceAtIndex: the node is not cut).
func (l *List) Set(i int64, v []byte, lim *Limits) bool {
	j, ok := l.norm(i)
	if !ok {
		return false
	}
	ci, k := l.locate(j)
	nd := l.live()[ci]
	off := nd.seek(k)
	nd.splice(off, qlpSize(nd.b, off), v, true)
	nd.plain = nd.count == 1 && len(v) >= lim.listPacked()
	return true
}

// Range calls fn for elements start..end (0-based, inclusive, already
// clamped by the caller to 0 ≤ start ≤ end < n) in order; fn returns false
// to stop. v is valid only during the call.
func (l *List) Range(start, end int, fn func(v []byte) bool) {
	if start > end || end >= l.n {
		return
	}
	var buf [20]byte
	cs := l.live()
	ci, k := l.locate(start)
	off := cs[ci].seek(k)
	for left := end - start + 1; left > 0; left-- {
		nd := cs[ci]
		if off == nd.end() {
			ci++
			nd = cs[ci]
			off = nd.first()
		}
		v, sz := qlpValue(nd.b, off, &buf)
		if !fn(v) {
			return
		}
		off += sz
	}
}

// RangeReverse calls fn for elements end down to start (0-based inclusive,
// clamped as for Range).
func (l *List) RangeReverse(start, end int, fn func(v []byte) bool) {
	if start > end || end >= l.n {
		return
	}
	var buf [20]byte
	cs := l.live()
	ci, k := l.locate(end)
	off := cs[ci].seek(k)
	for left := end - start + 1; left > 0; left-- {
		nd := cs[ci]
		if off < nd.first() {
			ci--
			nd = cs[ci]
			off = qlpPrev(nd.b, nd.end())
		}
		v, _ := qlpValue(nd.b, off, &buf)
		if !fn(v) {
			return
		}
		if off > nd.first() {
			off = qlpPrev(nd.b, off)
		} else {
			off = -1
		}
	}
}

// Insert puts v before (after=false) or after element i (0 ≤ i < n), as
// _quicklistInsert does: into the element's node when it has room, else at
// the near end of a neighbour that has, else by splitting the node.
func (l *List) Insert(i int, v []byte, after bool, lim *Limits) {
	ci, k := l.locate(i)
	if after {
		k++
	}
	cs := l.live()
	nd := cs[ci]
	switch {
	case nd.allowInsert(len(v), lim):
	case k == nd.count && ci+1 < len(cs) && cs[ci+1].allowInsert(len(v), lim):
		ci, k, nd = ci+1, 0, cs[ci+1]
	case k == 0 && ci > 0 && cs[ci-1].allowInsert(len(v), lim):
		ci, nd = ci-1, cs[ci-1]
		k = nd.count
	case k == nd.count:
		l.insertNode(ci+1, newListNode(v, false, lim))
		l.n++
		return
	case k == 0:
		l.insertNode(ci, newListNode(v, true, lim))
		l.n++
		return
	default:
		// Split at k: the tail half becomes its own node, v goes between.
		off := nd.seek(k)
		rest := nd.b[off:]
		rb := make([]byte, 0, qlpHeader+len(rest))
		rb = append(rb, 0, 0, 0, 0, 0, 0)
		rb = append(rb, rest...)
		right := &listNode{b: rb, count: nd.count - k}
		right.sync()
		nd.b = nd.b[:off+1]
		nd.b[off] = qlpEOF
		nd.count = k
		nd.sync()
		l.insertNode(ci+1, right)
		if nd.allowInsert(len(v), lim) {
			nd.pushBack(v)
		} else {
			l.insertNode(ci+1, newListNode(v, false, lim))
		}
		l.n++
		return
	}
	switch {
	case k == nd.count:
		nd.pushBack(v)
	case k == 0:
		nd.pushFront(v)
	default:
		off := nd.seek(k)
		nd.count++
		nd.splice(off, 0, v, true)
	}
	l.n++
}

// Remove deletes up to count elements equal to v, scanning from the head
// (count > 0), from the tail (count < 0), or everywhere (count == 0), and
// returns how many it removed. Like Redis, a count of math.MinInt64 (whose
// negation wraps) removes every match from the tail. Each node is
// compacted in place in one pass; emptied nodes are dropped.
func (l *List) Remove(v []byte, count int64) int {
	fromTail := count < 0
	limit := count
	if fromTail {
		limit = -count // may stay negative (MinInt64): never reached
	}
	var removed int64
	more := func() bool { return limit == 0 || removed != limit }
	var hits []int // offsets of the matches in one node
	cs := l.live()
	for step := 0; step < len(cs) && more(); step++ {
		ci := step
		if fromTail {
			ci = len(cs) - 1 - step
		}
		nd := cs[ci]
		hits = hits[:0]
		for off := nd.first(); off < nd.end(); {
			eq, sz := qlpEqual(nd.b, off, v)
			if eq {
				hits = append(hits, off)
			}
			off += sz
		}
		if len(hits) == 0 {
			continue
		}
		if limit > 0 {
			if left := int(limit - removed); len(hits) > left {
				if fromTail {
					hits = hits[len(hits)-left:]
				} else {
					hits = hits[:left]
				}
			}
		}
		removed += int64(len(hits))
		nd.count -= len(hits)
		// Compact: move the bytes between the removed entries down.
		w := hits[0]
		for h, off := range hits {
			next := nd.end() + 1
			if h+1 < len(hits) {
				next = hits[h+1]
			}
			from := off + qlpSize(nd.b, off)
			w += copy(nd.b[w:], nd.b[from:next])
		}
		nd.b = nd.b[:w]
		nd.sync()
	}
	if removed > 0 {
		for ci := len(l.live()) - 1; ci >= 0; ci-- {
			if l.live()[ci].count == 0 {
				l.removeNode(ci)
			}
		}
	}
	l.n -= int(removed)
	return int(removed)
}

// Find returns the index of the first element equal to v from the head, or -1.
func (l *List) Find(v []byte) int {
	i := 0
	for _, nd := range l.live() {
		for off := nd.first(); off < nd.end(); i++ {
			eq, sz := qlpEqual(nd.b, off, v)
			if eq {
				return i
			}
			off += sz
		}
	}
	return -1
}

// Trim keeps elements start..end (0-based inclusive; start > end empties
// the list).
func (l *List) Trim(start, end int) {
	if start > end || start >= l.n {
		l.nodes, l.head, l.n = nil, 0, 0
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
		nd := l.nodes[l.head]
		if nd.count <= k {
			k -= nd.count
			l.n -= nd.count
			l.removeNode(0)
			continue
		}
		nd.lo = nd.seek(k) - qlpHeader
		nd.count -= k
		nd.sync()
		l.n -= k
		k = 0
	}
}

// DeleteBack removes the last k elements.
func (l *List) DeleteBack(k int) {
	for k > 0 && l.n > 0 {
		cs := l.live()
		nd := cs[len(cs)-1]
		if nd.count <= k {
			k -= nd.count
			l.n -= nd.count
			l.removeNode(len(cs) - 1)
			continue
		}
		off := nd.seek(nd.count - k)
		nd.b = nd.b[:off+1]
		nd.b[off] = qlpEOF
		nd.count -= k
		nd.sync()
		l.n -= k
		k = 0
	}
}

// Copy returns an independent copy (COPY, MULTI snapshotting…).
func (l *List) Copy() Object {
	nl := &List{n: l.n}
	if k := len(l.live()); k > 1 {
		nl.nodes = make([]*listNode, 0, k)
	}
	for _, nd := range l.live() {
		st := nl.inlineNode()
		*st = listNode{b: slices.Clone(nd.lp()), count: nd.count, plain: nd.plain}
		nl.nodes = append(nl.nodes, st)
	}
	return nl
}

// Elements returns every element in order (tests, debugging).
func (l *List) Elements() []string {
	out := make([]string, 0, l.n)
	l.Range(0, l.n-1, func(v []byte) bool {
		out = append(out, string(v))
		return true
	})
	return out
}

// Nodes is the number of quicklist nodes.
func (l *List) Nodes() int { return len(l.live()) }

// EachNode calls fn for each node in order: a packed node's listpack, or a
// plain node's element (plain true), with its element count. The bytes
// are the list's own: valid until it changes, never to be modified.
func (l *List) EachNode(fn func(b []byte, plain bool, count int)) {
	for _, nd := range l.live() {
		if nd.plain {
			var buf [20]byte
			s, _ := qlpValue(nd.b, nd.first(), &buf)
			fn(s, true, 1)
			continue
		}
		fn(nd.lp(), false, nd.count)
	}
}

// AppendListpack adds a node holding lp, a listpack from an untrusted
// source (an RDB payload), which the list takes over; it reports false,
// leaving the list unchanged, when lp is malformed. An empty listpack adds
// nothing, as Redis skips it when loading.
func (l *List) AppendListpack(lp []byte) bool {
	count, ok := qlpValidate(lp)
	if !ok {
		return false
	}
	if count == 0 {
		return true
	}
	var nd *listNode
	if k := len(l.nodes); l.scratch && k < cap(l.nodes) {
		nd = l.nodes[:k+1][k] // a struct of the scratch's earlier value
	}
	if nd == nil {
		nd = l.inlineNode()
	}
	*nd = listNode{b: lp, count: count}
	nd.sync() // the header's count may have been "unknown" or wrong
	if cs := l.live(); len(cs) > 0 {
		cs[len(cs)-1].seal()
	}
	l.nodes = append(l.nodes, nd)
	l.n += count
	return true
}

// Own returns a list holding l's elements in memory of its own, l's node
// bytes aliasing a decoder's buffer: reuse itself when it is a list
// (RESTORE REPLACE removed it from the keyspace: nothing else references
// it) of at most 8 nodes, with its node structs and its node buffers in
// turn where they fit with little waste, else new allocations (a larger
// reuse lends its buffers and is left empty). l is left as it is: a
// decoder's scratch list (NewScratchList) keeps its node structs for its
// next value. See Hash.Own.
func (l *List) Own(reuse Object) *List {
	src := l.live()
	var out *List
	var dn [8]*listNode
	var donors []*listNode
	if r, ok := reuse.(*List); ok && r != l {
		if donors = r.live(); len(donors) <= len(dn) {
			donors = dn[:copy(dn[:], donors)]
			out = r
		}
		r.nodes, r.head, r.n = r.nodes[:0], 0, 0
		if out == nil {
			r.nodes = nil
		}
	}
	if out == nil {
		out = &List{}
	}
	if cap(out.nodes) < len(src) && len(src) > 1 {
		out.nodes = make([]*listNode, 0, len(src))
	}
	for _, nd := range src {
		b := nd.b[nd.lo:]
		var st *listNode
		var dst []byte
		for len(donors) > 0 && dst == nil {
			d := donors[0]
			donors = donors[1:]
			if st == nil {
				st = d
			}
			if c := cap(d.b); c >= len(b) && c-len(b) <= max(16, len(b)/16) {
				dst = d.b[:len(b)]
			}
		}
		if st == nil {
			st = out.inlineNode() // out's own when it has no node yet
		}
		if dst == nil {
			dst = make([]byte, len(b))
		}
		copy(dst, b)
		*st = listNode{b: dst, count: nd.count, plain: nd.plain}
		out.nodes = append(out.nodes, st)
	}
	clear(out.nodes[len(out.nodes):cap(out.nodes)]) // no stale node kept alive
	out.n = l.n
	return out
}

// NewScratchList is a decoder's list for values it hands out only through
// Own: ResetScratch empties it, keeping its node structs, which
// AppendListpack then reuses.
func NewScratchList() *List { return &List{scratch: true} }

// ResetScratch empties a scratch list for its next value.
func (l *List) ResetScratch() { l.nodes, l.head, l.n = l.nodes[:0], 0, 0 }

// AppendPlain adds a plain node holding v alone (an RDB payload's plain
// quicklist node), whatever v's size.
func (l *List) AppendPlain(v []byte) {
	nd := fillListNode(l.inlineNode(), v, false, &Limits{ListPackedThreshold: 1})
	nd.plain = true
	if cs := l.live(); len(cs) > 0 {
		cs[len(cs)-1].seal()
	}
	l.nodes = append(l.nodes, nd)
	l.n++
}
