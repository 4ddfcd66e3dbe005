package command

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/types"
)

// Blocking list commands. Each one first tries to serve at once; finding
// nothing it calls c.BlockOn and writes nothing, and the server re-runs it
// whenever one of its keys is signalled (internal/server/blocking.go).

func registerListBlocking(t *Table) {
	t.Handle("blpop", func(c *Ctx) { listBpop(c, true) })
	t.Handle("brpop", func(c *Ctx) { listBpop(c, false) })
	t.Handle("blmove", cmdBlmove)
	t.Handle("brpoplpush", func(c *Ctx) {
		timeout, ok := BlockTimeout(c, c.Args[3])
		if ok {
			listBmove(c, false, true, timeout)
		}
	})
	t.Handle("blmpop", cmdBlmpop)
}

// BlockTimeout parses a blocking command's timeout in seconds as Redis 7.0
// getTimeoutFromObjectOrReply does: a long double, times 1000, rounded up
// to whole milliseconds; 0 means forever. On a bad value it replies the
// error and reports false.
func BlockTimeout(c *Ctx, b []byte) (time.Duration, bool) {
	f, ok := parseTimeoutDouble(b)
	if !ok {
		c.Error(rediserr.Timeout)
		return 0, false
	}
	ms := math.Ceil(f * 1000)
	// A value past the range of a long long converts to LLONG_MIN in
	// Redis (x86), so it is reported as negative.
	if ms < 0 || ms >= math.MaxInt64 || math.IsNaN(ms) {
		c.Error(rediserr.TimeoutNegative)
		return 0, false
	}
	if ms == 0 {
		return 0, true
	}
	if ms > float64(math.MaxInt64/int64(time.Millisecond)) {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// parseTimeoutDouble accepts what Redis's string2ld (strtold) accepts: no
// surrounding spaces, decimal or hex (0x10) forms, inf; not nan. Values
// past float64 but within a long double come back as ±Inf; a non-zero
// value too small for float64 comes back as the smallest positive float.
func parseTimeoutDouble(b []byte) (float64, bool) {
	s := string(b)
	if s == "" || len(s) > 5120 || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[len(s)-1] == ' ' || strings.ContainsRune(s, '_') {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') && !strings.ContainsAny(body, "pP") {
		s += "p0"
	}
	low := strings.ToLower(body)
	if strings.HasPrefix(low, "nan") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	if f == 0 && strings.ContainsAny(strings.SplitN(low, "e", 2)[0], "123456789") && !strings.HasPrefix(low, "0x") {
		f = math.SmallestNonzeroFloat64
		if s[0] == '-' {
			f = -f
		}
	}
	return f, true
}

// listBpop is BLPOP/BRPOP key [key ...] timeout.
func listBpop(c *Ctx, left bool) {
	timeout, ok := BlockTimeout(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	for _, k := range wokenKeys(c, keys, types.KindList) {
		l, wrong := getList(c, k)
		if wrong {
			return
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		var buf [64]byte
		v := listPopOne(buf[:0], l, left)
		c.W.Array(2)
		c.W.Bulk(k)
		c.W.Bulk(v)
		listRemoved(c, k, l, 1, popEvent(left))
		if left { // propagated as [LR]POP key
			c.Propagate(kwLPOP, k)
		} else {
			c.Propagate(kwRPOP, k)
		}
		return
	}
	c.BlockOn(keys, timeout, true)
}

func cmdBlmove(c *Ctx) {
	from, ok := listSide(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := listSide(c, c.Args[4])
	if !ok {
		return
	}
	timeout, ok := BlockTimeout(c, c.Args[5])
	if !ok {
		return
	}
	listBmove(c, from, to, timeout)
}

// listBmove is BLMOVE/BRPOPLPUSH after argument parsing. On timeout Redis
// 7.0 replies a null array, but inside MULTI a null bulk.
func listBmove(c *Ctx, fromLeft, toLeft bool, timeout time.Duration) {
	if len(wokenKeys(c, c.Args[1:2], types.KindList)) == 0 {
		c.BlockOn(c.Args[1:2], timeout, true)
		return
	}
	l, wrong := getList(c, c.Args[1])
	if wrong {
		return
	}
	if l != nil {
		listMove(c, fromLeft, toLeft)
		return
	}
	if !c.CanBlock {
		c.W.Null()
		return
	}
	c.BlockOn(c.Args[1:2], timeout, true)
}

// cmdBlmpop is BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT n].
func cmdBlmpop(c *Ctx) {
	keys, left, count, ok := listMpopArgs(c, 2)
	if !ok {
		return
	}
	timeout, ok := BlockTimeout(c, c.Args[1])
	if !ok {
		return
	}
	if !listMpopFrom(c, wokenKeys(c, keys, types.KindList), left, count) {
		c.BlockOn(keys, timeout, true)
	}
}

// wokenKeys returns keys, or, when the command was woken (Ctx.Woken), the
// keys that do not hold a type other than kind: those are not served.
func wokenKeys(c *Ctx, keys [][]byte, kind types.Kind) [][]byte {
	if !c.Woken {
		return keys
	}
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		if v, ok := c.DB.Lookup(k); ok && (v.Obj == nil || v.Obj.Kind() != kind) {
			continue
		}
		out = append(out, k)
	}
	return out
}
