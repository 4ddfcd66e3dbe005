package rdb

import (
	"encoding/binary"
	"strconv"
)

// Older compact encodings Redis 7.0 still loads: ziplists (RDB types 10,
// 12, 13 and the nodes of quicklist v1), zipmaps (9) and intsets (11, also
// written by 7.0).

// zlIter walks a ziplist (src/ziplist.c): zlbytes uint32 LE, zltail uint32
// LE, zllen uint16 LE, entries, 0xFF. An entry is prevlen (1 byte, or 0xFE
// and 4 bytes LE), an encoding, and the data.
type zlIter struct {
	p       []byte
	off     int
	prevLen int
	count   int // entries read
	buf     [20]byte
}

func newZLIter(p []byte) (*zlIter, error) {
	if len(p) < 11 || int(binary.LittleEndian.Uint32(p)) != len(p) || p[len(p)-1] != 0xFF {
		return nil, errBadData
	}
	if int(binary.LittleEndian.Uint32(p[4:])) > len(p)-1 {
		return nil, errBadData
	}
	return &zlIter{p: p, off: 10}, nil
}

// next returns the next entry (integers formatted into the iterator's
// buffer), or done at the end.
func (it *zlIter) next() (s []byte, done bool, err error) {
	p, off := it.p, it.off
	if off >= len(p) {
		return nil, false, errBadData
	}
	if p[off] == 0xFF {
		if off != len(p)-1 {
			return nil, false, errBadData
		}
		// ziplistValidateIntegrity: zltail is the last entry's offset,
		// and zllen (65535: too many to count) the number of entries.
		if it.count > 0 && int(binary.LittleEndian.Uint32(p[4:])) != off-it.prevLen {
			return nil, false, errBadData
		}
		if hc := int(binary.LittleEndian.Uint16(p[8:])); hc != 0xFFFF && hc != it.count {
			return nil, false, errBadData
		}
		return nil, true, nil
	}
	start := off
	var prev int
	if p[off] < 0xFE {
		prev = int(p[off])
		off++
	} else {
		if off+5 > len(p) {
			return nil, false, errBadData
		}
		prev = int(binary.LittleEndian.Uint32(p[off+1:]))
		off += 5
	}
	if prev != it.prevLen {
		return nil, false, errBadData
	}
	if off >= len(p) {
		return nil, false, errBadData
	}
	c := p[off]
	var n int
	isInt := false
	var iv int64
	switch c >> 6 {
	case 0:
		n = int(c & 0x3F)
		off++
	case 1:
		if off+2 > len(p) {
			return nil, false, errBadData
		}
		n = int(c&0x3F)<<8 | int(p[off+1])
		off += 2
	case 2:
		if off+5 > len(p) {
			return nil, false, errBadData
		}
		n = int(binary.BigEndian.Uint32(p[off+1:]))
		off += 5
	default:
		isInt = true
		off++
		var w int
		switch c {
		case 0xC0:
			w = 2
		case 0xD0:
			w = 4
		case 0xE0:
			w = 8
		case 0xF0:
			w = 3
		case 0xFE:
			w = 1
		default:
			if c >= 0xF1 && c <= 0xFD {
				iv = int64(c&0x0F) - 1
			} else {
				return nil, false, errBadData
			}
		}
		if w > 0 {
			if off+w > len(p) {
				return nil, false, errBadData
			}
			var u uint64
			for i := w - 1; i >= 0; i-- {
				u = u<<8 | uint64(p[off+i])
			}
			shift := uint(64 - 8*w)
			iv = int64(u<<shift) >> shift
			n = w
		}
	}
	if n < 0 || off+n > len(p)-1 || off+n < off {
		return nil, false, errBadData
	}
	it.off = off + n
	it.prevLen = it.off - start
	it.count++
	if isInt {
		return strconv.AppendInt(it.buf[:0], iv, 10), false, nil
	}
	return p[off : off+n], false, nil
}

// zipmapEach calls fn for each field and value of a zipmap (src/zipmap.c):
// a count byte, then len key len free value [free bytes] ..., 0xFF.
func zipmapEach(p []byte, fn func(f, v []byte) error) error {
	if len(p) < 2 || p[len(p)-1] != 0xFF {
		return errBadData
	}
	off, count := 1, 0
	readLen := func() (int, bool) {
		if off >= len(p) {
			return 0, false
		}
		c := p[off]
		if c < 254 {
			off++
			return int(c), true
		}
		if c == 254 && off+5 <= len(p) {
			n := int(binary.LittleEndian.Uint32(p[off+1:]))
			off += 5
			return n, true
		}
		return 0, false
	}
	for {
		if off >= len(p) {
			return errBadData
		}
		if p[off] == 0xFF {
			// zipmapValidateIntegrity: never empty, and the header's
			// count (254: too many to count) agrees.
			if off != len(p)-1 || count == 0 || p[0] != 254 && int(p[0]) != count {
				return errBadData
			}
			return nil
		}
		count++
		kl, ok := readLen()
		if !ok || kl < 0 || off+kl > len(p) {
			return errBadData
		}
		k := p[off : off+kl]
		off += kl
		vl, ok := readLen()
		if !ok || vl < 0 || off >= len(p) {
			return errBadData
		}
		free := int(p[off])
		off++
		if off+vl+free > len(p)-1 || off+vl+free < off {
			return errBadData
		}
		v := p[off : off+vl]
		off += vl + free
		if err := fn(k, v); err != nil {
			return err
		}
	}
}

// intsetWidth is the encoding width (2, 4 or 8 bytes) an intset needs for
// values lo..hi (_intsetValueEncoding).
func intsetWidth(lo, hi int64) int {
	w := func(v int64) int {
		switch {
		case v < -2147483648 || v > 2147483647:
			return 8
		case v < -32768 || v > 32767:
			return 4
		}
		return 2
	}
	return max(w(lo), w(hi))
}

// appendIntset appends the intset of the sorted values vs: encoding
// uint32 LE, length uint32 LE, then the values little endian.
func appendIntset(dst []byte, vs []int64) []byte {
	width := 2
	if len(vs) > 0 {
		width = intsetWidth(vs[0], vs[len(vs)-1])
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(width))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vs)))
	for _, v := range vs {
		switch width {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}

// parseIntset validates an intset blob (strictly ascending values of the
// declared width) and calls fn with each value.
func parseIntset(p []byte, fn func(v int64)) (int, error) {
	if len(p) < 8 {
		return 0, errBadData
	}
	width := int(binary.LittleEndian.Uint32(p))
	n := int(binary.LittleEndian.Uint32(p[4:]))
	if width != 2 && width != 4 && width != 8 {
		return 0, errBadData
	}
	if uint64(n)*uint64(width) != uint64(len(p)-8) {
		return 0, errBadData
	}
	var prev int64
	for i := 0; i < n; i++ {
		q := p[8+i*width:]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(q)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(q)))
		default:
			v = int64(binary.LittleEndian.Uint64(q))
		}
		if i > 0 && v <= prev {
			return 0, errBadData
		}
		prev = v
		fn(v)
	}
	return n, nil
}
