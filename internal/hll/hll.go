package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"unsafe"
)

// Sizes and encodings of Redis 7.0's HLL string (hyperloglog.c).
const (
	P         = 14             // index bits
	Q         = 64 - P         // bits left for the run of zeroes
	Registers = 1 << P         // 16384 registers
	RegBits   = 6              // bits per dense register
	RegMax    = 1<<RegBits - 1 // largest dense register value
	HdrSize   = 16             // "HYLL", encoding, 3 unused, 8 bytes cached cardinality
	DenseSize = HdrSize + (Registers*RegBits+7)/8

	Dense  = 0
	Sparse = 1

	sparseValMaxValue = 32
	sparseValMaxLen   = 4
	sparseZeroMaxLen  = 64
	sparseXZeroMaxLen = 16384

	seed = 0xadc83b19
)

// ErrCorrupt is a sparse representation whose opcodes do not cover exactly
// 16384 registers (Redis's "INVALIDOBJ Corrupted HLL object detected").
var ErrCorrupt = errors.New("corrupted HLL")

// Hash is MurmurHash64A as Redis has it (endian-neutral), with seed 0xadc83b19.
func Hash(b []byte) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	n := len(b)
	h := uint64(seed) ^ uint64(n)*m
	var tail8 []byte // the last 8 bytes, when there are 8
	if n >= 8 {
		tail8 = b[n-8:]
	}
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		b = b[8:]
	}
	if rem := len(b); rem > 0 {
		// The 1–7 bytes left, little-endian. A key of 8 bytes or more
		// has them as the top of its last 8 bytes: one load, no loop
		// whose length a branch predictor would guess.
		var k uint64
		if n >= 8 {
			k = binary.LittleEndian.Uint64(tail8) >> (64 - 8*uint(rem))
		} else {
			for i := rem - 1; i >= 0; i-- {
				k = k<<8 | uint64(b[i])
			}
		}
		h ^= k
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// PatLen is hllPatLen: the register an element maps to and the length of
// its hash's 0…01 pattern (1 ≤ count ≤ Q+1).
func PatLen(ele []byte) (index int, count uint8) {
	h := Hash(ele)
	index = int(h & (Registers - 1))
	h >>= P
	h |= 1 << Q // so the count is at most Q+1
	return index, uint8(bits.TrailingZeros64(h)) + 1
}

// Valid reports whether s is an HLL string Redis accepts
// (isHLLObjectOrReply): the magic, a known encoding, and the exact length
// for a dense one.
func Valid(s string) bool {
	if len(s) < HdrSize || s[:4] != "HYLL" || s[4] > Sparse {
		return false
	}
	return s[4] != Dense || len(s) == DenseSize
}

// emptySize is the length of an empty sparse HLL: the header and the
// XZERO opcodes covering every register.
const emptySize = HdrSize + 2*((Registers+sparseXZeroMaxLen-1)/sparseXZeroMaxLen)

// NewSparse is an empty HLL: sparse, all registers zero (XZERO opcodes),
// cached cardinality 0.
func NewSparse() []byte { return AppendEmpty(make([]byte, 0, emptySize)) }

// AppendEmpty appends an empty HLL (NewSparse's bytes) to dst.
func AppendEmpty(dst []byte) []byte {
	dst = append(dst, "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"...)
	for left := Registers; left > 0; left -= sparseXZeroMaxLen {
		dst = appendXZero(dst, min(left, sparseXZeroMaxLen))
	}
	return dst
}

// Cached returns the cached cardinality and whether it is valid (the top
// bit of the last card byte clear).
func Cached(b []byte) (uint64, bool) {
	if b[HdrSize-1]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[8:16]), true
}

// SetCached stores a valid cached cardinality.
func SetCached(b []byte, card uint64) { binary.LittleEndian.PutUint64(b[8:16], card) }

// SetCached stores a valid cached cardinality in the sketch.
func (s *Sketch) SetCached(card uint64) {
	*s = s.own(0)
	SetCached(s.B, card)
}

// invalidate marks the cached cardinality stale.
func invalidate(b []byte) { b[HdrSize-1] |= 0x80 }

