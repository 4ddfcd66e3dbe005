package command

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/types"
)

// Consumer groups (Redis 7.0 t_stream.c): XGROUP, XREADGROUP, XACK,
// XPENDING, XCLAIM, XAUTOCLAIM and XINFO GROUPS/CONSUMERS. Their effects
// are propagated as Redis 7.0 does: every delivery or claim as an
// idempotent XCLAIM … FORCE JUSTID LASTID, a NOACK read's group position
// as XGROUP SETID … ENTRIESREAD, a consumer a NOACK read created as
// XGROUP CREATECONSUMER. XPENDING, XCLAIM and XAUTOCLAIM are in
// stream_pel.go.

var (
	kwXCLAIM         = []byte("XCLAIM")
	kwXGROUP         = []byte("XGROUP")
	kwSETID          = []byte("SETID")
	kwCREATECONSUMER = []byte("CREATECONSUMER")
	kwENTRIESREAD    = []byte("ENTRIESREAD")
	kwTIME           = []byte("TIME")
	kwRETRYCOUNT     = []byte("RETRYCOUNT")
	kwFORCE          = []byte("FORCE")
	kwJUSTID         = []byte("JUSTID")
	kwLASTID         = []byte("LASTID")
	kwZero           = []byte("0")
)

// xreadBlockedDefaultCount is XREAD_BLOCKED_DEFAULT_COUNT: a woken XREAD
// without COUNT gets at most this many entries.
const xreadBlockedDefaultCount = 1000

func registerStreamGroups(t *Table) {
	t.Handle("xreadgroup", func(c *Ctx) { xread(c, true) })
	for _, sub := range []string{"create", "setid", "destroy", "createconsumer", "delconsumer"} {
		t.Handle("xgroup|"+sub, cmdXgroup)
	}
	t.Handle("xgroup|help", cmdXgroupHelp)
	t.Handle("xinfo|help", cmdXinfoHelp)
	t.Handle("xack", cmdXack)
	t.Handle("xpending", cmdXpending)
	t.Handle("xclaim", cmdXclaim)
	t.Handle("xautoclaim", cmdXautoclaim)
}

// preventPropagation is Redis's preventCommandPropagation: the command's
// own arguments never reach the write stream (its effects, if any, were
// propagated one by one).
func (c *Ctx) preventPropagation() { c.Propagated++ }

func noGroupErr(key, group []byte) string {
	return rediserr.StreamNoGroup(string(key), string(group))
}

func noGroupForKeyErr(group, key []byte) string {
	return rediserr.StreamNoGroupForKey(string(group), string(key))
}

// propagateXclaim is streamPropagateXCLAIM.
func propagateXclaim(c *Ctx, key, group []byte, id types.StreamID, n *types.StreamNACK, last types.StreamID) {
	if c.Effects == nil {
		c.Propagated++ // nothing reads the write stream: Propagate would only count it
		return
	}
	var idb, tb, cb, lb [42]byte
	c.Propagate(kwXCLAIM, key, group, []byte(n.Consumer.Name), kwZero, id.Append(idb[:0]),
		kwTIME, strconv.AppendInt(tb[:0], n.DeliveryTime, 10),
		kwRETRYCOUNT, strconv.AppendInt(cb[:0], n.DeliveryCount, 10),
		kwFORCE, kwJUSTID, kwLASTID, last.Append(lb[:0]))
}

// propagateGroupID is streamPropagateGroupID.
func propagateGroupID(c *Ctx, key, group []byte, g *types.StreamGroup) {
	var idb, nb [42]byte
	c.Propagate(kwXGROUP, kwSETID, key, group, g.LastID.Append(idb[:0]),
		kwENTRIESREAD, strconv.AppendInt(nb[:0], g.EntriesRead, 10))
}

