package command

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

// The stream commands (Redis 7.0 t_stream.c): XADD, XLEN, XRANGE,
// XREVRANGE, XDEL, XTRIM, XSETID, XINFO STREAM; XREAD and the consumer
// group commands are in stream_cg.go.

var (
	kwEquals  = []byte("=")
	maxStream = types.StreamID{Ms: ^uint64(0), Seq: ^uint64(0)}
)

func registerStream(t *Table) {
	t.Handle("xadd", cmdXadd)
	t.Handle("xlen", cmdXlen)
	t.Handle("xrange", func(c *Ctx) { xrange(c, false) })
	t.Handle("xrevrange", func(c *Ctx) { xrange(c, true) })
	t.Handle("xdel", cmdXdel)
	t.Handle("xtrim", cmdXtrim)
	t.Handle("xsetid", cmdXsetid)
	t.Handle("xread", func(c *Ctx) { xread(c, false) })
	t.Handle("xinfo|stream", cmdXinfoStream)
	t.Handle("xinfo|groups", cmdXinfoGroups)
	t.Handle("xinfo|consumers", cmdXinfoConsumers)
	registerStreamGroups(t)
}

// getStream finds key's stream; wrong is true after a WRONGTYPE reply.
func getStream(c *Ctx, key []byte) (s *types.Stream, wrong bool) {
	v, ok := c.DB.Lookup(key)
	if !ok {
		return nil, false
	}
	if s, isStream := v.Obj.(*types.Stream); isStream {
		return s, false
	}
	c.Error(wrongType)
	return nil, true
}

// streamOrReply finds key's stream for a command that replies missing
// (a zero, an empty array, an error) when there is none; ok is false once
// it replied.
func streamOrReply(c *Ctx, key []byte, missing func()) (s *types.Stream, ok bool) {
	s, wrong := getStream(c, key)
	if wrong {
		return nil, false
	}
	if s == nil {
		missing()
		return nil, false
	}
	return s, true
}

func replyZero(c *Ctx) func() { return func() { c.W.Int(0) } }

// nonNegArg parses an integer argument that must not be negative (neg is
// the error then).
func nonNegArg(c *Ctx, b []byte, neg string) (int64, bool) {
	n, ok := intArg(c, b, rediserr.NotInteger)
	if ok && n < 0 {
		c.Error(neg)
		return 0, false
	}
	return n, ok
}

