package command

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

// SORT and SORT_RO, as Redis 7.0's sort.c.
//
// Both are registered with LockAll: the BY and GET patterns name keys that
// may live in any slot (and STORE writes one more), so the dispatcher locks
// every stripe. That is correct and simple; SORT with patterns is rare, and
// in cluster mode Redis 7.0 refuses patterns altogether.
func registerSort(t *Table) {
	t.Handle("sort", func(c *Ctx) { sortGeneric(c, false) }).LockAll = true
	s := t.Get("sort")
	s.GetKeys = sortGetKeys
	// sortGetKeys's flags: the sorted key RO access (the first spec), the
	// STORE key OW update (the last).
	s.GetKeysSpec = func(i int) int {
		if i == 0 {
			return 0
		}
		return len(s.KeySpecs) - 1
	}
	t.Handle("sort_ro", func(c *Ctx) { sortGeneric(c, true) }).LockAll = true
}

// sortGetKeys is Redis's sortGetKeys: the sorted key, and the key of the
// last STORE option. Arguments of LIMIT, GET and BY are skipped so a key
// named "store" there is not taken for the option.
func sortGetKeys(args [][]byte, dst []int) []int {
	dst = append(dst, 1)
	store := 0
	for i := 2; i < len(args); i++ {
		a := args[i]
		switch {
		case bytes.EqualFold(a, []byte("limit")):
			i += 2
		case bytes.EqualFold(a, []byte("get")), bytes.EqualFold(a, []byte("by")):
			i++
		case bytes.EqualFold(a, []byte("store")) && i+1 < len(args):
			store = i + 1
		}
	}
	if store > 0 {
		dst = append(dst, store)
	}
	return dst
}

// sortItem is one element being sorted: the element, its weight (numeric
// sorts) or its BY value (ALPHA sorts with BY; nil when the key is missing).
type sortItem struct {
	elem  string
	score float64
	cmp   []byte
	has   bool
}

