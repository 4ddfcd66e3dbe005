package rdb

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/types"
)

// lzfCompressRef is lzfCompress as it was before its hot loop was
// restructured, kept as the reference the new one must match byte for
// byte (it uses liblzf's literal match loop, lzfMatchLenRef).
func lzfCompressRef(in, out []byte, htab *lzfTable) int {
	inLen, outLen := len(in), len(out)
	if inLen == 0 || outLen == 0 {
		return 0
	}
	base := htab.begin(inLen)
	ip, op := 0, 0
	lit := 0
	op++ // start run
	var hval uint32
	if inLen >= 2 {
		hval = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip < inLen-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := &htab.slot[lzfIdx(hval)]
		ref := -1
		if *slot >= base {
			ref = int(*slot - base)
		}
		*slot = base + uint32(ip)
		if ref >= 0 && ref < ip && ip-ref-1 < lzfMaxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			off := ip - ref - 1
			l := 2
			maxlen := inLen - ip - l
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			if !lzfRoomForRef(op, lit, outLen) {
				return 0
			}
			out[op-lit-1] = byte(lit - 1)
			if lit == 0 {
				op--
			}
			l = lzfMatchLenRef(in, ref, ip, maxlen)
			l -= 2
			ip++
			if l < 7 {
				out[op] = byte(off>>8) + byte(l<<5)
				op++
			} else {
				out[op] = byte(off>>8) + 7<<5
				out[op+1] = byte(l - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start run
			ip += l + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			htab.slot[lzfIdx(hval)] = base + uint32(ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			htab.slot[lzfIdx(hval)] = base + uint32(ip)
			ip++
		} else {
			if op >= outLen {
				return 0
			}
			lit++
			out[op] = in[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				out[op-lit-1] = byte(lit - 1)
				lit = 0
				op++
			}
		}
	}
	if op+3 > outLen {
		return 0
	}
	for ip < inLen {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return op
}

// lzfTwinInputs are inputs of the kinds DUMP compresses: listpacks,
// repetitive text, random bytes, and mixes of them, sizes 0..64 KB.
func lzfTwinInputs(r *rand.Rand) [][]byte {
	var ins [][]byte
	ins = append(ins, nil, []byte("a"), []byte("ab"), []byte("abc"), []byte("abcd"), benchLZFInput())
	for _, n := range []int{10, 100, 1000} {
		var lp []byte
		benchList("element-", n).Obj.(*types.List).EachNode(func(b []byte, _ bool, _ int) {
			lp = append(lp, b...)
		})
		ins = append(ins, lp)
	}
	for i := 0; i < 400; i++ {
		n := r.IntN(1 << (r.IntN(16) + 1))
		in := make([]byte, n)
		switch r.IntN(4) {
		case 0: // random bytes
			for j := range in {
				in[j] = byte(r.Uint32())
			}
		case 1: // small alphabet
			alpha := r.IntN(4) + 1
			for j := range in {
				in[j] = byte('a' + r.IntN(alpha))
			}
		case 2: // repetitive text with edits
			word := []byte(strconv.Itoa(r.IntN(1e6)) + " lorem ipsum ")
			for j := range in {
				in[j] = word[j%len(word)]
				if r.IntN(50) == 0 {
					in[j] = byte(r.Uint32())
				}
			}
		default: // runs of a byte, random chunks and copies of earlier chunks
			for j := 0; j < n; {
				k := min(n-j, r.IntN(300)+1)
				switch r.IntN(3) {
				case 0:
					b := byte(r.Uint32())
					for x := j; x < j+k; x++ {
						in[x] = b
					}
				case 1:
					for x := j; x < j+k; x++ {
						in[x] = byte(r.Uint32())
					}
				default:
					if j > 0 {
						src := r.IntN(j)
						for x := j; x < j+k; x++ {
							in[x] = in[src+x-j]
						}
					}
				}
				j += k
			}
		}
		ins = append(ins, in)
	}
	return ins
}

// lzfCompressGo is lzfCompress with its pure-Go loop (lzfLoopGo) where
// lzfLoop would take the assembly one.
func lzfCompressGo(in, out []byte, h *lzfTable) int {
	defer func(old bool) { lzfUseAsm = old }(lzfUseAsm)
	lzfUseAsm = false
	return lzfCompress(in, out, h)
}

// checkLZFTwin compresses in with lzfCompress (its assembly loop where
// there is one), with its Go loop and with the reference into buffers of
// several sizes (the tight ones make them give up) and compares.
func checkLZFTwin(t testing.TB, in []byte, sizes []int, h1, h2 *lzfTable) {
	for _, n := range sizes {
		if n < 0 {
			continue
		}
		a, b, g := make([]byte, n), make([]byte, n), make([]byte, n)
		ca, cb := lzfCompress(in, a, h1), lzfCompressRef(in, b, h2)
		if ca != cb || !bytes.Equal(a[:ca], b[:cb]) {
			t.Fatalf("len %d out %d: got %d bytes %x, reference %d bytes %x", len(in), n, ca, a[:ca], cb, b[:cb])
		}
		if cg := lzfCompressGo(in, g, h1); cg != cb || !bytes.Equal(g[:cg], b[:cb]) {
			t.Fatalf("len %d out %d: lzfLoopGo %d bytes %x, reference %d bytes %x", len(in), n, cg, g[:cg], cb, b[:cb])
		}
		if back := make([]byte, len(in)); ca > 0 && (!lzfDecompress(a[:ca], back) || !bytes.Equal(back, in)) {
			t.Fatalf("len %d out %d: does not decompress to the input", len(in), n)
		}
	}
}

func lzfTwinSizes(in []byte, r *rand.Rand) []int {
	n := len(in)
	var ref lzfTable
	c := lzfCompressRef(in, make([]byte, n+n/16+64), &ref)
	s := []int{0, 1, n - 4, n + n/16 + 64, c, c - 1, c + 1, c + 3, c + 4, c + 5}
	if n <= 600 { // every size up to the result: each give-up point
		for k := 2; k < c; k++ {
			s = append(s, k)
		}
		return s
	}
	for i := 0; i < 3; i++ {
		s = append(s, r.IntN(n+70))
	}
	return s
}

func TestLZFCompressTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var h1, h2 lzfTable
	for _, in := range lzfTwinInputs(r) {
		checkLZFTwin(t, in, lzfTwinSizes(in, r), &h1, &h2)
	}
	// Base wrap-around: tables that are about to be cleared.
	h1.base, h2.base = 1<<32-70000, 1<<32-70000
	for _, in := range lzfTwinInputs(r)[:40] {
		checkLZFTwin(t, in, lzfTwinSizes(in, r), &h1, &h2)
	}
}

func FuzzLZFCompressTwin(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), uint16(0))
	f.Add(benchLZFInput(), uint16(100))
	f.Add([]byte("element-1:3element-2:3element-3:3"), uint16(7))
	var h1, h2 lzfTable
	r := rand.New(rand.NewPCG(7, 8))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		s := lzfTwinSizes(in, r)
		s = append(s, len(in)-int(cut))
		checkLZFTwin(t, in, s, &h1, &h2)
	})
}

