package command

import (
	"math"

	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/types"
)

func registerHash(t *Table) {
	t.Handle("hset", cmdHset)
	t.Handle("hmset", cmdHset)
	t.Handle("hsetnx", cmdHsetnx)
	t.Handle("hget", cmdHget)
	t.Handle("hmget", cmdHmget)
	t.Handle("hdel", cmdHdel)
	t.Handle("hexists", cmdHexists)
	t.Handle("hlen", cmdHlen)
	t.Handle("hstrlen", cmdHstrlen)
	t.Handle("hkeys", cmdHkeys)
	t.Handle("hvals", cmdHvals)
	t.Handle("hgetall", cmdHgetall)
	t.Handle("hincrby", cmdHincrby)
	t.Handle("hincrbyfloat", cmdHincrbyfloat)
	t.Handle("hscan", cmdHscan)
	t.Handle("hrandfield", cmdHrandfield)
}

// hsLookupHash returns the hash at key: nil if there is none; ok false
// (after replying WRONGTYPE) if key holds another type.
func hsLookupHash(c *Ctx, key []byte) (h *types.Hash, ok bool) {
	v, found := c.DB.Lookup(key)
	if !found {
		return nil, true
	}
	h, isHash := v.Obj.(*types.Hash)
	if !isHash {
		c.Error(wrongType)
		return nil, false
	}
	return h, true
}

// hsHashForWrite returns the hash at key, creating (and storing) an empty
// one if the key is absent.
func hsHashForWrite(c *Ctx, key []byte) (h *types.Hash, ok bool) {
	h, ok = hsLookupHash(c, key)
	if !ok || h != nil {
		return h, ok
	}
	h = types.NewHash()
	c.DB.SetObject(key, h, false)
	return h, true
}

// hsDropIfEmpty deletes key when its collection became empty, else marks
// it modified for WATCH.
func hsDropIfEmpty(c *Ctx, key []byte, o types.Object) {
	if o.Len() == 0 {
		c.DB.Delete(key)
		return
	}
	c.DB.Touch(key)
}

// cmdHset is HSET and HMSET.
func cmdHset(c *Ctx) {
	if len(c.Args)%2 == 1 {
		c.Error(rediserr.WrongArity(c.Cmd.Name))
		return
	}
	h, ok := hsHashForWrite(c, c.Args[1])
	if !ok {
		return
	}
	// hashTypeTryConversion: a long field or value converts before any set.
	lim := c.Limits()
	if !h.IsTable() {
		for _, a := range c.Args[2:] {
			if lim.NeedsTable(a) {
				h.Convert()
				break
			}
		}
	}
	created := 0
	for i := 2; i < len(c.Args); i += 2 {
		if h.Set(c.Args[i], c.Args[i+1], lim) {
			created++
		}
	}
	c.DB.Touch(c.Args[1])
	c.Notify(NotifyHash, "hset", c.Args[1])
	c.Dirty += (len(c.Args) - 2) / 2
	if c.Cmd.Name == "hmset" {
		c.W.OK()
		return
	}
	c.W.Int(int64(created))
}

func cmdHsetnx(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h != nil && h.Exists(c.Args[2]) {
		c.W.Int(0)
		return
	}
	if h == nil {
		h, _ = hsHashForWrite(c, c.Args[1])
	}
	h.Set(c.Args[2], c.Args[3], c.Limits())
	c.DB.Touch(c.Args[1])
	c.Notify(NotifyHash, "hset", c.Args[1])
	c.Dirty++
	c.W.Int(1)
}

func cmdHget(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Null()
		return
	}
	v, found := h.Get(c.Args[2])
	if !found {
		c.W.Null()
		return
	}
	c.W.Bulk(v)
}

func cmdHmget(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		if h == nil {
			c.W.Null()
			continue
		}
		if v, found := h.Get(f); found {
			c.W.Bulk(v)
		} else {
			c.W.Null()
		}
	}
}

func cmdHdel(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	n := 0
	for _, f := range c.Args[2:] {
		if h.Delete(f) {
			n++
			if h.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		hsDropIfEmpty(c, c.Args[1], h)
		c.notifyRemoved(NotifyHash, "hdel", c.Args[1], h.Len() == 0)
		c.Dirty += n
	}
	c.W.Int(int64(n))
}

func cmdHexists(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h != nil && h.Exists(c.Args[2]) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}

func cmdHlen(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(h.Len()))
}

