package command

import (
	"math"
	"math/bits"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// The bitmap commands (Redis bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP
// BITFIELD BITFIELD_RO. Bit 0 is the most significant bit of byte 0.

func registerBits(t *Table) {
	t.Handle("setbit", cmdSetbit)
	t.Handle("getbit", cmdGetbit)
	t.Handle("bitcount", cmdBitcount)
	t.Handle("bitpos", cmdBitpos)
	t.Handle("bitop", cmdBitop)
	t.Handle("bitfield", func(c *Ctx) { bitfieldGeneric(c, false) })
	t.Handle("bitfield_ro", func(c *Ctx) { bitfieldGeneric(c, true) })
}

// bitOffset parses a bit offset as getBitOffsetFromArgument: a
// non-negative integer whose byte lies under proto-max-bulk-len; with
// hashBits > 0 (BITFIELD) "#n" means n*hashBits.
func bitOffset(c *Ctx, arg []byte, hashBits int) (uint64, bool) {
	useHash := hashBits > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	off, ok := rnum.ParseInt(arg)
	if ok && useHash {
		off *= int64(hashBits) // wraps as in Redis; caught below if negative
	}
	if !ok || off < 0 || off>>3 >= c.Conf().ProtoMaxBulkLen {
		c.Error(rediserr.BitOffset)
		return 0, false
	}
	return uint64(off), true
}

// stringForBits returns key's string value, replying WRONGTYPE (ok false)
// when the key holds another type.
func stringForBits(c *Ctx) (old string, found, ok bool) {
	v, found := c.DB.Lookup(c.Args[1])
	if found && v.Obj != nil {
		c.Error(wrongType)
		return "", false, false
	}
	return v.Str, found, true
}

func cmdSetbit(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2], 0)
	if !ok {
		return
	}
	on, ok := rnum.ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Error(rediserr.BitValue)
		return
	}
	old, found, ok := stringForBits(c)
	if !ok {
		return
	}
	byteIdx := int(off >> 3)
	shift := 7 - uint(off&7)
	var oldBit int64
	if byteIdx < len(old) {
		oldBit = int64(old[byteIdx]>>shift) & 1
	}
	grows := byteIdx >= len(old)
	if !found || grows || oldBit != on {
		c.DB.SetStringFunc(c.Args[1], max(len(old), byteIdx+1), true, func(dst []byte) {
			copy(dst, old)
			dst[byteIdx] = dst[byteIdx]&^(1<<shift) | byte(on)<<shift
		})
		c.Notify(NotifyString, "setbit", c.Args[1])
		c.Dirty++
	}
	c.W.Int(oldBit)
}

func cmdGetbit(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2], 0)
	if !ok {
		return
	}
	v, found := c.DB.Lookup(c.Args[1])
	if !found {
		c.W.Int(0)
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	byteIdx := off >> 3
	if byteIdx < uint64(len(v.Str)) {
		c.W.Int(int64(v.Str[byteIdx]>>(7-off&7)) & 1)
		return
	}
	c.W.Int(0)
}

// bitRangeUnit reads the optional BYTE|BIT argument; false after a syntax error.
func bitRangeUnit(c *Ctx, arg []byte) (isBit, ok bool) {
	switch {
	case optIs(arg, "bit"):
		return true, true
	case optIs(arg, "byte"):
		return false, true
	}
	c.Error(rediserr.Syntax)
	return false, false
}

// clampRange normalizes [start, end] over a length of n units as
// BITCOUNT/BITPOS do: negatives count from the end, then both are clamped.
func clampRange(start, end, n int64) (int64, int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	return start, end
}

func cmdBitcount(c *Ctx) {
	// Redis 7.0 looks the key up before parsing the range: a missing key is
	// 0 whatever the arguments.
	v, found := c.DB.Lookup(c.Args[1])
	if !found {
		c.W.Int(0)
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	s := v.Str
	argc := len(c.Args)
	var startBit, endBit int64
	switch argc {
	case 2:
		startBit, endBit = 0, int64(len(s))*8-1
	case 4, 5:
		start, ok := intArg(c, c.Args[2], rediserr.NotInteger)
		if !ok {
			return
		}
		end, ok := intArg(c, c.Args[3], rediserr.NotInteger)
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return
		}
		isBit := false
		if argc == 5 {
			if isBit, ok = bitRangeUnit(c, c.Args[4]); !ok {
				return
			}
		}
		if isBit {
			startBit, endBit = clampRange(start, end, int64(len(s))*8)
		} else {
			start, end = clampRange(start, end, int64(len(s)))
			startBit, endBit = start*8, end*8+7
			if start > end {
				startBit, endBit = 1, 0
			}
		}
	default:
		c.Error(rediserr.Syntax)
		return
	}
	if startBit > endBit {
		c.W.Int(0)
		return
	}
	c.W.Int(popcountBits(s, startBit, endBit))
}