// BenchmarkLZFRef is BenchmarkLZF's compress for the reference, to compare
// the two in one run on a loaded machine.
func BenchmarkLZFRef(b *testing.B) {
	in := benchLZFInput()
	out := make([]byte, len(in))
	var h lzfTable
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		lzfCompressRef(in, out, &h)
	}
}

// lzfDecompressRef is lzfDecompress byte by byte (liblzf's loops), the
// reference for its word copies.
func lzfDecompressRef(in, out []byte) bool {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			n := ctrl + 1
			if op+n > len(out) || ip+n > len(in) {
				return false
			}
			for ; n > 0; n-- {
				out[op] = in[ip]
				op, ip = op+1, ip+1
			}
			continue
		}
		n := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if n == 7 {
			if ip >= len(in) {
				return false
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return false
		}
		ref -= int(in[ip])
		ip++
		n += 2
		if op+n > len(out) || ref < 0 {
			return false
		}
		for ; n > 0; n-- {
			out[op] = out[ref]
			op, ref = op+1, ref+1
		}
	}
	return op == len(out)
}

// TestLZFDecompressTwin checks lzfDecompress against the byte-by-byte
// reference on the compressor's output for the twin inputs, and on those
// outputs damaged (a byte changed, cut short) into outputs of the wrong
// length: both must agree on success and on every byte.
func TestLZFDecompressTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var h lzfTable
	for _, in := range lzfTwinInputs(r) {
		z := make([]byte, len(in)+64)
		n := lzfCompress(in, z, &h)
		if n == 0 {
			continue
		}
		z = z[:n]
		for k := 0; k < 20; k++ {
			c := bytes.Clone(z)
			size := len(in)
			if k > 0 {
				c[r.IntN(len(c))] = byte(r.Uint32())
				if k%4 == 0 {
					c = c[:r.IntN(len(c))]
				}
				if k%3 == 0 {
					size = r.IntN(len(in) + 40)
				}
			}
			got, want := make([]byte, size), make([]byte, size)
			okGot, okWant := lzfDecompress(c, got), lzfDecompressRef(c, want)
			if okGot != okWant || (okGot && !bytes.Equal(got, want)) {
				t.Fatalf("input %d bytes, damage %d: decompress %v, reference %v", len(in), k, okGot, okWant)
			}
			if k == 0 && (!okGot || !bytes.Equal(got, in)) {
				t.Fatalf("input %d bytes: round trip failed", len(in))
			}
		}
	}
}