func cmdHstrlen(c *Ctx) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	v, _ := h.Get(c.Args[2])
	c.W.Int(int64(len(v)))
}

const (
	hsFields = 1
	hsValues = 2
)

func hsGetAll(c *Ctx, what int) {
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if what == hsFields|hsValues {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if what&hsFields != 0 {
			c.W.Bulk(f)
		}
		if what&hsValues != 0 {
			c.W.Bulk(v)
		}
		return true
	})
}

func cmdHkeys(c *Ctx)   { hsGetAll(c, hsFields) }
func cmdHvals(c *Ctx)   { hsGetAll(c, hsValues) }
func cmdHgetall(c *Ctx) { hsGetAll(c, hsFields|hsValues) }

func cmdHincrby(c *Ctx) {
	incr, ok := types.ParseInt64(c.Args[3])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	var cur int64
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			if cur, ok = types.ParseInt64(v); !ok {
				c.Error(rediserr.HashNotInteger)
				return
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) ||
		(incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.Error(rediserr.Overflow)
		return
	}
	cur += incr
	if h == nil {
		h, _ = hsHashForWrite(c, c.Args[1])
	}
	var buf [24]byte
	h.Set(c.Args[2], appendInt64(buf[:0], cur), c.Limits())
	c.DB.Touch(c.Args[1])
	c.Notify(NotifyHash, "hincrby", c.Args[1])
	c.Dirty++
	c.W.Int(cur)
}

func appendInt64(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		u := uint64(-n)
		if n == math.MinInt64 {
			u = 1 << 63
		}
		return appendUint64(dst, u)
	}
	return appendUint64(dst, uint64(n))
}

func appendUint64(dst []byte, u uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

func cmdHincrbyfloat(c *Ctx) {
	incr, ok := types.ParseLongDouble(c.Args[3])
	if !ok {
		c.Error(rediserr.NotFloat)
		return
	}
	if incr.IsInf() {
		c.Error(rediserr.HashValueNaNInf)
		return
	}
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	var cur types.LongDouble
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			if cur, ok = types.ParseLongDouble(v); !ok {
				c.Error(rediserr.HashNotFloat)
				return
			}
		}
	}
	sum, ok := cur.Add(&incr)
	if !ok {
		c.Error(rediserr.HashIncrNaNInf)
		return
	}
	if h == nil {
		h, _ = hsHashForWrite(c, c.Args[1])
	}
	var buf [64]byte
	out := sum.AppendHuman(buf[:0])
	h.Set(c.Args[2], out, c.Limits())
	c.DB.Touch(c.Args[1])
	c.Notify(NotifyHash, "hincrbyfloat", c.Args[1])
	c.Dirty++
	c.Propagate(kwHSET, c.Args[1], c.Args[2], out) // the result, as hincrbyfloatCommand
	c.W.Bulk(out)
}

// hsParseCursor parses a SCAN cursor as Redis 7.0 does (strtoul: an
// optional sign, a negative value wraps; no leading space; the empty
// string is cursor 0).
func hsParseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i = 1
	}
	if i == len(b) {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if n > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(d-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// hsScanOpts parses the MATCH/COUNT options of HSCAN/SSCAN from args[3:].
// pattern is nil when every element matches.
func hsScanOpts(c *Ctx) (count int, pattern []byte, ok bool) {
	count = 10
	for i := 3; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Error(rediserr.Syntax)
			return 0, nil, false
		}
		opt := c.Args[i]
		switch {
		case equalFoldASCII(opt, "count"):
			n, isInt := types.ParseInt64(c.Args[i+1])
			if !isInt {
				c.Error(rediserr.NotInteger)
				return 0, nil, false
			}
			if n < 1 {
				c.Error(rediserr.Syntax)
				return 0, nil, false
			}
			if n > math.MaxInt32 {
				n = math.MaxInt32
			}
			count = int(n)
		case equalFoldASCII(opt, "match"):
			pattern = c.Args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		default:
			c.Error(rediserr.Syntax)
			return 0, nil, false
		}
	}
	return count, pattern, true
}

func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hsEmptyScan(c *Ctx) {
	c.W.Array(2)
	c.W.BulkString("0")
	c.W.Array(0)
}

