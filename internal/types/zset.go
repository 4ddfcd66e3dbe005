package types

import (
	"bytes"
	"encoding/binary"
	"math"
	"unsafe"
)

// ZSet is a sorted set. Small sets are one compact byte slice (OBJECT
// ENCODING "listpack"); past the thresholds they become a skiplist with
// spans plus a member index ("skiplist"), and, as in Redis, never go back
// by themselves. Elements are ordered by score, then by member bytes.
//
// Member slices passed to callbacks are views valid only during the call.
//
// The header is 16 bytes: p points at either the compact bytes (n used of c)
// or, when c == zSkiplistMark, the skiplist. Small sets are the common case
// and this keeps them as small as Redis's (robj + listpack).
type ZSet struct {
	p    unsafe.Pointer
	n, c uint32
}

const zSkiplistMark = ^uint32(0)

// skip returns the skiplist form, or nil for the compact form.
func (z *ZSet) skip() *skiplist {
	if z.c == zSkiplistMark {
		return (*skiplist)(z.p)
	}
	return nil
}

func (z *ZSet) setSkip(sl *skiplist) { z.p, z.n, z.c = unsafe.Pointer(sl), 0, zSkiplistMark }

// bytes returns the compact form (nil when empty).
func (z *ZSet) bytes() []byte {
	if z.p == nil || z.c == zSkiplistMark {
		return nil
	}
	return unsafe.Slice((*byte)(z.p), z.c)[:z.n]
}

func (z *ZSet) setBytes(b []byte) {
	if cap(b) == 0 {
		z.p, z.n, z.c = nil, 0, 0
		return
	}
	z.p, z.n, z.c = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))
}

// ZAdd flags (input).
const (
	ZAddNX = 1 << iota
	ZAddXX
	ZAddGT
	ZAddLT
	ZAddIncr
)

// ZAdd results (output).
const (
	ZAdded = 1 << iota
	ZUpdated
	ZNop
)

// NewZSet returns an empty sorted set whose encoding suits sizeHint
// elements of at most maxLenHint bytes under lim (Redis zsetTypeCreate).
func NewZSet(sizeHint, maxLenHint int, lim *Limits) *ZSet {
	z := &ZSet{}
	if sizeHint > lim.zsetEntries() || int64(maxLenHint) > lim.ZSetMaxListpackValue {
		z.setSkip(newSkiplist())
	}
	return z
}

// Kind is KindZSet.
func (z *ZSet) Kind() Kind { return KindZSet }

// Encoding is "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.skip() != nil {
		return "skiplist"
	}
	return "listpack"
}

// Len is the number of elements.
func (z *ZSet) Len() int {
	if sl := z.skip(); sl != nil {
		return sl.length
	}
	return lpCount(z.bytes())
}

// Copy returns an independent copy with the same encoding.
func (z *ZSet) Copy() Object {
	c := &ZSet{}
	sl := z.skip()
	if sl == nil {
		if lp := z.bytes(); len(lp) > 0 {
			c.setBytes(append([]byte(nil), lp...))
		}
		return c
	}
	csl := newSkiplist()
	for n := sl.header.level[0].forward; n != nil; n = n.level[0].forward {
		csl.insert(n.score, n.member)
	}
	c.setSkip(csl)
	return c
}

// convert turns the compact form into the skiplist form.
func (z *ZSet) convert() {
	sl := newSkiplist()
	lp := z.bytes()
	n := lpCount(lp)
	off := lpHeader
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(lp, off)
		sl.insert(s, string(m))
		off = nx
	}
	z.setSkip(sl)
}

// ConvertToCompactIfSmall turns a skiplist back into the compact form when
// it fits the thresholds (Redis zsetConvertToListpackIfNeeded, used for the
// results of ZUNIONSTORE and friends).
func (z *ZSet) ConvertToCompactIfSmall(lim *Limits) {
	sl := z.skip()
	if sl == nil || sl.length > lim.zsetEntries() {
		return
	}
	for n := sl.header.level[0].forward; n != nil; n = n.level[0].forward {
		if int64(len(n.member)) > lim.ZSetMaxListpackValue {
			return
		}
	}
	var lp []byte
	for n := sl.header.level[0].forward; n != nil; n = n.level[0].forward {
		lp = lpInsertLast(lp, n.memberBytes(), n.score)
	}
	z.setBytes(lp)
}