// guardedTail returns an n-byte buffer (n ≤ 1 MB) that ends where an
// inaccessible page begins, so a read or write past its end faults; one
// mapping per call site, reused (the tail of it).
func guardedTail(t testing.TB) func(n int) []byte {
	page := os.Getpagesize()
	size := 1<<20 + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	end := size - page
	return func(n int) []byte { return mem[end-n : end : end] }
}

// FuzzLZFDecompressTwin runs lzfDecompress and the byte-by-byte
// reference over arbitrary streams and output lengths: both must agree on
// success and on every byte. lzfDecompress reads the stream from, and
// writes into, buffers that end at an inaccessible page, so an unchecked
// access past either end faults.
func FuzzLZFDecompressTwin(f *testing.F) {
	var h lzfTable
	for _, c := range lzfBenchInputs() {
		z := make([]byte, len(c.in))
		z = z[:lzfCompress(c.in, z, &h)]
		f.Add(z, uint16(len(c.in)))
	}
	f.Add([]byte{0x02, 'a', 'b', 'c', 0xe0, 0x05, 0x02}, uint16(18))
	f.Add([]byte{0x00, 'x', 0x20, 0x00, 0x40, 0x00}, uint16(9))
	inBuf, outBuf := guardedTail(f), guardedTail(f)
	f.Fuzz(func(t *testing.T, z []byte, size uint16) {
		if len(z) > 1<<20 {
			return
		}
		in, got := inBuf(len(z)), outBuf(int(size))
		copy(in, z)
		want := make([]byte, size)
		okGot, okWant := lzfDecompress(in, got), lzfDecompressRef(z, want)
		if okGot != okWant || (okGot && !bytes.Equal(got, want)) {
			t.Fatalf("stream %x, size %d: decompress %v, reference %v", z, size, okGot, okWant)
		}
	})
}

// lzfBenchInputs are what DUMP compresses for bench-dump.sh's kinds: the
// zset100 and hash100 listpacks, string1k's 800 bytes, a list1000 node.
func lzfBenchInputs() []struct {
	name string
	in   []byte
} {
	var zset100, hash100 []byte
	for _, k := range benchKinds() {
		switch k.name {
		case "zset100":
			zset100 = appendListpack(nil, k.v.Obj)
		case "hash100":
			hash100 = appendListpack(nil, k.v.Obj)
		}
	}
	return []struct {
		name string
		in   []byte
	}{
		{"zset100", zset100},
		{"hash100", hash100},
		{"string1k", bytes.Repeat([]byte("payload-3-"), 80)},
		{"list8k", benchLZFInput()},
	}
}

// BenchmarkLZFInputs compresses lzfBenchInputs with lzfCompress ("loop":
// the assembly loop where there is one), with lzfLoopGo ("go") and with
// the reference, reporting CPU per call and per byte (compare with liblzf
// on the same bytes: SHOAL_LISTPACK_DIR in BenchmarkHashZSetDumpParts).
func BenchmarkLZFInputs(b *testing.B) {
	for _, c := range lzfBenchInputs() {
		out := make([]byte, len(c.in))
		var h lzfTable
		for _, f := range []struct {
			name string
			fn   func(in, out []byte, h *lzfTable) int
		}{
			{"loop", lzfCompress},
			{"go", lzfCompressGo},
			{"ref", lzfCompressRef},
		} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.in)))
				cpu := reportCPU(b)
				for i := 0; i < b.N; i++ {
					f.fn(c.in, out, &h)
				}
				cpu()
			})
		}
	}
}

// BenchmarkLZFDecompressInputs expands lzfBenchInputs, compressed first,
// with lzfDecompress and with the byte-by-byte reference, reporting CPU
// per call. SHOAL_LZF_DIR=dir also writes each input to dir/<name>.lp (to
// run liblzf's lzf_d.c on the same bytes).
func BenchmarkLZFDecompressInputs(b *testing.B) {
	for _, c := range lzfBenchInputs() {
		if dir := os.Getenv("SHOAL_LZF_DIR"); dir != "" {
			if err := os.WriteFile(dir+"/"+c.name+".lp", c.in, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		var h lzfTable
		z := make([]byte, len(c.in))
		z = z[:lzfCompress(c.in, z, &h)]
		out := make([]byte, len(c.in))
		for _, f := range []struct {
			name string
			fn   func(in, out []byte) bool
		}{
			{"unlzf", lzfDecompress},
			{"ref", lzfDecompressRef},
		} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.in)))
				cpu := reportCPU(b)
				for i := 0; i < b.N; i++ {
					if !f.fn(z, out) {
						b.Fatal("lzf")
					}
				}
				cpu()
			})
		}
	}
}
