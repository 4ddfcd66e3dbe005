//go:build !amd64 || purego

package rdb

// useCLMUL: no carry-less multiplication here; CRC64 goes by the tables.
const useCLMUL = false

func crcFold16(x *[16]byte, p *byte, n int, k *[4]uint64) { panic("rdb: no crcFold16") }
