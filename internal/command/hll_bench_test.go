package command

import (
	"strconv"
	"testing"
)

// denseHLL makes key a dense HLL of n elements.
func denseHLL(e *testEnv, key string, n int) {
	for i := 0; i < n; i++ {
		e.do("pfadd", key, "ele:"+strconv.Itoa(i))
	}
}

// BenchmarkPFADDDenseSeen is PFADD of an element a dense HLL has seen (the
// steady state of redis-benchmark's PFADD hll ele:__rand_int__): the
// lookup, one hash, the reply.
func BenchmarkPFADDDenseSeen(b *testing.B) {
	e := newTestEnv(b)
	denseHLL(e, "hll", 20000)
	c, h := newBenchCtx(b, e, "pfadd", "hll", "ele:17")
	b.ReportAllocs()
	for b.Loop() {
		c.W.Reset()
		h(c)
	}
}

// BenchmarkPFADDDenseNew is PFADD raising a register of a dense HLL (each
// run a new element; the registers fill up, so most runs late in a long
// benchmark change nothing).
func BenchmarkPFADDDenseNew(b *testing.B) {
	e := newTestEnv(b)
	denseHLL(e, "hll", 2000)
	c, h := newBenchCtx(b, e, "pfadd", "hll", "ele:000000000")
	arg := c.Args[2]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		strconv.AppendInt(arg[:4], int64(i), 10) // same length while i < 1e5
		c.W.Reset()
		h(c)
	}
}
