package command

import (
	"math"
	"slices"

	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/types"
)

func registerSet(t *Table) {
	t.Handle("sadd", cmdSadd)
	t.Handle("srem", cmdSrem)
	t.Handle("smembers", cmdSmembers)
	t.Handle("sismember", cmdSismember)
	t.Handle("smismember", cmdSmismember)
	t.Handle("scard", cmdScard)
	t.Handle("spop", cmdSpop)
	t.Handle("srandmember", cmdSrandmember)
	t.Handle("smove", cmdSmove)
	t.Handle("sinter", cmdSinter)
	t.Handle("sinterstore", cmdSinterstore)
	t.Handle("sintercard", cmdSintercard)
	t.Handle("sunion", cmdSunion)
	t.Handle("sunionstore", cmdSunionstore)
	t.Handle("sdiff", cmdSdiff)
	t.Handle("sdiffstore", cmdSdiffstore)
	t.Handle("sscan", cmdSscan)
}

// hsLookupSet returns the set at key: nil if there is none; ok false (after
// replying WRONGTYPE) if key holds another type.
func hsLookupSet(c *Ctx, key []byte) (s *types.Set, ok bool) {
	v, found := c.DB.Lookup(key)
	if !found {
		return nil, true
	}
	s, isSet := v.Obj.(*types.Set)
	if !isSet {
		c.Error(wrongType)
		return nil, false
	}
	return s, true
}

func cmdSadd(c *Ctx) {
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		s = types.NewSetFor(c.Args[2])
		c.DB.SetObject(c.Args[1], s, false)
	}
	added := 0
	lim := c.Limits()
	for _, m := range c.Args[2:] {
		if s.Add(m, lim) {
			added++
		}
	}
	if added > 0 {
		c.DB.Touch(c.Args[1])
		c.Notify(NotifySet, "sadd", c.Args[1])
	}
	c.Dirty += added
	c.W.Int(int64(added))
}

func cmdSrem(c *Ctx) {
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	n := 0
	for _, m := range c.Args[2:] {
		if s.Remove(m) {
			n++
			if s.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		hsDropIfEmpty(c, c.Args[1], s)
		c.notifyRemoved(NotifySet, "srem", c.Args[1], s.Len() == 0)
		c.Dirty += n
	}
	c.W.Int(int64(n))
}

func cmdSismember(c *Ctx) {
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s != nil && s.Contains(c.Args[2]) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}

func cmdSmismember(c *Ctx) {
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if s != nil && s.Contains(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func cmdScard(c *Ctx) {
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

func hsWriteSet(c *Ctx, s *types.Set) {
	c.W.Set(s.Len())
	s.Each(func(m []byte) bool { c.W.Bulk(m); return true })
}

func cmdSmembers(c *Ctx) {
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Set(0)
		return
	}
	hsWriteSet(c, s)
}

// spopMoveStrategyMul: past this ratio of popped to remaining members, SPOP
// builds a new set of the survivors instead of removing the popped ones.
const spopMoveStrategyMul = 5

func cmdSpop(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(rediserr.Syntax)
		return
	}
	if len(c.Args) == 2 {
		s, ok := hsLookupSet(c, c.Args[1])
		if !ok {
			return
		}
		if s == nil {
			c.W.Null()
			return
		}
		var buf [64]byte
		m := s.AppendRandom(buf[:0])
		s.Remove(m)
		c.W.Bulk(m)
		c.Propagate(kwSREM, c.Args[1], m)
		hsDropIfEmpty(c, c.Args[1], s)
		c.notifyRemoved(NotifySet, "spop", c.Args[1], s.Len() == 0)
		c.Dirty++
		return
	}
	n, ok := types.ParseInt64(c.Args[2])
	if !ok || n < 0 {
		c.Error(rediserr.MustBePositive)
		return
	}
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.Set(0)
		return
	}
	size := s.Len()
	count := int(min(n, math.MaxInt32))
	c.Dirty += count
	c.Notify(NotifySet, "spop", c.Args[1])
	if count >= size {
		hsWriteSet(c, s)
		c.DB.Delete(c.Args[1])
		c.Notify(NotifyGeneric, "del", c.Args[1])
		c.Dirty++
		c.Propagate(kwDEL, c.Args[1]) // spopWithCountCommand: always DEL
		return
	}
	remaining := size - count
	c.W.Set(count)
	var buf []byte
	if remaining*spopMoveStrategyMul > count {
		for range count {
			buf = s.AppendRandom(buf[:0])
			s.Remove(buf)
			c.W.Bulk(buf)
			c.Propagate(kwSREM, c.Args[1], buf)
		}
	} else {
		var ns *types.Set
		for range remaining {
			buf = s.AppendRandom(buf[:0])
			if ns == nil {
				ns = types.NewSetFor(buf)
			}
			ns.Add(buf, c.Limits())
			s.Remove(buf)
		}
		s.Each(func(m []byte) bool {
			c.W.Bulk(m)
			c.Propagate(kwSREM, c.Args[1], m)
			return true
		})
		c.DB.SetObject(c.Args[1], ns, true)
	}
	c.DB.Touch(c.Args[1])
	c.Dirty++
}

// srandmemberSubStrategyMul: past this ratio, SRANDMEMBER samples by
// walking the whole set instead of drawing until enough distinct members.
const srandmemberSubStrategyMul = 3

func cmdSrandmember(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(rediserr.Syntax)
		return
	}
	if len(c.Args) == 2 {
		s, ok := hsLookupSet(c, c.Args[1])
		if !ok {
			return
		}
		if s == nil {
			c.W.Null()
			return
		}
		var buf [64]byte
		c.W.Bulk(s.AppendRandom(buf[:0]))
		return
	}
	l, ok := hsRandCount(c, c.Args[2])
	if !ok {
		return
	}
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil || l == 0 {
		c.W.Array(0)
		return
	}
	var buf []byte
	if l < 0 {
		count := int(-l)
		c.W.Array(count)
		for range count {
			if c.ReplyOverLimit() {
				break // the client is closed; nothing of this is sent
			}
			buf = s.AppendRandom(buf[:0])
			c.W.Bulk(buf)
		}
		return
	}
	size := s.Len()
	count := int(min(l, math.MaxInt32))
	if count >= size {
		c.W.Array(size)
		s.Each(func(m []byte) bool { c.W.Bulk(m); return true })
		return
	}
	c.W.Array(count)
	if count*srandmemberSubStrategyMul > size {
		picked := make([]int, 0, count)
		hsSample(size, count, func(j int) { picked = append(picked, j) })
		i, next := 0, 0
		s.Each(func(m []byte) bool {
			if picked[next] == i {
				c.W.Bulk(m)
				next++
			}
			i++
			return next < len(picked)
		})
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		buf = s.AppendRandom(buf[:0])
		if _, dup := seen[string(buf)]; dup {
			continue
		}
		seen[string(buf)] = struct{}{}
		c.W.Bulk(buf)
	}
}