// lpInsertLast appends an entry known to sort after every other.
func lpInsertLast(lp []byte, member []byte, score float64) []byte {
	if len(lp) == 0 {
		lp = []byte{0, 0}
	}
	n := lpCount(lp)
	var tmp [10]byte
	lp = append(lp, binary.AppendUvarint(tmp[:0], uint64(len(member)))...)
	lp = append(lp, member...)
	lp = lpAppendScore(lp, score)
	lpSetCount(lp, n+1)
	return lp
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if sl := z.skip(); sl != nil {
		if n := sl.find(member); n != nil {
			return n.score, true
		}
		return 0, false
	}
	off, s, _ := lpFind(z.bytes(), member)
	return s, off >= 0
}

// Add adds or updates member as Redis zsetAdd does, following flags
// (ZAddNX, ZAddXX, ZAddGT, ZAddLT, ZAddIncr). It returns the element's
// resulting score and what happened (ZAdded, ZUpdated or ZNop; none of them
// when an existing score was left as is). ok is false when an increment
// makes the score NaN; the set is then unchanged. score must not be NaN.
// lim decides when the compact form converts.
func (z *ZSet) Add(member []byte, score float64, flags int, lim *Limits) (newScore float64, out int, ok bool) {
	incr, nx, xx := flags&ZAddIncr != 0, flags&ZAddNX != 0, flags&ZAddXX != 0
	gt, lt := flags&ZAddGT != 0, flags&ZAddLT != 0
	cur, exists := z.Score(member)
	if exists {
		if nx {
			return cur, ZNop, true
		}
		if incr {
			score += cur
			if math.IsNaN(score) {
				return 0, 0, false
			}
		}
		if (lt && score >= cur) || (gt && score <= cur) {
			return cur, ZNop, true
		}
		if score != cur {
			z.update(member, cur, score)
			return score, ZUpdated, true
		}
		return score, 0, true
	}
	if xx {
		return 0, ZNop, true
	}
	z.Insert(member, score, lim)
	return score, ZAdded, true
}

// update moves an existing member from score cur to score.
func (z *ZSet) update(member []byte, cur, score float64) {
	if sl := z.skip(); sl != nil {
		n := sl.find(member)
		// Redis zslUpdateScore: in place when the order is unchanged.
		prevOK := n.backward == nil || zless(n.backward.score, n.backward.member, score, n.member)
		next := n.level[0].forward
		nextOK := next == nil || zless(score, n.member, next.score, next.member)
		if prevOK && nextOK {
			n.score = score
			return
		}
		sl.reinsert(n, score)
		return
	}
	off, _, next := lpFind(z.bytes(), member)
	z.setBytes(lpDeleteBytes(z.bytes(), off, next, 1))
	z.setBytes(lpInsert(z.bytes(), member, score))
}

// Insert adds a member known to be absent, converting to the skiplist form
// when the compact form would exceed lim's thresholds.
func (z *ZSet) Insert(member []byte, score float64, lim *Limits) {
	if z.skip() == nil && (lpCount(z.bytes())+1 > lim.zsetEntries() || int64(len(member)) > lim.ZSetMaxListpackValue) {
		z.convert()
	}
	if sl := z.skip(); sl != nil {
		sl.insert(score, string(member))
		return
	}
	z.setBytes(lpInsert(z.bytes(), member, score))
}

// Remove deletes member, reporting whether it was present.
func (z *ZSet) Remove(member []byte) bool {
	if sl := z.skip(); sl != nil {
		n := sl.find(member)
		if n == nil {
			return false
		}
		sl.remove(n.score, n.member)
		return true
	}
	off, _, next := lpFind(z.bytes(), member)
	if off < 0 {
		return false
	}
	z.setBytes(lpDeleteBytes(z.bytes(), off, next, 1))
	return true
}