// xread is XREAD and XREADGROUP (xreadCommand).
func xread(c *Ctx, isGroup bool) {
	timeout := int64(-1)
	var count int64
	streamsArg, nstreams := 0, 0
	var groupName, consumerName []byte
	noack := false
	if isGroup {
		c.preventPropagation()
	}
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		o := string(c.Args[i])
		switch {
		case strings.EqualFold(o, "block") && more > 0:
			if c.InScript {
				c.Error(rediserr.StreamBlockInScript(string(c.Args[0])))
				return
			}
			i++
			n, ok := intArg(c, c.Args[i], rediserr.TimeoutNotInteger)
			if ok && n < 0 {
				c.Error(rediserr.TimeoutNegative)
			}
			if !ok || n < 0 {
				return
			}
			timeout = n
		case strings.EqualFold(o, "count") && more > 0:
			i++
			n, ok := intArg(c, c.Args[i], rediserr.NotInteger)
			if !ok {
				return
			}
			count = max(n, 0)
		case strings.EqualFold(o, "streams") && more > 0:
			streamsArg = i + 1
			nstreams = len(c.Args) - streamsArg
			if nstreams%2 != 0 {
				c.Error(rediserr.StreamUnbalanced)
				return
			}
			nstreams /= 2
			i = len(c.Args)
		case strings.EqualFold(o, "group") && more >= 2:
			if !isGroup {
				c.Error(rediserr.StreamGroupOnlyRG)
				return
			}
			groupName, consumerName = c.Args[i+1], c.Args[i+2]
			i += 2
		case strings.EqualFold(o, "noack"):
			if !isGroup {
				c.Error(rediserr.StreamNoackOnlyRG)
				return
			}
			noack = true
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	if streamsArg == 0 {
		c.Error(rediserr.Syntax)
		return
	}
	if isGroup && groupName == nil {
		c.Error(rediserr.StreamMissingGroup)
		return
	}
	keys := c.Args[streamsArg : streamsArg+nstreams]
	ids := make([]types.StreamID, nstreams)
	streams := make([]*types.Stream, nstreams)
	var groups []*types.StreamGroup
	if isGroup {
		groups = make([]*types.StreamGroup, nstreams)
	}
	if c.Woken {
		j := wokenStream(c, keys, isGroup, groupName)
		if j < 0 {
			c.BlockOn(keys, msDuration(timeout), true)
			return
		}
		xreadWoken(c, isGroup, j, keys, c.Args[streamsArg+nstreams+j], count, groupName, consumerName, noack, timeout)
		return
	}
	for j := range keys {
		arg := c.Args[streamsArg+nstreams+j]
		s, wrong := getStream(c, keys[j])
		if wrong {
			return
		}
		streams[j] = s
		if isGroup {
			var g *types.StreamGroup
			if s != nil {
				g = s.Group(string(groupName))
			}
			if g == nil {
				c.Error(rediserr.StreamNoGroupRG(string(keys[j]), string(groupName)))
				return
			}
			groups[j] = g
		}
		switch string(arg) {
		case "$":
			if isGroup {
				c.Error(rediserr.StreamDollarInRG)
				return
			}
			if s != nil {
				ids[j] = s.LastID
			}
			if timeout != -1 && c.CanBlock {
				// Blocking re-runs this command: "$" must keep meaning
				// the last ID as of now.
				c.Args[streamsArg+nstreams+j] = ids[j].Append(nil)
			}
			continue
		case ">":
			if !isGroup {
				c.Error(rediserr.StreamGtOnlyRG)
				return
			}
			ids[j] = maxStream
			continue
		}
		id, ok := parseStreamID(c, arg, 0, true, nil)
		if !ok {
			return
		}
		ids[j] = id
	}
	served := 0
	start := len(c.W.Buf)
	c.W.Array(0) // the deferred header: setDeferredLen sets the count
	hdr := len(c.W.Buf)
	for j, s := range streams {
		if s == nil {
			continue
		}
		gt := ids[j]
		history := false
		serve := false
		if isGroup {
			if gt != maxStream {
				serve, history = true, true
			} else if s.Len() > 0 {
				if last, _ := s.LastLiveID(); last.Cmp(groups[j].LastID) > 0 {
					serve = true
					gt = groups[j].LastID
				}
			}
		} else if s.Len() > 0 {
			last, _ := s.LastLiveID()
			serve = last.Cmp(gt) > 0
		}
		if !serve {
			continue
		}
		served++
		if c.W.Proto < 3 {
			c.W.Array(2)
		}
		c.W.Bulk(keys[j])
		from, _ := gt.Incr()
		if !isGroup {
			writeRange(c, s, from, maxStream, count, false)
			continue
		}
		cons := groupConsumer(c, keys[j], groupName, consumerName, groups[j], noack)
		if history {
			writeConsumerHistory(c, s, groups[j], cons, from, count)
		} else {
			deliver(c, s, keys[j], groupName, groups[j], cons, from, count, noack)
		}
		c.Dirty++
	}
	if served > 0 {
		setDeferredLen(c, start, hdr, served, c.W.Proto >= 3)
		return
	}
	c.W.Buf = c.W.Buf[:start]
	if timeout == -1 {
		c.W.NullArray()
		return
	}
	c.BlockOn(keys, msDuration(timeout), true)
}

// setDeferredLen is Redis's setDeferredArrayLen/setDeferredMapLen: the
// deferred header c.W.Buf[start:hdr] (written as an empty array)
// becomes an array (or, isMap, a map) of n; the body after it is moved
// only when the header's width changes.
func setDeferredLen(c *Ctx, start, hdr, n int, isMap bool) {
	body := len(c.W.Buf) - hdr
	var tmp [24]byte
	w := resp.Writer{Buf: tmp[:0], Proto: c.W.Proto}
	if isMap {
		w.Map(n)
	} else {
		w.Array(n)
	}
	h := w.Buf
	if d := len(h) - (hdr - start); d > 0 {
		var pad [24]byte
		c.W.Buf = append(c.W.Buf, pad[:d]...)
		copy(c.W.Buf[start+len(h):], c.W.Buf[hdr:hdr+body])
	} else if d < 0 {
		copy(c.W.Buf[start+len(h):], c.W.Buf[hdr:hdr+body])
		c.W.Buf = c.W.Buf[:start+len(h)+body]
	}
	copy(c.W.Buf[start:], h)
}

// wokenStream picks the stream a woken XREAD/XREADGROUP serves: the key
// whose signal woke it, or, when that is not known, the first key that
// holds a stream (with the group) — a key of another type is passed over,
// as Redis serves only stream keys that were signalled. -1: keep waiting.
func wokenStream(c *Ctx, keys [][]byte, isGroup bool, groupName []byte) int {
	for j, k := range keys {
		if c.WokenKey != nil {
			if bytes.Equal(k, c.WokenKey) {
				return j
			}
			continue
		}
		if v, ok := c.DB.Lookup(k); ok {
			if s, ok := v.Obj.(*types.Stream); ok && (!isGroup || s.Group(string(groupName)) != nil) {
				return j
			}
		}
	}
	return -1
}

// xreadWoken serves a blocked XREAD/XREADGROUP re-run because keys[j]
// was signalled, as serveClientsBlockedOnStreamKey does: the reply carries
// that stream only, a woken XREAD without COUNT gets at most 1000
// entries, and an XREADGROUP whose key or group went away gets an error.
func xreadWoken(c *Ctx, isGroup bool, j int, keys [][]byte, idArg []byte, count int64, groupName, consumerName []byte,
	noack bool, timeout int64) {
	key := keys[j]
	wait := func() { c.BlockOn(keys, msDuration(timeout), true) }
	var s *types.Stream
	if v, ok := c.DB.Lookup(key); ok {
		s, _ = v.Obj.(*types.Stream)
	}
	if s == nil {
		if isGroup {
			c.Error(rediserr.StreamUnblockedKeyGone)
		} else {
			wait()
		}
		return
	}
	var g *types.StreamGroup
	var gt types.StreamID
	if isGroup {
		if g = s.Group(string(groupName)); g == nil {
			c.Error(rediserr.StreamGroupGoneBlocked)
			return
		}
		gt = g.LastID
	} else {
		var ok bool
		if gt, ok = parseStreamID(c, idArg, 0, true, nil); !ok {
			return
		}
	}
	if s.LastID.Cmp(gt) <= 0 {
		wait()
		return
	}
	if count == 0 {
		count = xreadBlockedDefaultCount
	}
	if c.W.Proto >= 3 {
		c.W.Map(1)
	} else {
		c.W.Array(1)
		c.W.Array(2)
	}
	c.W.Bulk(key)
	from, _ := gt.Incr()
	if g == nil {
		writeRange(c, s, from, maxStream, count, false)
		return
	}
	cons := groupConsumer(c, key, groupName, consumerName, g, noack)
	deliver(c, s, key, groupName, g, cons, from, count, noack)
	c.Dirty++
}

// groupConsumer finds (refreshing its seen time) or creates the consumer
// a read is for; a NOACK read propagates the creation.
func groupConsumer(c *Ctx, key, groupName, name []byte, g *types.StreamGroup, noack bool) *types.StreamConsumer {
	now := c.KS.NowMs()
	if cons := g.Consumer(string(name)); cons != nil {
		cons.SeenTime = now
		return cons
	}
	cons := g.CreateConsumer(string(name), now)
	c.Dirty++
	c.Notify(NotifyStream, "xgroup-createconsumer", key)
	if noack {
		c.Propagate(kwXGROUP, kwCREATECONSUMER, key, groupName, name)
	}
	return cons
}

// deliver replies the entries from `from` on (count 0: all) to cons,
// advancing the group and recording them pending unless noack
// (streamReplyWithRange with a group).
func deliver(c *Ctx, s *types.Stream, key, groupName []byte, g *types.StreamGroup, cons *types.StreamConsumer,
	from types.StreamID, count int64, noack bool) {
	now := c.KS.NowMs()
	moved := false
	// One walk: the entries go out under a deferred length.
	start := len(c.W.Buf)
	c.W.Array(0)
	hdr := len(c.W.Buf)
	var n int64
	s.Range(from, maxStream, false, func(e *types.StreamEntry) bool {
		if s.Deliver(g, e.ID) && noack {
			moved = true
		}
		writeEntry(c, e)
		if !noack {
			p := g.AddPending(e.ID, cons, now)
			propagateXclaim(c, key, groupName, e.ID, p, g.LastID)
		}
		n++
		return count <= 0 || n < count
	})
	setDeferredLen(c, start, hdr, int(n), false)
	if moved {
		propagateGroupID(c, key, groupName, g)
	}
}

// writeConsumerHistory is streamReplyWithRangeFromConsumerPEL: cons's
// pending entries from `from` on; an entry no longer in the stream is
// [id, nil].
func writeConsumerHistory(c *Ctx, s *types.Stream, g *types.StreamGroup, cons *types.StreamConsumer, from types.StreamID, count int64) {
	type pend struct {
		id types.StreamID
		n  *types.StreamNACK
	}
	var out []pend
	g.PendingRange(cons, from, func(id types.StreamID, n *types.StreamNACK) bool {
		if count > 0 && int64(len(out)) >= count {
			return false
		}
		out = append(out, pend{id, n})
		return true
	})
	now := c.KS.NowMs()
	var idBuf [42]byte
	c.W.Array(len(out))
	for _, p := range out {
		if e := s.Entry(p.id); e != nil {
			writeEntry(c, e)
			p.n.DeliveryTime = now
			p.n.DeliveryCount++
			continue
		}
		c.W.Array(2)
		c.W.Bulk(p.id.Append(idBuf[:0]))
		c.W.NullArray()
	}
}

// cmdXgroup is XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER.
func cmdXgroup(c *Ctx) {
	opt := string(c.Args[1])
	mkstream := false
	entriesRead := int64(types.InvalidEntriesRead)
	create := strings.EqualFold(opt, "create")
	setid := strings.EqualFold(opt, "setid")
	for i := 5; i < len(c.Args); {
		switch {
		case create && strings.EqualFold(string(c.Args[i]), "mkstream"):
			mkstream = true
			i++
		case (create || setid) && strings.EqualFold(string(c.Args[i]), "entriesread") && i+1 < len(c.Args):
			n, ok := intArg(c, c.Args[i+1], rediserr.NotInteger)
			if !ok {
				return
			}
			if n < 0 && n != types.InvalidEntriesRead {
				c.Error(rediserr.StreamEntriesReadNeg)
				return
			}
			entriesRead = n
			i += 2
		default:
			c.Error(rediserr.SubcommandSyntax(opt, "XGROUP"))
			return
		}
	}
	key, grp := c.Args[2], c.Args[3]
	s, wrong := getStream(c, key)
	if wrong {
		return
	}
	var g *types.StreamGroup
	if !mkstream {
		if s == nil {
			c.Error(rediserr.StreamXgroupNoKey)
			return
		}
		if g = s.Group(string(grp)); g == nil && !create && !strings.EqualFold(opt, "destroy") {
			c.Error(noGroupForKeyErr(grp, key))
			return
		}
	}
	switch {
	case create && len(c.Args) <= 8:
		var id types.StreamID
		if string(c.Args[4]) == "$" {
			if s != nil {
				id = s.LastID
			}
		} else {
			var ok bool
			if id, ok = parseStreamID(c, c.Args[4], 0, true, nil); !ok {
				return
			}
		}
		if s == nil {
			s = types.NewStream()
			c.DB.SetObject(key, s, false)
			c.DB.Touch(key)
			c.Dirty++ // the stream exists now, whatever follows
		}
		if s.CreateGroup(string(grp), id, entriesRead) == nil {
			c.Error(rediserr.StreamBusyGroup)
			return
		}
		c.Dirty++
		c.Notify(NotifyStream, "xgroup-create", key)
		c.W.OK()
	case setid && (len(c.Args) == 5 || len(c.Args) == 7):
		var id types.StreamID
		if string(c.Args[4]) == "$" {
			id = s.LastID
		} else {
			var ok bool
			if id, ok = parseStreamID(c, c.Args[4], 0, false, nil); !ok {
				return
			}
		}
		g.LastID, g.EntriesRead = id, entriesRead
		c.Dirty++
		c.Notify(NotifyStream, "xgroup-setid", key)
		c.W.OK()
	case strings.EqualFold(opt, "destroy") && len(c.Args) == 4:
		if g == nil {
			c.W.Int(0)
			return
		}
		s.DestroyGroup(string(grp))
		c.Dirty++
		c.Notify(NotifyStream, "xgroup-destroy", key)
		c.W.Int(1)
		c.SignalReady(key) // blocked XREADGROUPs get -NOGROUP
	case strings.EqualFold(opt, "createconsumer") && len(c.Args) == 5:
		if g.CreateConsumer(string(c.Args[4]), c.KS.NowMs()) == nil {
			c.W.Int(0)
			return
		}
		c.Dirty++
		c.Notify(NotifyStream, "xgroup-createconsumer", key)
		c.W.Int(1)
	case strings.EqualFold(opt, "delconsumer") && len(c.Args) == 5:
		cons := g.Consumer(string(c.Args[4]))
		if cons == nil {
			c.W.Int(0)
			return
		}
		pending := cons.PendingCount()
		g.DeleteConsumer(cons)
		c.Dirty++
		c.Notify(NotifyStream, "xgroup-delconsumer", key)
		c.W.Int(int64(pending))
	default:
		c.Error(rediserr.SubcommandSyntax(opt, "XGROUP"))
	}
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

func writeHelp(c *Ctx, lines []string) {
	c.W.Array(len(lines))
	for _, l := range lines {
		c.W.Simple(l)
	}
}

func cmdXgroupHelp(c *Ctx) { writeHelp(c, xgroupHelp) }
func cmdXinfoHelp(c *Ctx)  { writeHelp(c, xinfoHelp) }

// lookupGroup finds key's stream and group for XACK/XPENDING/XCLAIM/
// XAUTOCLAIM; wrong is true after a WRONGTYPE reply.
func lookupGroup(c *Ctx, key, grp []byte) (s *types.Stream, g *types.StreamGroup, wrong bool) {
	s, wrong = getStream(c, key)
	if s != nil {
		g = s.Group(string(grp))
	}
	return s, g, wrong
}

func cmdXack(c *Ctx) {
	_, g, wrong := lookupGroup(c, c.Args[1], c.Args[2])
	if wrong {
		return
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	ids, ok := parseIDs(c, c.Args[3:])
	if !ok {
		return
	}
	acked := 0
	for _, id := range ids {
		if g.Ack(id) {
			acked++
		}
	}
	c.Dirty += acked
	c.W.Int(int64(acked))
}

// cmdXinfoGroups is XINFO GROUPS key.
func cmdXinfoGroups(c *Ctx) {
	s, ok := xinfoStream(c)
	if !ok {
		return
	}
	var idBuf [42]byte
	c.W.Array(s.GroupCount())
	s.EachGroup(func(name string, g *types.StreamGroup) bool {
		c.W.Map(6)
		c.W.BulkString("name")
		c.W.BulkString(name)
		c.W.BulkString("consumers")
		c.W.Int(int64(g.Consumers.Len()))
		c.W.BulkString("pending")
		c.W.Int(int64(g.PEL.Len()))
		c.W.BulkString("last-delivered-id")
		c.W.Bulk(g.LastID.Append(idBuf[:0]))
		c.W.BulkString("entries-read")
		writeEntriesRead(c, g)
		c.W.BulkString("lag")
		writeLag(c, s, g)
		return true
	})
}

func writeEntriesRead(c *Ctx, g *types.StreamGroup) {
	if g.EntriesRead != types.InvalidEntriesRead {
		c.W.Int(g.EntriesRead)
	} else {
		c.W.Null()
	}
}

func writeLag(c *Ctx, s *types.Stream, g *types.StreamGroup) {
	if lag, ok := s.Lag(g); ok {
		c.W.Int(lag)
	} else {
		c.W.Null()
	}
}

// cmdXinfoConsumers is XINFO CONSUMERS key group.
func cmdXinfoConsumers(c *Ctx) {
	s, ok := xinfoStream(c)
	if !ok {
		return
	}
	g := s.Group(string(c.Args[3]))
	if g == nil {
		c.Error(noGroupForKeyErr(c.Args[3], c.Args[2]))
		return
	}
	now := c.KS.NowMs()
	c.W.Array(g.Consumers.Len())
	g.EachConsumer(func(cons *types.StreamConsumer) bool {
		c.W.Map(3)
		c.W.BulkString("name")
		c.W.BulkString(cons.Name)
		c.W.BulkString("pending")
		c.W.Int(int64(cons.PendingCount()))
		c.W.BulkString("idle")
		c.W.Int(max(now-cons.SeenTime, 0))
		return true
	})
}

// writeFullGroups is the "groups" part of XINFO STREAM key FULL.
func writeFullGroups(c *Ctx, s *types.Stream, count int64) {
	var idBuf [42]byte
	c.W.Array(s.GroupCount())
	s.EachGroup(func(name string, g *types.StreamGroup) bool {
		c.W.Map(7)
		c.W.BulkString("name")
		c.W.BulkString(name)
		c.W.BulkString("last-delivered-id")
		c.W.Bulk(g.LastID.Append(idBuf[:0]))
		c.W.BulkString("entries-read")
		writeEntriesRead(c, g)
		c.W.BulkString("lag")
		writeLag(c, s, g)
		c.W.BulkString("pel-count")
		c.W.Int(int64(g.PEL.Len()))
		c.W.BulkString("pending")
		writePendingHead(c, g, nil, count)
		c.W.BulkString("consumers")
		c.W.Array(g.Consumers.Len())
		g.EachConsumer(func(cons *types.StreamConsumer) bool {
			c.W.Map(4)
			c.W.BulkString("name")
			c.W.BulkString(cons.Name)
			c.W.BulkString("seen-time")
			c.W.Int(cons.SeenTime)
			c.W.BulkString("pel-count")
			c.W.Int(int64(cons.PendingCount()))
			c.W.BulkString("pending")
			writePendingHead(c, g, cons, count)
			return true
		})
		return true
	})
}

// writePendingHead replies the first count (0: all) pending entries of g,
// or of cons when set, as XINFO STREAM FULL lists them: [id, consumer,
// delivery time, deliveries] for a group, without the consumer for a
// consumer.
func writePendingHead(c *Ctx, g *types.StreamGroup, cons *types.StreamConsumer, count int64) {
	n := g.PEL.Len()
	if cons != nil {
		n = cons.PendingCount()
	}
	if count > 0 && int64(n) > count {
		n = int(count)
	}
	c.W.Array(n)
	var idBuf [42]byte
	i := 0
	g.PendingRange(cons, types.StreamID{}, func(id types.StreamID, nk *types.StreamNACK) bool {
		if i == n {
			return false
		}
		i++
		if cons == nil {
			c.W.Array(4)
			c.W.Bulk(id.Append(idBuf[:0]))
			c.W.BulkString(nk.Consumer.Name)
		} else {
			c.W.Array(3)
			c.W.Bulk(id.Append(idBuf[:0]))
		}
		c.W.Int(nk.DeliveryTime)
		c.W.Int(nk.DeliveryCount)
		return true
	})
}
