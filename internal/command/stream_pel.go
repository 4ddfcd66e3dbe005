package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/types"
)

// The pending entries lists of consumer groups (t_stream.c): XPENDING,
// XCLAIM and XAUTOCLAIM. Registration and the propagation helpers are in
// stream_cg.go.

// cmdXpending is XPENDING key group [[IDLE min] start end count [consumer]].
func cmdXpending(c *Ctx) {
	n := len(c.Args)
	if n != 3 && (n < 6 || n > 9) {
		c.Error(rediserr.Syntax)
		return
	}
	var start, end types.StreamID
	var count, minIdle int64
	var consumerName []byte
	if n >= 6 {
		si := 3
		if strings.EqualFold(string(c.Args[3]), "idle") {
			v, ok := intArg(c, c.Args[4], rediserr.NotInteger)
			if !ok {
				return
			}
			minIdle = v
			if n < 8 {
				c.Error(rediserr.Syntax)
				return
			}
			si += 2
		}
		v, ok := intArg(c, c.Args[si+2], rediserr.NotInteger)
		if !ok {
			return
		}
		count = max(v, 0)
		var ex bool
		if start, ex, ok = parseInterval(c, c.Args[si], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.Error(rediserr.StreamBadStart)
				return
			}
		}
		if end, ex, ok = parseInterval(c, c.Args[si+1], ^uint64(0)); !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.Error(rediserr.StreamBadEnd)
				return
			}
		}
		if si+3 < n {
			consumerName = c.Args[si+3]
		}
	}
	_, g, wrong := lookupGroup(c, c.Args[1], c.Args[2])
	if wrong {
		return
	}
	if g == nil {
		c.Error(noGroupErr(c.Args[1], c.Args[2]))
		return
	}
	var idBuf [42]byte
	if n == 3 {
		c.W.Array(4)
		c.W.Int(int64(g.PEL.Len()))
		first, ok := g.FirstPending()
		if !ok {
			c.W.Null()
			c.W.Null()
			c.W.NullArray()
			return
		}
		last, _ := g.LastPending()
		c.W.Bulk(first.Append(idBuf[:0]))
		c.W.Bulk(last.Append(idBuf[:0]))
		var with []*types.StreamConsumer
		g.EachConsumer(func(cons *types.StreamConsumer) bool {
			if cons.PendingCount() > 0 {
				with = append(with, cons)
			}
			return true
		})
		c.W.Array(len(with))
		for _, cons := range with {
			c.W.Array(2)
			c.W.BulkString(cons.Name)
			c.W.Bulk(strconv.AppendInt(idBuf[:0], int64(cons.PendingCount()), 10))
		}
		return
	}
	var cons *types.StreamConsumer
	if consumerName != nil {
		if cons = g.Consumer(string(consumerName)); cons == nil {
			c.W.Array(0)
			return
		}
	}
	now := c.KS.NowMs()
	type row struct {
		id types.StreamID
		n  *types.StreamNACK
	}
	var rows []row
	if count > 0 {
		g.PendingRange(cons, start, func(id types.StreamID, nk *types.StreamNACK) bool {
			if id.Cmp(end) > 0 {
				return false
			}
			if minIdle != 0 && now-nk.DeliveryTime < minIdle {
				return true
			}
			rows = append(rows, row{id, nk})
			return int64(len(rows)) < count
		})
	}
	c.W.Array(len(rows))
	for _, r := range rows {
		c.W.Array(4)
		c.W.Bulk(r.id.Append(idBuf[:0]))
		c.W.BulkString(r.n.Consumer.Name)
		c.W.Int(max(now-r.n.DeliveryTime, 0))
		c.W.Int(r.n.DeliveryCount)
	}
}

// claimTo gives the pending entry n (of id) to the consumer name,
// creating the consumer on first use (*cons caches it).
func claimTo(c *Ctx, g *types.StreamGroup, cons **types.StreamConsumer, name []byte, id types.StreamID, n *types.StreamNACK) {
	if *cons == nil {
		*cons = g.Consumer(string(name))
		if *cons != nil {
			(*cons).SeenTime = c.KS.NowMs()
		} else {
			*cons = g.CreateConsumer(string(name), c.KS.NowMs())
			c.Dirty++
			c.Notify(NotifyStream, "xgroup-createconsumer", c.Args[1])
		}
	}
	g.Claim(id, n, *cons)
}