// parseULL is Redis's string2ull: a canonical long long that is not
// negative, else what strtoull accepts (leading spaces, a sign; a minus
// negates modulo 2^64), with nothing left over and no overflow.
func parseULL(s string) (uint64, bool) {
	if v, ok := rnum.ParseInt(s); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (^uint64(0)-uint64(d))/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is streamGenericParseIDOrReply: "-" and "+" (unless
// strict), "ms", "ms-seq", and "ms-*" when seqGiven is wanted (non-nil).
// A missing sequence is missingSeq. It replies the error itself.
func parseStreamID(c *Ctx, b []byte, missingSeq uint64, strict bool, seqGiven *bool) (types.StreamID, bool) {
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(b) > 127 {
		goto invalid
	}
	if seqGiven != nil {
		*seqGiven = true
	}
	if s == "-" || s == "+" {
		if strict {
			goto invalid
		}
		if s == "-" {
			return types.StreamID{}, true
		}
		return maxStream, true
	}
	{
		msPart, seqPart, dash := strings.Cut(s, "-")
		ms, ok := parseULL(msPart)
		if !ok {
			goto invalid
		}
		seq := missingSeq
		if dash {
			if seqGiven != nil && seqPart == "*" {
				seq = 0
				*seqGiven = false
			} else if seq, ok = parseULL(seqPart); !ok {
				goto invalid
			}
		}
		return types.StreamID{Ms: ms, Seq: seq}, true
	}
invalid:
	c.Error(rediserr.StreamInvalidID)
	return types.StreamID{}, false
}

// trimArgs are the parsed XADD/XTRIM options (streamAddTrimArgs).
type trimArgs struct {
	strategy  int
	maxLen    int64
	minID     types.StreamID
	approx    bool
	limit     int64
	argIdx    int // index of the MAXLEN/MINID value
	noMk      bool
	id        types.StreamID
	idGiven   bool
	seqGiven  bool
	idPos     int
	wantLimit bool
}

// parseTrimArgs is streamParseAddOrTrimArgsOrReply; for XADD it returns
// with idPos set to the ID's index.
func parseTrimArgs(c *Ctx, xadd bool) (a trimArgs, ok bool) {
	args := c.Args
	i := 2
	limitGiven := false
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := string(cstr(args[i]))
		switch {
		case xadd && opt == "*":
			goto done
		case (strings.EqualFold(opt, "maxlen") || strings.EqualFold(opt, "minid")) && more > 0:
			if a.strategy != types.TrimNone {
				c.Error(rediserr.StreamBothStrategies)
				return a, false
			}
			a.approx = false
			next := string(args[i+1])
			if more >= 2 && next == "~" {
				a.approx = true
				i++
			} else if more >= 2 && next == "=" {
				i++
			}
			if strings.EqualFold(opt, "maxlen") {
				n, ok := nonNegArg(c, args[i+1], rediserr.StreamMaxLenNegative)
				if !ok {
					return a, false
				}
				a.maxLen = n
				a.strategy = types.TrimMaxLen
			} else {
				id, ok := parseStreamID(c, args[i+1], 0, true, nil)
				if !ok {
					return a, false
				}
				a.minID = id
				a.strategy = types.TrimMinID
			}
			i++
			a.argIdx = i
		case strings.EqualFold(opt, "limit") && more > 0:
			n, ok := nonNegArg(c, args[i+1], rediserr.StreamLimitNegative)
			if !ok {
				return a, false
			}
			a.limit = n
			limitGiven = true
			i++
		case xadd && strings.EqualFold(opt, "nomkstream"):
			a.noMk = true
		case xadd:
			id, ok := parseStreamID(c, args[i], 0, true, &a.seqGiven)
			if !ok {
				return a, false
			}
			a.id, a.idGiven = id, true
			goto done
		default:
			c.Error(rediserr.Syntax)
			return a, false
		}
	}
done:
	a.idPos = i
	if a.limit != 0 && a.strategy == types.TrimNone {
		c.Error(rediserr.StreamLimitNoStrategy)
		return a, false
	}
	if !xadd && a.strategy == types.TrimNone {
		c.Error(rediserr.StreamXTrimNoStrategy)
		return a, false
	}
	if c.KS.Replaying() {
		a.limit = 0 // replaying an AOF or a master's stream: trim exactly as recorded
	} else if limitGiven {
		if !a.approx {
			c.Error(rediserr.StreamLimitNoApprox)
			return a, false
		}
	} else if a.approx {
		a.limit = 100 * c.Limits().StreamNodeMaxEntries
		if a.limit <= 0 {
			a.limit = 10000
		}
		if a.limit > 1000000 {
			a.limit = 1000000
		}
	} else {
		a.limit = 0
	}
	return a, true
}

// trim runs a's trimming on s (streamTrim).
func (a *trimArgs) trim(s *types.Stream) int64 {
	return s.Trim(a.strategy, a.maxLen, a.minID, a.approx, a.limit)
}

// rewriteTrim is streamRewriteApproxSpecifier + streamRewriteTrimArgument:
// argv with "~" made "=" and the limit made the resulting length / first ID.
func (a *trimArgs) rewriteTrim(argv [][]byte, s *types.Stream) {
	argv[a.argIdx-1] = kwEquals
	if a.strategy == types.TrimMaxLen {
		argv[a.argIdx] = strconv.AppendInt(nil, int64(s.Len()), 10)
	} else {
		first := maxStream
		if e, ok := s.First(); ok {
			first = e.ID
		}
		argv[a.argIdx] = first.Append(nil)
	}
}

func cmdXadd(c *Ctx) {
	a, ok := parseTrimArgs(c, true)
	if !ok {
		return
	}
	fieldPos := a.idPos + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.Error(rediserr.WrongArity(c.Cmd.Name))
		return
	}
	if a.idGiven && a.seqGiven && a.id == (types.StreamID{}) {
		c.Error(rediserr.StreamIDZero)
		return
	}
	key := c.Args[1]
	s, wrong := getStream(c, key)
	if wrong {
		return
	}
	if s == nil {
		if a.noMk {
			c.W.Null()
			return
		}
		s = types.NewStream()
		c.DB.SetObject(key, s, false)
	}
	if s.LastID == maxStream {
		c.Error(rediserr.StreamExhausted)
		return
	}
	var id types.StreamID
	switch {
	case a.idGiven && a.seqGiven:
		id = a.id
	case a.idGiven:
		if s.LastID.Ms == a.id.Ms {
			if s.LastID.Seq == ^uint64(0) {
				c.Error(rediserr.StreamIDTooSmall)
				return
			}
			id = types.StreamID{Ms: a.id.Ms, Seq: s.LastID.Seq + 1}
		} else {
			id = a.id
		}
	default:
		now := uint64(c.KS.NowMs())
		if now > s.LastID.Ms {
			id = types.StreamID{Ms: now}
		} else {
			id, _ = s.LastID.Incr()
		}
	}
	if id.Cmp(s.LastID) <= 0 {
		c.Error(rediserr.StreamIDTooSmall)
		return
	}
	tot := 0
	fv := c.Args[fieldPos:]
	for _, b := range fv {
		tot += len(b)
	}
	if tot > 1<<30 {
		c.Error(rediserr.StreamTooLarge)
		return
	}
	lim := c.Limits()
	s.Append(id, fv, int(min(lim.StreamNodeMaxEntries, 1<<31)), int(min(lim.StreamNodeMaxBytes, 1<<31)))
	var idBuf [42]byte
	idb := id.Append(idBuf[:0])
	c.W.Bulk(idb)
	c.DB.Touch(key)
	c.Notify(NotifyStream, "xadd", key)
	c.Dirty++

	rewrite := !a.idGiven || !a.seqGiven
	var argv [][]byte
	var argvBuf [8][]byte // the propagated form, on the stack for short commands
	if a.strategy != types.TrimNone {
		if a.trim(s) > 0 {
			c.Notify(NotifyStream, "xtrim", key)
		}
		if a.approx {
			argv = append(argvBuf[:0], c.Args...)
			a.rewriteTrim(argv, s)
		}
	}
	if rewrite {
		if argv == nil {
			argv = append(argvBuf[:0], c.Args...)
		}
		argv[a.idPos] = idb
	}
	if argv != nil {
		c.Propagate(argv...)
	}
	c.SignalReady(key)
}