func hsScanReply(c *Ctx, cursor uint64, items [][]byte) {
	c.W.Array(2)
	var buf [20]byte
	c.W.Bulk(appendUint64(buf[:0], cursor))
	c.W.Array(len(items))
	for _, it := range items {
		c.W.Bulk(it)
	}
}

func cmdHscan(c *Ctx) {
	cursor, ok := hsParseCursor(c.Args[2])
	if !ok {
		c.Error(rediserr.HashInvalidCursor)
		return
	}
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		hsEmptyScan(c)
		return
	}
	count, pattern, ok := hsScanOpts(c)
	if !ok {
		return
	}
	var items [][]byte
	keep := func(f, v []byte) {
		if pattern == nil || glob.Match(pattern, f, false) {
			items = append(items, f, v)
		}
	}
	if !h.IsTable() {
		h.Each(func(f, v []byte) bool { keep(f, v); return true })
		hsScanReply(c, 0, items)
		return
	}
	// Redis counts fields and values against COUNT, before filtering.
	seen := 0
	for iter := count * 10; ; {
		cursor = h.Scan(cursor, func(f, v []byte) { seen += 2; keep(f, v) })
		if cursor == 0 || iter == 0 || seen >= count {
			break
		}
		iter--
	}
	hsScanReply(c, cursor, items)
}

// hsRandCount parses the count of SRANDMEMBER/HRANDFIELD: an integer in
// [-LONG_MAX, LONG_MAX].
func hsRandCount(c *Ctx, b []byte) (int64, bool) {
	n, ok := types.ParseInt64(b)
	if !ok {
		c.Error(rediserr.NotInteger)
		return 0, false
	}
	if n == math.MinInt64 {
		c.Error(rediserr.HashCountRange)
		return 0, false
	}
	return n, true
}

// hsSample picks k distinct indexes of [0, n) in ascending order
// (selection sampling), calling pick for each.
func hsSample(n, k int, pick func(i int)) {
	for i := 0; i < n && k > 0; i++ {
		if types.RandIntN(n-i) < k {
			pick(i)
			k--
		}
	}
}

func cmdHrandfield(c *Ctx) {
	if len(c.Args) == 2 {
		h, ok := hsLookupHash(c, c.Args[1])
		if !ok {
			return
		}
		if h == nil {
			c.W.Null()
			return
		}
		f, _ := h.Random()
		c.W.Bulk(f)
		return
	}
	l, ok := hsRandCount(c, c.Args[2])
	if !ok {
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !equalFoldASCII(c.Args[3], "withvalues")) {
		c.Error(rediserr.Syntax)
		return
	} else if len(c.Args) == 4 {
		withValues = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.Error(rediserr.HashValueRange)
			return
		}
	}
	h, ok := hsLookupHash(c, c.Args[1])
	if !ok {
		return
	}
	if h == nil || l == 0 {
		c.W.Array(0)
		return
	}
	resp3 := c.W.Proto >= 3
	emit := func(f, v []byte) {
		if withValues && resp3 {
			c.W.Array(2)
		}
		c.W.Bulk(f)
		if withValues {
			c.W.Bulk(v)
		}
	}
	header := func(n int) {
		if withValues && !resp3 {
			c.W.Array(2 * n)
		} else {
			c.W.Array(n)
		}
	}
	size := h.Len()
	if l < 0 {
		// repetitions allowed
		count := int(-l)
		header(count)
		for range count {
			if c.ReplyOverLimit() {
				break // the client is closed; nothing of this is sent
			}
			emit(h.Random())
		}
		return
	}
	count := int(min(l, math.MaxInt32))
	if count >= size {
		header(size)
		h.Each(func(f, v []byte) bool { emit(f, v); return true })
		return
	}
	header(count)
	if !h.IsTable() || count*3 > size {
		// Listpacks are sampled in order, as Redis's lpRandomPairsUnique.
		i, next := 0, -1
		picked := make([]int, 0, count)
		hsSample(size, count, func(j int) { picked = append(picked, j) })
		h.Each(func(f, v []byte) bool {
			if next+1 < len(picked) && picked[next+1] == i {
				next++
				emit(f, v)
			}
			i++
			return next+1 < len(picked)
		})
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		f, v := h.Random()
		if _, dup := seen[string(f)]; dup {
			continue
		}
		seen[string(f)] = struct{}{}
		emit(f, v)
	}
}