// cmdXclaim is XCLAIM key group consumer min-idle id … [IDLE ms] [TIME
// ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id].
func cmdXclaim(c *Ctx) {
	key, grp := c.Args[1], c.Args[2]
	s, g, wrong := lookupGroup(c, key, grp)
	if wrong {
		return
	}
	if g == nil {
		c.Error(noGroupErr(key, grp))
		return
	}
	minIdle, ok := intArg(c, c.Args[4], rediserr.StreamXclaimMinIdle)
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	var ids []types.StreamID
	j := 5
	for ; j < len(c.Args); j++ {
		id, ok := parseIDQuiet(c.Args[j])
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.KS.NowMs()
	retry := int64(-1)
	delivery := int64(-1)
	force, justid := false, false
	var lastID types.StreamID
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		opt := string(c.Args[j])
		switch {
		case strings.EqualFold(opt, "force"):
			force = true
		case strings.EqualFold(opt, "justid"):
			justid = true
		case strings.EqualFold(opt, "idle") && more > 0:
			j++
			v, ok := intArg(c, c.Args[j], rediserr.StreamXclaimIdle)
			if !ok {
				return
			}
			delivery = now - v
		case strings.EqualFold(opt, "time") && more > 0:
			j++
			v, ok := intArg(c, c.Args[j], rediserr.StreamXclaimTime)
			if !ok {
				return
			}
			delivery = v
		case strings.EqualFold(opt, "retrycount") && more > 0:
			j++
			v, ok := intArg(c, c.Args[j], rediserr.StreamXclaimRetryCount)
			if !ok {
				return
			}
			retry = v
		case strings.EqualFold(opt, "lastid") && more > 0:
			j++
			id, ok := parseStreamID(c, c.Args[j], 0, true, nil)
			if !ok {
				return
			}
			lastID = id
		default:
			c.Error(rediserr.StreamXclaimOption(string(cstr(c.Args[j]))))
			return
		}
	}
	c.preventPropagation()
	propLast := false
	if lastID.Cmp(g.LastID) > 0 {
		g.LastID = lastID
		propLast = true
	}
	if delivery == -1 || delivery < 0 || delivery > now {
		delivery = now
	}
	var cons *types.StreamConsumer
	var idBuf [42]byte
	claimed := 0
	start := len(c.W.Buf)
	c.W.Array(0)
	hdr := len(c.W.Buf)
	for _, id := range ids {
		n := g.Pending(id)
		e := s.Entry(id)
		if e == nil {
			if n != nil {
				propagateXclaim(c, key, grp, id, n, g.LastID)
				propLast = false
				c.Dirty++
				g.Ack(id)
			}
			continue
		}
		if force && n == nil {
			n = &types.StreamNACK{}
			g.PEL.Set(id, n)
		}
		if n == nil {
			continue
		}
		if n.Consumer != nil && minIdle != 0 && now-n.DeliveryTime < minIdle {
			continue
		}
		claimTo(c, g, &cons, c.Args[3], id, n)
		n.DeliveryTime = delivery
		if retry >= 0 {
			n.DeliveryCount = retry
		} else if !justid {
			n.DeliveryCount++
		}
		if justid {
			c.W.Bulk(id.Append(idBuf[:0]))
		} else {
			writeEntry(c, e)
		}
		claimed++
		propagateXclaim(c, key, grp, id, n, g.LastID)
		propLast = false
		c.Dirty++
	}
	if propLast {
		propagateGroupID(c, key, grp, g)
		c.Dirty++
	}
	setDeferredLen(c, start, hdr, claimed, false)
}

// parseIDQuiet is a strict ID parse that replies nothing (XCLAIM's IDs end
// where the options begin).
func parseIDQuiet(b []byte) (types.StreamID, bool) {
	if len(b) > 127 {
		return types.StreamID{}, false
	}
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if s == "-" || s == "+" {
		return types.StreamID{}, false
	}
	msPart, seqPart, dash := strings.Cut(s, "-")
	ms, ok := parseULL(msPart)
	if !ok {
		return types.StreamID{}, false
	}
	var seq uint64
	if dash {
		if seq, ok = parseULL(seqPart); !ok {
			return types.StreamID{}, false
		}
	}
	return types.StreamID{Ms: ms, Seq: seq}, true
}

// cmdXautoclaim is XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID].
func cmdXautoclaim(c *Ctx) {
	key, grp := c.Args[1], c.Args[2]
	minIdle, ok := intArg(c, c.Args[4], rediserr.StreamXautoclaimIdle)
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := parseInterval(c, c.Args[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.Error(rediserr.StreamBadStart)
			return
		}
	}
	count := int64(100)
	justid := false
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		opt := string(c.Args[j])
		switch {
		case strings.EqualFold(opt, "count") && more > 0:
			v, ok := intArg(c, c.Args[j+1], rediserr.CountOptionPositive)
			if !ok {
				return
			}
			if v < 1 || v > math.MaxInt64/16 {
				c.Error(rediserr.CountOptionPositive)
				return
			}
			count = v
			j++
		case strings.EqualFold(opt, "justid"):
			justid = true
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	s, g, wrong := lookupGroup(c, key, grp)
	if wrong {
		return
	}
	if g == nil {
		c.Error(noGroupErr(key, grp))
		return
	}
	c.preventPropagation()
	attempts := count * 10
	now := c.KS.NowMs()
	var cons *types.StreamConsumer
	var deleted []types.StreamID
	var claimedBuf []byte
	claimed := 0
	saved := c.W.Buf
	var idBuf [42]byte
	cursor := start
	atEnd := false
	for {
		if attempts == 0 || count == 0 {
			break
		}
		attempts--
		id, n, ok := g.NextPending(cursor)
		if !ok {
			atEnd = true
			break
		}
		next, more := id.Incr()
		if e := s.Entry(id); e == nil {
			propagateXclaim(c, key, grp, id, n, g.LastID)
			c.Dirty++
			g.Ack(id)
			deleted = append(deleted, id)
			count--
		} else if minIdle == 0 || now-n.DeliveryTime >= minIdle {
			claimTo(c, g, &cons, c.Args[3], id, n)
			n.DeliveryTime = now
			if !justid {
				n.DeliveryCount++
			}
			c.W.Buf = claimedBuf
			if justid {
				c.W.Bulk(id.Append(idBuf[:0]))
			} else {
				writeEntry(c, e)
			}
			claimedBuf = c.W.Buf
			claimed++
			count--
			propagateXclaim(c, key, grp, id, n, g.LastID)
			c.Dirty++
		}
		if !more {
			atEnd = true
			break
		}
		cursor = next
	}
	c.W.Buf = saved
	var endID types.StreamID
	if !atEnd {
		if id, _, ok := g.NextPending(cursor); ok {
			endID = id
		}
	}
	c.W.Array(3)
	c.W.Bulk(endID.Append(idBuf[:0]))
	c.W.Array(claimed)
	c.W.Buf = append(c.W.Buf, claimedBuf...)
	c.W.Array(len(deleted))
	for _, id := range deleted {
		c.W.Bulk(id.Append(idBuf[:0]))
	}
}