func cmdXlen(c *Ctx) {
	s, ok := streamOrReply(c, c.Args[1], replyZero(c))
	if !ok {
		return
	}
	c.W.Int(int64(s.Len()))
}

// parseInterval is streamParseIntervalIDOrReply: "(" makes the bound
// exclusive (and strict).
func parseInterval(c *Ctx, b []byte, missingSeq uint64) (id types.StreamID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = parseStreamID(c, b[1:], missingSeq, true, nil)
		return id, true, ok
	}
	id, ok = parseStreamID(c, b, missingSeq, false, nil)
	return id, false, ok
}

// xrange is XRANGE key start end [COUNT n] and XREVRANGE key end start.
func xrange(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ex, ok := parseInterval(c, startArg, 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.Error(rediserr.StreamBadStart)
			return
		}
	}
	end, ex, ok := parseInterval(c, endArg, ^uint64(0))
	if !ok {
		return
	}
	if ex {
		if end, ok = end.Decr(); !ok {
			c.Error(rediserr.StreamBadEnd)
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if strings.EqualFold(string(c.Args[j]), "count") && j+1 < len(c.Args) {
			n, ok := intArg(c, c.Args[j+1], rediserr.NotInteger)
			if !ok {
				return
			}
			count = max(n, 0)
			j++
		} else {
			c.Error(rediserr.Syntax)
			return
		}
	}
	s, ok := streamOrReply(c, c.Args[1], func() { c.W.Array(0) })
	if !ok {
		return
	}
	if count == 0 {
		c.W.NullArray()
		return
	}
	writeRange(c, s, start, end, max(count, 0), rev)
}

