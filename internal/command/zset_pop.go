package command

import (
	"math"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

func registerZSetPop(t *Table) {
	t.Handle("zpopmin", func(c *Ctx) { zPopMinMax(c, false) })
	t.Handle("zpopmax", func(c *Ctx) { zPopMinMax(c, true) })
	t.Handle("zmpop", func(c *Ctx) { zMPop(c, 1, false) })
	t.Handle("bzpopmin", func(c *Ctx) { bzPop(c, false) })
	t.Handle("bzpopmax", func(c *Ctx) { bzPop(c, true) })
	t.Handle("bzmpop", func(c *Ctx) { zMPop(c, 2, true) })
	t.Handle("zrandmember", cmdZRandMember)
	t.Handle("zscan", cmdZScan)
}

// Reply shapes of zPop (Redis genericZpopCommand's emitkey/use_nested_array).
const (
	zPopFlat   = iota // ZPOPMIN/MAX: [m, s, m, s…]
	zPopNested        // ZPOPMIN/MAX count in RESP3: [[m, s]…]
	zPopKeyed         // BZPOPMIN/MAX: [key, m, s]
	zPopMulti         // ZMPOP/BZMPOP: [key, [[m, s]…]]
)

// zPop pops up to count elements from the first non-empty key of keys.
// count < 0 is the single-element form. It reports whether a key was found
// (when not, nothing has been replied unless an error was).
func zPop(c *Ctx, keys [][]byte, max bool, count int64, shape int) (found, failed bool) {
	var z *types.ZSet
	var key []byte
	for _, k := range keys {
		zz, ok := zLookup(c, k)
		if !ok {
			return false, true
		}
		if zz != nil {
			z, key = zz, k
			break
		}
	}
	if z == nil {
		return false, false
	}
	if count < 0 {
		count = 1
	}
	n := z.Len()
	take := n
	if count < int64(n) {
		take = int(count)
	}
	switch shape {
	case zPopFlat:
		c.W.Array(2 * take)
	case zPopNested:
		c.W.Array(take)
	case zPopKeyed:
		c.W.Array(2*take + 1)
		c.W.Bulk(key)
	case zPopMulti:
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Array(take)
	}
	lo, hi := 0, take
	if max {
		lo, hi = n-take, n
	}
	nested := shape == zPopNested || shape == zPopMulti
	z.Range(lo, hi, max, func(m []byte, s float64) bool {
		if nested {
			c.W.Array(2)
		}
		c.W.Bulk(m)
		c.W.Double(s)
		return true
	})
	z.RemoveRange(lo, hi)
	zModified(c, key, z)
	if take > 0 {
		event := "zpopmin"
		if max {
			event = "zpopmax"
		}
		c.notifyRemoved(NotifyZset, event, key, z.Len() == 0)
	}
	c.Dirty += take
	// BZPOPMIN/MAX propagate as ZPOPMIN/MAX key, [B]ZMPOP as ZPOPMIN/MAX key n.
	cmd := kwZPOPMIN
	if max {
		cmd = kwZPOPMAX
	}
	switch shape {
	case zPopKeyed:
		c.Propagate(cmd, key)
	case zPopMulti:
		c.propagateCount(cmd, key, int64(take))
	}
	return true, false
}

func zPopMinMax(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.Error(rediserr.Syntax)
		return
	}
	count := int64(-1)
	shape := zPopFlat
	if len(c.Args) == 3 {
		n, ok := rnum.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Error(rediserr.MustBePositive)
			return
		}
		if n == 0 {
			// Redis 7.0 looks the key up (and checks its type) before it
			// looks at the count.
			if _, ok := zLookup(c, c.Args[1]); ok {
				c.W.Array(0)
			}
			return
		}
		count = n
		if c.W.Proto >= 3 {
			shape = zPopNested
		}
	}
	found, failed := zPop(c, c.Args[1:2], max, count, shape)
	if !found && !failed {
		c.W.Array(0)
	}
}

