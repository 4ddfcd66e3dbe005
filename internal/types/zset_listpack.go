package types

import (
	"bytes"
	"encoding/binary"
	"math"
)

// The compact ("listpack") form of a small sorted set is one []byte:
//
//	count uint16 LE, then count entries in (score, member) order, each
//	  uvarint(len(member)) member score
//
// where score is either uvarint(zigzag(i)<<1) for an integral score i with
// |i| < 2^53 , or the byte 0x01 followed by the 8 bytes of the
// float64 (little endian). The first byte of the integer form always has its
// low bit clear, so the two cannot be confused. Small integral scores (the
// common case: counters, timestamps) take 1–8 bytes instead of 8.
//
// Like Redis's listpack (which stores scores as d2string text, where -0
// takes the integer path), the compact form does not keep the sign of zero.

const lpHeader = 2

// lpMaxEntries caps the compact form whatever zset-max-listpack-entries says,
// as the count must fit the uint16 header.
const lpMaxEntries = 1<<16 - 1

func lpCount(lp []byte) int {
	if len(lp) < lpHeader {
		return 0
	}
	return int(binary.LittleEndian.Uint16(lp))
}

func lpSetCount(lp []byte, n int) { binary.LittleEndian.PutUint16(lp, uint16(n)) }

// lpAppendScore appends the encoding of score.
func lpAppendScore(dst []byte, score float64) []byte {
	if score == math.Trunc(score) && math.Abs(score) < 1<<53 {
		i := int64(score)
		z := uint64(i<<1) ^ uint64(i>>63)
		return binary.AppendUvarint(dst, z<<1)
	}
	dst = append(dst, 0x01)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(score))
}

func lpScoreLen(score float64) int {
	var tmp [10]byte
	return len(lpAppendScore(tmp[:0], score))
}

// lpEntry decodes the entry at off, returning its member (a view into lp),
// score and the offset of the next entry.
func lpEntry(lp []byte, off int) (member []byte, score float64, next int) {
	n, k := binary.Uvarint(lp[off:])
	off += k
	member = lp[off : off+int(n) : off+int(n)]
	off += int(n)
	if lp[off] == 0x01 {
		score = math.Float64frombits(binary.LittleEndian.Uint64(lp[off+1:]))
		return member, score, off + 9
	}
	v, k := binary.Uvarint(lp[off:])
	z := v >> 1
	score = float64(int64(z>>1) ^ -int64(z&1))
	return member, score, off + k
}

// lpFind returns the offset of member's entry, its score and the offset of
// the entry after it, or off < 0 if absent.
func lpFind(lp []byte, member []byte) (off int, score float64, next int) {
	n := lpCount(lp)
	off = lpHeader
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(lp, off)
		if bytes.Equal(m, member) {
			return off, s, nx
		}
		off = nx
	}
	return -1, 0, 0
}

// lpOffsetOf returns the byte offset of the entry of rank r (r ≤ count).
func lpOffsetOf(lp []byte, r int) int {
	off := lpHeader
	for i := 0; i < r; i++ {
		_, _, off = lpEntry(lp, off)
	}
	return off
}

// lpInsert inserts (member, score) at its sorted place; member must be absent.
// It returns the possibly reallocated buffer.
func lpInsert(lp []byte, member []byte, score float64) []byte {
	if len(lp) == 0 {
		lp = []byte{0, 0}
	}
	n := lpCount(lp)
	off := lpHeader
	for i := 0; i < n; i++ {
		m, s, nx := lpEntry(lp, off)
		if s > score || (s == score && bytes.Compare(m, member) > 0) {
			break
		}
		off = nx
	}
	var tmp [32]byte
	enc := binary.AppendUvarint(tmp[:0], uint64(len(member)))
	need := len(enc) + len(member) + lpScoreLen(score)
	newLen := len(lp) + need
	if cap(lp) >= newLen {
		lp = lp[:newLen]
		copy(lp[off+need:], lp[off:newLen-need])
	} else {
		// append from nil rounds the capacity to the allocator's size
		// class and no further: no doubling, so small sets stay small.
		nb := append([]byte(nil), make([]byte, newLen)...)
		copy(nb, lp[:off])
		copy(nb[off+need:], lp[off:])
		lp = nb
	}
	w := lp[off:off]
	w = append(w, enc...)
	w = append(w, member...)
	lpAppendScore(w, score)
	lpSetCount(lp, n+1)
	return lp
}

// lpDeleteBytes removes bytes [from, to) holding k entries.
func lpDeleteBytes(lp []byte, from, to, k int) []byte {
	n := lpCount(lp)
	copy(lp[from:], lp[to:])
	lp = lp[:len(lp)-(to-from)]
	lpSetCount(lp, n-k)
	return lp
}
