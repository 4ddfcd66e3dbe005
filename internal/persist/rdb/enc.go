package rdb

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"

	"github.com/shoal-db/shoal/internal/rnum"
)

// RDB length and string encodings (rdb.h): the two top bits of the first
// byte say how the length is stored.
const (
	len6bit  = 0
	len14bit = 1
	len32bit = 0x80
	len64bit = 0x81
	lenEnc   = 3 // 11xxxxxx: a special string encoding follows

	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// AppendLen appends n in RDB length encoding (rdbSaveLen).
func AppendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|len14bit<<6, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, len32bit)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, len64bit)
		return binary.BigEndian.AppendUint64(dst, n)
	}
}

// appendIntEncoded appends v as an ENC_INT8/16/32 string when it fits,
// reporting false otherwise (rdbEncodeInteger).
func appendIntEncoded(dst []byte, v int64) ([]byte, bool) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, lenEnc<<6|encInt8, byte(v)), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return append(dst, lenEnc<<6|encInt16, byte(v), byte(v>>8)), true
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return append(dst, lenEnc<<6|encInt32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)), true
	}
	return dst, false
}

// encoder holds the scratch space of one encoding goroutine: the LZF hash
// table (256 KB, so it is reused rather than allocated per string).
type encoder struct {
	compress bool
	htab     *lzfTable
}

// appendString appends s as Redis's rdbSaveRawString writes it: an integer
// encoding for a canonical integer of at most 11 characters that fits 32
// bits, LZF when compression is on, s is longer than 20 bytes and saves at
// least 4 bytes, else the length and the bytes.
func (e *encoder) appendString(dst []byte, s []byte) []byte {
	if len(s) <= 11 && len(s) > 0 {
		if v, ok := rnum.ParseInt(s); ok {
			if d, ok := appendIntEncoded(dst, v); ok {
				return d
			}
		}
	}
	if e.compress && len(s) > 20 {
		if d, ok := e.appendLZF(dst, s); ok {
			return d
		}
	}
	dst = AppendLen(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendLZF appends s LZF-compressed (rdbSaveLzfStringObject), reporting
// false when compression does not save at least four bytes. The
// compressor writes into dst after room for the header at its longest, so
// the output is not copied, but moved back by a byte or two in the rare
// case its length takes fewer bytes than the most it could be.
func (e *encoder) appendLZF(dst []byte, s []byte) ([]byte, bool) {
	if len(s) <= 4 {
		return dst, false
	}
	if e.htab == nil {
		e.htab = lzfTablePool.Get().(*lzfTable)
	}
	outLen := len(s) - 4
	at := len(dst)
	hdr := 1 + LenSize(uint64(outLen)) + LenSize(uint64(len(s)))
	dst = slices.Grow(dst, hdr+outLen)
	body := at + hdr
	n := lzfCompress(s, dst[body:body+outLen], e.htab)
	if n == 0 {
		return dst, false
	}
	dst = append(dst, lenEnc<<6|encLZF)
	dst = AppendLen(dst, uint64(n))
	dst = AppendLen(dst, uint64(len(s)))
	if len(dst) == body {
		return dst[:body+n], true
	}
	return append(dst, dst[body:body+n]...), true
}

// LenSize is the length of n's RDB length encoding (AppendLen).
func LenSize(n uint64) int {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case n <= math.MaxUint32:
		return 5
	}
	return 9
}

// release returns the encoder's scratch space to its pool.
func (e *encoder) release() {
	if e.htab != nil {
		lzfTablePool.Put(e.htab)
		e.htab = nil
	}
}

// appendBinaryDouble appends a ZSET_2 score: the 8 bytes of the IEEE 754
// double, little endian (rdbSaveBinaryDoubleValue).
func appendBinaryDouble(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// formatDouble17 is C's "%.17g", as d2string falls back to.
func formatDouble17(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}
