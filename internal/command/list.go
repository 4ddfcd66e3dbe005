package command

import (
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

// The list family (Redis 7.0 t_list.c). Blocking variants are in
// list_blocking.go.

func registerLists(t *Table) {
	t.Handle("lpush", func(c *Ctx) { listPush(c, true, false) })
	t.Handle("rpush", func(c *Ctx) { listPush(c, false, false) })
	t.Handle("lpushx", func(c *Ctx) { listPush(c, true, true) })
	t.Handle("rpushx", func(c *Ctx) { listPush(c, false, true) })
	t.Handle("lpop", func(c *Ctx) { listPop(c, true) })
	t.Handle("rpop", func(c *Ctx) { listPop(c, false) })
	t.Handle("llen", cmdLlen)
	t.Handle("lrange", cmdLrange)
	t.Handle("lindex", cmdLindex)
	t.Handle("lset", cmdLset)
	t.Handle("lrem", cmdLrem)
	t.Handle("ltrim", cmdLtrim)
	t.Handle("linsert", cmdLinsert)
	t.Handle("lpos", cmdLpos)
	t.Handle("lmove", cmdLmove)
	t.Handle("rpoplpush", func(c *Ctx) { listMove(c, false, true) })
	t.Handle("lmpop", cmdLmpop)
	registerListBlocking(t)
}

// getList returns the list at key (nil if the key is missing). When the key
// holds another type it replies WRONGTYPE and reports wrong.
func getList(c *Ctx, key []byte) (l *types.List, wrong bool) {
	v, ok := c.DB.Lookup(key)
	if !ok {
		return nil, false
	}
	if l, isList := v.Obj.(*types.List); isList {
		return l, false
	}
	c.Error(wrongType)
	return nil, true
}

// listSide parses LEFT/RIGHT (getListPositionFromObjectOrReply).
func listSide(c *Ctx, b []byte) (left, ok bool) {
	switch {
	case strings.EqualFold(string(b), "left"):
		return true, true
	case strings.EqualFold(string(b), "right"):
		return false, true
	}
	c.Error(rediserr.Syntax)
	return false, false
}

// listRemoved finishes a removal: an emptied list's key is deleted, else
// watchers are told; event (lpop, rpop, lrem, ltrim) is published, then
// del if the key went.
func listRemoved(c *Ctx, key []byte, l *types.List, n int, event string) {
	emptied := l.Len() == 0
	if emptied {
		c.DB.Delete(key)
	} else {
		c.DB.Touch(key)
	}
	c.notifyRemoved(NotifyList, event, key, emptied)
	c.Dirty += n
}

func listPush(c *Ctx, front, xx bool) {
	key := c.Args[1]
	l, wrong := getList(c, key)
	if wrong {
		return
	}
	if l == nil {
		if xx {
			c.W.Int(0)
			return
		}
		l = types.NewList()
		c.DB.SetObject(key, l, false)
		c.SignalReady(key)
	} else {
		c.DB.Touch(key)
	}
	lim := c.Limits()
	for _, a := range c.Args[2:] {
		if front {
			l.PushFront(a, lim)
		} else {
			l.PushBack(a, lim)
		}
	}
	c.Dirty += len(c.Args) - 2
	c.Notify(NotifyList, pushEvent(front), key)
	c.W.Int(int64(l.Len()))
}

func listPop(c *Ctx, front bool) {
	if len(c.Args) > 3 {
		c.Error(rediserr.WrongArity(c.Cmd.Name))
		return
	}
	hasCount := len(c.Args) == 3
	var count int64
	if hasCount {
		n, ok := rnum.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Error(rediserr.MustBePositive)
			return
		}
		count = n
	}
	key := c.Args[1]
	l, wrong := getList(c, key)
	if wrong {
		return
	}
	if l == nil {
		if hasCount {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return
	}
	if !hasCount {
		var buf [64]byte
		c.W.Bulk(listPopOne(buf[:0], l, front))
		listRemoved(c, key, l, 1, popEvent(front))
		return
	}
	if count == 0 {
		c.W.Array(0)
		return
	}
	n := listPopRangeReply(c, l, front, count)
	listRemoved(c, key, l, n, popEvent(front))
}

// listPopOne pops one element, appending it to dst.
func listPopOne(dst []byte, l *types.List, front bool) []byte {
	if front {
		dst, _ = l.PopFront(dst)
	} else {
		dst, _ = l.PopBack(dst)
	}
	return dst
}

// listPopRangeReply pops up to count elements from one end, replying with
// them as an array in pop order, and returns how many it popped.
func listPopRangeReply(c *Ctx, l *types.List, front bool, count int64) int {
	n := l.Len()
	if int64(n) > count {
		n = int(count)
	}
	c.W.Array(n)
	var buf [64]byte
	for i := 0; i < n; i++ {
		c.W.Bulk(listPopOne(buf[:0], l, front))
	}
	return n
}

func cmdLlen(c *Ctx) {
	l, wrong := getList(c, c.Args[1])
	if wrong {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(l.Len()))
}

// listRange clamps Redis start/end indexes to 0 ≤ start ≤ end < n, reporting
// false for an empty range.
func listRange(start, end int64, n int) (int, int, bool) {
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
		return 0, 0, false
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), true
}

