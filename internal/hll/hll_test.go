package hll

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"
)

// registers decodes any valid HLL into one byte per register (the naive twin).
func registers(t *testing.T, b []byte) [Registers]uint8 {
	t.Helper()
	var r [Registers]uint8
	if err := MergeInto(&r, b); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHashKnownValues(t *testing.T) {
	// Values computed by Redis 7.0.15's MurmurHash64A (seed 0xadc83b19), seen
	// through PFADD: element "a" lands in register 12711 with count 2
	// (PFDEBUG DECODE of PFADD x a is "Z:12711 v:2,1 Z:3672").
	i, c := PatLen([]byte("a"))
	if i != 12711 || c != 2 {
		t.Fatalf("PatLen(a) = %d,%d", i, c)
	}
}

// naiveHash is MurmurHash64A as Redis's C has it, byte by byte: the twin
// Hash's word loads are checked against.
func naiveHash(b []byte) uint64 {
	const m = 0xc6a4a7935bd1e995
	h := uint64(seed) ^ uint64(len(b))*m
	i := 0
	for ; i+8 <= len(b); i += 8 {
		var k uint64
		for j := 7; j >= 0; j-- {
			k = k<<8 | uint64(b[i+j])
		}
		k *= m
		k ^= k >> 47
		k *= m
		h ^= k
		h *= m
	}
	if rest := b[i:]; len(rest) > 0 {
		for j := len(rest) - 1; j >= 0; j-- {
			h ^= uint64(rest[j]) << (8 * j)
		}
		h *= m
	}
	h ^= h >> 47
	h *= m
	h ^= h >> 47
	return h
}

// Hash and PatLen agree with the byte-by-byte twin at every length (the
// tail of 1–7 bytes is read as one word from 8 bytes on).
func TestHashMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 64)
	for n := 0; n <= len(buf); n++ {
		for round := 0; round < 50; round++ {
			for i := range buf[:n] {
				buf[i] = byte(rng.Uint32())
			}
			b := buf[:n]
			if got, want := Hash(b), naiveHash(b); got != want {
				t.Fatalf("Hash of %d bytes %x = %x, want %x", n, b, got, want)
			}
			h := naiveHash(b)
			wantCount := uint8(1)
			for v := h>>P | 1<<Q; v&1 == 0; v >>= 1 {
				wantCount++
			}
			if i, c := PatLen(b); i != int(h&(Registers-1)) || c != wantCount {
				t.Fatalf("PatLen of %x = %d,%d, want %d,%d", b, i, c, h&(Registers-1), wantCount)
			}
		}
	}
}

func TestSparseMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		sp := FromBytes(NewSparse())
		var naive [Registers]uint8
		n := rng.IntN(3000)
		for j := 0; j < n; j++ {
			var ele [8]byte
			binary.LittleEndian.PutUint64(ele[:], rng.Uint64())
			i, c := PatLen(ele[:])
			changed, err := sp.Add(ele[:], 3000)
			if err != nil {
				t.Fatal(err)
			}
			if changed != (c > naive[i]) {
				t.Fatalf("round %d element %d: changed=%v, naive %d vs %d", round, j, changed, naive[i], c)
			}
			naive[i] = max(naive[i], c)
		}
		if got := registers(t, sp.B); got != naive {
			t.Fatalf("round %d: registers differ from naive", round)
		}
		if sp.Encoding() == Sparse && len(sp.B) > 3000 {
			t.Fatalf("sparse of %d bytes", len(sp.B))
		}
		sc, err := Count(sp.B)
		if err != nil {
			t.Fatal(err)
		}
		if rc := CountRaw(&naive); rc != sc {
			t.Fatalf("count %d vs raw %d", sc, rc)
		}
		if err := sp.ToDense(); err != nil {
			t.Fatal(err)
		}
		if got := registers(t, sp.B); got != naive {
			t.Fatalf("round %d: dense registers differ", round)
		}
		if dc, _ := Count(sp.B); dc != sc {
			t.Fatalf("dense count %d vs sparse %d", dc, sc)
		}
	}
}

func TestCopyOnWrite(t *testing.T) {
	s := string(NewSparse())
	orig := s[:]
	sk := FromString(s)
	if _, err := sk.Add([]byte("x"), 3000); err != nil {
		t.Fatal(err)
	}
	if s != orig || string(sk.B) == s {
		t.Fatal("the stored string was written or the sketch did not change")
	}
	sk2 := FromString(string(sk.B))
	if changed, _ := sk2.Add([]byte("x"), 3000); changed || sk2.Changed {
		t.Fatal("re-adding an element changed the sketch")
	}
}

