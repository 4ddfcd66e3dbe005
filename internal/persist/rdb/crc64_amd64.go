//go:build amd64 && !purego

package rdb

import "golang.org/x/sys/cpu"

// useCLMUL: the CPU folds the CRC with PCLMULQDQ.
var useCLMUL = cpu.X86.HasPCLMULQDQ

// crcFold16 folds the 16-byte remainder x over the n bytes at p (n a
// multiple of 16) with the constants k (crcFoldK),
// leaving a remainder congruent to x followed by those bytes in x.
//
//go:noescape
func crcFold16(x *[16]byte, p *byte, n int, k *[4]uint64)
