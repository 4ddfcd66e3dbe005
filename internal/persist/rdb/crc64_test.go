package rdb

import (
	"math/rand/v2"
	"testing"
)

// TestCRC64Fold checks CRC64 (folded with PCLMULQDQ where the CPU has
// it) against the tables alone, for every length around the folding's
// thresholds and random ones, random initial values and contents.
func TestCRC64Fold(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	buf := make([]byte, 5000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	lengths := []int{}
	for n := 0; n < 300; n++ {
		lengths = append(lengths, n)
	}
	for range 300 {
		lengths = append(lengths, r.IntN(len(buf)))
	}
	for _, n := range lengths {
		off := r.IntN(len(buf) - n + 1)
		p := buf[off : off+n]
		for _, crc := range []uint64{0, r.Uint64()} {
			if got, want := CRC64(crc, p), crc64Tables(crc, p); got != want {
				t.Fatalf("len %d crc %#x: %#x, want %#x", n, crc, got, want)
			}
		}
	}
	// Redis's check value: crc64(0, "123456789") = 0xe9c6d914c4b8d9ca.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("check value %#x", got)
	}
	if !useCLMUL {
		t.Log("no PCLMULQDQ: tables only")
	}
}
