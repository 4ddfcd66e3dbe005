package types

import (
	"encoding/binary"
	"strconv"

	"github.com/shoal-db/shoal/internal/rnum"
)

// A list node is a Redis listpack (src/listpack.c), byte for byte: a
// 6-byte header (total bytes uint32 LE, element count uint16 LE, 65535
// when it does not fit), the entries, and a 0xFF terminator. An entry is an
// encoding byte with its data, then its "backlen" (the size of encoding and
// data in 1–5 bytes, read right to left), so the list can be walked both
// ways. A string that is a canonical integer (lpStringToInt64) is stored
// as an integer in the smallest of 7, 13, 16, 24, 32 or 64 bits; other
// strings with a 6, 12 or 32-bit length.

const (
	qlpHeader = 6
	qlpEOF    = 0xFF
	// qlpCountUnknown is the header count of a listpack with more
	// elements than a uint16 holds.
	qlpCountUnknown = 1<<16 - 1
)

// qlpBacklenSize is the size of the backlen of an entry whose encoding and
// data take n bytes.
func qlpBacklenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// qlpInt reports v as an integer when the listpack stores it as one.
func qlpInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 20 || (v[0] != '-' && v[0]-'0' > 9) {
		return 0, false
	}
	return rnum.ParseInt(v)
}

// qlpIntSize is the size of an integer entry's encoding and data.
func qlpIntSize(iv int64) int {
	switch {
	case iv >= 0 && iv <= 127:
		return 1
	case iv >= -4096 && iv <= 4095:
		return 2
	case iv >= -32768 && iv <= 32767:
		return 3
	case iv >= -8388608 && iv <= 8388607:
		return 4
	case iv >= -2147483648 && iv <= 2147483647:
		return 5
	}
	return 9
}

// qlpStrHeader is the size of a string entry's encoding header.
func qlpStrHeader(n int) int {
	switch {
	case n < 64:
		return 1
	case n < 4096:
		return 2
	}
	return 5
}

// qlpEntrySize is the bytes v takes as an entry, backlen included.
func qlpEntrySize(v []byte) int {
	var n int
	if iv, ok := qlpInt(v); ok {
		n = qlpIntSize(iv)
	} else {
		n = qlpStrHeader(len(v)) + len(v)
	}
	return n + qlpBacklenSize(n)
}

// qlpAppend appends v's entry (lpInsert's encoding) to dst. Appending to
// b[off:off] writes the entry in place when b has the room.
func qlpAppend(dst []byte, v []byte) []byte {
	if iv, ok := qlpInt(v); ok {
		return qlpAppendInt(dst, iv)
	}
	start := len(dst)
	switch n := len(v); {
	case n < 64:
		dst = append(dst, 0x80|byte(n))
	case n < 4096:
		dst = append(dst, 0xE0|byte(n>>8), byte(n))
	default:
		dst = append(dst, 0xF0)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, v...)
	return qlpAppendBacklen(dst, len(dst)-start)
}

// qlpAppendInt appends an integer entry in the smallest encoding
// (lpEncodeIntegerGetType) and its backlen.
func qlpAppendInt(dst []byte, iv int64) []byte {
	u := uint64(iv)
	switch qlpIntSize(iv) {
	case 1:
		return append(dst, byte(iv), 1)
	case 2:
		if iv < 0 {
			u = uint64((1 << 13) + iv)
		}
		return append(dst, byte(u>>8)|0xC0, byte(u), 2)
	case 3:
		return append(dst, 0xF1, byte(u), byte(u>>8), 3)
	case 4:
		return append(dst, 0xF2, byte(u), byte(u>>8), byte(u>>16), 4)
	case 5:
		return append(dst, 0xF3, byte(u), byte(u>>8), byte(u>>16), byte(u>>24), 5)
	}
	dst = append(dst, 0xF4)
	return append(binary.LittleEndian.AppendUint64(dst, u), 9)
}

// qlpAppendBacklen appends the backlen of an entry of n bytes (lpEncodeBacklen).
func qlpAppendBacklen(dst []byte, n int) []byte {
	switch qlpBacklenSize(n) {
	case 1:
		return append(dst, byte(n))
	case 2:
		return append(dst, byte(n>>7), byte(n&127)|128)
	case 3:
		return append(dst, byte(n>>14), byte((n>>7)&127)|128, byte(n&127)|128)
	case 4:
		return append(dst, byte(n>>21), byte((n>>14)&127)|128, byte((n>>7)&127)|128, byte(n&127)|128)
	}
	return append(dst, byte(n>>28), byte((n>>21)&127)|128, byte((n>>14)&127)|128, byte((n>>7)&127)|128, byte(n&127)|128)
}