// popcountBits counts the set bits of s from bit first to bit last, inclusive.
func popcountBits(s string, first, last int64) int64 {
	fb, lb := first>>3, last>>3
	if fb == lb {
		m := byte(0xff>>uint(first&7)) & byte(0xff<<uint(7-last&7))
		return int64(bits.OnesCount8(s[fb] & m))
	}
	n := bits.OnesCount8(s[fb] & byte(0xff>>uint(first&7)))
	n += bits.OnesCount8(s[lb] & byte(0xff<<uint(7-last&7)))
	i := fb + 1
	for ; i+8 <= lb; i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		n += bits.OnesCount64(w)
	}
	for ; i < lb; i++ {
		n += bits.OnesCount8(s[i])
	}
	return int64(n)
}

func cmdBitpos(c *Ctx) {
	bit, ok := intArg(c, c.Args[2], rediserr.NotInteger)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Error(rediserr.BitArgument)
		return
	}
	v, found := c.DB.Lookup(c.Args[1])
	if !found {
		// a missing key is an endless run of zeros
		if bit == 1 {
			c.W.Int(-1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	s := v.Str
	n := int64(len(s))
	argc := len(c.Args)
	endGiven := false
	var startBit, endBit int64
	switch argc {
	case 3:
		startBit, endBit = 0, n*8-1
	case 4, 5, 6:
		start, ok := intArg(c, c.Args[3], rediserr.NotInteger)
		if !ok {
			return
		}
		isBit := false
		if argc == 6 {
			if isBit, ok = bitRangeUnit(c, c.Args[5]); !ok {
				return
			}
		}
		var end int64
		if argc >= 5 {
			if end, ok = intArg(c, c.Args[4], rediserr.NotInteger); !ok {
				return
			}
			endGiven = true
		} else if isBit {
			end = n*8 + 7
		} else {
			end = n - 1
		}
		if isBit {
			startBit, endBit = clampRange(start, end, n*8)
		} else {
			start, end = clampRange(start, end, n)
			startBit, endBit = start*8, end*8+7
			if start > end {
				startBit, endBit = 1, 0
			}
		}
	default:
		c.Error(rediserr.Syntax)
		return
	}
	if startBit > endBit {
		c.W.Int(-1)
		return
	}
	if pos := findBit(s, startBit, endBit, byte(bit)); pos >= 0 {
		c.W.Int(pos)
		return
	}
	// Looking for a clear bit with no explicit end, the string counts as
	// zero-padded: the answer is the first bit past it.
	if bit == 0 && !endGiven {
		c.W.Int((endBit | 7) + 1)
		return
	}
	c.W.Int(-1)
}

// findBit returns the first bit in [first, last] of s equal to bit, or -1.
func findBit(s string, first, last int64, bit byte) int64 {
	skip := byte(0) // a byte with no wanted bit
	if bit == 0 {
		skip = 0xff
	}
	for i := first; i <= last; {
		if i&7 == 0 && i+7 <= last && s[i>>3] == skip {
			i += 8
			continue
		}
		if (s[i>>3]>>(7-uint(i&7)))&1 == bit {
			return i
		}
		i++
	}
	return -1
}

func cmdBitop(c *Ctx) {
	const (
		opAnd = iota
		opOr
		opXor
		opNot
	)
	var op int
	name := c.Args[1]
	switch {
	case optIs(name, "and"):
		op = opAnd
	case optIs(name, "or"):
		op = opOr
	case optIs(name, "xor"):
		op = opXor
	case optIs(name, "not"):
		op = opNot
	default:
		c.Error(rediserr.Syntax)
		return
	}
	if op == opNot && len(c.Args) != 4 {
		c.Error(rediserr.BitopNotSingle)
		return
	}
	srcKeys := c.Args[3:]
	var stack [8]string
	srcs := stack[:0]
	maxLen := 0
	for _, k := range srcKeys {
		v, found := c.DB.Lookup(k)
		if found && v.Obj != nil {
			c.Error(wrongType)
			return
		}
		srcs = append(srcs, v.Str) // missing keys are empty strings
		maxLen = max(maxLen, len(v.Str))
	}
	dest := c.Args[2]
	if maxLen == 0 {
		if c.DB.Delete(dest) {
			c.Notify(NotifyGeneric, "del", dest)
			c.Dirty++
		}
		c.W.Int(0)
		return
	}
	c.DB.SetStringFunc(dest, maxLen, false, func(dst []byte) {
		copy(dst, srcs[0])
		if op == opNot {
			for i := range dst {
				dst[i] = ^dst[i]
			}
			return
		}
		for _, s := range srcs[1:] {
			switch op {
			case opAnd:
				for i := range dst {
					if i < len(s) {
						dst[i] &= s[i]
					} else {
						dst[i] = 0
					}
				}
			case opOr:
				for i := 0; i < len(s); i++ {
					dst[i] |= s[i]
				}
			case opXor:
				for i := 0; i < len(s); i++ {
					dst[i] ^= s[i]
				}
			}
		}
	})
	c.Notify(NotifyString, "set", dest)
	c.Dirty++
	c.W.Int(int64(maxLen))
}

// BITFIELD overflow behaviours.
const (
	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	offset uint64
	value  int64
	write  bool // SET or INCRBY
	incr   bool
	ow     int
	bits   uint
	signed bool
}

// bitfieldType parses "i<n>" (1..64) or "u<n>" (1..63).
func bitfieldType(c *Ctx, arg []byte) (signed bool, nbits uint, ok bool) {
	arg = cstr(arg)
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		c.Error(rediserr.BitfieldType)
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := rnum.ParseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.Error(rediserr.BitfieldType)
		return false, 0, false
	}
	return signed, uint(n), true
}

func bitfieldGeneric(c *Ctx, readOnly bool) {
	var stack [8]bitfieldOp
	ops := stack[:0]
	ow := bfWrap
	writes := false
	var highest uint64
	args := c.Args
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := args[j]
		var op bitfieldOp
		switch {
		case optIs(sub, "get") && rem >= 2:
		case optIs(sub, "set") && rem >= 3:
			op.write = true
		case optIs(sub, "incrby") && rem >= 3:
			op.write, op.incr = true, true
		case optIs(sub, "overflow") && rem >= 1:
			j++
			switch {
			case optIs(args[j], "wrap"):
				ow = bfWrap
			case optIs(args[j], "sat"):
				ow = bfSat
			case optIs(args[j], "fail"):
				ow = bfFail
			default:
				c.Error(rediserr.BitfieldOverflow)
				return
			}
			continue
		default:
			c.Error(rediserr.Syntax)
			return
		}
		var ok bool
		if op.signed, op.bits, ok = bitfieldType(c, args[j+1]); !ok {
			return
		}
		if op.offset, ok = bitOffset(c, args[j+2], int(op.bits)); !ok {
			return
		}
		if op.write {
			writes = true
			highest = max(highest, op.offset+uint64(op.bits)-1)
			if op.value, ok = intArg(c, args[j+3], rediserr.NotInteger); !ok {
				return
			}
			j += 3
		} else {
			j += 2
		}
		op.ow = ow
		ops = append(ops, op)
	}

	if writes && readOnly {
		c.Error(rediserr.BitfieldROWrite)
		return
	}
	key := c.Args[1]
	v, found := c.DB.Lookup(key)
	if found && v.Obj != nil {
		c.Error(wrongType)
		return
	}
	c.W.Array(len(ops))
	if !writes {
		for i := range ops {
			bitfieldGet(c, v.Str, &ops[i])
		}
		return
	}
	old := v.Str
	size := max(len(old), int(highest>>3)+1)
	// Redis counts a change (dirty, the event, the write reaching the
	// stream) for a SET or INCRBY that changed its field, or for every
	// one when the key is new or grew. When none would, the string is only
	// read: the fields are read from it as they stand.
	grown := !found || size > len(old)
	if !grown && !bitfieldWouldChange(stringBytes(old), ops) {
		bitfieldRun(c, stringBytes(old), ops, false, false)
		return
	}
	changes := 0
	c.DB.SetStringFunc(key, size, true, func(buf []byte) {
		copy(buf, old)
		changes = bitfieldRun(c, buf, ops, true, grown)
	})
	if changes > 0 {
		c.Notify(NotifyString, "setbit", key)
	}
	c.Dirty += changes
}

