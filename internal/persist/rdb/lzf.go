package rdb

import (
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

// lzfTable is the compressor's hash table. Slots hold base+position of
// the call that wrote them. Successive calls' bases are more than
// lzfMaxOff apart, so a slot from an earlier call lies at least lzfMaxOff
// before the current call's input and fails the offset test like an empty
// slot: the 256 KB table is cleared only when base wraps, not on every
// call (liblzf's result with a zeroed table).
type lzfTable struct {
	slot [lzfHSize]uint32
	base uint32 // the next call's
	cur  uint32 // the current call's (read from memory in the loop)
}

// begin starts a call over n input bytes and returns its base.
func (h *lzfTable) begin(n int) uint32 {
	if uint64(h.base)+uint64(n)+2*lzfMaxOff+2 >= 1<<32 || h.base <= lzfMaxOff {
		clear(h.slot[:])
		h.base = lzfMaxOff + 1
	}
	b := h.base
	h.cur = b
	h.base += uint32(n) + lzfMaxOff + 1
	return b
}

// lzfRoomForRef is liblzf's test for room for a back reference (3 bytes
// and the next run's length byte) at op with lit literals pending: a fast
// conservative test, then the exact one (a pending empty run is undone).
func lzfRoomForRef(op, lit, outLen int) bool {
	if op+3+1 < outLen {
		return true
	}
	nl := 0
	if lit == 0 {
		nl = 1
	}
	return op-nl+3+1 < outLen
}

// lzfCompress compresses in into out (whose length is the most it may
// write) and returns the compressed length, or 0 when the result does not
// fit (lzf_compress's contract).
func lzfCompress(in, out []byte, htab *lzfTable) int {
	inLen, outLen := len(in), len(out)
	if inLen == 0 || outLen == 0 {
		return 0
	}
	htab.begin(inLen)
	ip, op, lit := 0, 1, 0 // op 0 is the first run's length byte
	if end := inLen - 2; ip < end {
		// Position 0 is always a literal (liblzf takes no match at its
		// input's first byte), and leaving its slot alone is the same as
		// liblzf's storing it there: a later lookup of position 0 is
		// refused as a match like an empty slot. Every position in the
		// table is then ≥ 1, so one offset test covers liblzf's three.
		if op >= outLen {
			return 0
		}
		out[op] = in[0]
		op, ip, lit = 2, 1, 1
		if ip < end {
			if ip, op, lit = lzfLoop(in, out, htab, ip, op, lit); op < 0 {
				return 0
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

// lzfLoopGo is lzfCompress's main loop from position ip ≥ 1 (below
// len(in)-2) with op and lit its output position and pending literals:
// it returns them where liblzf's main loop ends (ip ≥ len(in)-2), or op
// -1 when the output does not fit. lzfLoopAsm is its amd64 twin.
//
// The loop has no calls and reads in and writes out through unchecked
// accesses: every index is checked by the loop's own conditions (ip <
// inLen-2 for the reads, op < outLen before each write), which the
// compiler cannot prove; bounds checks, and the spills around a call,
// cost a third of the time on listpacks.
func lzfLoopGo(in, out []byte, htab *lzfTable, ip, op, lit int) (int, int, int) {
	outLen := len(out)
	pin, pout := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	at := func(i int) byte { return *(*byte)(unsafe.Add(pin, i)) }
	load32 := func(i int) uint32 { return *(*uint32)(unsafe.Add(pin, i)) }
	load64 := func(i int) uint64 { return *(*uint64)(unsafe.Add(pin, i)) }
	put := func(i int, b byte) { *(*byte)(unsafe.Add(pout, i)) = b }
	tab := &htab.slot
	end := len(in) - 2
	for ip < end {
		// liblzf's hval here is in[ip-1..ip+2], first byte highest (its
		// running hash keeps 32 bits); loading it keeps the loop's state
		// small enough for registers.
		w := load32(ip - 1)
		hval := bits.ReverseBytes32(w)
		idx := lzfIdx(hval)
		base := int(htab.cur)
		ref := int(tab[idx]) - base
		tab[idx] = uint32(base + ip)
		off := ip - ref - 1
		// off < lzfMaxOff: ref is in 1..ip-1 (earlier calls' slots are
		// further back); the 4 bytes at ref are then within in.
		if uint(off) >= lzfMaxOff || (load32(ref)^w>>8)&0xFFFFFF != 0 {
			if op >= outLen {
				return ip, -1, lit
			}
			lit++
			put(op, byte(w>>8)) // in[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				put(op-lit-1, byte(lit-1))
				lit = 0
				op++
			}
			continue
		}
		if !lzfRoomForRef(op, lit, outLen) {
			return ip, -1, lit
		}
		put(op-lit-1, byte(lit-1))
		if lit == 0 {
			op--
		}
		// The match length liblzf's loop arrives at, its first 3 bytes
		// agreeing: with more than 16 bytes allowed (maxlen) it compares
		// indexes 3..18 without looking at maxlen, so a match may end up to
		// two bytes past it, then byte by byte while below maxlen. Here the
		// comparison from index 19 goes eight bytes at a time; the rules
		// give the same length. m ends as the first index that differs
		// (maxlen when none).
		maxlen := min(end-ip, lzfMaxRef)
		m := 3
		if maxlen > 16 { // 19 bytes of in follow ip, and ref < ip
			// Indexes 3..18 one by one, each its own branch (as liblzf):
			// where a listpack's matches end repeats, each branch learns
			// its own place and the CPU runs on to the next positions; a
			// length computed from the bytes (bits.TrailingZeros64) makes
			// the next position wait for the loads, and one loop over an
			// 8-byte comparison was ~15 % slower on listpacks.
			switch {
			case at(ref+3) != at(ip+3):
			case at(ref+4) != at(ip+4):
				m = 4
			case at(ref+5) != at(ip+5):
				m = 5
			case at(ref+6) != at(ip+6):
				m = 6
			case at(ref+7) != at(ip+7):
				m = 7
			case at(ref+8) != at(ip+8):
				m = 8
			case at(ref+9) != at(ip+9):
				m = 9
			case at(ref+10) != at(ip+10):
				m = 10
			case at(ref+11) != at(ip+11):
				m = 11
			case at(ref+12) != at(ip+12):
				m = 12
			case at(ref+13) != at(ip+13):
				m = 13
			case at(ref+14) != at(ip+14):
				m = 14
			case at(ref+15) != at(ip+15):
				m = 15
			case at(ref+16) != at(ip+16):
				m = 16
			case at(ref+17) != at(ip+17):
				m = 17
			case at(ref+18) != at(ip+18):
				m = 18
			default:
				m = 19
				for m+8 <= maxlen {
					if x := load64(ref+m) ^ load64(ip+m); x != 0 {
						m += bits.TrailingZeros64(x) >> 3
						break
					}
					m += 8
				}
				for m < maxlen && at(ref+m) == at(ip+m) {
					m++
				}
				m = max(19, min(m, maxlen))
			}
		} else { // inLen-ip ≤ 18
			for m < end-ip+2 && at(ref+m) == at(ip+m) {
				m++
			}
			m = max(3, min(m, maxlen))
		}
		l := m - 2 // liblzf's len: the match's length - 2 (1..264)
		if l < 7 {
			put(op, byte(off>>8)+byte(l<<5))
			op++
		} else {
			put(op, byte(off>>8)+7<<5)
			put(op+1, byte(l-7))
			op += 2
		}
		put(op, byte(off))
		op += 2 // and start a run
		lit = 0
		ip += m
		if ip >= end {
			break
		}
		// Hash the two positions before ip (lzfIdx looks at the low 24
		// bits for the first, as liblzf starts afresh after a match).
		hval = bits.ReverseBytes32(load32(ip - 2)) // in[ip-2..ip+1], big endian
		base = int(htab.cur)
		tab[lzfIdx(hval>>8)] = uint32(base + ip - 2)
		tab[lzfIdx(hval)] = uint32(base + ip - 1)
	}
	return ip, op, lit
}

// lzfDecompress expands in into out, which must be exactly the original
// length; it reports false on any malformed or out-of-bounds input.
//
// Reads of in and every access to out are unchecked: each is preceded
// by its own test against len(in) and len(out) (a literal run's ip+32 ≤
// len(in) and op+32 ≤ len(out) cover its exact tests, n ≤ 32). Word
// copies may write up to 16 bytes past the run or reference they copy,
// within out; the next steps overwrite those bytes, and on success every
// byte of out is written in order. The common steps make no call.
func lzfDecompress(in, out []byte) bool {
	inLen, outLen := len(in), len(out)
	pin, pout := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out))
	ip, op := 0, 0
	for ip < inLen {
		ctrl := int(*(*byte)(unsafe.Add(pin, ip)))
		ip++
		if ctrl < 1<<5 {
			n := ctrl + 1
			if op+32 <= outLen && ip+32 <= inLen {
				// A run of 1..32 bytes as 16-byte moves.
				copy16(unsafe.Add(pout, op), unsafe.Add(pin, ip))
				if n > 16 {
					copy16(unsafe.Add(pout, op+16), unsafe.Add(pin, ip+16))
				}
			} else {
				// Near the end: byte by byte (no call in the loop;
				// a call makes the compiler keep op on the stack).
				if op+n > outLen || ip+n > inLen {
					return false
				}
				for i := 0; i < n; i++ {
					*(*byte)(unsafe.Add(pout, op+i)) = *(*byte)(unsafe.Add(pin, ip+i))
				}
			}
			op += n
			ip += n
			continue
		}
		n := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if n == 7 {
			if ip >= inLen {
				return false
			}
			n += int(*(*byte)(unsafe.Add(pin, ip)))
			ip++
		}
		if ip >= inLen {
			return false
		}
		ref -= int(*(*byte)(unsafe.Add(pin, ip)))
		ip++
		n += 2
		if op+n > outLen || ref < 0 {
			return false
		}
		if n <= 16 {
			d, s := unsafe.Add(pout, op), unsafe.Add(pout, ref)
			if op-ref >= 16 && op+16 <= outLen {
				// Disjoint: one 16-byte move.
				copy16(d, s)
			} else {
				// Less than 16 back, the bytes were written by the last
				// step or two and may still be in the store buffer: a
				// word load spanning several of those stores waits for
				// them to drain (half the time on zset100's listpack,
				// whose references are 12–14 back); a byte load is
				// forwarded from its store. Byte by byte in order, as
				// liblzf (an overlap repeats its period), unrolled: a
				// loop's exit branch, taken at a different count each
				// time, was ~20 % slower.
				switch n {
				case 16:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 15:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 14:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 13:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 12:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 11:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 10:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 9:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 8:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 7:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 6:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 5:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 4:
					*(*byte)(d) = *(*byte)(s)
					d, s = unsafe.Add(d, 1), unsafe.Add(s, 1)
					fallthrough
				case 3:
					*(*byte)(d) = *(*byte)(s)
					*(*byte)(unsafe.Add(d, 1)) = *(*byte)(unsafe.Add(s, 1))
					*(*byte)(unsafe.Add(d, 2)) = *(*byte)(unsafe.Add(s, 2))
				}
			}
			op += n
			continue
		}
		if op-ref >= 16 && op+n+16 <= outLen {
			// 16-byte moves in order: each reads bytes 16 or more back,
			// already written (an overlap repeats its period).
			d, s := unsafe.Add(pout, op), unsafe.Add(pout, ref)
			op += n
			for ; n > 0; n -= 16 {
				copy16(d, s)
				d, s = unsafe.Add(d, 16), unsafe.Add(s, 16)
			}
			continue
		}
		// Less than 16 back, or near the end: out[ref:op] repeats with
		// period op-ref. Copy it whole, then the doubled run, and so on:
		// out[ref:op] stays a whole number of periods, so each chunk
		// continues the pattern (a disjoint reference is one chunk).
		for n > 0 {
			k := copy(out[op:op+n], out[ref:op])
			op += k
			n -= k
		}
	}
	return op == outLen
}

// copy16 copies 16 bytes from src to dst as two words, both loaded before
// either is stored; the caller has checked both are in bounds.
func copy16(dst, src unsafe.Pointer) {
	a, b := *(*uint64)(src), *(*uint64)(unsafe.Add(src, 8))
	*(*uint64)(dst) = a
	*(*uint64)(unsafe.Add(dst, 8)) = b
}
