package command

import (
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
)

func benchCmd(b *testing.B, setup func(e *testEnv), args ...string) {
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