// qlpDecode reads the entry at b[off] of a valid listpack: a string's
// bytes (a view into b), or an integer; n is the size of its encoding and
// data (without the backlen).
func qlpDecode(b []byte, off int) (s []byte, iv int64, isInt bool, n int) {
	c := b[off]
	switch {
	case c&0x80 == 0:
		return nil, int64(c), true, 1
	case c&0xC0 == 0x80:
		l := int(c & 0x3F)
		return b[off+1 : off+1+l : off+1+l], 0, false, 1 + l
	case c&0xE0 == 0xC0:
		u := int64(c&0x1F)<<8 | int64(b[off+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return nil, u, true, 2
	case c&0xF0 == 0xE0:
		l := int(c&0x0F)<<8 | int(b[off+1])
		return b[off+2 : off+2+l : off+2+l], 0, false, 2 + l
	case c == 0xF0:
		l := int(binary.LittleEndian.Uint32(b[off+1:]))
		return b[off+5 : off+5+l : off+5+l], 0, false, 5 + l
	case c == 0xF1:
		return nil, int64(int16(binary.LittleEndian.Uint16(b[off+1:]))), true, 3
	case c == 0xF2:
		u := uint32(b[off+1]) | uint32(b[off+2])<<8 | uint32(b[off+3])<<16
		return nil, int64(int32(u<<8) >> 8), true, 4
	case c == 0xF3:
		return nil, int64(int32(binary.LittleEndian.Uint32(b[off+1:]))), true, 5
	}
	return nil, int64(binary.LittleEndian.Uint64(b[off+1:])), true, 9
}

// qlpValue is the entry at b[off] as bytes (an integer formatted into
// buf) and the entry's size with its backlen.
func qlpValue(b []byte, off int, buf *[20]byte) ([]byte, int) {
	s, iv, isInt, n := qlpDecode(b, off)
	if isInt {
		s = strconv.AppendInt(buf[:0], iv, 10)
	}
	return s, n + qlpBacklenSize(n)
}

// qlpAppendValue appends the entry at b[off] to dst as text and returns
// the entry's size with its backlen.
func qlpAppendValue(dst, b []byte, off int) ([]byte, int) {
	s, iv, isInt, n := qlpDecode(b, off)
	if isInt {
		dst = strconv.AppendInt(dst, iv, 10)
	} else {
		dst = append(dst, s...)
	}
	return dst, n + qlpBacklenSize(n)
}

// qlpEqual reports whether the entry at b[off] is v, and the entry's size.
func qlpEqual(b []byte, off int, v []byte) (bool, int) {
	s, iv, isInt, n := qlpDecode(b, off)
	size := n + qlpBacklenSize(n)
	if isInt {
		w, ok := qlpInt(v)
		return ok && w == iv, size
	}
	return string(s) == string(v), size
}

// qlpSize is the size of the entry at b[off], backlen included.
func qlpSize(b []byte, off int) int {
	c := b[off]
	var n int
	switch {
	case c&0x80 == 0:
		return 2
	case c&0xC0 == 0x80:
		n = 1 + int(c&0x3F)
	case c&0xE0 == 0xC0:
		return 3
	case c&0xF0 == 0xE0:
		n = 2 + (int(c&0x0F)<<8 | int(b[off+1]))
	case c == 0xF0:
		n = 5 + int(binary.LittleEndian.Uint32(b[off+1:]))
	case c == 0xF4:
		return 10
	default: // 0xF1..0xF3
		return int(c-0xF1) + 4
	}
	return n + qlpBacklenSize(n)
}

// qlpPrev is the offset of the entry that ends at b[end] (exclusive),
// read from its backlen (lpDecodeBacklen).
func qlpPrev(b []byte, end int) int {
	p := end - 1
	var v, shift int
	for {
		v |= int(b[p]&127) << shift
		if b[p]&128 == 0 {
			break
		}
		shift += 7
		p--
	}
	return p - v
}

// qlpValidate walks a listpack from an untrusted source (RESTORE, an RDB
// file) checking its header, terminator and every entry's encoding, bounds
// and backlen, and returns its element count.
func qlpValidate(p []byte) (int, bool) {
	if !qlpHeaderOK(p) {
		return 0, false
	}
	end := len(p) - 1
	count := 0
	for off := qlpHeader; off < end; count++ {
		_, next, ok := qlpNextChecked(p, off, end)
		if !ok {
			return 0, false
		}
		off = next
	}
	return count, true
}

// qlpHeaderOK checks a listpack's total-bytes header and terminator.
func qlpHeaderOK(p []byte) bool {
	return len(p) >= qlpHeader+1 && int(binary.LittleEndian.Uint32(p)) == len(p) && p[len(p)-1] == qlpEOF
}

// qlpNextChecked checks the entry of an untrusted listpack at p[off]
// (before the terminator at end): its encoding, bounds and backlen. It
// returns the size of its encoding and data and the offset after its
// backlen; ok is false when the entry is malformed.
func qlpNextChecked(p []byte, off, end int) (n, next int, ok bool) {
	c := p[off]
	switch {
	case c&0x80 == 0:
		n = 1
	case c&0xC0 == 0x80:
		n = 1 + int(c&0x3F)
	case c&0xE0 == 0xC0:
		n = 2
	case c&0xF0 == 0xE0:
		if off+2 > end {
			return 0, 0, false
		}
		n = 2 + (int(c&0x0F)<<8 | int(p[off+1]))
	case c == 0xF0:
		if off+5 > end {
			return 0, 0, false
		}
		l := uint64(binary.LittleEndian.Uint32(p[off+1:]))
		if l > uint64(end-off) {
			return 0, 0, false
		}
		n = 5 + int(l)
	case c >= 0xF1 && c <= 0xF3:
		n = int(c-0xF1) + 3
	case c == 0xF4:
		n = 9
	default:
		return 0, 0, false
	}
	if n > end-off-1 {
		return 0, 0, false
	}
	if n <= 127 { // the common case: a one-byte backlen
		return n, off + n + 1, p[off+n] == byte(n)
	}
	bl := qlpBacklenSize(n)
	if bl > end-off-n {
		return 0, 0, false
	}
	var want [5]byte
	if string(qlpAppendBacklen(want[:0], n)) != string(p[off+n:off+n+bl]) {
		return 0, 0, false
	}
	return n, off + n + bl, true
}

// qlpSetHeader writes a listpack's header for its length and count.
func qlpSetHeader(p []byte, count int) {
	binary.LittleEndian.PutUint32(p, uint32(len(p)))
	binary.LittleEndian.PutUint16(p[4:], uint16(min(count, qlpCountUnknown)))
}
