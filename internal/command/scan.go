package command

import (
	"strings"
	"unsafe"

	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/slot"
)

func registerScan(t *Table) {
	t.Handle("keys", cmdKeys).LockAll = true
	t.Handle("scan", cmdScan).LockAll = true
}

// stringBytes views s as bytes for read-only use (glob matching).
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// patternSlot returns the one slot every key matching pattern hashes to,
// or -1. That is so when the pattern begins with literal text holding a
// non-empty hash tag ("{user1}:*", "a{x}b*"): every matching key then has
// the same first "{…}" and so the same slot.
func patternSlot(p []byte) int {
	open := -1
	for i, ch := range p {
		switch ch {
		case '*', '?', '[', '\\':
			return -1
		case '{':
			if open < 0 {
				open = i
			}
		case '}':
			if open >= 0 {
				if i == open+1 {
					return -1 // "{}": Redis hashes the whole key
				}
				return slot.Of(p[:i+1])
			}
		}
	}
	return -1
}

// keyFilter is what KEYS and SCAN keep of a key: a MATCH pattern (nil for
// all) and a TYPE name ("" for any).
type keyFilter struct {
	pattern []byte
	typ     string
}

func (f *keyFilter) keep(k string, v keyspace.Value) bool {
	if f.pattern != nil && !glob.Match(f.pattern, stringBytes(k), false) {
		return false
	}
	return f.typ == "" || strings.EqualFold(f.typ, v.Kind().String())
}

// cmdKeys is KEYS pattern (LockAll), in slot order.
func cmdKeys(c *Ctx) {
	f := keyFilter{pattern: c.Args[1]}
	if string(f.pattern) == "*" {
		f.pattern = nil
	}
	var keys []string
	collect := func(k string, v keyspace.Value) bool {
		if f.keep(k, v) {
			keys = append(keys, k)
		}
		return true
	}
	if s := patternSlot(c.Args[1]); s >= 0 {
		c.DB.ForEachInSlot(s, collect)
	} else {
		for s := c.DB.NextNonEmptySlot(0); s >= 0; s = c.DB.NextNonEmptySlot(s + 1) {
			c.DB.ForEachInSlot(s, collect)
		}
	}
	writeKeys(c, keys)
}

func writeKeys(c *Ctx, keys []string) {
	c.W.Array(len(keys))
	for _, k := range keys {
		if c.ReplyOverLimit() {
			return // the client is closed; nothing of this is sent
		}
		c.W.BulkString(k)
	}
}

// parseScanCursor reads a cursor as Redis does (strtoul, base 10, no leading
// space, nothing after the digits, no overflow; a leading '-' wraps around
// and an empty cursor is 0).
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i = 1
	}
	if i == len(b) {
		return 0, false
	}
	var u uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if u > (^uint64(0)-uint64(d-'0'))/10 {
			return 0, false
		}
		u = u*10 + uint64(d-'0')
	}
	if neg {
		u = -u
	}
	return u, true
}

// scanDefaultCount is SCAN's COUNT when none is given.
const scanDefaultCount = 10

// cmdScan is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (LockAll).
//
// The cursor is a slot index: each call returns every live key of whole
// slots, from the cursor's slot on, until about COUNT keys were examined,
// and the next slot to visit is the next cursor (0 when none is left).
// A slot is never split between calls, so a key present for the whole scan
// is returned exactly once, however the keyspace changes in between. A
// cursor past the last slot ends the scan.
func cmdScan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[1])
	if !ok {
		c.Error(rediserr.InvalidCursor)
		return
	}
	count := int64(scanDefaultCount)
	var f keyFilter
	fixedSlot := -1
	for j := 2; j < len(c.Args); j++ {
		opt := string(c.Args[j])
		more := j+1 < len(c.Args)
		switch {
		case more && strings.EqualFold(opt, "count"):
			n, ok := rnum.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(rediserr.NotInteger)
				return
			}
			if n < 1 {
				c.Error(rediserr.Syntax)
				return
			}
			count = n
		case more && strings.EqualFold(opt, "match"):
			f.pattern = c.Args[j+1]
			fixedSlot = patternSlot(f.pattern)
			if string(f.pattern) == "*" {
				f.pattern = nil
			}
		case more && strings.EqualFold(opt, "type"):
			f.typ = string(c.Args[j+1])
		default:
			c.Error(rediserr.Syntax)
			return
		}
		j++
	}
	var keys []string
	examined := int64(0)
	collect := func(k string, v keyspace.Value) bool {
		examined++
		if f.keep(k, v) {
			keys = append(keys, k)
		}
		return true
	}
	next := 0
	switch {
	case cursor >= slot.Count:
	case fixedSlot >= 0:
		if int(cursor) <= fixedSlot {
			c.DB.ExpireStale(fixedSlot)
			c.DB.ForEachInSlot(fixedSlot, collect)
		}
	default:
		for s := int(cursor); ; {
			s = c.DB.NextNonEmptySlot(s)
			if s < 0 {
				break
			}
			c.DB.ExpireStale(s) // SCAN expires the keys it visits
			c.DB.ForEachInSlot(s, collect)
			s++
			if examined >= count {
				if c.DB.NextNonEmptySlot(s) >= 0 {
					next = s
				}
				break
			}
		}
	}
	c.W.Array(2)
	c.W.BulkInt(int64(next))
	writeKeys(c, keys)
}