// Rank returns member's 0-based rank in ascending order and its score.
func (z *ZSet) Rank(member []byte) (rank int, score float64, ok bool) {
	if sl := z.skip(); sl != nil {
		n := sl.find(member)
		if n == nil {
			return 0, 0, false
		}
		return sl.rank(n.score, n.member) - 1, n.score, true
	}
	n := lpCount(z.bytes())
	off := lpHeader
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(z.bytes(), off)
		if bytes.Equal(m, member) {
			return i, s, true
		}
		off = nx
	}
	return 0, 0, false
}

// ScoreRange is a score interval; Min/Max excluded when MinEx/MaxEx.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// Empty reports whether no score can be in the range.
func (r *ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

func (r *ScoreRange) belowMin(s float64) bool {
	if r.MinEx {
		return s <= r.Min
	}
	return s < r.Min
}

func (r *ScoreRange) notAboveMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

// LexRange is a member interval; MinInf/MaxInf stand for "-" and "+".
type LexRange struct {
	Min, Max       []byte
	MinInf, MaxInf bool // "-" as Min / "+" as Max
	MinNeg, MaxPos bool // "+" as Min / "-" as Max (always empty)
	MinEx, MaxEx   bool
}

// Empty reports whether no member can be in the range (Redis zslIsInLexRange's first test).
func (r *LexRange) Empty() bool {
	if r.MinNeg || r.MaxPos {
		// min is "+" or max is "-": empty unless both are the same infinity,
		// which is also empty as infinities are exclusive.
		return true
	}
	if r.MinInf || r.MaxInf {
		return false
	}
	c := bytes.Compare(r.Min, r.Max)
	return c > 0 || (c == 0 && (r.MinEx || r.MaxEx))
}

func (r *LexRange) belowMin(m []byte) bool {
	if r.MinInf {
		return false
	}
	c := bytes.Compare(m, r.Min)
	if r.MinEx {
		return c <= 0
	}
	return c < 0
}

func (r *LexRange) notAboveMax(m []byte) bool {
	if r.MaxInf {
		return true
	}
	c := bytes.Compare(m, r.Max)
	if r.MaxEx {
		return c < 0
	}
	return c <= 0
}

// ScoreRanks returns the ranks [lo, hi) of the elements in r.
func (z *ZSet) ScoreRanks(r *ScoreRange) (lo, hi int) {
	if r.Empty() {
		return 0, 0
	}
	if sl := z.skip(); sl != nil {
		lo = sl.countPrefix(func(n *znode) bool { return r.belowMin(n.score) })
		hi = sl.countPrefix(func(n *znode) bool { return r.notAboveMax(n.score) })
	} else {
		lo, hi = lpPrefixes(z.bytes(), func(_ []byte, s float64) bool { return r.belowMin(s) },
			func(_ []byte, s float64) bool { return r.notAboveMax(s) })
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// LexRanks returns the ranks [lo, hi) of the elements in r; meaningful when
// all scores are equal, as in Redis.
func (z *ZSet) LexRanks(r *LexRange) (lo, hi int) {
	if r.Empty() {
		return 0, 0
	}
	if sl := z.skip(); sl != nil {
		lo = sl.countPrefix(func(n *znode) bool { return r.belowMin(n.memberBytes()) })
		hi = sl.countPrefix(func(n *znode) bool { return r.notAboveMax(n.memberBytes()) })
	} else {
		lo, hi = lpPrefixes(z.bytes(), func(m []byte, _ float64) bool { return r.belowMin(m) },
			func(m []byte, _ float64) bool { return r.notAboveMax(m) })
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// lpPrefixes counts, in one pass, the leading entries satisfying p1 and p2.
func lpPrefixes(lp []byte, p1, p2 func(m []byte, s float64) bool) (n1, n2 int) {
	n := lpCount(lp)
	off := lpHeader
	done1 := false
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(lp, off)
		if !done1 {
			if p1(m, s) {
				n1++
			} else {
				done1 = true
			}
		}
		if !p2(m, s) {
			break
		}
		n2++
		off = nx
	}
	return n1, n2
}

// Range calls fn for the elements of ranks [lo, hi) in ascending order, or
// descending (from hi-1 down to lo) when rev, until fn returns false.
func (z *ZSet) Range(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if lo >= hi {
		return
	}
	if sl := z.skip(); sl != nil {
		if rev {
			for n, k := sl.byRank(hi), hi; n != nil && k > lo; n, k = n.backward, k-1 {
				if !fn(n.memberBytes(), n.score) {
					return
				}
			}
			return
		}
		for n, k := sl.byRank(lo+1), lo; n != nil && k < hi; n, k = n.level[0].forward, k+1 {
			if !fn(n.memberBytes(), n.score) {
				return
			}
		}
		return
	}
	off := lpOffsetOf(z.bytes(), lo)
	if !rev {
		for k := lo; k < hi; k++ {
			m, s, nx := lpEntry(z.bytes(), off)
			if !fn(m, s) {
				return
			}
			off = nx
		}
		return
	}
	var stack [128]int
	offs := stack[:0]
	for k := lo; k < hi; k++ {
		offs = append(offs, off)
		_, _, off = lpEntry(z.bytes(), off)
	}
	for i := len(offs) - 1; i >= 0; i-- {
		m, s, _ := lpEntry(z.bytes(), offs[i])
		if !fn(m, s) {
			return
		}
	}
}

// At returns the element of 0-based rank r.
func (z *ZSet) At(r int) (member []byte, score float64) {
	if sl := z.skip(); sl != nil {
		n := sl.byRank(r + 1)
		return n.memberBytes(), n.score
	}
	m, s, _ := lpEntry(z.bytes(), lpOffsetOf(z.bytes(), r))
	return m, s
}

// RemoveRange deletes the elements of ranks [lo, hi).
func (z *ZSet) RemoveRange(lo, hi int) {
	if lo >= hi {
		return
	}
	if sl := z.skip(); sl != nil {
		sl.removeRanks(lo, hi)
		return
	}
	from := lpOffsetOf(z.bytes(), lo)
	to := from
	for k := lo; k < hi; k++ {
		_, _, to = lpEntry(z.bytes(), to)
	}
	z.setBytes(lpDeleteBytes(z.bytes(), from, to, hi-lo))
}

// Scan visits part of the set from cursor, as ZSCAN does, returning the next
// cursor (0 when the scan is complete). The compact form is visited whole in
// one call. Every element present during a whole scan is visited at least once.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if sl := z.skip(); sl != nil {
		return sl.scan(cursor, count, fn)
	}
	z.Range(0, z.Len(), false, func(m []byte, s float64) bool { fn(m, s); return true })
	return 0
}

// IsCompact reports whether the set uses the compact form (for tests and
// the RDB encoder).
func (z *ZSet) IsCompact() bool { return z.skip() == nil }

// NewZSetSorted returns a sorted set in the compact encoding holding n
// elements given in ascending (score, member) order with distinct members
// and no NaN score, built in one allocation. No threshold is checked (RDB
// loading decides the encoding itself).
func NewZSetSorted(n int, elem func(i int) (member []byte, score float64)) *ZSet {
	z := &ZSet{}
	if n == 0 {
		return z
	}
	size := lpHeader
	var tmp [10]byte
	for i := 0; i < n; i++ {
		m, s := elem(i)
		size += len(binary.AppendUvarint(tmp[:0], uint64(len(m)))) + len(m) + lpScoreLen(s)
	}
	lp := make([]byte, lpHeader, size)
	for i := 0; i < n; i++ {
		m, s := elem(i)
		lp = binary.AppendUvarint(lp, uint64(len(m)))
		lp = append(lp, m...)
		lp = lpAppendScore(lp, s)
	}
	lpSetCount(lp, n)
	z.setBytes(lp)
	return z
}
