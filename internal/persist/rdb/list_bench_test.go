package rdb

import (
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// benchList is scripts/bench-dump.sh's list kinds: n elements
// "<prefix><j>:<i%7>" pushed at the tail.
func benchList(prefix string, n int) keyspace.Value {
	l := types.NewList()
	for j := 0; j < n; j++ {
		l.PushBack([]byte(prefix+strconv.Itoa(j)+":3"), types.DefaultLimits())
	}
	return keyspace.Value{Obj: l}
}

func BenchmarkListDumpRestore(b *testing.B) {
	for _, c := range []struct {
		name   string
		prefix string
		n      int
	}{{"list10", "e", 10}, {"list1000", "element-", 1000}} {
		v := benchList(c.prefix, c.n)
		enc := NewEncoder(DefaultSettings())
		payload, err := enc.AppendDump(nil, v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/dump", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for i := 0; i < b.N; i++ {
				buf, _ = enc.AppendDump(buf[:0], v)
			}
		})
		b.Run(c.name+"/restore", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := ParseDump(payload, DefaultSettings()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchLZFInput is the first node of list1000: an 8 KB listpack.
func benchLZFInput() []byte {
	var in []byte
	benchList("element-", 1000).Obj.(*types.List).EachNode(func(b []byte, _ bool, _ int) {
		if in == nil {
			in = append([]byte(nil), b...)
		}
	})
	return in
}

func BenchmarkLZF(b *testing.B) {
	in := benchLZFInput()
	out := make([]byte, len(in))
	var h lzfTable
	c := lzfCompress(in, out, &h)
	back := make([]byte, len(in))
	b.Run("compress", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			lzfCompress(in, out, &h)
		}
	})
	// A 2.3 KB listpack (bench-dump.sh's hash100: what its DUMP
	// compresses), with the CPU per call.
	lp := benchHash("field", 100).Obj.(*types.Hash).AppendListpack(nil)
	lpOut := make([]byte, len(lp)-4)
	b.Run("compress-listpack2k", func(b *testing.B) {
		b.SetBytes(int64(len(lp)))
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			lzfCompress(lp, lpOut, &h)
		}
	})
	b.Run("decompress", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			lzfDecompress(out[:c], back)
		}
	})
}
