package types

import (
	"bytes"
	"encoding/binary"
	"math"
)

// Thresholds of the compact encoding (redis.conf zset-max-listpack-entries
// and zset-max-listpack-value). The server may set them from its config at
// start and on CONFIG SET; they are read when a set grows.
var (
	ZSetMaxListpackEntries = 128
	ZSetMaxListpackValue   = 64
)

// ZSet is a sorted set. Small sets are one compact byte slice (OBJECT
// ENCODING "listpack"); past the thresholds they become a skiplist with
// spans plus a member index ("skiplist"), and, as in Redis, never go back
// by themselves. Elements are ordered by score, then by member bytes.
//
// Member slices passed to callbacks are views valid only during the call.
type ZSet struct {
	lp []byte // compact form, when sl == nil
	sl *skiplist
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
// elements of at most maxLenHint bytes (Redis zsetTypeCreate).
func NewZSet(sizeHint, maxLenHint int) *ZSet {
	z := &ZSet{}
	if sizeHint > lpLimit() || maxLenHint > ZSetMaxListpackValue {
		z.sl = newSkiplist()
	}
	return z
}

func lpLimit() int {
	if ZSetMaxListpackEntries > lpMaxEntries {
		return lpMaxEntries
	}
	return ZSetMaxListpackEntries
}

// Kind is KindZSet.
func (z *ZSet) Kind() Kind { return KindZSet }

// Encoding is "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.sl != nil {
		return "skiplist"
	}
	return "listpack"
}

// Len is the number of elements.
func (z *ZSet) Len() int {
	if z.sl != nil {
		return z.sl.length
	}
	return lpCount(z.lp)
}

// Copy returns an independent copy with the same encoding.
func (z *ZSet) Copy() Object {
	c := &ZSet{}
	if z.sl == nil {
		if len(z.lp) > 0 {
			c.lp = append([]byte(nil), z.lp...)
		}
		return c
	}
	c.sl = newSkiplist()
	for n := z.sl.header.level[0].forward; n != nil; n = n.level[0].forward {
		c.sl.insert(n.score, n.member)
	}
	return c
}

// convert turns the compact form into the skiplist form.
func (z *ZSet) convert() {
	sl := newSkiplist()
	n := lpCount(z.lp)
	off := lpHeader
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(z.lp, off)
		sl.insert(s, string(m))
		off = nx
	}
	z.sl, z.lp = sl, nil
}

// ConvertToCompactIfSmall turns a skiplist back into the compact form when
// it fits the thresholds (Redis zsetConvertToListpackIfNeeded, used for the
// results of ZUNIONSTORE and friends).
func (z *ZSet) ConvertToCompactIfSmall() {
	if z.sl == nil || z.sl.length > lpLimit() {
		return
	}
	for n := z.sl.header.level[0].forward; n != nil; n = n.level[0].forward {
		if len(n.member) > ZSetMaxListpackValue {
			return
		}
	}
	var lp []byte
	for n := z.sl.header.level[0].forward; n != nil; n = n.level[0].forward {
		lp = lpInsertLast(lp, n.memberBytes(), n.score)
	}
	z.sl, z.lp = nil, lp
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
	if z.sl != nil {
		if n := z.sl.find(member); n != nil {
			return n.score, true
		}
		return 0, false
	}
	off, s, _ := lpFind(z.lp, member)
	return s, off >= 0
}

// Add adds or updates member as Redis zsetAdd does, following flags
// (ZAddNX, ZAddXX, ZAddGT, ZAddLT, ZAddIncr). It returns the element's
// resulting score and what happened (ZAdded, ZUpdated or ZNop; none of them
// when an existing score was left as is). ok is false when an increment
// makes the score NaN; the set is then unchanged. score must not be NaN.
func (z *ZSet) Add(member []byte, score float64, flags int) (newScore float64, out int, ok bool) {
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
	z.Insert(member, score)
	return score, ZAdded, true
}

// update moves an existing member from score cur to score.
func (z *ZSet) update(member []byte, cur, score float64) {
	if z.sl != nil {
		n := z.sl.find(member)
		// Redis zslUpdateScore: in place when the order is unchanged.
		prevOK := n.backward == nil || zless(n.backward.score, n.backward.member, score, n.member)
		next := n.level[0].forward
		nextOK := next == nil || zless(score, n.member, next.score, next.member)
		if prevOK && nextOK {
			n.score = score
			return
		}
		m := n.member
		z.sl.remove(cur, m)
		z.sl.insert(score, m)
		return
	}
	off, _, next := lpFind(z.lp, member)
	z.lp = lpDeleteBytes(z.lp, off, next, 1)
	z.lp = lpInsert(z.lp, member, score)
}

