package rdb

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// LZF, as liblzf 3.6 compresses it with Redis's settings (src/lzfP.h: HLOG
// 16, VERY_FAST, no ULTRA_FAST). The compressed format is:
//
//	000LLLLL <L+1 bytes>          literal run of 1..32 bytes
//	LLLooooo oooooooo             back reference, length L+2 (3..8), offset o+1
//	111ooooo LLLLLLLL oooooooo    back reference, length L+9, offset o+1
//
// lzfCompress follows liblzf's matching choices step by step so that its
// output is byte-identical to Redis's for the same input (with one caveat:
// liblzf leaves its hash table uninitialised, so a stale slot can in rare
// cases make Redis pick a different, equally valid match).

const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
)

// lzfIdx is liblzf's IDX for VERY_FAST.
func lzfIdx(h uint32) uint32 { return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1) }

// lzfTable is the compressor's hash table. Slots hold base+position+1 of
// the call that wrote them; a slot below the current call's base is from
// an earlier call and counts as empty, so the 256 KB table is cleared only
// when base wraps, not on every call (liblzf's result with a zeroed table).
type lzfTable struct {
	slot [lzfHSize]uint32
	base uint32
}

// begin starts a call over n input bytes and returns its base.
func (h *lzfTable) begin(n int) uint32 {
	if uint64(h.base)+uint64(n)+2 >= 1<<32 || h.base == 0 {
		clear(h.slot[:])
		h.base = 1
	}
	b := h.base
	h.base += uint32(n) + 1
	return b
}

// lzfCompress compresses in into out (whose length is the most it may
// write) and returns the compressed length, or 0 when the result does not
// fit (lzf_compress's contract).
func lzfCompress(in, out []byte, htab *lzfTable) int {
	inLen, outLen := len(in), len(out)
	if inLen == 0 || outLen == 0 {
		return 0
	}
	// The loop reads in and writes out through unchecked accesses: every
	// index is checked by the loop's own conditions (ip < inLen-2 for the
	// reads, op < outLen before each write), which the compiler cannot
	// prove, and the bounds checks cost ~20 % on literal-heavy input.
	pin, pout := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	at := func(i int) byte { return *(*byte)(unsafe.Add(pin, i)) }
	put := func(i int, b byte) { *(*byte)(unsafe.Add(pout, i)) = b }
	base := htab.begin(inLen)
	ip, op := 0, 0
	lit := 0
	op++ // start run
	var hval uint32
	if inLen >= 2 {
		hval = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip < inLen-2 {
		hval = hval<<8 | uint32(at(ip+2))
		slot := &htab.slot[lzfIdx(hval)]
		// A slot from an earlier call (below base) gives ref < 0.
		ref := int(*slot) - int(base)
		*slot = base + uint32(ip)
		// The 3 bytes at ip are hval's low 24 bits, first byte highest;
		// the 4 bytes at ref < ip are within in.
		if ref > 0 && ref < ip && ip-ref-1 < lzfMaxOff &&
			(*(*uint32)(unsafe.Add(pin, ref))^bits.ReverseBytes32(hval<<8))&0xFFFFFF == 0 {
			off := ip - ref - 1
			l := 2
			maxlen := inLen - ip - l
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			if op+3+1 >= outLen {
				nl := 0
				if lit == 0 {
					nl = 1
				}
				if op-nl+3+1 >= outLen {
					return 0
				}
			}
			put(op-lit-1, byte(lit-1))
			if lit == 0 {
				op--
			}
			if maxlen > 16 {
				// lzfMatchLen's answer for matches that end within 19
				// bytes, without the call (maxlen > 16: 19 bytes of in
				// follow ip, and ref < ip).
				if x := *(*uint64)(unsafe.Add(pin, ref+3)) ^ *(*uint64)(unsafe.Add(pin, ip+3)); x != 0 {
					l = 1 + bits.TrailingZeros64(x)>>3
				} else if x := *(*uint64)(unsafe.Add(pin, ref+11)) ^ *(*uint64)(unsafe.Add(pin, ip+11)); x != 0 {
					l = 9 + bits.TrailingZeros64(x)>>3
				} else {
					l = lzfMatchLen(in, ref, ip, maxlen) - 2
				}
			} else {
				l = lzfMatchLen(in, ref, ip, maxlen) - 2
			}
			ip++
			if l < 7 {
				put(op, byte(off>>8)+byte(l<<5))
				op++
			} else {
				put(op, byte(off>>8)+7<<5)
				put(op+1, byte(l-7))
				op += 2
			}
			put(op, byte(off))
			op++
			lit = 0
			op++ // start run
			ip += l + 1
			if ip >= inLen-2 {
				break
			}
			// Hash the two positions before ip (lzfIdx looks at the low
			// 24 bits only), leaving hval as the loop expects it.
			hval = bits.ReverseBytes32(*(*uint32)(unsafe.Add(pin, ip-2))) // in[ip-2..ip+1], big endian
			htab.slot[lzfIdx(hval>>8)] = base + uint32(ip-2)
			htab.slot[lzfIdx(hval)] = base + uint32(ip-1)
		} else {
			if op >= outLen {
				return 0
			}
			lit++
			put(op, at(ip))
			op++
			ip++
			if lit == lzfMaxLit {
				put(op-lit-1, byte(lit-1))
				lit = 0
				op++
			}
		}
	}
	if op+3 > outLen {
		return 0
	}
	for ip < inLen {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return op
}

// lzfMatchLen is the match length liblzf's loop arrives at for a match
// whose first 3 bytes agree: it first compares indexes 3..18 unrolled
// (without looking at maxlen, so a match may end up to two bytes past it),
// then byte by byte while below maxlen. The comparison here goes eight
// bytes at a time; the rules give the same length.
func lzfMatchLen(in []byte, ref, ip, maxlen int) int {
	lim := min(len(in)-ip, max(maxlen, 19))
	m := 3 // first index where the match fails (lim when it does not)
	for m+8 <= lim {
		x := binary.LittleEndian.Uint64(in[ref+m:]) ^ binary.LittleEndian.Uint64(in[ip+m:])
		if x != 0 {
			m += bits.TrailingZeros64(x) >> 3
			goto found
		}
		m += 8
	}
	for m < lim && in[ref+m] == in[ip+m] {
		m++
	}
found:
	if maxlen > 16 {
		if m <= 18 {
			return m
		}
		return max(19, min(m, maxlen))
	}
	return max(3, min(m, maxlen))
}

// lzfDecompress expands in into out, which must be exactly the original
// length; it reports false on any malformed or out-of-bounds input.
func lzfDecompress(in, out []byte) bool {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			n := ctrl + 1
			if op+n > len(out) || ip+n > len(in) {
				return false
			}
			copy(out[op:], in[ip:ip+n])
			op += n
			ip += n
			continue
		}
		n := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if n == 7 {
			if ip >= len(in) {
				return false
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return false
		}
		ref -= int(in[ip])
		ip++
		n += 2
		if op+n > len(out) || ref < 0 {
			return false
		}
		if op-ref >= n {
			copy(out[op:op+n], out[ref:ref+n])
		} else {
			// Overlapping copies repeat the pattern, byte by byte.
			dst, src := out[op:op+n], out[ref:ref+n]
			for i := range dst {
				dst[i] = src[i]
			}
		}
		op += n
	}
	return op == len(out)
}
