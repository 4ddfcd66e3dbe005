package rdb

import "hash/crc64"

// Redis's crc64 (src/crc64.c) is the Jones polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0 and no final xor. Go's
// hash/crc64 takes the reflected polynomial and inverts the register before
// and after each update, so Redis's value is the inverse of Go's update of
// the inverted register.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 continues Redis's crc64 of crc over p (crc64(crc, p, len)).
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}