func TestSelfTest(t *testing.T) {
	if testing.Short() {
		t.Skip("10M elements")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	if msg := SelfTest(rng.Uint64, 3000); msg != "" {
		t.Fatal(msg)
	}
}

func TestDecode(t *testing.T) {
	sk := FromBytes(NewSparse())
	sk.Add([]byte("a"), 3000)
	if got := string(Decode(sk.B)); got != "Z:12711 v:2,1 Z:3672" {
		t.Fatalf("Decode = %q", got)
	}
}

// FuzzSketch feeds arbitrary sparse bodies: no operation may panic, and a
// body that counts must merge, convert and count consistently.
func FuzzSketch(f *testing.F) {
	f.Add(NewSparse()[HdrSize:], []byte("a"))
	f.Add([]byte{0x7f, 0xff}, []byte("b"))
	f.Add([]byte{0x7f, 0xff, 0x7f}, []byte("c"))
	f.Add([]byte{0x80, 0x84, 0x7f, 0xff, 0x3f}, []byte("d"))
	f.Add([]byte{0x7f}, []byte(""))
	f.Fuzz(func(t *testing.T, body, ele []byte) {
		b := append([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"), body...)
		if !Valid(string(b)) {
			t.Fatal("sparse header not valid")
		}
		_ = Decode(b)
		c1, err1 := Count(b)
		var r [Registers]uint8
		err2 := MergeInto(&r, b)
		sk := FromString(string(b))
		err3 := sk.ToDense()
		if err1 == nil && err2 == nil && err3 == nil {
			if c2, _ := Count(sk.B); c2 != c1 || CountRaw(&r) != c1 {
				t.Fatalf("counts disagree: %d %d %d", c1, c2, CountRaw(&r))
			}
		}
		sk = FromString(string(b))
		for i := 0; i < 4; i++ {
			if _, err := sk.Add(append(ele, strconv.Itoa(i)...), 60); err != nil {
				break
			}
		}
		if sk.Encoding() == Sparse {
			_, _ = Count(sk.B)
		}
	})
}

// TestWithScratch: the by-value With writes the same bytes as Add, in the
// caller's Scratch while the sketch fits it, on the heap past it, and never
// into the string it was made from.
func TestWithScratch(t *testing.T) {
	if got := AppendEmpty([]byte("x")); string(got[1:]) != string(NewSparse()) || len(got) != 1+emptySize {
		t.Fatalf("AppendEmpty = %q", got)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	stored := string(NewSparse())
	for j := 0; j < 2000; j++ {
		var ele [8]byte
		binary.LittleEndian.PutUint64(ele[:], rng.Uint64())
		before := string([]byte(stored))
		ref := FromString(stored)
		refChanged, err := ref.Add(ele[:], 3000)
		if err != nil {
			t.Fatal(err)
		}
		var scratch [64]byte
		sk := *FromString(stored)
		sk.Scratch = scratch[:0]
		sk, changed, err := sk.With(ele[:], 3000)
		if err != nil {
			t.Fatal(err)
		}
		if stored != before {
			t.Fatalf("element %d: the stored string was written", j)
		}
		if changed != refChanged || sk.Changed != ref.Changed || string(sk.B) != string(ref.B) {
			t.Fatalf("element %d: With gave %v %q, Add %v %q", j, changed, sk.B, refChanged, ref.B)
		}
		inScratch := &sk.B[:1][0] == &scratch[0]
		switch {
		case !changed && inScratch:
			t.Fatalf("element %d: copied without a change", j)
		case changed && sk.Encoding() == Sparse && len(stored)+8 <= len(scratch) && !inScratch:
			t.Fatalf("element %d: a %d-byte sketch left the scratch", j, len(sk.B))
		case inScratch && (len(sk.B) > len(scratch) || sk.Encoding() == Dense):
			t.Fatalf("element %d: a %d-byte sketch in the scratch", j, len(sk.B))
		}
		if sk = sk.Invalidated(); changed {
			stored = string(sk.B)
		}
	}
	if !IsDense(stored) {
		t.Fatal("2000 elements did not promote the sketch")
	}
}

// BenchmarkSparseWith is one element added to one of 1000 small sparse
// sketches (about 40 registers set each, as redis-benchmark's PFADD
// hll:__rand_int__ ele:__rand_int__ leaves them), through a stack scratch
// as PFADD does: the opcode walk, the split and the merge.
func BenchmarkSparseWith(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	sketches := make([]string, 1000)
	for i := range sketches {
		sk := FromBytes(NewSparse())
		for j := 0; j < 40; j++ {
			sk.Add([]byte("ele:"+strconv.Itoa(rng.IntN(100000))), 3000)
		}
		sketches[i] = string(sk.B)
	}
	eles := make([][]byte, 4096)
	for i := range eles {
		eles[i] = []byte("ele:" + strconv.Itoa(rng.IntN(100000)))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var scratch [384]byte
		sk := *FromString(sketches[i%len(sketches)])
		sk.Scratch = scratch[:0]
		sk, _, _ = sk.With(eles[i%len(eles)], 3000)
		i++
	}
}