// writeRange replies the entries in [start, end] (count 0: all).
func writeRange(c *Ctx, s *types.Stream, start, end types.StreamID, count int64, rev bool) {
	n := s.Count(start, end, rev, count)
	c.W.Array(int(n))
	s.Range(start, end, rev, func(e *types.StreamEntry) bool {
		writeEntry(c, e)
		n--
		return n > 0
	})
}

// writeEntry replies [id, [field, value, …]].
func writeEntry(c *Ctx, e *types.StreamEntry) {
	var idBuf [42]byte
	c.W.Array(2)
	c.W.Bulk(e.ID.Append(idBuf[:0]))
	c.W.Array(len(e.FV))
	for _, x := range e.FV {
		c.W.BulkString(x)
	}
}

// parseIDs parses strict IDs (XDEL, XACK): all of them or, after the
// first bad one's error, none.
func parseIDs(c *Ctx, args [][]byte) ([]types.StreamID, bool) {
	ids := make([]types.StreamID, len(args))
	for j, b := range args {
		id, ok := parseStreamID(c, b, 0, true, nil)
		if !ok {
			return nil, false
		}
		ids[j] = id
	}
	return ids, true
}

func cmdXdel(c *Ctx) {
	s, ok := streamOrReply(c, c.Args[1], replyZero(c))
	if !ok {
		return
	}
	ids, ok := parseIDs(c, c.Args[2:])
	if !ok {
		return
	}
	deleted := 0
	for _, id := range ids {
		if s.Delete(id) {
			if s.MaxDeleted.Less(id) {
				s.MaxDeleted = id
			}
			deleted++
		}
	}
	if deleted > 0 {
		c.DB.Touch(c.Args[1])
		c.Notify(NotifyStream, "xdel", c.Args[1])
		c.Dirty += deleted
	}
	c.W.Int(int64(deleted))
}

func cmdXtrim(c *Ctx) {
	a, ok := parseTrimArgs(c, false)
	if !ok {
		return
	}
	s, ok := streamOrReply(c, c.Args[1], replyZero(c))
	if !ok {
		return
	}
	deleted := a.trim(s)
	if deleted > 0 {
		c.Notify(NotifyStream, "xtrim", c.Args[1])
		if a.approx {
			argv := append([][]byte(nil), c.Args...)
			a.rewriteTrim(argv, s)
			c.Propagate(argv...)
		}
		c.DB.Touch(c.Args[1])
		c.Dirty += int(deleted)
	}
	c.W.Int(deleted)
}

