package rdb

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestCRC64Vector(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
	// Incremental use gives the same value.
	if got := CRC64(CRC64(0, []byte("1234")), []byte("56789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("incremental crc64 = %x", got)
	}
}

// TestCRC64Long checks the 16- and 8-byte steps: Redis's own long test
// vector (crc64Test: a lorem ipsum of 446 bytes with its NUL), and every
// length and split up to 100 bytes against the byte-at-a-time table.
func TestCRC64Long(t *testing.T) {
	li := "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed " +
		"do eiusmod tempor incididunt ut labore et dolore magna " +
		"aliqua. Ut enim ad minim veniam, quis nostrud exercitation " +
		"ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis " +
		"aute irure dolor in reprehenderit in voluptate velit esse " +
		"cillum dolore eu fugiat nulla pariatur. Excepteur sint " +
		"occaecat cupidatat non proident, sunt in culpa qui officia " +
		"deserunt mollit anim id est laborum.\x00"
	if got := CRC64(0, []byte(li)); got != 0xc7794709e69683b3 {
		t.Fatalf("crc64(lorem ipsum) = %x", got)
	}
	r := rand.New(rand.NewPCG(9, 10))
	p := make([]byte, 100)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	for n := 0; n <= len(p); n++ {
		var want uint64
		for _, b := range p[:n] {
			want = jonesTable[byte(want)^b] ^ want>>8
		}
		for k := 0; k <= n; k++ {
			if got := CRC64(CRC64(0, p[:k]), p[k:n]); got != want {
				t.Fatalf("n=%d split %d: %x, want %x", n, k, got, want)
			}
		}
	}
}

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var htab lzfTable
	for i := 0; i < 2000; i++ {
		n := r.IntN(3000) + 1
		in := make([]byte, n)
		alpha := r.IntN(4) + 1
		for j := range in {
			in[j] = byte('a' + r.IntN(alpha))
		}
		out := make([]byte, n+n/16+64)
		c := lzfCompress(in, out, &htab)
		if c == 0 {
			t.Fatalf("no output for %d bytes", n)
		}
		back := make([]byte, n)
		if !lzfDecompress(out[:c], back) || !bytes.Equal(back, in) {
			t.Fatalf("round trip failed for %q", in)
		}
		// A too-small output buffer fails cleanly.
		if c > 1 && lzfCompress(in, out[:c-1], &htab) != 0 {
			t.Fatalf("compress fit in %d < %d bytes", c-1, c)
		}
		// Truncated or corrupted input never panics.
		lzfDecompress(out[:c/2], back)
		out[r.IntN(c)] ^= 0xff
		lzfDecompress(out[:c], back)
	}
}

func TestLenEncoding(t *testing.T) {
	for _, n := range []uint64{0, 63, 64, 16383, 16384, 1<<32 - 1, 1 << 32, 1<<64 - 1} {
		b := AppendLen(nil, n)
		d := decoder{p: b}
		got, enc, err := d.readLen()
		if err != nil || enc || got != n || len(d.p) != 0 {
			t.Fatalf("len %d: got %d %v %v", n, got, enc, err)
		}
	}
}

// lzfMatchLenRef is liblzf's match loop as written in lzf_c.c.
func lzfMatchLenRef(in []byte, ref, ip, maxlen int) int {
	l := 2
	if maxlen > 16 {
		for k := 0; k < 16; k++ {
			l++
			if in[ref+l] != in[ip+l] {
				return l
			}
		}
	}
	for {
		l++
		if !(l < maxlen && in[ref+l] == in[ip+l]) {
			return l
		}
	}
}

// TestLZFMatchLenTwin checks the compressor's match lengths against
// liblzf's loop (lzfCompressRef uses lzfMatchLenRef) on two-letter inputs,
// where matches of every length and end come up, near the input's end too.
func TestLZFMatchLenTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h1, h2 lzfTable
	for i := 0; i < 20000; i++ {
		n := r.IntN(400) + 4
		in := make([]byte, n)
		for j := range in {
			in[j] = byte('a' + r.IntN(2))
		}
		checkLZFTwin(t, in, []int{n + n/16 + 64}, &h1, &h2)
	}
}

// TestAppendLZFInPlace: appendLZF, which compresses into dst after room
// for the longest header, writes what compressing into a separate buffer
// and appending the header and the output would, whether the compressed
// length's encoding is as long as the room left for it or shorter (the
// output moved back), after a prefix or none.
func TestAppendLZFInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h lzfTable
	var e encoder
	defer e.release()
	for _, n := range []int{21, 40, 67, 68, 69, 100, 300, 2000, 16383, 16388, 16389, 20000, 70000} {
		for _, kind := range []string{"run", "text", "random"} {
			s := make([]byte, n)
			for i := range s {
				switch kind {
				case "run":
					s[i] = 'a'
				case "text":
					s[i] = "field-:0123456789"[r.IntN(17)]
				default:
					s[i] = byte(r.Uint32())
				}
			}
			for _, prefix := range [][]byte{nil, []byte("xyz")} {
				z := make([]byte, n-4)
				want := append([]byte(nil), prefix...)
				if c := lzfCompress(s, z, &h); c > 0 {
					want = append(want, lenEnc<<6|encLZF)
					want = AppendLen(want, uint64(c))
					want = AppendLen(want, uint64(n))
					want = append(want, z[:c]...)
				}
				got, ok := e.appendLZF(append([]byte(nil), prefix...), s)
				if ok != (len(want) > len(prefix)) || (ok && !bytes.Equal(got, want)) || (!ok && !bytes.Equal(got, prefix)) {
					t.Fatalf("%d bytes of %s, prefix %q: got %d bytes (ok %v), want %d", n, kind, prefix, len(got), ok, len(want))
				}
			}
		}
	}
}