// zMPop is ZMPOP numkeys key… MIN|MAX [COUNT n] and BZMPOP timeout numkeys
// …; the blocking form waits for one of its keys when all are empty.
func zMPop(c *Ctx, numIdx int, blocking bool) {
	var timeout time.Duration
	if blocking {
		var ok bool
		if timeout, ok = BlockTimeout(c, c.Args[1]); !ok {
			return
		}
	}
	numkeys, ok := rnum.ParseInt(c.Args[numIdx])
	if !ok || numkeys < 1 {
		c.Error(rediserr.NumkeysPositive)
		return
	}
	whereIdx := int64(numIdx) + numkeys + 1
	if whereIdx >= int64(len(c.Args)) {
		c.Error(rediserr.Syntax)
		return
	}
	var max bool
	switch w := c.Args[whereIdx]; {
	case zEqualFold(w, "min"):
	case zEqualFold(w, "max"):
		max = true
	default:
		c.Error(rediserr.Syntax)
		return
	}
	count := int64(-1)
	for j := int(whereIdx) + 1; j < len(c.Args); j++ {
		if count == -1 && zEqualFold(c.Args[j], "count") && j+1 < len(c.Args) {
			j++
			n, ok := rnum.ParseInt(c.Args[j])
			if !ok || n < 1 {
				c.Error(rediserr.CountPositive)
				return
			}
			count = n
			continue
		}
		c.Error(rediserr.Syntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := c.Args[numIdx+1 : whereIdx]
	try := keys
	if blocking {
		try = wokenKeys(c, keys, types.KindZSet)
	}
	found, failed := zPop(c, try, max, count, zPopMulti)
	if !found && !failed {
		if blocking {
			c.BlockOn(keys, timeout, true)
			return
		}
		c.W.NullArray()
	}
}

// bzPop is BZPOPMIN/BZPOPMAX key… timeout: it pops from the first
// non-empty key, or waits for one (blocking.go in the server).
func bzPop(c *Ctx, max bool) {
	timeout, ok := BlockTimeout(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	found, failed := zPop(c, wokenKeys(c, keys, types.KindZSet), max, -1, zPopKeyed)
	if !found && !failed {
		c.BlockOn(keys, timeout, true)
	}
}

func cmdZRandMember(c *Ctx) {
	key := c.Args[1]
	if len(c.Args) == 2 {
		z, ok := zLookup(c, key)
		if !ok {
			return
		}
		if z == nil {
			c.W.Null()
			return
		}
		m, _ := z.At(zRandIntN(z.Len()))
		c.W.Bulk(m)
		return
	}
	l, ok := rnum.ParseInt(c.Args[2])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	if l == math.MinInt64 {
		c.Error(rediserr.ZRandCountOutside)
		return
	}
	withScores := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !zEqualFold(c.Args[3], "withscores")) {
		c.Error(rediserr.Syntax)
		return
	} else if len(c.Args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.Error(rediserr.ValueOutOfRange)
			return
		}
	}
	uniq := l >= 0
	count := l
	if !uniq {
		count = -l
	}
	z, ok := zLookup(c, key)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.W.Array(0)
		return
	}
	size := z.Len()
	if !uniq || count == 1 {
		zReplyElemsHeader(c, int(count), withScores)
		for i := int64(0); i < count && !c.ReplyOverLimit(); i++ {
			m, s := z.At(zRandIntN(size))
			zReplyElem(c, m, s, withScores)
		}
		return
	}
	if count >= int64(size) {
		// the whole set; Redis 7.0.15 replies it from the highest score down
		zReplyElemsHeader(c, size, withScores)
		z.Range(0, size, true, func(m []byte, s float64) bool {
			zReplyElem(c, m, s, withScores)
			return true
		})
		return
	}
	// distinct ranks by a partial Fisher-Yates over a sparse permutation
	k := int(count)
	swapped := make(map[int]int, k)
	zReplyElemsHeader(c, k, withScores)
	for i := 0; i < k; i++ {
		j := i + zRandIntN(size-i)
		vj, ok := swapped[j]
		if !ok {
			vj = j
		}
		vi, ok := swapped[i]
		if !ok {
			vi = i
		}
		swapped[j] = vi
		m, s := z.At(vj)
		zReplyElem(c, m, s, withScores)
	}
}

func cmdZScan(c *Ctx) {
	cursor, ok := zParseCursor(c.Args[2])
	if !ok {
		c.Error(rediserr.InvalidCursor)
		return
	}
	z, ok := zLookup(c, c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Array(2)
		c.W.BulkString("0")
		c.W.Array(0)
		return
	}
	count := int64(10)
	var pattern []byte
	for i := 3; i < len(c.Args); i++ {
		left := len(c.Args) - i
		switch {
		case zEqualFold(c.Args[i], "count") && left >= 2:
			n, ok := rnum.ParseInt(c.Args[i+1])
			if !ok {
				c.Error(rediserr.NotInteger)
				return
			}
			if n < 1 {
				c.Error(rediserr.Syntax)
				return
			}
			count = n
			i++
		case zEqualFold(c.Args[i], "match") && left >= 2:
			pattern = c.Args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
			i++
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	if count > math.MaxInt32 {
		count = math.MaxInt32
	}
	var buf []byte
	var out []int // member and score lengths, in pairs, of the bytes in buf
	next := z.Scan(cursor, int(count), func(m []byte, s float64) {
		if pattern != nil && !glob.Match(pattern, m, false) {
			return
		}
		buf = append(buf, m...)
		mid := len(buf)
		buf = resp.AppendDouble(buf, s) // %.17g for both encodings in 7.0.15
		out = append(out, len(m), len(buf)-mid)
	})
	c.W.Array(2)
	var tmp [24]byte
	c.W.Bulk(strconv.AppendUint(tmp[:0], next, 10))
	c.W.Array(len(out))
	off := 0
	for i := 0; i < len(out); i += 2 {
		lm, ls := out[i], out[i+1]
		c.W.Bulk(buf[off : off+lm])
		c.W.Bulk(buf[off+lm : off+lm+ls])
		off += lm + ls
	}
}

// zParseCursor is Redis parseScanCursorOrReply (strtoul: a sign is allowed
// and '-' wraps around; no spaces; no overflow).
func zParseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}