// DenseGet is HLL_DENSE_GET_REGISTER on the register bytes (after the header).
func DenseGet(regs []byte, i int) uint8 {
	byt := i * RegBits / 8
	fb := uint(i*RegBits) & 7
	b0 := uint(regs[byt])
	var b1 uint
	if byt+1 < len(regs) {
		b1 = uint(regs[byt+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & RegMax)
}

// DenseSet is HLL_DENSE_SET_REGISTER.
func DenseSet(regs []byte, i int, val uint8) {
	byt := i * RegBits / 8
	fb := uint(i*RegBits) & 7
	v := uint(val)
	regs[byt] &^= byte(RegMax << fb)
	regs[byt] |= byte(v << fb)
	if byt+1 < len(regs) {
		regs[byt+1] &^= byte(RegMax >> (8 - fb))
		regs[byt+1] |= byte(v >> (8 - fb))
	}
}

// Sparse opcodes.
func isZero(c byte) bool        { return c&0xc0 == 0 }
func isXZero(c byte) bool       { return c&0xc0 == 0x40 }
func isVal(c byte) bool         { return c&0x80 != 0 }
func zeroLen(c byte) int        { return int(c&0x3f) + 1 }
func xzeroLen(p []byte) int     { return (int(p[0]&0x3f)<<8 | int(p[1])) + 1 }
func valValue(c byte) uint8     { return (c>>2)&0x1f + 1 }
func valLen(c byte) int         { return int(c&3) + 1 }
func valOp(v uint8, n int) byte { return byte((int(v)-1)<<2|(n-1)) | 0x80 }

func appendXZero(b []byte, n int) []byte {
	n--
	return append(b, byte(n>>8)|0x40, byte(n))
}

func appendZeroRun(b []byte, n int) []byte {
	if n > sparseZeroMaxLen {
		return appendXZero(b, n)
	}
	return append(b, byte(n-1))
}

// Sketch is an HLL being changed: it reads the stored string without
// copying and makes its own copy at the first write (copy-on-write: only a
// dense PFADD changes a stored string in place, through DenseAdd).
type Sketch struct {
	B       []byte
	owned   bool
	Changed bool // B differs from the string it was made from
	// Scratch, if set, is where the copy goes when it fits its capacity
	// (a caller's buffer on its stack: a small sparse sketch is then
	// changed without an allocation of its own).
	Scratch []byte
}

// FromString views s; s must be Valid.
func FromString(s string) *Sketch {
	return &Sketch{B: unsafe.Slice(unsafe.StringData(s), len(s))}
}

// FromBytes takes b as the sketch's own buffer.
func FromBytes(b []byte) *Sketch { return &Sketch{B: b, owned: true, Changed: true} }

// own is s with its own copy of B (room for extra more bytes) before its
// first change. The sketch is passed and returned by value here and below,
// so that a Scratch on the caller's stack stays there (a store through a
// *Sketch would move it to the heap).
func (s Sketch) own(extra int) Sketch {
	if !s.owned {
		if len(s.B)+extra <= cap(s.Scratch) {
			s.B = append(s.Scratch[:0], s.B...)
		} else {
			nb := make([]byte, len(s.B), len(s.B)+extra)
			copy(nb, s.B)
			s.B = nb
		}
		s.owned = true
	}
	s.Changed = true
	return s
}

// Encoding is Dense or Sparse.
func (s *Sketch) Encoding() byte { return s.B[4] }

// Add is hllAdd: it reports whether a register grew (the cardinality may
// have changed). maxSparse is hll-sparse-max-bytes.
func (s *Sketch) Add(ele []byte, maxSparse int) (bool, error) {
	i, c := PatLen(ele)
	return s.Set(i, c, maxSparse)
}

// With is Add for a sketch held by value: it returns the changed sketch
// (a Scratch buffer on the caller's stack stays on it).
func (s Sketch) With(ele []byte, maxSparse int) (Sketch, bool, error) {
	i, c := PatLen(ele)
	return s.set(i, c, maxSparse)
}

// Set raises register i to count if it is lower (hllDenseSet /
// hllSparseSet), promoting a sparse sketch to dense when the value does not
// fit a VAL opcode or the string would pass maxSparse bytes.
func (s *Sketch) Set(i int, count uint8, maxSparse int) (bool, error) {
	ns, changed, err := s.set(i, count, maxSparse)
	*s = ns
	return changed, err
}

func (s Sketch) set(i int, count uint8, maxSparse int) (Sketch, bool, error) {
	if s.B[4] == Dense {
		regs := s.B[HdrSize:]
		if DenseGet(regs, i) >= count {
			return s, false, nil
		}
		s = s.own(0)
		DenseSet(s.B[HdrSize:], i, count)
		return s, true, nil
	}
	return s.sparseSet(i, count, maxSparse)
}

func (s Sketch) sparseSet(index int, count uint8, maxSparse int) (Sketch, bool, error) {
	if count > sparseValMaxValue {
		return s.promote(index, count)
	}
	// Step 1: find the opcode covering index.
	b := s.B
	end := len(b)
	p := HdrSize
	first, span, prev := 0, 0, -1
	for p < end {
		oplen := 1
		switch c := b[p]; {
		case isZero(c):
			span = zeroLen(c)
		case isVal(c):
			span = valLen(c)
		default:
			if p+1 >= end { // XZERO cut short: Redis reads the sds terminator (0)
				span = (int(c&0x3f) << 8) + 1
			} else {
				span = xzeroLen(b[p:])
			}
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return s, false, ErrCorrupt
	}
	op := b[p]
	zero, xzero := isZero(op), isXZero(op)
	var runlen int
	switch {
	case zero:
		runlen = zeroLen(op)
	case xzero:
		runlen = span
	default:
		runlen = valLen(op)
		if valValue(op) >= count {
			return s, false, nil // case A
		}
	}
	if runlen == 1 && !xzero {
		// Cases B and C: a one-register VAL or ZERO becomes VAL(count,1).
		s = s.own(3)
		s.B[p] = valOp(count, 1)
		s.B = mergeVals(s.B, prev)
		return s, true, nil
	}
	// Case D: split the opcode.
	var seqBuf [5]byte
	seq := seqBuf[:0]
	last := first + span - 1
	if zero || xzero {
		if index != first {
			seq = appendZeroRun(seq, index-first)
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = appendZeroRun(seq, last-index)
		}
	} else {
		cur := valValue(op)
		if index != first {
			seq = append(seq, valOp(cur, index-first))
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = append(seq, valOp(cur, last-index))
		}
	}
	oldlen := 1
	if xzero {
		oldlen = 2
	}
	delta := len(seq) - oldlen
	if delta > 0 && len(b)+delta > maxSparse {
		return s.promote(index, count)
	}
	s = s.own(8)
	nb := s.B
	if delta > 0 {
		nb = append(nb, make([]byte, delta)...)
	}
	next := p + oldlen
	if next > end {
		next = end
	}
	copy(nb[next+delta:], nb[next:end])
	nb = nb[:end+delta]
	copy(nb[p:], seq)
	s.B = mergeVals(nb, prev)
	return s, true, nil
}

// mergeVals is step 4 of hllSparseSet: from the opcode before the change,
// merge up to five adjacent VAL opcodes of equal value, then invalidate the
// cached cardinality. It returns b shortened by the merges.
func mergeVals(b []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = HdrSize
	}
	end := len(b)
	for scan := 5; p < end && scan > 0; scan-- {
		c := b[p]
		if isXZero(c) {
			p += 2
			continue
		}
		if isZero(c) {
			p++
			continue
		}
		if p+1 < end && isVal(b[p+1]) {
			v1, v2 := valValue(c), valValue(b[p+1])
			if v1 == v2 {
				if n := valLen(c) + valLen(b[p+1]); n <= sparseValMaxLen {
					b[p+1] = valOp(v1, n)
					copy(b[p:], b[p+1:end])
					end--
					b = b[:end]
					continue
				}
			}
		}
		p++
	}
	invalidate(b)
	return b
}

func (s Sketch) promote(index int, count uint8) (Sketch, bool, error) {
	s, err := s.toDense()
	if err != nil {
		return s, false, err
	}
	DenseSet(s.B[HdrSize:], index, count)
	return s, true, nil
}

// ToDense is hllSparseToDense (nothing to do when already dense); the
// header (magic and cached cardinality) is kept.
func (s *Sketch) ToDense() error {
	ns, err := s.toDense()
	*s = ns
	return err
}

func (s Sketch) toDense() (Sketch, error) {
	if s.B[4] == Dense {
		return s, nil
	}
	d := make([]byte, DenseSize)
	copy(d, s.B[:HdrSize])
	d[4] = Dense
	regs := d[HdrSize:]
	idx := 0
	err := walkSparse(s.B[HdrSize:], func(start, n int, v uint8) bool {
		if v == 0 {
			return true
		}
		if start+n > Registers {
			return false
		}
		for j := start; j < start+n; j++ {
			DenseSet(regs, j, v)
		}
		return true
	}, &idx)
	if err != nil || idx != Registers {
		return s, ErrCorrupt
	}
	s.B, s.owned, s.Changed = d, true, true
	return s, nil
}

// walkSparse calls fn for each opcode (first register, run length, value)
// until fn returns false; *idx ends at the number of registers covered.
func walkSparse(b []byte, fn func(start, n int, v uint8) bool, idx *int) error {
	i := 0
	for p := 0; p < len(b); {
		c := b[p]
		var n int
		var v uint8
		switch {
		case isZero(c):
			n = zeroLen(c)
			p++
		case isXZero(c):
			lo := 0
			if p+1 < len(b) {
				lo = int(b[p+1])
			}
			n = (int(c&0x3f)<<8 | lo) + 1
			p += 2
		default:
			n, v = valLen(c), valValue(c)
			p++
		}
		if !fn(i, n, v) {
			break
		}
		i += n
	}
	*idx = i
	return nil
}

// MergeInto raises max[i] to each register of s (hllMerge).
func MergeInto(max *[Registers]uint8, b []byte) error {
	if b[4] == Dense {
		regs := b[HdrSize:]
		for i := 0; i < Registers; i++ {
			if v := DenseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return nil
	}
	idx := 0
	ok := true
	walkSparse(b[HdrSize:], func(start, n int, v uint8) bool {
		if v == 0 {
			return true
		}
		if start+n > Registers {
			ok = false
			return false
		}
		for j := start; j < start+n; j++ {
			if v > max[j] {
				max[j] = v
			}
		}
		return true
	}, &idx)
	if !ok || idx != Registers {
		return ErrCorrupt
	}
	return nil
}

// Count is hllCount for a stored HLL: the estimate, or ErrCorrupt when a
// sparse representation does not cover the registers exactly.
func Count(b []byte) (uint64, error) {
	var histo [64]int
	if b[4] == Dense {
		regs := b[HdrSize:]
		for i := 0; i < Registers; i++ {
			histo[DenseGet(regs, i)]++
		}
	} else {
		idx := 0
		walkSparse(b[HdrSize:], func(_, n int, v uint8) bool {
			histo[v] += n
			return true
		}, &idx)
		if idx != Registers {
			return 0, ErrCorrupt
		}
	}
	return estimate(&histo), nil
}

// CountRaw is hllCount over one byte per register (PFCOUNT of several keys).
func CountRaw(regs *[Registers]uint8) uint64 {
	var histo [64]int
	for _, v := range regs {
		histo[v&63]++
	}
	return estimate(&histo)
}

// estimate is Ertl's improved estimator, as hllCount computes it.
func estimate(histo *[64]int) uint64 {
	const m = float64(Registers)
	z := m * tau((m-float64(histo[Q+1]))/m)
	for j := Q; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * sigma(float64(histo[0])/m)
	const alphaInf = 0.721347520444481703680
	return uint64(math.Round(float64(alphaInf*m*m) / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x *= x
		zp := z
		z += float64(x * y)
		y += y
		if zp == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zp == z {
			return z / 3
		}
	}
}

// Invalidate marks the sketch's cached cardinality stale.
func (s *Sketch) Invalidate() { *s = s.Invalidated() }

// Invalidated is Invalidate for a sketch held by value.
func (s Sketch) Invalidated() Sketch {
	if s.B[HdrSize-1]&0x80 == 0 {
		s = s.own(0)
		invalidate(s.B)
	}
	return s
}

// Decode is PFDEBUG DECODE's text for a sparse HLL: "z:N", "Z:N" and
// "v:VALUE,N" for each opcode, space separated.
func Decode(b []byte) []byte {
	var out []byte
	p := b[HdrSize:]
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case isZero(c):
			out = append(out, "z:"...)
			out = strconv.AppendInt(out, int64(zeroLen(c)), 10)
			i++
		case isXZero(c):
			lo := 0
			if i+1 < len(p) {
				lo = int(p[i+1])
			}
			out = append(out, "Z:"...)
			out = strconv.AppendInt(out, int64(int(c&0x3f)<<8|lo)+1, 10)
			i += 2
		default:
			out = append(out, "v:"...)
			out = strconv.AppendInt(out, int64(valValue(c)), 10)
			out = append(out, ',')
			out = strconv.AppendInt(out, int64(valLen(c)), 10)
			i++
		}
		out = append(out, ' ')
	}
	if len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}

// IsDense reports whether the Valid string s is a dense sketch.
func IsDense(s string) bool { return s[4] == Dense }

// DenseFirstChange is the index of the first of eles that would raise a
// register of the dense sketch s, or -1 when none would (PFADD then
// changes nothing, and must not touch the key).
func DenseFirstChange(s string, eles [][]byte) int {
	regs := unsafe.Slice(unsafe.StringData(s[HdrSize:]), len(s)-HdrSize)
	for k, ele := range eles {
		if i, c := PatLen(ele); DenseGet(regs, i) < c {
			return k
		}
	}
	return -1
}

// DenseAdd adds eles to the dense sketch b in place and returns how many
// raised a register; if any did, the cached cardinality is marked stale.
func DenseAdd(b []byte, eles [][]byte) int {
	regs := b[HdrSize:]
	n := 0
	for _, ele := range eles {
		if i, c := PatLen(ele); DenseGet(regs, i) < c {
			DenseSet(regs, i, c)
			n++
		}
	}
	if n > 0 {
		invalidate(b)
	}
	return n
}
