package command

import (
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

type zRangeType uint8

const (
	zByAuto zRangeType = iota
	zByRank
	zByScore
	zByLex
)

type zDirection uint8

const (
	zDirAuto zDirection = iota
	zDirFwd
	zDirRev
)

func registerZSetRange(t *Table) {
	t.Handle("zrange", func(c *Ctx) { zRangeGeneric(c, 1, false, zByAuto, zDirAuto) })
	t.Handle("zrangestore", func(c *Ctx) { zRangeGeneric(c, 2, true, zByAuto, zDirAuto) })
	t.Handle("zrangebyscore", func(c *Ctx) { zRangeGeneric(c, 1, false, zByScore, zDirFwd) })
	t.Handle("zrevrangebyscore", func(c *Ctx) { zRangeGeneric(c, 1, false, zByScore, zDirRev) })
	t.Handle("zrangebylex", func(c *Ctx) { zRangeGeneric(c, 1, false, zByLex, zDirFwd) })
	t.Handle("zrevrangebylex", func(c *Ctx) { zRangeGeneric(c, 1, false, zByLex, zDirRev) })
	t.Handle("zrevrange", func(c *Ctx) { zRangeGeneric(c, 1, false, zByRank, zDirRev) })
	t.Handle("zcount", cmdZCount)
	t.Handle("zlexcount", cmdZLexCount)
	t.Handle("zremrangebyrank", func(c *Ctx) { zRemRange(c, zByRank) })
	t.Handle("zremrangebyscore", func(c *Ctx) { zRemRange(c, zByScore) })
	t.Handle("zremrangebylex", func(c *Ctx) { zRemRange(c, zByLex) })
}

// zRankSpan turns Redis start/end indexes (negative from the end) into
// ranks [lo, hi) of a set of n elements.
func zRankSpan(start, end int64, n int) (lo, hi int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end) + 1
}

// zRangeGeneric is Redis zrangeGenericCommand: ZRANGE, ZRANGESTORE and the
// older BYSCORE/BYLEX/REV variants. keyIdx is the source key's index.
func zRangeGeneric(c *Ctx, keyIdx int, store bool, by zRangeType, dir zDirection) {
	minIdx, maxIdx := keyIdx+1, keyIdx+2
	withScores, hasLimit := false, false
	var offset, limit int64 = 0, -1
	for j := keyIdx + 3; j < len(c.Args); j++ {
		a := c.Args[j]
		left := len(c.Args) - j - 1
		switch {
		case !store && zEqualFold(a, "withscores"):
			withScores = true
		case zEqualFold(a, "limit") && left >= 2:
			var ok1, ok2 bool
			offset, ok1 = rnum.ParseInt(c.Args[j+1])
			if ok1 {
				limit, ok2 = rnum.ParseInt(c.Args[j+2])
			}
			if !ok1 || !ok2 {
				c.Error(rediserr.NotInteger)
				return
			}
			hasLimit = true
			j += 2
		case dir == zDirAuto && zEqualFold(a, "rev"):
			dir = zDirRev
		case by == zByAuto && zEqualFold(a, "bylex"):
			by = zByLex
		case by == zByAuto && zEqualFold(a, "byscore"):
			by = zByScore
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	if dir == zDirAuto {
		dir = zDirFwd
	}
	if by == zByAuto {
		by = zByRank
	}
	if hasLimit && by == zByRank {
		c.Error(rediserr.ZLimitNeedsBy)
		return
	}
	if withScores && by == zByLex {
		c.Error(rediserr.ZWithscoresByLex)
		return
	}
	rev := dir == zDirRev
	if rev && by != zByRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr types.ScoreRange
	var lr types.LexRange
	switch by {
	case zByRank:
		var ok1, ok2 bool
		start, ok1 = rnum.ParseInt(c.Args[minIdx])
		if ok1 {
			end, ok2 = rnum.ParseInt(c.Args[maxIdx])
		}
		if !ok1 || !ok2 {
			c.Error(rediserr.NotInteger)
			return
		}
	case zByScore:
		var ok bool
		if sr, ok = zParseScoreRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Error(rediserr.ZMinMaxNotFloat)
			return
		}
	case zByLex:
		var ok bool
		if lr, ok = zParseLexRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Error(rediserr.ZMinMaxNotLex)
			return
		}
	}
	z, ok := zLookup(c, c.Args[keyIdx])
	if !ok {
		return
	}
	lo, hi := 0, 0
	if z != nil {
		n := z.Len()
		switch by {
		case zByRank:
			lo, hi = zRankSpan(start, end, n)
			if rev && lo < hi {
				lo, hi = n-hi, n-lo
			}
		case zByScore, zByLex:
			if by == zByScore {
				lo, hi = z.ScoreRanks(&sr)
			} else {
				lo, hi = z.LexRanks(&lr)
			}
			lo, hi = zApplyLimit(lo, hi, offset, limit, rev)
		}
	}
	if store {
		zStoreRange(c, c.Args[1], z, lo, hi, rev)
		return
	}
	if z == nil {
		c.W.Array(0)
		return
	}
	zReplyElemsHeader(c, hi-lo, withScores)
	z.Range(lo, hi, rev, func(m []byte, s float64) bool {
		zReplyElem(c, m, s, withScores)
		return true
	})
}

