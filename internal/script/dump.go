package script

import (
	"encoding/binary"
	"math/bits"
)

// FUNCTION DUMP's payload is what the RDB functions section holds: per
// library the opcode RDB_OPCODE_FUNCTION2 and the library code as an RDB
// string, then the RDB version (2 bytes, little endian) and the CRC64 of
// everything before it (8 bytes, little endian). Strings are written
// uncompressed (valid RDB; Redis may LZF-compress long ones) and read in
// every RDB string encoding, LZF included.

const (
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10
)

// DumpFunctions builds FUNCTION DUMP's payload.
func DumpFunctions(libs []*Library) []byte {
	var out []byte
	for _, l := range libs {
		out = append(out, rdbOpcodeFunction2)
		out = appendRDBLen(out, uint64(len(l.Code)))
		out = append(out, l.Code...)
	}
	out = append(out, rdbVersion, 0)
	return binary.LittleEndian.AppendUint64(out, CRC64(0, out))
}

// ParseFunctionsDump checks a FUNCTION RESTORE payload and returns the
// library codes it holds, or the error text (without "ERR ").
func ParseFunctionsDump(p []byte) ([][]byte, string) {
	if len(p) < 10 {
		return nil, "DUMP payload version or checksum are wrong"
	}
	footer := p[len(p)-10:]
	ver := binary.LittleEndian.Uint16(footer)
	if ver > rdbVersion || binary.LittleEndian.Uint64(footer[2:]) != CRC64(0, p[:len(p)-8]) {
		return nil, "DUMP payload version or checksum are wrong"
	}
	body := p[:len(p)-10]
	var codes [][]byte
	for len(body) > 0 {
		if body[0] != rdbOpcodeFunction2 {
			return nil, "given type is not a function"
		}
		code, n, ok := readRDBString(body[1:])
		if !ok {
			return nil, "failed loading the given functions payload"
		}
		codes = append(codes, code)
		body = body[1+n:]
	}
	return codes, ""
}

func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// readRDBLen reads an RDB length; enc reports an encoded-string marker.
func readRDBLen(b []byte) (n uint64, used int, enc bool, ok bool) {
	if len(b) == 0 {
		return 0, 0, false, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), 1, false, true
	case 1:
		if len(b) < 2 {
			return 0, 0, false, false
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), 2, false, true
	case 2:
		switch b[0] {
		case 0x80:
			if len(b) < 5 {
				return 0, 0, false, false
			}
			return uint64(binary.BigEndian.Uint32(b[1:])), 5, false, true
		case 0x81:
			if len(b) < 9 {
				return 0, 0, false, false
			}
			return binary.BigEndian.Uint64(b[1:]), 9, false, true
		}
		return 0, 0, false, false
	}
	return uint64(b[0] & 0x3f), 1, true, true
}

// readRDBString reads one RDB string (raw, integer-encoded or LZF).
func readRDBString(b []byte) ([]byte, int, bool) {
	n, used, enc, ok := readRDBLen(b)
	if !ok {
		return nil, 0, false
	}
	if !enc {
		if uint64(len(b)-used) < n {
			return nil, 0, false
		}
		return b[used : used+int(n)], used + int(n), true
	}
	rest := b[used:]
	switch n {
	case 0, 1, 2:
		size := 1 << n
		if len(rest) < size {
			return nil, 0, false
		}
		var v int64
		switch n {
		case 0:
			v = int64(int8(rest[0]))
		case 1:
			v = int64(int16(binary.LittleEndian.Uint16(rest)))
		case 2:
			v = int64(int32(binary.LittleEndian.Uint32(rest)))
		}
		return []byte(itoa(v)), used + size, true
	case 3:
		clen, u1, e1, ok1 := readRDBLen(rest)
		if !ok1 || e1 {
			return nil, 0, false
		}
		ulen, u2, e2, ok2 := readRDBLen(rest[u1:])
		if !ok2 || e2 || ulen > 512<<20 {
			return nil, 0, false
		}
		start := u1 + u2
		if uint64(len(rest)-start) < clen {
			return nil, 0, false
		}
		out, ok := lzfDecompress(rest[start:start+int(clen)], int(ulen))
		if !ok {
			return nil, 0, false
		}
		return out, used + start + int(clen), true
	}
	return nil, 0, false
}

func itoa(v int64) string {
	var buf [20]byte
	i := len(buf)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// lzfDecompress is lzf_decompress (liblzf): literal runs and back references.
func lzfDecompress(in []byte, outLen int) ([]byte, bool) {
	out := make([]byte, 0, outLen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - ((ctrl&0x1f)<<8 + 1) - int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, false
		}
		for k := 0; k < n; k++ {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != outLen {
		return nil, false
	}
	return out, true
}

// crc64Table is Redis's CRC-64/Jones (reflected, polynomial
// 0xad93d23594c935a9, no initial or final inversion).
var crc64Table = func() *[256]uint64 {
	var t [256]uint64
	poly := bits.Reverse64(0xad93d23594c935a9)
	for i := range t {
		crc := uint64(i)
		for j := 0; j < 8; j++ {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[i] = crc
	}
	return &t
}()

// CRC64 is Redis's crc64(crc, p).
func CRC64(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc = crc64Table[byte(crc)^b] ^ crc>>8
	}
	return crc
}
