package command

import (
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
)

func benchCmd(b *testing.B, setup func(e *testEnv), args ...string) {
	benchCmdReset(b, setup, 0, nil, args...)
}

// benchCmdReset is benchCmd that calls reset, outside the timer, before
// every `every`-th run.
func benchCmdReset(b *testing.B, setup func(e *testEnv), every int, reset func(e *testEnv), args ...string) {
	e := newTestEnv(b)
	setup(e)
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	spec := e.table.Lookup(bargs[0])
	w := &resp.Writer{Proto: 2}
	c := &Ctx{Args: bargs, W: w, DB: e.ks.DB(0), KS: e.ks, Cmd: spec}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if reset != nil && i%every == 0 {
			b.StopTimer()
			reset(e)
			b.StartTimer()
		}
		w.Reset()
		spec.Handler(c)
	}
}

func fillStream(e *testEnv) {
	for i := 0; i < 10000; i++ {
		e.do("xadd", "s", "*", "f", "v")
	}
}

func BenchmarkXRANGE10(b *testing.B) { benchCmd(b, fillStream, "xrange", "s", "-", "+", "COUNT", "10") }
func BenchmarkXREVRANGE10(b *testing.B) {
	benchCmd(b, fillStream, "xrevrange", "s", "+", "-", "COUNT", "10")
}
func BenchmarkXRANGEMid(b *testing.B) {
	benchCmd(b, fillStream, "xrange", "s", "-", "+", "COUNT", "100")
}

func BenchmarkXADD(b *testing.B) { benchCmd(b, func(*testEnv) {}, "xadd", "s", "*", "f", "v") }

// BenchmarkXREADGROUP10 is XREADGROUP GROUP g c COUNT 10 STREAMS s >: ten
// new entries delivered and added to the PELs per call (the group is made
// again, outside the timer, when the stream's entries run out).
func BenchmarkXREADGROUP10(b *testing.B) {
	const entries = 100000
	fill := func(e *testEnv) {
		for i := 0; i < entries; i++ {
			e.do("xadd", "s", "*", "f", "v")
		}
	}
	regroup := func(e *testEnv) {
		e.do("xgroup", "destroy", "s", "g")
		e.do("xgroup", "create", "s", "g", "0")
	}
	benchCmdReset(b, fill, entries/10, regroup, "xreadgroup", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "s", ">")
}
