package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

func registerExpire(t *Table) {
	t.Handle("expire", func(c *Ctx) { expireGeneric(c, c.KS.NowMs(), true) })
	t.Handle("pexpire", func(c *Ctx) { expireGeneric(c, c.KS.NowMs(), false) })
	t.Handle("expireat", func(c *Ctx) { expireGeneric(c, 0, true) })
	t.Handle("pexpireat", func(c *Ctx) { expireGeneric(c, 0, false) })
	t.Handle("ttl", func(c *Ctx) { ttlGeneric(c, false, false) })
	t.Handle("pttl", func(c *Ctx) { ttlGeneric(c, true, false) })
	t.Handle("expiretime", func(c *Ctx) { ttlGeneric(c, false, true) })
	t.Handle("pexpiretime", func(c *Ctx) { ttlGeneric(c, true, true) })
	t.Handle("persist", cmdPersist)
}

// Flags of the EXPIRE family.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags reads NX XX GT LT after key and time, replying with
// Redis's error and returning ok=false when they are unknown or clash.
func parseExpireFlags(c *Ctx) (flags int, ok bool) {
	for _, a := range c.Args[3:] {
		switch {
		case strings.EqualFold(string(a), "nx"):
			flags |= expireNX
		case strings.EqualFold(string(a), "xx"):
			flags |= expireXX
		case strings.EqualFold(string(a), "gt"):
			flags |= expireGT
		case strings.EqualFold(string(a), "lt"):
			flags |= expireLT
		default:
			c.Error(rediserr.UnsupportedOption(a))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.Error(rediserr.ExpireNXCombo)
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.Error(rediserr.ExpireGTLT)
		return 0, false
	}
	return flags, true
}

// expireGeneric is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: base is the
// current time in ms for the relative forms and 0 for the absolute ones.
// A time at or before now deletes the key, as Redis does on a master.
func expireGeneric(c *Ctx, base int64, seconds bool) {
	flags, ok := parseExpireFlags(c)
	if !ok {
		return
	}
	when, ok := rnum.ParseInt(c.Args[2])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Error(rediserr.InvalidExpireIn(c.Cmd.Name))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.Error(rediserr.InvalidExpireIn(c.Cmd.Name))
		return
	}
	when += base
	key := c.Args[1]
	if !c.DB.Exists(key) {
		c.W.Int(0)
		return
	}
	if flags != 0 {
		cur := c.DB.Expire(key)
		switch {
		case flags&expireNX != 0 && cur != -1,
			flags&expireXX != 0 && cur == -1,
			// no TTL counts as an infinite one: GT never beats it
			flags&expireGT != 0 && (cur == -1 || when <= cur),
			flags&expireLT != 0 && cur != -1 && when >= cur:
			c.W.Int(0)
			return
		}
	}
	if c.alreadyExpired(when) {
		c.DB.Delete(key)
		c.propagateDel(key, true)
		c.Notify(NotifyGeneric, "del", key)
	} else {
		c.DB.SetExpire(key, when)
		// Propagated as PEXPIREAT key ms, options (NX, GT…) kept, as
		// expireGenericCommand's rewriteClientCommandArgument does.
		if c.Cmd.Name != "pexpireat" {
			var stack [8][]byte
			var num [20]byte
			argv := append(stack[:0], kwPEXPIREAT, key, strconv.AppendInt(num[:0], when, 10))
			c.Propagate(append(argv, c.Args[3:]...)...)
		}
		c.Notify(NotifyGeneric, "expire", key)
	}
	c.Dirty++
	c.W.Int(1)
}

// ttlGeneric is TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing
// key, -1 for a key without TTL; seconds are rounded to the nearest.
func ttlGeneric(c *Ctx, ms, abs bool) {
	key := c.Args[1]
	// Not an access (Redis's LOOKUP_NOTOUCH): OBJECT IDLETIME and the
	// LRU/LFU eviction see the key as it was.
	if _, ok := c.DB.Peek(key); !ok {
		c.W.Int(-2)
		return
	}
	when := c.DB.Expire(key)
	if when == -1 {
		c.W.Int(-1)
		return
	}
	ttl := when
	if !abs {
		ttl -= c.KS.NowMs()
	}
	if ttl < 0 {
		ttl = 0
	}
	if !ms {
		ttl = (ttl + 500) / 1000
	}
	c.W.Int(ttl)
}

func cmdPersist(c *Ctx) {
	key := c.Args[1]
	if c.DB.Exists(key) && c.DB.Persist(key) {
		c.Dirty++
		c.Notify(NotifyGeneric, "persist", key)
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}