// zApplyLimit narrows ranks [lo, hi) by LIMIT offset count, counting from
// the top when rev. A negative offset selects nothing and a negative count
// everything, as Redis's skip loops do.
func zApplyLimit(lo, hi int, offset, limit int64, rev bool) (int, int) {
	n := int64(hi - lo)
	if offset < 0 || offset >= n {
		return lo, lo
	}
	take := n - offset
	if limit >= 0 && limit < take {
		take = limit
	}
	if rev {
		top := int64(hi) - offset
		return int(top - take), int(top)
	}
	first := int64(lo) + offset
	return int(first), int(first + take)
}

// zStoreRange writes the elements of ranks [lo, hi) of z to dst (ZRANGESTORE).
func zStoreRange(c *Ctx, dst []byte, z *types.ZSet, lo, hi int, rev bool) {
	if z == nil || lo >= hi {
		if c.DB.Delete(dst) {
			c.Notify(NotifyGeneric, "del", dst)
			c.Dirty++
		}
		c.W.Int(0)
		return
	}
	lim := c.Limits()
	out := types.NewZSet(hi-lo, 0, lim)
	z.Range(lo, hi, rev, func(m []byte, s float64) bool {
		out.Insert(m, s, lim)
		return true
	})
	c.DB.SetObject(dst, out, false)
	c.SignalReady(dst)
	c.Notify(NotifyZset, "zrangestore", dst)
	c.Dirty++
	c.W.Int(int64(out.Len()))
}

func cmdZCount(c *Ctx) {
	r, ok := zParseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Error(rediserr.ZMinMaxNotFloat)
		return
	}
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	lo, hi := z.ScoreRanks(&r)
	c.W.Int(int64(hi - lo))
}

func cmdZLexCount(c *Ctx) {
	r, ok := zParseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Error(rediserr.ZMinMaxNotLex)
		return
	}
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	lo, hi := z.LexRanks(&r)
	c.W.Int(int64(hi - lo))
}

// zRemRange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
// zRemRangeEvents are the ZREMRANGEBY* keyspace events.
var zRemRangeEvents = [...]string{zByRank: "zremrangebyrank", zByScore: "zremrangebyscore", zByLex: "zremrangebylex"}

func zRemRange(c *Ctx, by zRangeType) {
	var start, end int64
	var sr types.ScoreRange
	var lr types.LexRange
	switch by {
	case zByRank:
		var ok1, ok2 bool
		start, ok1 = rnum.ParseInt(c.Args[2])
		if ok1 {
			end, ok2 = rnum.ParseInt(c.Args[3])
		}
		if !ok1 || !ok2 {
			c.Error(rediserr.NotInteger)
			return
		}
	case zByScore:
		var ok bool
		if sr, ok = zParseScoreRange(c.Args[2], c.Args[3]); !ok {
			c.Error(rediserr.ZMinMaxNotFloat)
			return
		}
	case zByLex:
		var ok bool
		if lr, ok = zParseLexRange(c.Args[2], c.Args[3]); !ok {
			c.Error(rediserr.ZMinMaxNotLex)
			return
		}
	}
	key := c.Args[1]
	z, ok := zLookup(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var lo, hi int
	switch by {
	case zByRank:
		lo, hi = zRankSpan(start, end, z.Len())
	case zByScore:
		lo, hi = z.ScoreRanks(&sr)
	case zByLex:
		lo, hi = z.LexRanks(&lr)
	}
	n := hi - lo
	if n > 0 {
		z.RemoveRange(lo, hi)
		zModified(c, key, z)
		c.notifyRemoved(NotifyZset, zRemRangeEvents[by], key, z.Len() == 0)
		c.Dirty += n
	}
	c.W.Int(int64(n))
}
