package command

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// denseHLL makes key a dense HLL of n elements.
func denseHLL(e *testEnv, key string, n int) {
	for i := 0; i < n; i++ {
		e.do("pfadd", key, "ele:"+strconv.Itoa(i))
	}
}

// runPFADD runs h on c once per iteration, after next(i) (if set) has
// changed c's arguments for the i-th run (from 1).
func runPFADD(b *testing.B, c *Ctx, h Handler, next func(i int)) {
	b.ReportAllocs()
	defer testutil.ReportCPU(b)()
	i := 0
	for b.Loop() {
		if i++; next != nil {
			next(i)
		}
		c.W.Reset()
		h(c)
	}
}

// BenchmarkPFADDDenseSeen is PFADD of an element a dense HLL has seen (the
// steady state of redis-benchmark's PFADD hll ele:__rand_int__): the
// lookup, one hash, the reply.
func BenchmarkPFADDDenseSeen(b *testing.B) {
	e := newTestEnv(b)
	denseHLL(e, "hll", 20000)
	c, h := newBenchCtx(b, e, "pfadd", "hll", "ele:17")
	runPFADD(b, c, h, nil)
}

// BenchmarkPFADDDenseNew is PFADD raising a register of a dense HLL (each
// run a new element; the registers fill up, so most runs late in a long
// benchmark change nothing).
func BenchmarkPFADDDenseNew(b *testing.B) {
	e := newTestEnv(b)
	denseHLL(e, "hll", 2000)
	c, h := newBenchCtx(b, e, "pfadd", "hll", "ele:00000")
	runPFADD(b, c, h, func(i int) { putDigits(c.Args[2][4:], i) })
}

// BenchmarkPFADDSparseNew is PFADD of one element to a missing key (the
// first pass of redis-benchmark's PFADD hll:__rand_int__ ele:__rand_int__):
// a new sparse HLL stored under a new key.
func BenchmarkPFADDSparseNew(b *testing.B) {
	e := newTestEnv(b)
	c, h := newBenchCtx(b, e, "pfadd", "hll:000000000", "ele:000000000")
	runPFADD(b, c, h, func(i int) {
		putDigits(c.Args[1][4:], i)
		putDigits(c.Args[2][4:], i*7)
	})
}

// BenchmarkPFADDSparseMix is redis-benchmark's PFADD hll:__rand_int__
// ele:__rand_int__ -r 100000 after its first pass: 100000 small sparse
// HLLs, a random element added to a random one (most add a register).
func BenchmarkPFADDSparseMix(b *testing.B) {
	e := newTestEnv(b)
	c, h := newBenchCtx(b, e, "pfadd", "hll:000000000000", "ele:000000000000")
	rng := rand.New(rand.NewPCG(1, 2))
	next := func(int) {
		putDigits(c.Args[1][4:], rng.IntN(100000))
		putDigits(c.Args[2][4:], rng.IntN(100000))
	}
	for k := 0; k < 100000; k++ {
		next(0)
		putDigits(c.Args[1][4:], k)
		h(c)
		c.W.Reset()
	}
	runPFADD(b, c, h, next)
}

// putDigits writes n in decimal over all of b, zero-padded.
func putDigits(b []byte, n int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}
