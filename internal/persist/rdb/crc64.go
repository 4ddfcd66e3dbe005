package rdb

import (
	"encoding/binary"
	"math/bits"
)

// Redis's crc64 (src/crc64.c) is the Jones polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0 and no final xor. It is
// computed sixteen bytes at a time (slicing-by-16: half the dependent
// steps of Redis's crcspeed, which goes eight at a time); hash/crc64
// would slice only for its two built-in polynomials.
const jonesPoly = 0x95ac9329ac4bc9b5 // reflected 0xad93d23594c935a9

var crcTables = func() (t [16][256]uint64) {
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ jonesPoly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 16; k++ {
			c = t[0][byte(c)] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}()

// jonesTable is the byte-at-a-time table (streaming reads update the CRC
// one byte at a time with it).
var jonesTable = &crcTables[0]

// crcFoldMin is the shortest input CRC64 folds with carry-less
// multiplication (where the CPU has it); shorter ones go by the tables.
const crcFoldMin = 64

// crcFoldK are the folding constants: for a 128-bit remainder whose first
// 8 bytes are the polynomial H (the higher powers) and next 8 bytes L,
// folding it over the next 16 bytes D gives H·x^192 + L·x^128 + D, equal
// modulo P. In the reflected bit order (bit i of a word is x^(63-i)) the
// 128-bit carry-less product of two words is their product times x, so
// the constants are x^191 mod P and x^127 mod P, reflected
// (TestCRC64Fold checks the folding against the tables).
// Folding 64 bytes ahead takes x^575 and x^511.
var crcFoldK = [4]uint64{
	bits.Reverse64(xPowModP(191)), bits.Reverse64(xPowModP(127)),
	bits.Reverse64(xPowModP(575)), bits.Reverse64(xPowModP(511)),
}

// xPowModP is x^n modulo the Jones polynomial, in the normal bit order
// (bit i is x^i).
func xPowModP(n int) uint64 {
	const p = 0xad93d23594c935a9 // P without its x^64 term
	r := uint64(1)
	for range n {
		hi := r >> 63
		r <<= 1
		if hi != 0 {
			r ^= p
		}
	}
	return r
}

// CRC64 continues Redis's crc64 of crc over p (crc64(crc, p, len)). On a
// CPU with PCLMULQDQ an input of crcFoldMin bytes or more is folded 16
// bytes at a time (crcFold16) and the last 16-byte remainder and the tail
// go by the tables.
func CRC64(crc uint64, p []byte) uint64 {
	if useCLMUL && len(p) >= crcFoldMin {
		var x [16]byte
		binary.LittleEndian.PutUint64(x[:], binary.LittleEndian.Uint64(p)^crc)
		copy(x[8:], p[8:16])
		n := (len(p) - 16) &^ 15
		crcFold16(&x, &p[16], n, &crcFoldK)
		crc, p = crc64Tables(0, x[:]), p[16+n:]
	}
	return crc64Tables(crc, p)
}

// crc64Tables is CRC64 by the tables alone.
func crc64Tables(crc uint64, p []byte) uint64 {
	t := &crcTables
	for len(p) >= 16 {
		crc ^= binary.LittleEndian.Uint64(p)
		hi := binary.LittleEndian.Uint64(p[8:])
		crc = t[15][byte(crc)] ^ t[14][byte(crc>>8)] ^ t[13][byte(crc>>16)] ^ t[12][byte(crc>>24)] ^
			t[11][byte(crc>>32)] ^ t[10][byte(crc>>40)] ^ t[9][byte(crc>>48)] ^ t[8][byte(crc>>56)] ^
			t[7][byte(hi)] ^ t[6][byte(hi>>8)] ^ t[5][byte(hi>>16)] ^ t[4][byte(hi>>24)] ^
			t[3][byte(hi>>32)] ^ t[2][byte(hi>>40)] ^ t[1][byte(hi>>48)] ^ t[0][byte(hi>>56)]
		p = p[16:]
	}
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}