func sortGeneric(c *Ctx, readonly bool) {
	args := c.Args
	var (
		desc, alpha, dontsort bool
		limitStart, limitCnt  int64 = 0, -1
		sortby, storekey      []byte
		gets                  [][]byte
	)
	cluster := serverConfig(c).ClusterEnabled()
	for j := 2; j < len(args); j++ {
		a, left := args[j], len(args)-j-1
		switch {
		case bytes.EqualFold(a, []byte("asc")):
			desc = false
		case bytes.EqualFold(a, []byte("desc")):
			desc = true
		case bytes.EqualFold(a, []byte("alpha")):
			alpha = true
		case bytes.EqualFold(a, []byte("limit")) && left >= 2:
			var ok1, ok2 bool
			limitStart, ok1 = rnum.ParseInt(args[j+1])
			if ok1 {
				limitCnt, ok2 = rnum.ParseInt(args[j+2])
			}
			if !ok1 || !ok2 {
				c.Error(rediserr.NotInteger)
				return
			}
			j += 2
		case !readonly && bytes.EqualFold(a, []byte("store")) && left >= 1:
			storekey = args[j+1]
			j++
		case bytes.EqualFold(a, []byte("by")) && left >= 1:
			sortby = args[j+1]
			// A BY pattern without '*' is constant: nothing to sort by.
			// (Once set, dontsort stays set even if a later BY has a '*'.)
			if bytes.IndexByte(cstr(sortby), '*') < 0 {
				dontsort = true
			} else if cluster {
				c.Error(rediserr.SortByCluster)
				return
			} else if !canReadAllKeys(c) {
				c.Error(rediserr.SortByACL)
				return
			}
			j++
		case bytes.EqualFold(a, []byte("get")) && left >= 1:
			if cluster {
				c.Error(rediserr.SortGetCluster)
				return
			}
			if !canReadAllKeys(c) {
				c.Error(rediserr.SortGetACL)
				return
			}
			gets = append(gets, args[j+1])
			j++
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}

	v, found := c.DB.Lookup(args[1])
	var list *types.List
	var set *types.Set
	var zset *types.ZSet
	if found {
		switch o := v.Obj.(type) {
		case *types.List:
			list = o
		case *types.Set:
			set = o
		case *types.ZSet:
			zset = o
		default:
			c.Error(wrongType)
			return
		}
	}

	// A set has no order of its own: with STORE or from a script, sort it
	// anyway so the result does not depend on the hash table.
	if dontsort && set != nil && (storekey != nil || c.InScript) {
		dontsort, alpha, sortby = false, true, nil
	}
	// Redis converts a listpack sorted set to a skiplist for SORT, for good.
	if zset != nil {
		zset.ConvertToSkiplist()
	}

	vlen := 0
	switch {
	case list != nil:
		vlen = list.Len()
	case set != nil:
		vlen = set.Len()
	case zset != nil:
		vlen = zset.Len()
	}
	start, end := sortLimits(limitStart, limitCnt, vlen)

	var items []sortItem
	switch {
	case (list != nil || zset != nil) && dontsort:
		// Native order, reversed for DESC, with LIMIT applied directly.
		if end >= start {
			items = make([]sortItem, 0, end-start+1)
			add := func(e string) bool { items = append(items, sortItem{elem: e}); return true }
			addb := func(e []byte) bool { return add(string(e)) }
			if list != nil {
				if desc {
					list.RangeReverse(vlen-1-end, vlen-1-start, addb)
				} else {
					list.Range(start, end, addb)
				}
			} else {
				lo, hi := start, end+1
				if desc {
					lo, hi = vlen-1-end, vlen-start
				}
				zset.Range(lo, hi, desc, func(m []byte, _ float64) bool { return add(string(m)) })
			}
		}
		end -= start
		start = 0
	case list != nil:
		items = make([]sortItem, 0, vlen)
		list.Range(0, vlen-1, func(e []byte) bool { items = append(items, sortItem{elem: string(e)}); return true })
	case set != nil:
		items = make([]sortItem, 0, vlen)
		set.Members(func(m string) bool { items = append(items, sortItem{elem: m}); return true })
	case zset != nil:
		items = make([]sortItem, 0, vlen)
		zset.Range(0, vlen, false, func(m []byte, _ float64) bool {
			items = append(items, sortItem{elem: string(m)})
			return true
		})
	}

	if !dontsort {
		badScore := false
		for i := range items {
			it := &items[i]
			var by []byte
			if sortby != nil {
				val, ok := sortLookup(c, sortby, it.elem)
				if !ok {
					continue // weight 0, or no ALPHA value (sorts first)
				}
				by = val
			} else {
				by = []byte(it.elem)
			}
			if alpha {
				if sortby != nil {
					it.cmp, it.has = by, true
				}
			} else if f, ok := sortStrtod(by); ok {
				it.score = f
			} else {
				badScore = true
			}
		}
		if badScore {
			c.Error(rediserr.SortScores)
			return
		}
		// glibc's qsort is a merge sort, so Redis's order is stable for the
		// elements comparing equal (ALPHA with BY). With BY and a LIMIT
		// Redis uses its own pqsort, which is not: ties there may come out
		// in another order than Redis's.
		slices.SortStableFunc(items, func(a, b sortItem) int {
			cmp := sortCompare(&a, &b, alpha, sortby != nil, storekey != nil)
			if desc {
				return -cmp
			}
			return cmp
		})
	}

	var out []sortItem
	if end >= start {
		out = items[start : end+1]
	}
	outLen := len(out)
	if len(gets) > 0 {
		outLen *= len(gets)
	}
	if storekey == nil {
		c.W.Array(outLen)
		for _, it := range out {
			if len(gets) == 0 {
				c.W.BulkString(it.elem)
			}
			for _, g := range gets {
				if val, ok := sortLookup(c, g, it.elem); ok {
					c.W.Bulk(val)
				} else {
					c.W.Null()
				}
			}
		}
		return
	}
	if outLen == 0 {
		if c.DB.Delete(storekey) {
			c.Notify(NotifyGeneric, "del", storekey)
			c.Dirty++
		}
		c.W.Int(0)
		return
	}
	dst := types.NewList()
	for _, it := range out {
		if len(gets) == 0 {
			dst.PushBack(stringBytes(it.elem), c.Limits())
		}
		for _, g := range gets {
			val, _ := sortLookup(c, g, it.elem)
			dst.PushBack(val, c.Limits())
		}
	}
	c.DB.SetObject(storekey, dst, false)
	c.SignalReady(storekey) // a BLPOP/BLMPOP on the destination may now be served
	c.Notify(NotifyList, "sortstore", storekey)
	c.Dirty += outLen
	c.W.Int(int64(outLen))
}

// sortLimits is sort.c's LIMIT sanity check: the inclusive range [start,
// end] of the sorted vector of vlen elements to output (empty if end <
// start).
func sortLimits(limitStart, limitCnt int64, vlen int) (start, end int) {
	n := int64(vlen)
	s := min(max(limitStart, 0), n)
	cnt := min(max(limitCnt, -1), n)
	e := n - 1
	if cnt >= 0 {
		e = s + cnt - 1
	}
	if s >= n {
		s, e = n-1, n-2
	}
	if e >= n {
		e = n - 1
	}
	return int(s), int(e)
}

// sortCompare is sort.c's sortCompare before DESC is applied.
func sortCompare(a, b *sortItem, alpha, byPattern, store bool) int {
	if !alpha {
		switch {
		case a.score > b.score:
			return 1
		case a.score < b.score:
			return -1
		}
		// Equal weights: the elements decide, so the result is deterministic.
		return strings.Compare(a.elem, b.elem)
	}
	if byPattern {
		switch {
		case !a.has && !b.has:
			return 0
		case !a.has:
			return -1
		case !b.has:
			return 1
		}
		if store {
			return bytes.Compare(a.cmp, b.cmp)
		}
		return bytes.Compare(cstr(a.cmp), cstr(b.cmp))
	}
	if store {
		return strings.Compare(a.elem, b.elem)
	}
	return strings.Compare(cstrString(a.elem), cstrString(b.elem))
}

// Without STORE, ALPHA compares with strcoll. Shoal assumes the C locale
// (or C.UTF-8), where that is the byte order of the strings as C sees them:
// up to the first NUL.

func cstrString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// sortLookup is sort.c's lookupKeyByPattern: "#" is the element itself;
// otherwise the first '*' of the pattern is replaced by the element and the
// resulting key read as a string, or, with "->field" after the '*', as a
// hash field. A pattern without '*' names nothing.
func sortLookup(c *Ctx, pattern []byte, elem string) ([]byte, bool) {
	p := cstr(pattern)
	if len(p) == 1 && p[0] == '#' {
		return []byte(elem), true
	}
	star := bytes.IndexByte(p, '*')
	if star < 0 {
		return nil, false
	}
	keyEnd := len(pattern)
	var field []byte
	if f := bytes.Index(p[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(p) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	key := make([]byte, 0, keyEnd-1+len(elem))
	key = append(key, pattern[:star]...)
	key = append(key, elem...)
	key = append(key, pattern[star+1:keyEnd]...)
	v, ok := c.DB.Lookup(key)
	if !ok {
		return nil, false
	}
	if field != nil {
		h, isHash := v.Obj.(*types.Hash)
		if !isHash {
			return nil, false
		}
		return h.Get(field)
	}
	if v.Obj != nil {
		return nil, false
	}
	return []byte(v.Str), true
}

// sortStrtod parses a weight as sort.c does with strtod: leading white
// space, a sign, decimal or hex ("0x1p3", "0x10") digits, inf/infinity;
// the whole C string must be used, and NaN, overflow and underflow
// (subnormal results, where glibc sets ERANGE) are errors. An empty string
// is 0, as strtod leaves it.
func sortStrtod(b []byte) (float64, bool) {
	s := cstr(b)
	if len(s) == 0 {
		return 0, true
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	body := s[i:]
	neg := false
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	lower := strings.ToLower(string(body))
	if lower == "inf" || lower == "infinity" {
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	var f float64
	var err error
	if strings.HasPrefix(lower, "0x") {
		h := lower[2:]
		if h == "" || !isHexFloat(h) {
			return 0, false
		}
		if !strings.Contains(h, "p") {
			h += "p0"
		}
		f, err = strconv.ParseFloat("0x"+h, 64)
	} else {
		if !isDecFloat(lower) {
			return 0, false
		}
		f, err = strconv.ParseFloat(lower, 64)
	}
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	if f != 0 && math.Abs(f) < 0x1p-1022 {
		return 0, false // subnormal: ERANGE
	}
	if f == 0 && hasNonZeroDigit(lower) {
		return 0, false // underflow to zero: ERANGE
	}
	if neg {
		f = -f
	}
	return f, true
}

// isDecFloat: digits [. digits] [e [sign] digits], with at least one
// mantissa digit.
func isDecFloat(s string) bool {
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && s[i] == 'e' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(s)
}

// isHexFloat: hex digits [. hex digits] [p [sign] digits], with at least one
// mantissa digit (what follows "0x").
func isHexFloat(s string) bool {
	isHex := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
	i, digits := 0, 0
	for i < len(s) && isHex(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isHex(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && s[i] == 'p' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(s)
}

// hasNonZeroDigit reports whether the mantissa of a number has a non-zero
// digit (so a zero result is an underflow).
func hasNonZeroDigit(s string) bool {
	if strings.HasPrefix(s, "0x") {
		s = s[2:]
		if i := strings.IndexByte(s, 'p'); i >= 0 {
			s = s[:i]
		}
	} else if i := strings.IndexByte(s, 'e'); i >= 0 {
		s = s[:i]
	}
	return strings.ContainsAny(s, "123456789abcdef")
}

// allKeysReader is a client whose ACL user may not read every key: SORT's
// BY and GET patterns are refused then, as Redis's sortCommandGeneric.
type allKeysReader interface{ CanReadAllKeys() bool }

func canReadAllKeys(c *Ctx) bool {
	r, ok := c.Client.(allKeysReader)
	return !ok || r.CanReadAllKeys()
}
