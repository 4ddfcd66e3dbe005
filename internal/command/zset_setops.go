package command

import (
	"math"
	"sort"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

type zSetOp uint8

const (
	zOpUnion zSetOp = iota
	zOpInter
	zOpDiff
)

type zAggregate uint8

const (
	zAggSum zAggregate = iota
	zAggMin
	zAggMax
)

func registerZSetOps(t *Table) {
	t.Handle("zunionstore", func(c *Ctx) { zSetOpGeneric(c, true, 2, zOpUnion, false) })
	t.Handle("zinterstore", func(c *Ctx) { zSetOpGeneric(c, true, 2, zOpInter, false) })
	t.Handle("zdiffstore", func(c *Ctx) { zSetOpGeneric(c, true, 2, zOpDiff, false) })
	t.Handle("zunion", func(c *Ctx) { zSetOpGeneric(c, false, 1, zOpUnion, false) })
	t.Handle("zinter", func(c *Ctx) { zSetOpGeneric(c, false, 1, zOpInter, false) })
	t.Handle("zdiff", func(c *Ctx) { zSetOpGeneric(c, false, 1, zOpDiff, false) })
	t.Handle("zintercard", func(c *Ctx) { zSetOpGeneric(c, false, 1, zOpInter, true) })
}

// zSrc is one input of a set operation: a sorted set, a plain set (members
// score 1) or nothing (a missing key).
type zSrc struct {
	z      *types.ZSet
	s      types.SetMembers
	weight float64
}

func (s *zSrc) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

func (s *zSrc) each(fn func(m []byte, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Range(0, s.z.Len(), false, fn)
	case s.s != nil:
		s.s.ForEachMember(func(m []byte) bool { return fn(m, 1) })
	}
}

func (s *zSrc) find(m []byte) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(m)
	case s.s != nil:
		return 1, s.s.HasMember(m)
	}
	return 0, false
}

func zAggregateInto(target *float64, v float64, agg zAggregate) {
	switch agg {
	case zAggSum:
		*target += v
		if math.IsNaN(*target) { // +inf + -inf
			*target = 0
		}
	case zAggMin:
		if v < *target {
			*target = v
		}
	case zAggMax:
		if v > *target {
			*target = v
		}
	}
}

// zSetOpGeneric is Redis zunionInterDiffGenericCommand: Z{UNION,INTER,DIFF}
// [STORE] and ZINTERCARD.
// zStoreEvents are the keyspace events of ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE.
var zStoreEvents = [...]string{zOpUnion: "zunionstore", zOpInter: "zinterstore", zOpDiff: "zdiffstore"}

func zSetOpGeneric(c *Ctx, store bool, numIdx int, op zSetOp, cardOnly bool) {
	setnum, ok := rnum.ParseInt(c.Args[numIdx])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	if setnum < 1 {
		c.Error(rediserr.AtLeastOneKey(c.Cmd.FullName()))
		return
	}
	if setnum > int64(len(c.Args)-(numIdx+1)) {
		c.Error(rediserr.Syntax)
		return
	}
	srcs := make([]zSrc, setnum)
	j := numIdx + 1
	for i := range srcs {
		v, found := c.DB.Lookup(c.Args[j])
		j++
		srcs[i].weight = 1
		if !found {
			continue
		}
		switch o := v.Obj.(type) {
		case *types.ZSet:
			srcs[i].z = o
		case types.SetMembers:
			if o.Kind() != types.KindSet {
				c.Error(rediserr.WrongType)
				return
			}
			srcs[i].s = o
		default:
			// TODO(sets): plain SETs are accepted as soon as the set type
			// implements types.SetMembers.
			c.Error(rediserr.WrongType)
			return
		}
	}
	agg := zAggSum
	withScores := false
	var limit int64
	for j < len(c.Args) {
		remaining := len(c.Args) - j
		a := c.Args[j]
		switch {
		case op != zOpDiff && !cardOnly && remaining >= int(setnum)+1 && zEqualFold(a, "weights"):
			j++
			for i := range srcs {
				w, ok := zParseDouble(c.Args[j])
				if !ok {
					c.Error(rediserr.ZWeightNotFloat)
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != zOpDiff && !cardOnly && remaining >= 2 && zEqualFold(a, "aggregate"):
			switch v := c.Args[j+1]; {
			case zEqualFold(v, "sum"):
				agg = zAggSum
			case zEqualFold(v, "min"):
				agg = zAggMin
			case zEqualFold(v, "max"):
				agg = zAggMax
			default:
				c.Error(rediserr.Syntax)
				return
			}
			j += 2
		case !store && !cardOnly && zEqualFold(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && zEqualFold(a, "limit"):
			n, ok := rnum.ParseInt(c.Args[j+1])
			if !ok || n < 0 {
				c.Error(rediserr.ZLimitNegative)
				return
			}
			limit = n
			j += 2
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	if op != zOpDiff {
		sort.SliceStable(srcs, func(a, b int) bool { return srcs[a].len() < srcs[b].len() })
	}

	var res []zResult
	maxLen := 0
	note := func(m []byte, s float64) {
		res = append(res, zResult{string(m), s})
		if len(m) > maxLen {
			maxLen = len(m)
		}
	}
	switch op {
	case zOpUnion:
		acc := make(map[string]int) // member → index in res
		for i := range srcs {
			src := &srcs[i]
			src.each(func(m []byte, s float64) bool {
				score := src.weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if k, ok := acc[string(m)]; ok {
					zAggregateInto(&res[k].score, score, agg)
				} else {
					acc[string(m)] = len(res)
					note(m, score)
				}
				return true
			})
		}
	case zOpInter:
		card := int64(0)
		if srcs[0].len() > 0 {
			srcs[0].each(func(m []byte, s float64) bool {
				score := srcs[0].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				for k := 1; k < len(srcs); k++ {
					v, ok := srcs[k].find(m)
					if !ok {
						return true
					}
					zAggregateInto(&score, v*srcs[k].weight, agg)
				}
				if cardOnly {
					card++
					return limit == 0 || card < limit
				}
				note(m, score)
				return true
			})
		}
		if cardOnly {
			c.W.Int(card)
			return
		}
	case zOpDiff:
		if srcs[0].len() > 0 {
			srcs[0].each(func(m []byte, s float64) bool {
				for k := 1; k < len(srcs); k++ {
					if _, ok := srcs[k].find(m); ok {
						return true
					}
				}
				note(m, s)
				return true
			})
		}
	}
	sort.Slice(res, func(a, b int) bool {
		return res[a].score < res[b].score || (res[a].score == res[b].score && strings.Compare(res[a].member, res[b].member) < 0)
	})
	if store {
		dst := c.Args[1]
		if len(res) == 0 {
			if c.DB.Delete(dst) {
				c.Notify(NotifyGeneric, "del", dst)
				c.Dirty++
			}
			c.W.Int(0)
			return
		}
		lim := c.Limits()
		z := types.NewZSet(len(res), maxLen, lim)
		for i := range res {
			z.Insert([]byte(res[i].member), res[i].score, lim)
		}
		c.DB.SetObject(dst, z, false)
		c.SignalReady(dst)
		c.Notify(NotifyZset, zStoreEvents[op], dst)
		c.Dirty++
		c.W.Int(int64(z.Len()))
		return
	}
	zReplyElemsHeader(c, len(res), withScores)
	for i := range res {
		zReplyElem(c, []byte(res[i].member), res[i].score, withScores)
	}
}

type zResult struct {
	member string
	score  float64
}