func cmdLrange(c *Ctx) {
	start, ok1 := rnum.ParseInt(c.Args[2])
	end, ok2 := rnum.ParseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Error(rediserr.NotInteger)
		return
	}
	l, wrong := getList(c, c.Args[1])
	if wrong {
		return
	}
	if l == nil {
		c.W.Array(0)
		return
	}
	s, e, ok := listRange(start, end, l.Len())
	if !ok {
		c.W.Array(0)
		return
	}
	w := c.W
	w.Array(e - s + 1)
	l.Range(s, e, func(v []byte) bool {
		w.Bulk(v)
		return true
	})
}

func cmdLindex(c *Ctx) {
	l, wrong := getList(c, c.Args[1])
	if wrong {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	i, ok := rnum.ParseInt(c.Args[2])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	var buf [64]byte
	if v, ok := l.Index(i, buf[:0]); ok {
		c.W.Bulk(v)
	} else {
		c.W.Null()
	}
}

func cmdLset(c *Ctx) {
	key := c.Args[1]
	v, found := c.DB.Lookup(key)
	if !found {
		c.Error(rediserr.NoSuchKey)
		return
	}
	l, isList := v.Obj.(*types.List)
	if !isList {
		c.Error(wrongType)
		return
	}
	i, ok := rnum.ParseInt(c.Args[2])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	if !l.Set(i, c.Args[3], c.Limits()) {
		c.Error(rediserr.OutOfRange)
		return
	}
	c.DB.Touch(key)
	c.Notify(NotifyList, "lset", key)
	c.Dirty++
	c.W.OK()
}

func cmdLrem(c *Ctx) {
	count, ok := rnum.ParseInt(c.Args[2])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	key := c.Args[1]
	l, wrong := getList(c, key)
	if wrong {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	n := l.Remove(c.Args[3], count)
	if n > 0 {
		listRemoved(c, key, l, n, "lrem")
	}
	c.W.Int(int64(n))
}

func cmdLtrim(c *Ctx) {
	start, ok1 := rnum.ParseInt(c.Args[2])
	end, ok2 := rnum.ParseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Error(rediserr.NotInteger)
		return
	}
	key := c.Args[1]
	l, wrong := getList(c, key)
	if wrong {
		return
	}
	if l == nil {
		c.W.OK()
		return
	}
	n := l.Len()
	s, e, ok := listRange(start, end, n)
	if !ok {
		l.Trim(1, 0)
	} else {
		l.Trim(s, e)
	}
	listRemoved(c, key, l, n-l.Len(), "ltrim")
	c.W.OK()
}

func cmdLinsert(c *Ctx) {
	var after bool
	switch {
	case strings.EqualFold(string(c.Args[2]), "after"):
		after = true
	case strings.EqualFold(string(c.Args[2]), "before"):
	default:
		c.Error(rediserr.Syntax)
		return
	}
	key := c.Args[1]
	l, wrong := getList(c, key)
	if wrong {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	i := l.Find(c.Args[3])
	if i < 0 {
		c.W.Int(-1)
		return
	}
	l.Insert(i, c.Args[4], after, c.Limits())
	c.DB.Touch(key)
	c.Notify(NotifyList, "linsert", key)
	c.Dirty++
	c.W.Int(int64(l.Len()))
}

func cmdLpos(c *Ctx) {
	ele := string(c.Args[2])
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		opt := string(c.Args[j])
		more := j+1 < len(c.Args)
		switch {
		case strings.EqualFold(opt, "rank") && more:
			j++
			n, ok := rnum.ParseInt(c.Args[j])
			if !ok {
				c.Error(rediserr.NotInteger)
				return
			}
			if n == 0 {
				c.Error(rediserr.LposRankZero)
				return
			}
			rank = n
		case strings.EqualFold(opt, "count") && more:
			j++
			n, ok := rnum.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.Error(rediserr.LposCountNegative)
				return
			}
			count = n
		case strings.EqualFold(opt, "maxlen") && more:
			j++
			n, ok := rnum.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.Error(rediserr.LposMaxlenNegative)
				return
			}
			maxlen = n
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	fromTail := false
	if rank < 0 {
		// Redis negates a long: MinInt64 stays negative, so every match ranks.
		rank = -rank
		fromTail = true
	}
	l, wrong := getList(c, c.Args[1])
	if wrong {
		return
	}
	if l == nil {
		if count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	llen := int64(l.Len())
	var (
		index, matches int64
		found          = int64(-1)
		out            []int64
	)
	visit := func(v []byte) bool {
		if maxlen != 0 && index >= maxlen {
			return false
		}
		if string(v) == ele {
			matches++
			if matches >= rank {
				at := index
				if fromTail {
					at = llen - index - 1
				}
				if count == -1 {
					found = at
					return false
				}
				out = append(out, at)
				if count != 0 && matches-rank+1 >= count {
					return false
				}
			}
		}
		index++
		return true
	}
	if l.Len() > 0 {
		if fromTail {
			l.RangeReverse(0, l.Len()-1, visit)
		} else {
			l.Range(0, l.Len()-1, visit)
		}
	}
	if count != -1 {
		c.W.Array(len(out))
		for _, i := range out {
			c.W.Int(i)
		}
		return
	}
	if found >= 0 {
		c.W.Int(found)
	} else {
		c.W.Null()
	}
}

func cmdLmove(c *Ctx) {
	from, ok := listSide(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := listSide(c, c.Args[4])
	if !ok {
		return
	}
	listMove(c, from, to)
}

// listMove is LMOVE source destination: pop from one end of source, push
// to one end of destination, reply with the element.
func listMove(c *Ctx, fromLeft, toLeft bool) {
	src, dst := c.Args[1], c.Args[2]
	sl, wrong := getList(c, src)
	if wrong {
		return
	}
	if sl == nil {
		c.W.Null()
		return
	}
	dl, wrong := getList(c, dst)
	if wrong {
		return
	}
	var buf [64]byte
	v := listPopOne(buf[:0], sl, fromLeft)
	if dl == nil {
		dl = types.NewList()
		c.DB.SetObject(dst, dl, false)
		c.SignalReady(dst)
	} else {
		c.DB.Touch(dst)
	}
	if toLeft {
		dl.PushFront(v, c.Limits())
	} else {
		dl.PushBack(v, c.Limits())
	}
	c.Notify(NotifyList, pushEvent(toLeft), dst)
	listRemoved(c, src, sl, 1, popEvent(fromLeft))
	c.W.Bulk(v)
	// A served BLMOVE/BRPOPLPUSH propagates as its non-blocking form.
	switch c.Cmd.Name {
	case "blmove":
		c.Propagate(kwLMOVE, c.Args[1], c.Args[2], c.Args[3], c.Args[4])
	case "brpoplpush":
		c.Propagate(kwRPOPLPUSH, c.Args[1], c.Args[2])
	}
}

// listMpopArgs parses [B]LMPOP's numkeys, keys, LEFT|RIGHT and COUNT,
// numkeys being at c.Args[at].
func listMpopArgs(c *Ctx, at int) (keys [][]byte, left bool, count int64, ok bool) {
	numkeys, isInt := rnum.ParseInt(c.Args[at])
	if !isInt || numkeys < 1 {
		c.Error(rediserr.NumkeysNotPositive)
		return
	}
	whereIdx := int64(at) + numkeys + 1
	if whereIdx >= int64(len(c.Args)) {
		c.Error(rediserr.Syntax)
		return
	}
	if left, ok = listSide(c, c.Args[whereIdx]); !ok {
		return
	}
	count = -1
	for j := int(whereIdx) + 1; j < len(c.Args); j++ {
		if count == -1 && strings.EqualFold(string(c.Args[j]), "count") && j+1 < len(c.Args) {
			j++
			n, isInt := rnum.ParseInt(c.Args[j])
			if !isInt || n < 1 {
				c.Error(rediserr.CountNotPositive)
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.Error(rediserr.Syntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return c.Args[at+1 : whereIdx], left, count, true
}

// listMpopFrom pops from the first non-empty list of keys, replying
// [key, [elements]]. It reports whether it served (or replied an error).
func listMpopFrom(c *Ctx, keys [][]byte, left bool, count int64) bool {
	for _, k := range keys {
		l, wrong := getList(c, k)
		if wrong {
			return true
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		c.W.Array(2)
		c.W.Bulk(k)
		n := listPopRangeReply(c, l, left, count)
		listRemoved(c, k, l, n, popEvent(left))
		// [B]LMPOP propagates as [LR]POP key n.
		if left {
			c.propagateCount(kwLPOP, k, int64(n))
		} else {
			c.propagateCount(kwRPOP, k, int64(n))
		}
		return true
	}
	return false
}

func cmdLmpop(c *Ctx) {
	keys, left, count, ok := listMpopArgs(c, 1)
	if !ok {
		return
	}
	if !listMpopFrom(c, keys, left, count) {
		c.W.NullArray()
	}
}
