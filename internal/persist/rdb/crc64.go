package rdb

import "encoding/binary"

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

// CRC64 continues Redis's crc64 of crc over p (crc64(crc, p, len)).
func CRC64(crc uint64, p []byte) uint64 {
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
