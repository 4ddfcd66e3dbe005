package rdb

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// benchHash is scripts/bench-dump.sh's hash kinds: pairs of
// "<prefix><j>:3" strings set with one HSET.
func benchHash(prefix string, pairs int) keyspace.Value {
	h := types.NewHash()
	for j := 0; j < pairs; j++ {
		f := prefix + strconv.Itoa(2*j) + ":3"
		v := prefix + strconv.Itoa(2*j+1) + ":3"
		h.Set([]byte(f), []byte(v), types.DefaultLimits())
	}
	return keyspace.Value{Obj: h}
}

// benchZSet is scripts/bench-dump.sh's zset kinds.
func benchZSet(n int, member func(j int) string, score func(j int) float64) keyspace.Value {
	z := types.NewZSet(n, 0, types.DefaultLimits())
	for j := 0; j < n; j++ {
		z.Add([]byte(member(j)), score(j), 0, types.DefaultLimits())
	}
	return keyspace.Value{Obj: z}
}

func BenchmarkHashZSetDumpRestore(b *testing.B) {
	for _, c := range []struct {
		name string
		v    keyspace.Value
	}{
		{"hash10", benchHash("f", 10)},
		{"hash100", benchHash("field", 100)},
		{"zset10", benchZSet(10, func(j int) string { return "m" + strconv.Itoa(j) }, func(j int) float64 { return float64(j) + 0.5 })},
		{"zset100", benchZSet(100, func(j int) string { return "member-" + strconv.Itoa(j) }, func(j int) float64 { return float64(j * 3) })},
	} {
		enc := NewEncoder(DefaultSettings())
		payload, err := enc.AppendDump(nil, c.v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/dump", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				buf, _ = enc.AppendDump(buf[:0], c.v)
			}
		})
		b.Run(c.name+"/restore", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				if _, err := ParseDump(payload, DefaultSettings()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU adds the process's CPU time per operation (user + system, GC
// included) as "cpu-ns/op": on a shared machine wall time per operation
// mostly measures the other load.
func reportCPU(b *testing.B) func() {
	cpu := func() int64 {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}

// benchKinds are scripts/bench-dump.sh's hash and sorted set kinds.
func benchKinds() []struct {
	name string
	v    keyspace.Value
} {
	return []struct {
		name string
		v    keyspace.Value
	}{
		{"hash10", benchHash("f", 10)},
		{"hash100", benchHash("field", 100)},
		{"zset10", benchZSet(10, func(j int) string { return "m" + strconv.Itoa(j) }, func(j int) float64 { return float64(j) + 0.5 })},
		{"zset100", benchZSet(100, func(j int) string { return "member-" + strconv.Itoa(j) }, func(j int) float64 { return float64(j * 3) })},
	}
}

// appendListpack is DUMP's listpack of a hash or sorted set.
func appendListpack(dst []byte, o types.Object) []byte {
	if h, ok := o.(*types.Hash); ok {
		return h.AppendListpack(dst)
	}
	return o.(*types.ZSet).AppendListpack(dst)
}

// BenchmarkHashZSetDumpParts splits DUMP of the hash and sorted set kinds
// into its steps: building the listpack, LZF, CRC64. SHOAL_LISTPACK_DIR=dir
// also writes each listpack to dir/<kind>.lp (to run liblzf on the same
// bytes).
func BenchmarkHashZSetDumpParts(b *testing.B) {
	for _, c := range benchKinds() {
		lp := appendListpack(nil, c.v.Obj)
		if dir := os.Getenv("SHOAL_LISTPACK_DIR"); dir != "" {
			if err := os.WriteFile(dir+"/"+c.name+".lp", lp, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		var buf []byte
		b.Run(c.name+"/listpack", func(b *testing.B) {
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				buf = appendListpack(buf[:0], c.v.Obj)
			}
		})
		out := make([]byte, len(lp))
		var h lzfTable
		b.Run(c.name+"/lzf", func(b *testing.B) {
			b.SetBytes(int64(len(lp)))
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				lzfCompress(lp, out, &h)
			}
		})
		b.Run(c.name+"/crc", func(b *testing.B) {
			b.SetBytes(int64(len(lp)))
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				CRC64(0, lp)
			}
		})
	}
}

// BenchmarkHashZSetRestoreParts splits RESTORE of hash100 and zset100
// into its steps: CRC64 of the payload, LZF decompression, the listpack
// checked and converted to the packed form, and Own's copy into the
// replaced value's buffer.
func BenchmarkHashZSetRestoreParts(b *testing.B) {
	for _, c := range []struct {
		name string
		v    keyspace.Value
	}{
		{"hash100", benchHash("field", 100)},
		{"zset10", benchZSet(10, func(j int) string { return "m" + strconv.Itoa(j) }, func(j int) float64 { return float64(j) + 0.5 })},
		{"zset100", benchZSet(100, func(j int) string { return "member-" + strconv.Itoa(j) }, func(j int) float64 { return float64(j * 3) })},
	} {
		enc := NewEncoder(DefaultSettings())
		payload, err := enc.AppendDump(nil, c.v)
		if err != nil {
			b.Fatal(err)
		}
		var lp []byte
		if h, ok := c.v.Obj.(*types.Hash); ok {
			lp = h.AppendListpack(nil)
		} else {
			lp = c.v.Obj.(*types.ZSet).AppendListpack(nil)
		}
		var h lzfTable
		z := make([]byte, len(lp)-4)
		z = z[:lzfCompress(lp, z, &h)]
		b.Run(c.name+"/crc", func(b *testing.B) {
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				CRC64(0, payload[:len(payload)-8])
			}
		})
		out := make([]byte, len(lp))
		b.Run(c.name+"/unlzf", func(b *testing.B) {
			b.SetBytes(int64(len(lp)))
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				if !lzfDecompress(z, out) {
					b.Fatal("lzf")
				}
			}
		})
		var scratch []byte
		b.Run(c.name+"/packed", func(b *testing.B) {
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				var o types.Object
				if _, ok := c.v.Obj.(*types.Hash); ok {
					o, scratch = types.NewHashViewFromListpack(lp, scratch, nil)
				} else {
					o, scratch = types.NewZSetViewFromListpack(lp, scratch, parseScoreOK, nil)
				}
				if o == nil {
					b.Fatal("listpack refused")
				}
			}
		})
	}
}