// bitfieldWouldChange reports whether one of the writes of ops changes
// its field of buf: until one does, buf stays as it is, so reading each
// field from it as it stands is exact.
func bitfieldWouldChange(buf []byte, ops []bitfieldOp) bool {
	for i := range ops {
		if op := &ops[i]; op.write {
			if oldv, newv, _, fail := bitfieldStep(buf, op); !fail && newv != oldv {
				return true
			}
		}
	}
	return false
}

// bitfieldStep is one SET or INCRBY on buf, not applied: the field's old
// and new bits, the reply, and whether OVERFLOW FAIL refuses it.
func bitfieldStep(buf []byte, op *bitfieldOp) (oldv, newv uint64, ret int64, fail bool) {
	var overflow bool
	if op.signed {
		o := getSignedBits(buf, op.offset, op.bits)
		var n, wrapped int64
		if op.incr {
			overflow, wrapped = signedOverflow(o, op.value, op.bits, op.ow)
			n = o + op.value
			if overflow {
				n = wrapped
			}
			ret = n
		} else {
			n = op.value
			overflow, wrapped = signedOverflow(n, 0, op.bits, op.ow)
			if overflow {
				n = wrapped
			}
			ret = o
		}
		// Compared as the field's bits: setBits keeps the low op.bits.
		mask := uint64(math.MaxUint64) >> (64 - op.bits)
		return uint64(o) & mask, uint64(n) & mask, ret, overflow && op.ow == bfFail
	}
	o := getBits(buf, op.offset, op.bits)
	var n, wrapped uint64
	if op.incr {
		n = o + uint64(op.value)
		overflow, wrapped = unsignedOverflow(o, op.value, op.bits, op.ow)
		if overflow {
			n = wrapped
		}
		ret = int64(n)
	} else {
		n = uint64(op.value)
		overflow, wrapped = unsignedOverflow(n, 0, op.bits, op.ow)
		if overflow {
			n = wrapped
		}
		ret = int64(o)
	}
	return o, n, ret, overflow && op.ow == bfFail
}