func cmdXsetid(c *Ctx) {
	id, ok := parseStreamID(c, c.Args[2], 0, true, nil)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel types.StreamID
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		opt := string(c.Args[i])
		switch {
		case strings.EqualFold(opt, "entriesadded") && more > 0:
			n, ok := nonNegArg(c, c.Args[i+1], rediserr.StreamEntriesAddedNeg)
			if !ok {
				return
			}
			entriesAdded = n
		case strings.EqualFold(opt, "maxdeletedid") && more > 0:
			if maxDel, ok = parseStreamID(c, c.Args[i+1], 0, true, nil); !ok {
				return
			}
			if id.Less(maxDel) {
				c.Error(rediserr.StreamSetIDSmallMaxDel)
				return
			}
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	s, ok := streamOrReply(c, c.Args[1], func() { c.Error(rediserr.NoSuchKey) })
	if !ok {
		return
	}
	if s.Len() > 0 {
		last, _ := s.LastLiveID()
		if id.Less(last) {
			c.Error(rediserr.StreamSetIDSmall)
			return
		}
		if entriesAdded != -1 && int64(s.Len()) > entriesAdded {
			c.Error(rediserr.StreamSetIDEntries)
			return
		}
	}
	s.LastID = id
	if entriesAdded != -1 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if maxDel != (types.StreamID{}) {
		s.MaxDeleted = maxDel
	}
	c.DB.Touch(c.Args[1])
	c.Notify(NotifyStream, "xsetid", c.Args[1])
	c.Dirty++
	c.W.OK()
}

// msDuration is a BLOCK timeout in milliseconds (0: forever).
func msDuration(ms int64) time.Duration {
	if ms > int64(math.MaxInt64/int64(time.Millisecond)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ms) * time.Millisecond
}

// xinfoStream finds XINFO's key: "ERR no such key" when missing.
func xinfoStream(c *Ctx) (*types.Stream, bool) {
	return streamOrReply(c, c.Args[2], func() { c.Error(rediserr.NoSuchKey) })
}

// cmdXinfoStream is XINFO STREAM key [FULL [COUNT n]].
func cmdXinfoStream(c *Ctx) {
	full := false
	count := int64(10)
	if opts := c.Args[3:]; len(opts) > 0 {
		if (len(opts) != 1 && len(opts) != 3) || !strings.EqualFold(string(opts[0]), "full") ||
			(len(opts) == 3 && !strings.EqualFold(string(opts[1]), "count")) {
			c.Error(rediserr.SubcommandSyntax(string(c.Args[1]), "XINFO"))
			return
		}
		full = true
		if len(opts) == 3 {
			n, ok := intArg(c, opts[2], rediserr.NotInteger)
			if !ok {
				return
			}
			if n < 0 {
				n = 10
			}
			count = n
		}
	}
	s, ok := xinfoStream(c)
	if !ok {
		return
	}
	var idBuf [42]byte
	if full {
		c.W.Map(9)
	} else {
		c.W.Map(10)
	}
	c.W.BulkString("length")
	c.W.Int(int64(s.Len()))
	c.W.BulkString("radix-tree-keys")
	c.W.Int(int64(s.NodeCount()))
	c.W.BulkString("radix-tree-nodes")
	c.W.Int(int64(s.RaxNodes()))
	c.W.BulkString("last-generated-id")
	c.W.Bulk(s.LastID.Append(idBuf[:0]))
	c.W.BulkString("max-deleted-entry-id")
	c.W.Bulk(s.MaxDeleted.Append(idBuf[:0]))
	c.W.BulkString("entries-added")
	c.W.Int(int64(s.EntriesAdded))
	c.W.BulkString("recorded-first-entry-id")
	var first types.StreamID
	if e, ok := s.First(); ok {
		first = e.ID
	}
	c.W.Bulk(first.Append(idBuf[:0]))
	if full {
		c.W.BulkString("entries")
		writeRange(c, s, types.StreamID{}, maxStream, count, false)
		c.W.BulkString("groups")
		writeFullGroups(c, s, count)
		return
	}
	c.W.BulkString("groups")
	c.W.Int(int64(s.GroupCount()))
	for _, rev := range []bool{false, true} {
		if rev {
			c.W.BulkString("last-entry")
		} else {
			c.W.BulkString("first-entry")
		}
		var e *types.StreamEntry
		if rev {
			e, _ = s.Last()
		} else {
			e, _ = s.First()
		}
		if e == nil {
			c.W.Null()
			continue
		}
		writeEntry(c, e)
	}
}