// BenchmarkRestoreReplace is RESTORE … REPLACE's decoding as the server
// does it: a Restorer parses the payload and Own stores the value over
// the one restored before (its memory reused where it fits), for
// scripts/bench-dump.sh's collection kinds.
func BenchmarkRestoreReplace(b *testing.B) {
	set10, intset10 := types.NewSet(), types.NewSet()
	for j := 0; j < 10; j++ {
		set10.Add([]byte("m"+strconv.Itoa(j)+":3"), types.DefaultLimits())
		intset10.Add([]byte(strconv.Itoa(30+j)), types.DefaultLimits())
	}
	for _, c := range []struct {
		name string
		v    keyspace.Value
	}{
		{"intset10", keyspace.Value{Obj: intset10}},
		{"set10", keyspace.Value{Obj: set10}},
		{"list10", benchList("e", 10)},
		{"hash10", benchHash("f", 10)},
		{"hash100", benchHash("field", 100)},
		{"zset10", benchZSet(10, func(j int) string { return "m" + strconv.Itoa(j) }, func(j int) float64 { return float64(j) + 0.5 })},
		{"zset100", benchZSet(100, func(j int) string { return "member-" + strconv.Itoa(j) }, func(j int) float64 { return float64(j * 3) })},
	} {
		payload, err := AppendDump(nil, c.v, DefaultSettings())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var r Restorer
			old, _ := ParseDump(payload, DefaultSettings())
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				v, err := r.Parse(payload, DefaultSettings())
				if err != nil {
					b.Fatal(err)
				}
				old = r.Own(v, old)
			}
		})
	}
}
