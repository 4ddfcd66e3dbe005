package rdb

import (
	"testing"
)

// benchCases are golden payloads by type and encoding.
var benchCases = []string{
	"s_small", "s_int", "s_compress", "s_long",
	"l_small", "l_big", "l_ints",
	"set_int16", "set_big_int", "set_ht",
	"h_small", "h_lp100", "h_big",
	"z_small", "z_lp120", "z_big",
}

func benchGoldens(b *testing.B) map[string]golden {
	m := map[string]golden{}
	for _, g := range loadGoldens(b) {
		m[g.name] = g
	}
	return m
}

func BenchmarkParseDump(b *testing.B) {
	gs := benchGoldens(b)
	for _, name := range benchCases {
		g := gs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(g.payload)))
			for i := 0; i < b.N; i++ {
				if _, err := ParseDump(g.payload, DefaultSettings()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendDump(b *testing.B) {
	gs := benchGoldens(b)
	enc := NewEncoder(DefaultSettings())
	for _, name := range benchCases {
		g := gs[name]
		v, err := ParseDump(g.payload, DefaultSettings())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(g.payload)))
			var buf []byte
			for i := 0; i < b.N; i++ {
				buf, _ = enc.AppendDump(buf[:0], v)
			}
		})
	}
}
