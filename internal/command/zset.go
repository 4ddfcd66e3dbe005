package command

import (
	"math/rand/v2"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/types"
)

// zRandIntN draws the random choices of ZRANDMEMBER; tests may replace it.
var zRandIntN = rand.IntN

func registerZSet(t *Table) {
	t.Handle("zadd", cmdZAdd)
	t.Handle("zincrby", cmdZIncrBy)
	t.Handle("zrem", cmdZRem)
	t.Handle("zscore", cmdZScore)
	t.Handle("zmscore", cmdZMScore)
	t.Handle("zcard", cmdZCard)
	t.Handle("zrank", func(c *Ctx) { zRank(c, false) })
	t.Handle("zrevrank", func(c *Ctx) { zRank(c, true) })
	registerZSetRange(t)
	registerZSetPop(t)
	registerZSetOps(t)
}

// zLookup returns the sorted set at key, nil if there is none. ok is false
// when the key holds another type; WRONGTYPE has then been replied.
func zLookup(c *Ctx, key []byte) (z *types.ZSet, ok bool) {
	v, found := c.DB.Lookup(key)
	if !found {
		return nil, true
	}
	if z, isZ := v.Obj.(*types.ZSet); isZ {
		return z, true
	}
	c.Error(rediserr.WrongType)
	return nil, false
}

// zModified records an in-place change to the set at key, deleting the key
// when the set became empty.
func zModified(c *Ctx, key []byte, z *types.ZSet) {
	if z.Len() == 0 {
		c.DB.Delete(key)
		return
	}
	c.DB.Touch(key)
}

// zReplyElems writes the array header for n elements, as Redis does for
// ranges: RESP2 flattens member/score, RESP3 nests [member, score] pairs.
func zReplyElemsHeader(c *Ctx, n int, withScores bool) {
	if withScores && c.W.Proto < 3 {
		c.W.Array(2 * n)
		return
	}
	c.W.Array(n)
}

func zReplyElem(c *Ctx, m []byte, s float64, withScores bool) {
	if withScores && c.W.Proto >= 3 {
		c.W.Array(2)
	}
	c.W.Bulk(m)
	if withScores {
		c.W.Double(s)
	}
}

func cmdZAdd(c *Ctx) { zAddGeneric(c, 0) }

func cmdZIncrBy(c *Ctx) { zAddGeneric(c, types.ZAddIncr) }

// zAddGeneric is ZADD and ZINCRBY (Redis zaddGenericCommand).
func zAddGeneric(c *Ctx, flags int) {
	key := c.Args[1]
	ch := false
	i := 2
	if flags&types.ZAddIncr == 0 {
	opts:
		for ; i < len(c.Args); i++ {
			a := c.Args[i]
			switch {
			case zEqualFold(a, "nx"):
				flags |= types.ZAddNX
			case zEqualFold(a, "xx"):
				flags |= types.ZAddXX
			case zEqualFold(a, "ch"):
				ch = true
			case zEqualFold(a, "incr"):
				flags |= types.ZAddIncr
			case zEqualFold(a, "gt"):
				flags |= types.ZAddGT
			case zEqualFold(a, "lt"):
				flags |= types.ZAddLT
			default:
				break opts
			}
		}
	}
	rest := len(c.Args) - i
	if rest%2 != 0 || rest == 0 {
		c.Error(rediserr.Syntax)
		return
	}
	elements := rest / 2
	nx, xx := flags&types.ZAddNX != 0, flags&types.ZAddXX != 0
	gt, lt := flags&types.ZAddGT != 0, flags&types.ZAddLT != 0
	incr := flags&types.ZAddIncr != 0
	if nx && xx {
		c.Error(rediserr.ZAddXXNX)
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.Error(rediserr.ZAddGTLTNX)
		return
	}
	if incr && elements > 1 {
		c.Error(rediserr.ZAddIncrPair)
		return
	}
	var scoreBuf [16]float64
	scores := scoreBuf[:0]
	for j := 0; j < elements; j++ {
		s, ok := zParseDouble(c.Args[i+2*j])
		if !ok {
			c.Error(rediserr.NotFloat)
			return
		}
		scores = append(scores, s)
	}
	z, ok := zLookup(c, key)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var newScore float64
	if z == nil && !xx {
		// Redis 7.0 picks the new key's encoding from the first member
		// alone (and zset-max-listpack-entries 0); zsetAdd converts later.
		// Duplicates in one ZADD therefore still leave a listpack.
		z = types.NewZSet(1, len(c.Args[i+1]), c.Limits())
		c.DB.SetObject(key, z, false)
		c.SignalReady(key) // BZPOP* waiters (only a new key can have them)
	}
	if z != nil {
		lim := c.Limits()
		for j := 0; j < elements; j++ {
			s, out, ok := z.Add(c.Args[i+2*j+1], scores[j], flags, lim)
			if !ok {
				c.Error(rediserr.ZScoreNaN)
				c.Dirty += added + updated
				if added+updated > 0 {
					c.DB.Touch(key)
					c.Notify(NotifyZset, zaddEvent(incr), key)
				}
				return
			}
			newScore = s
			if out&types.ZAdded != 0 {
				added++
			}
			if out&types.ZUpdated != 0 {
				updated++
			}
			if out&types.ZNop == 0 {
				processed++
			}
		}
		c.Dirty += added + updated
		if added+updated > 0 {
			c.DB.Touch(key)
			c.Notify(NotifyZset, zaddEvent(incr), key)
		}
	}
	if incr {
		if processed > 0 {
			c.W.Double(newScore)
		} else {
			c.W.Null()
		}
		return
	}
	if ch {
		c.W.Int(int64(added + updated))
	} else {
		c.W.Int(int64(added))
	}
}

// zaddEvent is ZADD's keyspace event: zincr for ZINCRBY and ZADD INCR.
func zaddEvent(incr bool) string {
	if incr {
		return "zincr"
	}
	return "zadd"
}

func cmdZRem(c *Ctx) {
	key := c.Args[1]
	z, ok := zLookup(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	n := 0
	for _, m := range c.Args[2:] {
		if z.Remove(m) {
			n++
			if z.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		zModified(c, key, z)
		c.notifyRemoved(NotifyZset, "zrem", key, z.Len() == 0)
	}
	c.Dirty += n
	c.W.Int(int64(n))
}

func cmdZScore(c *Ctx) {
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(c.Args[2]); found {
			c.W.Double(s)
			return
		}
	}
	c.W.Null()
}

func cmdZMScore(c *Ctx) {
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if z != nil {
			if s, found := z.Score(m); found {
				c.W.Double(s)
				continue
			}
		}
		c.W.Null()
	}
}

func cmdZCard(c *Ctx) {
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Len()))
}

func zRank(c *Ctx, rev bool) {
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	r, _, found := z.Rank(c.Args[2])
	if !found {
		c.W.Null()
		return
	}
	if rev {
		r = z.Len() - 1 - r
	}
	c.W.Int(int64(r))
}