// bitfieldRun replies to each of ops on buf, in order, writing the SETs
// and INCRBYs when write is set; it returns the changes Redis counts: the
// writes that changed their field, or every write when grown.
func bitfieldRun(c *Ctx, buf []byte, ops []bitfieldOp, write, grown bool) int {
	changes := 0
	for i := range ops {
		op := &ops[i]
		if !op.write {
			bitfieldGet(c, buf, op)
			continue
		}
		oldv, newv, ret, fail := bitfieldStep(buf, op)
		if fail {
			c.W.Null()
			continue
		}
		c.W.Int(ret)
		if write {
			setBits(buf, op.offset, op.bits, newv)
		}
		if grown || oldv != newv {
			changes++
		}
	}
	return changes
}

// bitfieldGet replies with the field op reads from s (zero past its end).
func bitfieldGet[T string | []byte](c *Ctx, s T, op *bitfieldOp) {
	var buf [9]byte
	byteIdx := op.offset >> 3
	for i := uint64(0); i < 9 && byteIdx+i < uint64(len(s)); i++ {
		buf[i] = s[byteIdx+i]
	}
	off := op.offset - byteIdx*8
	if op.signed {
		c.W.Int(getSignedBits(buf[:], off, op.bits))
	} else {
		c.W.Int(int64(getBits(buf[:], off, op.bits)))
	}
}

func getBits(p []byte, offset uint64, n uint) uint64 {
	var v uint64
	for ; n > 0; n-- {
		v = v<<1 | uint64(p[offset>>3]>>(7-offset&7))&1
		offset++
	}
	return v
}

func getSignedBits(p []byte, offset uint64, n uint) int64 {
	v := getBits(p, offset, n)
	if n < 64 && v&(1<<(n-1)) != 0 {
		v |= math.MaxUint64 << n
	}
	return int64(v)
}

func setBits(p []byte, offset uint64, n uint, v uint64) {
	for j := uint(0); j < n; j++ {
		bit := (v >> (n - 1 - j)) & 1
		idx, shift := offset>>3, 7-offset&7
		p[idx] = p[idx]&^(1<<shift) | byte(bit)<<shift
		offset++
	}
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: whether
// value+incr leaves an n-bit unsigned field, and the value WRAP or SAT
// stores instead.
func unsignedOverflow(value uint64, incr int64, n uint, ow int) (bool, uint64) {
	maxv := uint64(1)<<n - 1
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	var limit uint64
	switch {
	case value > maxv || (incr > 0 && incr > maxIncr):
		limit = maxv
	case incr < 0 && incr < minIncr:
		limit = 0
	default:
		return false, 0
	}
	if ow == bfWrap {
		limit = (value + uint64(incr)) &^ (math.MaxUint64 << n)
	}
	return true, limit
}

// signedOverflow is Redis's checkSignedBitfieldOverflow.
func signedOverflow(value, incr int64, n uint, ow int) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if n != 64 {
		maxv = 1<<(n-1) - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value
	var limit int64
	switch {
	case value > maxv || (n != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		limit = maxv
	case value < minv || (n != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		limit = minv
	default:
		return false, 0
	}
	if ow == bfWrap {
		r := uint64(value) + uint64(incr)
		if n < 64 {
			if r&(1<<(n-1)) != 0 {
				r |= math.MaxUint64 << n
			} else {
				r &^= math.MaxUint64 << n
			}
		}
		limit = int64(r)
	}
	return true, limit
}