// Insert adds a member known to be absent, converting to the skiplist form
// when the compact form would exceed its thresholds.
func (z *ZSet) Insert(member []byte, score float64) {
	if z.sl == nil && (lpCount(z.lp)+1 > lpLimit() || len(member) > ZSetMaxListpackValue) {
		z.convert()
	}
	if z.sl != nil {
		z.sl.insert(score, string(member))
		return
	}
	z.lp = lpInsert(z.lp, member, score)
}

// Remove deletes member, reporting whether it was present.
func (z *ZSet) Remove(member []byte) bool {
	if z.sl != nil {
		n := z.sl.find(member)
		if n == nil {
			return false
		}
		z.sl.remove(n.score, n.member)
		return true
	}
	off, _, next := lpFind(z.lp, member)
	if off < 0 {
		return false
	}
	z.lp = lpDeleteBytes(z.lp, off, next, 1)
	return true
}

// Rank returns member's 0-based rank in ascending order and its score.
func (z *ZSet) Rank(member []byte) (rank int, score float64, ok bool) {
	if z.sl != nil {
		n := z.sl.find(member)
		if n == nil {
			return 0, 0, false
		}
		return z.sl.rank(n.score, n.member) - 1, n.score, true
	}
	n := lpCount(z.lp)
	off := lpHeader
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(z.lp, off)
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
	if z.sl != nil {
		lo = z.sl.countPrefix(func(n *znode) bool { return r.belowMin(n.score) })
		hi = z.sl.countPrefix(func(n *znode) bool { return r.notAboveMax(n.score) })
	} else {
		lo, hi = lpPrefixes(z.lp, func(_ []byte, s float64) bool { return r.belowMin(s) },
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
	if z.sl != nil {
		lo = z.sl.countPrefix(func(n *znode) bool { return r.belowMin(n.memberBytes()) })
		hi = z.sl.countPrefix(func(n *znode) bool { return r.notAboveMax(n.memberBytes()) })
	} else {
		lo, hi = lpPrefixes(z.lp, func(m []byte, _ float64) bool { return r.belowMin(m) },
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
	if z.sl != nil {
		if rev {
			for n, k := z.sl.byRank(hi), hi; n != nil && k > lo; n, k = n.backward, k-1 {
				if !fn(n.memberBytes(), n.score) {
					return
				}
			}
			return
		}
		for n, k := z.sl.byRank(lo+1), lo; n != nil && k < hi; n, k = n.level[0].forward, k+1 {
			if !fn(n.memberBytes(), n.score) {
				return
			}
		}
		return
	}
	off := lpOffsetOf(z.lp, lo)
	if !rev {
		for k := lo; k < hi; k++ {
			m, s, nx := lpEntry(z.lp, off)
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
		_, _, off = lpEntry(z.lp, off)
	}
	for i := len(offs) - 1; i >= 0; i-- {
		m, s, _ := lpEntry(z.lp, offs[i])
		if !fn(m, s) {
			return
		}
	}
}

// At returns the element of 0-based rank r.
func (z *ZSet) At(r int) (member []byte, score float64) {
	if z.sl != nil {
		n := z.sl.byRank(r + 1)
		return n.memberBytes(), n.score
	}
	m, s, _ := lpEntry(z.lp, lpOffsetOf(z.lp, r))
	return m, s
}

// RemoveRange deletes the elements of ranks [lo, hi).
func (z *ZSet) RemoveRange(lo, hi int) {
	if lo >= hi {
		return
	}
	if z.sl != nil {
		z.sl.removeRanks(lo, hi)
		return
	}
	from := lpOffsetOf(z.lp, lo)
	to := from
	for k := lo; k < hi; k++ {
		_, _, to = lpEntry(z.lp, to)
	}
	z.lp = lpDeleteBytes(z.lp, from, to, hi-lo)
}

// Scan visits part of the set from cursor, as ZSCAN does, returning the next
// cursor (0 when the scan is complete). The compact form is visited whole in
// one call. Every element present during a whole scan is visited at least once.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if z.sl != nil {
		return z.sl.scan(cursor, count, fn)
	}
	z.Range(0, z.Len(), false, func(m []byte, s float64) bool { fn(m, s); return true })
	return 0
}

// IsCompact reports whether the set uses the compact form (for tests and
// the RDB encoder).
func (z *ZSet) IsCompact() bool { return z.sl == nil }
