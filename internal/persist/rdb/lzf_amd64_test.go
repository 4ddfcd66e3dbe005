//go:build amd64 && !purego

package rdb

import (
	"math/rand/v2"
	"testing"
)

// TestLZFAsmChunks checks lzfLoopAsm resumed every few positions (as it
// is every lzfAsmChunk bytes of a long input) against the reference.
func TestLZFAsmChunks(t *testing.T) {
	defer func(old int) { lzfAsmChunk = old }(lzfAsmChunk)
	r := rand.New(rand.NewPCG(11, 12))
	var h1, h2 lzfTable
	for i, in := range lzfTwinInputs(r) {
		lzfAsmChunk = 1 + i%40
		checkLZFTwin(t, in, lzfTwinSizes(in, r), &h1, &h2)
	}
}
