package command

import (
	"math/rand/v2"

	"github.com/shoal-db/shoal/internal/hll"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// hllSparseMax is hll-sparse-max-bytes in force: the largest sparse HLL
// string before it is promoted to dense.
func hllSparseMax(c *Ctx) int { return int(min(c.Conf().Limits.HLLSparseMaxBytes, 1<<31)) }

func registerHLL(t *Table) {
	t.Handle("pfadd", cmdPfadd)
	t.Handle("pfcount", cmdPfcount)
	t.Handle("pfmerge", cmdPfmerge)
	t.Handle("pfdebug", cmdPfdebug)
	t.Handle("pfselftest", cmdPfselftest)
}

// lookupHLL finds key's HLL string (isHLLObjectOrReply). found is false for
// a missing key; ok is false after an error reply. slot is key's slot when
// the caller knows it (Ctx.KeySlot), else -1.
func lookupHLL(c *Ctx, slot int, key []byte) (s string, found, ok bool) {
	v, found := c.DB.LookupIn(slot, key)
	if !found {
		return "", false, true
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return "", true, false
	}
	if !hll.Valid(v.Str) {
		c.Error(rediserr.HLLWrongType)
		return "", true, false
	}
	return v.Str, true, true
}

// storeHLL writes a changed sketch b back over key, keeping its TTL: into
// the old record when it fits its allocation (SetStringKeepTTL), as a
// sparse sketch growing by a few bytes at a time mostly does, so that PFADD
// on a sparse key allocates nothing (Redis's sdsMakeRoomFor grows the
// string ahead for the same reason). b may be the stored value itself (a
// PFMERGE that changed nothing): the copy is then onto itself.
func storeHLL(c *Ctx, key, b []byte) { c.DB.SetStringKeepTTL(key, b) }

// hllScratch is the stack buffer a sparse PFADD changes its sketch in: a
// sketch this small (about 100 registers set) costs no allocation but the
// stored record's.
const hllScratch = 384

func cmdPfadd(c *Ctx) {
	key := c.Args[1]
	s, found, ok := lookupHLL(c, c.KeySlot(), key)
	if !ok {
		return
	}
	if found && hll.IsDense(s) {
		// In place: a dense sketch keeps its size, and copying its 12 KB
		// for every change cost more than the change.
		eles := c.Args[2:]
		first := hll.DenseFirstChange(s, eles)
		if first < 0 {
			c.W.Int(0)
			return
		}
		updated := 0
		c.DB.MutateString(key, func(b []byte) { updated = hll.DenseAdd(b, eles[first:]) })
		if updated > 0 {
			c.Notify(NotifyString, "pfadd", key)
		}
		c.Dirty += updated
		c.W.Int(1)
		return
	}
	updated := 0
	// The sketch is held by value so that scratch stays on the stack.
	var scratch [hllScratch]byte
	var sk hll.Sketch
	if found {
		sk = *hll.FromString(s)
		sk.Scratch = scratch[:0]
	} else {
		sk = *hll.FromBytes(hll.AppendEmpty(scratch[:0]))
		updated++
	}
	maxSparse := hllSparseMax(c)
	for _, ele := range c.Args[2:] {
		var changed bool
		var err error
		sk, changed, err = sk.With(ele, maxSparse)
		if err != nil {
			// Redis changed the value in place up to here.
			if sk.Changed {
				storeHLL(c, key, sk.B)
			}
			c.Error(rediserr.HLLCorrupt)
			return
		}
		if changed {
			updated++
		}
	}
	if updated == 0 {
		c.W.Int(0)
		return
	}
	sk = sk.Invalidated()
	storeHLL(c, key, sk.B)
	c.Notify(NotifyString, "pfadd", key)
	c.Dirty += updated
	c.W.Int(1)
}

func cmdPfcount(c *Ctx) {
	if len(c.Args) > 2 {
		var max [hll.Registers]uint8
		for _, key := range c.Args[1:] {
			s, found, ok := lookupHLL(c, -1, key)
			if !ok {
				return
			}
			if !found {
				continue
			}
			if hll.MergeInto(&max, hll.FromString(s).B) != nil {
				c.Error(rediserr.HLLCorrupt)
				return
			}
		}
		c.W.Int(int64(hll.CountRaw(&max)))
		return
	}
	key := c.Args[1]
	s, found, ok := lookupHLL(c, c.KeySlot(), key)
	if !ok {
		return
	}
	if !found {
		c.W.Int(0)
		return
	}
	b := hll.FromString(s).B
	if card, valid := hll.Cached(b); valid {
		c.W.Int(int64(card))
		return
	}
	card, err := hll.Count(b)
	if err != nil {
		c.Error(rediserr.HLLCorrupt)
		return
	}
	// The cached cardinality is part of the string: updating it is a change
	// Redis propagates (PFCOUNT is read-only but may replicate). It is
	// written in place, as Redis does (the string keeps its length).
	c.DB.MutateString(key, func(b []byte) { hll.SetCached(b, card) })
	c.Dirty++
	c.W.Int(int64(card))
}

func cmdPfmerge(c *Ctx) {
	var max [hll.Registers]uint8
	useDense := false
	for _, key := range c.Args[1:] {
		s, found, ok := lookupHLL(c, -1, key)
		if !ok {
			return
		}
		if !found {
			continue
		}
		if s[4] == hll.Dense {
			useDense = true
		}
		if hll.MergeInto(&max, hll.FromString(s).B) != nil {
			c.Error(rediserr.HLLCorrupt)
			return
		}
	}
	key := c.Args[1]
	var sk *hll.Sketch
	if v, found := c.DB.Lookup(key); found {
		sk = hll.FromString(v.Str)
	} else {
		sk = hll.FromBytes(hll.NewSparse())
	}
	if useDense && sk.ToDense() != nil {
		c.Error(rediserr.HLLCorrupt)
		return
	}
	maxSparse := hllSparseMax(c)
	for i, v := range max {
		if v != 0 {
			sk.Set(i, v, maxSparse) // errors ignored, as Redis does
		}
	}
	sk.Invalidate()
	storeHLL(c, key, sk.B)
	c.Notify(NotifyString, "pfadd", key)
	c.Dirty++
	c.W.OK()
}

func cmdPfdebug(c *Ctx) {
	sub := string(c.Args[1])
	key := c.Args[2]
	s, found, ok := lookupHLL(c, c.KeySlot(), key)
	if !ok {
		return
	}
	if !found {
		c.Error(rediserr.HLLNoKey)
		return
	}
	sk := hll.FromString(s)
	switch arg := c.Args[1]; {
	case optIs(arg, "getreg"):
		if sk.Encoding() == hll.Sparse {
			if sk.ToDense() != nil {
				c.Error(rediserr.HLLCorrupt)
				return
			}
			storeHLL(c, key, sk.B)
			c.Dirty++
		}
		regs := sk.B[hll.HdrSize:]
		c.W.Array(hll.Registers)
		for i := 0; i < hll.Registers; i++ {
			c.W.Int(int64(hll.DenseGet(regs, i)))
		}
	case optIs(arg, "decode"):
		if sk.Encoding() != hll.Sparse {
			c.Error(rediserr.HLLNotSparse)
			return
		}
		c.W.Bulk(hll.Decode(sk.B))
	case optIs(arg, "encoding"):
		if sk.Encoding() == hll.Dense {
			c.W.Simple("dense")
		} else {
			c.W.Simple("sparse")
		}
	case optIs(arg, "todense"):
		conv := 0
		if sk.Encoding() == hll.Sparse {
			if sk.ToDense() != nil {
				c.Error(rediserr.HLLCorrupt)
				return
			}
			storeHLL(c, key, sk.B)
			c.Dirty++
			conv = 1
		}
		c.W.Int(int64(conv))
	default:
		c.Error(rediserr.HLLUnknownDebug(sub))
	}
}

// cmdPfselftest is PFSELFTEST: the dense register accessors, then dense and
// sparse sketches fed the same 10 million elements must agree and stay
// within the expected error.
func cmdPfselftest(c *Ctx) {
	if msg := hll.SelfTest(rand.Uint64, hllSparseMax(c)); msg != "" {
		c.Error(msg)
		return
	}
	c.W.OK()
}
