package rdb

import (
	"encoding/binary"
	"strconv"

	"github.com/shoal-db/shoal/internal/rnum"
)

// Listpacks (Redis src/listpack.c): a 6-byte header (total bytes uint32 LE,
// element count uint16 LE, 65535 when unknown), the entries, and a 0xFF
// terminator. An entry is an encoding byte with its data, then "backlen",
// the length of encoding+data in 1–5 bytes read right to left.

const (
	lpHeaderSize   = 6
	lpEOF          = 0xFF
	lpCountUnknown = 65535
)

// lpBuilder appends entries to a listpack in Redis's encodings.
type lpBuilder struct {
	b []byte
	n int
}

func (l *lpBuilder) reset(dst []byte) {
	l.b = append(dst[:0], 0, 0, 0, 0, 0, 0)
	l.n = 0
}

// appendBacklen appends the backlen of an entry whose encoding+data is n
// bytes (lpEncodeBacklen).
func appendBacklen(dst []byte, n int) []byte {
	switch {
	case n <= 127:
		return append(dst, byte(n))
	case n < 16383:
		return append(dst, byte(n>>7), byte(n&127)|128)
	case n < 2097151:
		return append(dst, byte(n>>14), byte((n>>7)&127)|128, byte(n&127)|128)
	case n < 268435455:
		return append(dst, byte(n>>21), byte((n>>14)&127)|128, byte((n>>7)&127)|128, byte(n&127)|128)
	default:
		return append(dst, byte(n>>28), byte((n>>21)&127)|128, byte((n>>14)&127)|128, byte((n>>7)&127)|128, byte(n&127)|128)
	}
}

// appendInt adds an integer entry in the smallest encoding (lpEncodeIntegerGetType).
func (l *lpBuilder) appendInt(v int64) {
	start := len(l.b)
	switch {
	case v >= 0 && v <= 127:
		l.b = append(l.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v)
		if v < 0 {
			u = uint64((1 << 13) + v)
		}
		l.b = append(l.b, byte(u>>8)|0xC0, byte(u))
	case v >= -32768 && v <= 32767:
		u := uint64(v)
		l.b = append(l.b, 0xF1, byte(u), byte(u>>8))
	case v >= -8388608 && v <= 8388607:
		u := uint64(v)
		l.b = append(l.b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -2147483648 && v <= 2147483647:
		u := uint64(v)
		l.b = append(l.b, 0xF3, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	default:
		l.b = append(l.b, 0xF4)
		l.b = binary.LittleEndian.AppendUint64(l.b, uint64(v))
	}
	l.b = appendBacklen(l.b, len(l.b)-start)
	l.n++
}

// appendStr adds s as an integer entry when it is a canonical integer
// (lpStringToInt64), else as a string entry.
func (l *lpBuilder) appendStr(s []byte) {
	if len(s) <= 20 && len(s) > 0 && (s[0] == '-' || s[0]-'0' <= 9) {
		if v, ok := rnum.ParseInt(s); ok {
			l.appendInt(v)
			return
		}
	}
	start := len(l.b)
	switch n := len(s); {
	case n < 64:
		l.b = append(l.b, 0x80|byte(n))
	case n < 4096:
		l.b = append(l.b, 0xE0|byte(n>>8), byte(n))
	default:
		l.b = append(l.b, 0xF0)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(n))
	}
	l.b = append(l.b, s...)
	l.b = appendBacklen(l.b, len(l.b)-start)
	l.n++
}

// finish writes the terminator and header and returns the listpack.
func (l *lpBuilder) finish() []byte {
	l.b = append(l.b, lpEOF)
	binary.LittleEndian.PutUint32(l.b, uint32(len(l.b)))
	n := l.n
	if n >= lpCountUnknown {
		n = lpCountUnknown
	}
	binary.LittleEndian.PutUint16(l.b[4:], uint16(n))
	return l.b
}

// lpEntrySize is the bytes an element of len n (or an integer) adds,
// backlen included, as quicklist's node size accounting sees it.
// (Not needed for exactness: the node size is measured from the builder.)

// lpIter walks a listpack, validating as it goes.
type lpIter struct {
	p   []byte
	off int
	buf [20]byte
}

// newLPIter checks the header and returns an iterator and the header's
// element count.
func newLPIter(p []byte) (*lpIter, int, error) {
	if len(p) < lpHeaderSize+1 {
		return nil, 0, errBadData
	}
	if int(binary.LittleEndian.Uint32(p)) != len(p) || p[len(p)-1] != lpEOF {
		return nil, 0, errBadData
	}
	return &lpIter{p: p, off: lpHeaderSize}, int(binary.LittleEndian.Uint16(p[4:])), nil
}

// next returns the next element as bytes (integers formatted in decimal
// into the iterator's buffer, valid until the next call), whether it was an
// integer and its value; done at the terminator.
func (it *lpIter) next() (s []byte, iv int64, isInt bool, done bool, err error) {
	p, off := it.p, it.off
	if off >= len(p) {
		return nil, 0, false, false, errBadData
	}
	c := p[off]
	if c == lpEOF {
		if off != len(p)-1 {
			return nil, 0, false, false, errBadData
		}
		return nil, 0, false, true, nil
	}
	var hdr, n int // encoding header bytes, data bytes
	switch {
	case c&0x80 == 0:
		iv, isInt, hdr = int64(c&0x7F), true, 1
	case c&0xC0 == 0x80:
		hdr, n = 1, int(c&0x3F)
	case c&0xE0 == 0xC0:
		if off+2 > len(p) {
			return nil, 0, false, false, errBadData
		}
		u := uint64(c&0x1F)<<8 | uint64(p[off+1])
		iv = int64(u)
		if u >= 1<<12 {
			iv = int64(u) - 1<<13
		}
		isInt, hdr = true, 2
	case c&0xF0 == 0xE0:
		if off+2 > len(p) {
			return nil, 0, false, false, errBadData
		}
		hdr, n = 2, int(c&0x0F)<<8|int(p[off+1])
	case c == 0xF0:
		if off+5 > len(p) {
			return nil, 0, false, false, errBadData
		}
		hdr, n = 5, int(binary.LittleEndian.Uint32(p[off+1:]))
	case c == 0xF1 || c == 0xF2 || c == 0xF3 || c == 0xF4:
		w := [...]int{2, 3, 4, 8}[c-0xF1]
		if off+1+w > len(p) {
			return nil, 0, false, false, errBadData
		}
		var u uint64
		for i := w - 1; i >= 0; i-- {
			u = u<<8 | uint64(p[off+1+i])
		}
		shift := uint(64 - 8*w)
		iv, isInt, hdr = int64(u<<shift)>>shift, true, 1+w
	default:
		return nil, 0, false, false, errBadData
	}
	end := off + hdr + n
	if n < 0 || end > len(p)-1 || end < off {
		return nil, 0, false, false, errBadData
	}
	// Check the backlen agrees with the entry's size.
	var bl [5]byte
	back := appendBacklen(bl[:0], hdr+n)
	if end+len(back) > len(p)-1 || string(p[end:end+len(back)]) != string(back) {
		return nil, 0, false, false, errBadData
	}
	it.off = end + len(back)
	if isInt {
		return strconv.AppendInt(it.buf[:0], iv, 10), iv, true, false, nil
	}
	return p[off+hdr : end], 0, false, false, nil
}