func cmdSmove(c *Ctx) {
	src, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if src == nil {
		// Redis checks the destination's type only when the source exists.
		c.W.Int(0)
		return
	}
	dst, ok := hsLookupSet(c, c.Args[2])
	if !ok {
		return
	}
	m := c.Args[3]
	if src == dst {
		if src.Contains(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if !src.Remove(m) {
		c.W.Int(0)
		return
	}
	hsDropIfEmpty(c, c.Args[1], src)
	c.notifyRemoved(NotifySet, "srem", c.Args[1], src.Len() == 0)
	if dst == nil {
		dst = types.NewSetFor(m)
		c.DB.SetObject(c.Args[2], dst, false)
	}
	c.Dirty++
	if dst.Add(m, c.Limits()) {
		// Only then is the destination modified (WATCH): a member it
		// already had leaves it as it was.
		c.Dirty++
		c.Notify(NotifySet, "sadd", c.Args[2])
		c.DB.Touch(c.Args[2])
	}
	c.W.Int(1)
}

// hsArena collects members without an allocation each.
type hsArena struct {
	buf  []byte
	ends []int
}

func (a *hsArena) add(m []byte) {
	a.buf = append(a.buf, m...)
	a.ends = append(a.ends, len(a.buf))
}

func (a *hsArena) writeSet(c *Ctx) {
	c.W.Set(len(a.ends))
	start := 0
	for _, e := range a.ends {
		c.W.Bulk(a.buf[start:e])
		start = e
	}
}

// hsSetsForRead looks up keys; missing keys are nil. ok is false after a
// WRONGTYPE reply: every key is type-checked, even after a missing one, as
// Redis 7.0 does.
func hsSetsForRead(c *Ctx, keys [][]byte) (sets []*types.Set, missing bool, ok bool) {
	sets = make([]*types.Set, len(keys))
	for i, k := range keys {
		s, ok := hsLookupSet(c, k)
		if !ok {
			return nil, false, false
		}
		if s == nil {
			missing = true
		}
		sets[i] = s
	}
	return sets, missing, true
}

// hsInter implements SINTER, SINTERSTORE (dst != nil) and SINTERCARD
// (cardOnly, with limit 0 = none).
func hsInter(c *Ctx, keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, missing, ok := hsSetsForRead(c, keys)
	if !ok {
		return
	}
	if missing {
		switch {
		case dst != nil:
			if c.DB.Delete(dst) {
				c.Notify(NotifyGeneric, "del", dst)
				c.Dirty++
			}
			c.W.Int(0)
		case cardOnly:
			c.W.Int(0)
		default:
			c.W.Set(0)
		}
		return
	}
	slices.SortStableFunc(sets, func(a, b *types.Set) int { return a.Len() - b.Len() })
	var arena hsArena
	var out *types.Set
	if dst != nil {
		out = types.NewSet()
	}
	lim := c.Limits()
	var card int64
	sets[0].Each(func(m []byte) bool {
		for _, o := range sets[1:] {
			if o != sets[0] && !o.Contains(m) {
				return true
			}
		}
		switch {
		case cardOnly:
			card++
			if limit > 0 && card >= limit {
				return false
			}
		case out != nil:
			out.Add(m, lim)
		default:
			arena.add(m)
		}
		return true
	})
	switch {
	case cardOnly:
		c.W.Int(card)
	case out != nil:
		hsStore(c, dst, out, "sinterstore")
	default:
		arena.writeSet(c)
	}
}

// hsStore replaces dst with s (or deletes dst when s is empty) and replies
// with s's size; event is the store command's keyspace event.
func hsStore(c *Ctx, dst []byte, s *types.Set, event string) {
	if s.Len() > 0 {
		c.DB.SetObject(dst, s, false)
		c.Notify(NotifySet, event, dst)
		c.Dirty++
	} else if c.DB.Delete(dst) {
		c.Notify(NotifyGeneric, "del", dst)
		c.Dirty++
	}
	c.W.Int(int64(s.Len()))
}

const (
	hsUnion = iota
	hsDiff
)

// hsUnionDiff implements SUNION, SDIFF and their STORE forms. The result is
// built as a set starting from an empty intset, as Redis does, so an
// all-integer result replies in ascending order like Redis's.
func hsUnionDiff(c *Ctx, keys [][]byte, dst []byte, op int) {
	sets, _, ok := hsSetsForRead(c, keys)
	if !ok {
		return
	}
	out := types.NewSet()
	lim := c.Limits()
	switch op {
	case hsUnion:
		for _, s := range sets {
			if s == nil {
				continue
			}
			s.Each(func(m []byte) bool { out.Add(m, lim); return true })
		}
	case hsDiff:
		if sets[0] != nil {
			sets[0].Each(func(m []byte) bool {
				for _, o := range sets[1:] {
					if o == sets[0] || o != nil && o.Contains(m) {
						return true
					}
				}
				out.Add(m, lim)
				return true
			})
		}
	}
	if dst != nil {
		event := "sunionstore"
		if op == hsDiff {
			event = "sdiffstore"
		}
		hsStore(c, dst, out, event)
		return
	}
	hsWriteSet(c, out)
}

func cmdSinter(c *Ctx)      { hsInter(c, c.Args[1:], nil, false, 0) }
func cmdSinterstore(c *Ctx) { hsInter(c, c.Args[2:], c.Args[1], false, 0) }
func cmdSunion(c *Ctx)      { hsUnionDiff(c, c.Args[1:], nil, hsUnion) }
func cmdSunionstore(c *Ctx) { hsUnionDiff(c, c.Args[2:], c.Args[1], hsUnion) }
func cmdSdiff(c *Ctx)       { hsUnionDiff(c, c.Args[1:], nil, hsDiff) }
func cmdSdiffstore(c *Ctx)  { hsUnionDiff(c, c.Args[2:], c.Args[1], hsDiff) }

func cmdSintercard(c *Ctx) {
	numkeys, ok := types.ParseInt64(c.Args[1])
	if !ok || numkeys < 1 {
		c.Error(rediserr.SetNumkeysPositive)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error(rediserr.SetTooManyKeys)
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if equalFoldASCII(c.Args[i], "limit") && i+1 < len(c.Args) {
			l, ok := types.ParseInt64(c.Args[i+1])
			if !ok || l < 0 {
				c.Error(rediserr.SetLimitNegative)
				return
			}
			limit = l
			i++
			continue
		}
		c.Error(rediserr.Syntax)
		return
	}
	hsInter(c, c.Args[2:2+numkeys], nil, true, limit)
}

func cmdSscan(c *Ctx) {
	cursor, ok := hsParseCursor(c.Args[2])
	if !ok {
		c.Error(rediserr.HashInvalidCursor)
		return
	}
	s, ok := hsLookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		hsEmptyScan(c)
		return
	}
	count, pattern, ok := hsScanOpts(c)
	if !ok {
		return
	}
	var arena hsArena
	keep := func(m []byte) {
		if pattern == nil || glob.Match(pattern, m, false) {
			arena.add(m)
		}
	}
	if s.ScansWhole() {
		s.Each(func(m []byte) bool { keep(m); return true })
		cursor = 0
	} else {
		seen := 0
		for iter := count * 10; ; {
			cursor = s.Scan(cursor, func(m []byte) { seen++; keep(m) })
			if cursor == 0 || iter == 0 || seen >= count {
				break
			}
			iter--
		}
	}
	c.W.Array(2)
	var buf [20]byte
	c.W.Bulk(appendUint64(buf[:0], cursor))
	c.W.Array(len(arena.ends))
	start := 0
	for _, e := range arena.ends {
		c.W.Bulk(arena.buf[start:e])
		start = e
	}
}
