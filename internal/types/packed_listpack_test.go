package types

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func hashPairs(h *Hash) [][2]string {
	var out [][2]string
	h.Each(func(f, v []byte) bool {
		out = append(out, [2]string{string(f), string(v)})
		return true
	})
	return out
}

type zelem struct {
	m string
	s float64
}

func zsetElems(z *ZSet) []zelem {
	var out []zelem
	z.Range(0, z.Len(), false, func(m []byte, s float64) bool {
		out = append(out, zelem{string(m), s})
		return true
	})
	return out
}

func testScore(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil && !math.IsNaN(f)
}

// listpackOf builds a Redis listpack of the given elements.
func listpackOf(elems ...string) []byte {
	lp := make([]byte, qlpHeader)
	for _, e := range elems {
		lp = qlpAppend(lp, []byte(e))
	}
	lp = append(lp, qlpEOF)
	qlpSetHeader(lp, len(elems))
	return lp
}

func TestHashListpackRoundTrip(t *testing.T) {
	for _, n := range []int{1, 5, 12, 13, 100, 300} {
		h := NewHash()
		lim := DefaultLimits()
		big := *lim
		big.HashMaxListpackEntries, big.HashMaxListpackValue = 1000, 1000
		for j := 0; j < n; j++ {
			v := "v" + strconv.Itoa(j)
			switch j % 4 {
			case 1:
				v = strconv.Itoa(j * 1000003) // an integer entry
			case 2:
				v = string(bytes.Repeat([]byte{'x'}, 60+j%10)) // headers of 1 and 2 bytes
			case 3:
				v = "-" + strconv.Itoa(j)
			}
			h.Set([]byte("f"+strconv.Itoa(j)), []byte(v), &big)
		}
		lp := h.AppendListpack([]byte("prefix"))
		if string(lp[:6]) != "prefix" {
			t.Fatalf("n=%d: prefix lost", n)
		}
		lp = lp[6:]
		if c, ok := qlpValidate(lp); !ok || c != 2*n {
			t.Fatalf("n=%d: listpack invalid (%d, %v)", n, c, ok)
		}
		var want []string
		h.Each(func(f, v []byte) bool { want = append(want, string(f), string(v)); return true })
		if !bytes.Equal(lp, listpackOf(want...)) {
			t.Fatalf("n=%d: listpack differs from entry by entry appends", n)
		}
		back, _ := NewHashFromListpack(lp, nil)
		if back == nil {
			t.Fatalf("n=%d: own listpack refused", n)
		}
		if got, w := hashPairs(back), hashPairs(h); len(got) != len(w) || back.Encoding() != "listpack" {
			t.Fatalf("n=%d: %d pairs back, want %d", n, len(got), len(w))
		} else {
			for i := range got {
				if got[i] != w[i] {
					t.Fatalf("n=%d: pair %d = %q, want %q", n, i, got[i], w[i])
				}
			}
		}
	}
}

func TestHashFromListpackRefuses(t *testing.T) {
	ok := listpackOf("a", "1", "b", "2")
	wrongCount := bytes.Clone(ok)
	binary.LittleEndian.PutUint16(wrongCount[4:], 3)
	badBacklen := bytes.Clone(ok)
	badBacklen[len(badBacklen)-2] = 7
	var dup13 []string
	for j := 0; j < 13; j++ {
		dup13 = append(dup13, "f"+strconv.Itoa(j%12), "v")
	}
	for name, lp := range map[string][]byte{
		"empty":       listpackOf(),
		"odd":         listpackOf("a", "1", "b"),
		"dup":         listpackOf("a", "1", "a", "2"),
		"dup table":   listpackOf(dup13...),
		"dup int":     listpackOf("7", "x", "7", "y"),
		"count":       wrongCount,
		"backlen":     badBacklen,
		"truncated":   ok[:len(ok)-1],
		"no header":   ok[:3],
		"total bytes": append(bytes.Clone(ok[:len(ok)-1]), 0, qlpEOF),
	} {
		if h, _ := NewHashFromListpack(lp, nil); h != nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if h, _ := NewHashFromListpack(ok, nil); h == nil || h.Len() != 2 {
		t.Fatal("a valid listpack was refused")
	}
	unknown := bytes.Clone(ok)
	binary.LittleEndian.PutUint16(unknown[4:], qlpCountUnknown)
	if h, _ := NewHashFromListpack(unknown, nil); h == nil || h.Len() != 2 {
		t.Fatal("a listpack with an unknown count was refused")
	}
}

func TestZSetListpackRoundTrip(t *testing.T) {
	lim := DefaultLimits()
	for _, n := range []int{1, 10, 100} {
		z := NewZSet(n, 0, lim)
		for j := 0; j < n; j++ {
			s := float64(j * 3)
			if j%10 == 5 { // negative integers, 13 bits and past them
				s = float64(-j * 45)
			}
			switch j % 5 {
			case 1: // fractions in 1/256ths, both signs, and 1/3 (not)
				s = []float64{float64(j) + 0.5, -float64(j) - 0.00390625, float64(j) + 1.0/3, 999999.99609375 - float64(j)}[j/5%4]
			case 2:
				s = -1e300 * float64(j)
			case 3:
				s = math.Inf(1)
			case 4:
				s = float64(-j) * 1e10
			}
			z.Add([]byte("member-"+strconv.Itoa(j)), s, 0, lim)
		}
		lp := z.AppendListpack(nil)
		var want []string
		for _, e := range zsetElems(z) {
			want = append(want, e.m, string(appendD2String(nil, e.s)))
		}
		if !bytes.Equal(lp, listpackOf(want...)) {
			t.Fatalf("n=%d: listpack differs from member, d2string(score) appends", n)
		}
		back, _ := NewZSetFromListpack(lp, nil, testScore)
		if back == nil {
			t.Fatalf("n=%d: own listpack refused", n)
		}
		got, w := zsetElems(back), zsetElems(z)
		if len(got) != len(w) {
			t.Fatalf("n=%d: %d elements back, want %d", n, len(got), len(w))
		}
		for i := range got {
			if got[i] != w[i] {
				t.Fatalf("n=%d: element %d = %v, want %v", n, i, got[i], w[i])
			}
		}
	}
}

func TestZSetFromListpackRefuses(t *testing.T) {
	for name, elems := range map[string][]string{
		"empty":        {},
		"odd":          {"a", "1", "b"},
		"unsorted":     {"a", "2", "b", "1"},
		"member order": {"b", "1", "a", "1"},
		"dup":          {"a", "1", "b", "2", "a", "3"},
		"nan":          {"a", "nan"},
		"not a number": {"a", "x"},
	} {
		if z, _ := NewZSetFromListpack(listpackOf(elems...), nil, testScore); z != nil {
			t.Errorf("%s: accepted", name)
		}
	}
	z, _ := NewZSetFromListpack(listpackOf("b", "-0", "a", "0.5", "c", "7"), nil, testScore)
	want := []zelem{{"b", 0}, {"a", 0.5}, {"c", 7}}
	if got := zsetElems(z); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestPairsFromLongListpacks covers lpToPacked's pair step (a short
// member or field with a small integer score or short value, taken whole
// when 36 bytes of the listpack follow): a fault (a repeated member or
// field, a score out of order, equal scores with members out of order)
// at each position of a 24-pair listpack is refused, and pairs that go
// one step or entry by entry (a long member, a fractional score, a
// large integer) mix in any order with the right result.
func TestPairsFromLongListpacks(t *testing.T) {
	const n = 24
	member := func(i int) string { return "m" + strconv.Itoa(100+i) } // 4 bytes, in order
	zsetPairs := func() []string {
		var e []string
		for i := 0; i < n; i++ {
			e = append(e, member(i), strconv.Itoa(3*i-30))
		}
		return e
	}
	if z, _ := NewZSetFromListpack(listpackOf(zsetPairs()...), nil, testScore); z == nil || z.Len() != n {
		t.Fatal("ordered sorted set refused")
	}
	for i := 1; i < n; i++ {
		dup := zsetPairs()
		dup[2*i] = member(i / 2) // the same member at another score
		out := zsetPairs()
		out[2*i+1] = strconv.Itoa(3*i - 34) // under the previous score
		tie := zsetPairs()
		tie[2*i+1] = tie[2*i-1]                     // equal to the previous score
		tie[2*i-2], tie[2*i] = tie[2*i], tie[2*i-2] // with the members swapped
		tie[2*i-1], tie[2*i+1] = tie[2*i+1], tie[2*i-1]
		for name, e := range map[string][]string{"dup": dup, "order": out, "tie": tie} {
			if z, _ := NewZSetFromListpack(listpackOf(e...), nil, testScore); z != nil {
				t.Errorf("sorted set, %s at pair %d: accepted", name, i)
			}
		}
		hdup := zsetPairs()
		hdup[2*i] = member(i - 1)
		if h, _ := NewHashFromListpack(listpackOf(hdup...), nil); h != nil {
			t.Errorf("hash, repeated field at pair %d: accepted", i)
		}
	}
	// Pairs of both paths mixed, and equal scores across the two paths
	// (ordered by member).
	long := strings.Repeat("z", 40)
	var want []zelem
	for i := 0; i < n; i++ {
		switch sc := float64(10 * i); i % 4 {
		case 0: // one step, after an equal score's long member
			want = append(want, zelem{member(i), sc}, zelem{"a" + member(i) + long, sc})
		case 1: // a long member, then an equal score's short one
			want = append(want, zelem{member(i) + long, sc}, zelem{"z" + member(i), sc})
		case 2: // a fractional score
			want = append(want, zelem{member(i), sc + 0.5})
		case 3: // an integer over 13 bits
			want = append(want, zelem{member(i), sc + 5000})
		}
	}
	slices.SortFunc(want, func(a, b zelem) int {
		if a.s != b.s {
			return cmp.Compare(a.s, b.s)
		}
		return strings.Compare(a.m, b.m)
	})
	var e []string
	for _, w := range want {
		e = append(e, w.m, strconv.FormatFloat(w.s, 'f', -1, 64))
	}
	z, _ := NewZSetFromListpack(listpackOf(e...), nil, testScore)
	if z == nil {
		t.Fatalf("mixed sorted set refused: %q", e)
	}
	if got := zsetElems(z); !slices.Equal(got, want) {
		t.Fatalf("mixed sorted set: got %v, want %v", got, want)
	}
	h, _ := NewHashFromListpack(listpackOf(e...), nil)
	if h == nil {
		t.Fatalf("mixed hash refused")
	}
	for i, pr := range hashPairs(h) {
		if pr[0] != e[2*i] || pr[1] != e[2*i+1] {
			t.Fatalf("mixed hash pair %d = %q, want %q %q", i, pr, e[2*i], e[2*i+1])
		}
	}
}

// FuzzPairsFromListpack: any bytes are refused or loaded; a loaded hash or
// sorted set holds exactly the listpack's pairs (read by the list codec's
// checked walk), with distinct fields or members, and a valid listpack of
// distinct pairs (in order, for a sorted set) is never refused.
func FuzzPairsFromListpack(f *testing.F) {
	f.Add(listpackOf("a", "1", "b", "2"))
	f.Add(listpackOf("f1", "-77", "f2", "123456789012", "f3", string(bytes.Repeat([]byte{'v'}, 70))))
	f.Add(listpackOf("m", "0.5", "n", "1", "o", "1e300"))
	f.Add(listpackOf("x", "3", "x", "4"))
	long := make([]string, 0, 40)
	for i := 0; i < 20; i++ {
		long = append(long, "member-"+strconv.Itoa(10+i), strconv.Itoa(3*i))
	}
	f.Add(listpackOf(long...)) // the pair step (lpToPacked)
	f.Fuzz(func(t *testing.T, p []byte) {
		n, valid := qlpValidate(p)
		var elems []string
		if valid {
			var buf [20]byte
			for off := qlpHeader; off < len(p)-1; {
				v, size := qlpValue(p, off, &buf)
				elems = append(elems, string(v))
				off += size
			}
		}
		countOK := valid && (binary.LittleEndian.Uint16(p[4:]) == qlpCountUnknown || int(binary.LittleEndian.Uint16(p[4:])) == n)
		fields := map[string]bool{}
		for i := 0; i+1 < len(elems); i += 2 {
			fields[elems[i]] = true
		}
		distinct := n > 0 && n%2 == 0 && len(fields) == n/2 && n/2 < lpMaxCount

		h, _ := NewHashFromListpack(p, nil)
		if h == nil {
			if countOK && distinct {
				t.Fatalf("valid hash listpack refused: %q", elems)
			}
		} else {
			if !countOK || !distinct {
				t.Fatalf("bad hash listpack accepted (valid %v, count %v, distinct %v)", valid, countOK, distinct)
			}
			got := hashPairs(h)
			for i, pr := range got {
				if pr[0] != elems[2*i] || pr[1] != elems[2*i+1] {
					t.Fatalf("pair %d = %q, want %q %q", i, pr, elems[2*i], elems[2*i+1])
				}
			}
			if len(got) != n/2 || h.Len() != n/2 {
				t.Fatalf("%d pairs (Len %d), want %d", len(got), h.Len(), n/2)
			}
		}

		// Bytes past the listpack's end in its slice's capacity (a
		// decoder's scratch) change nothing, even when they read as
		// entries that would continue it.
		for _, tail := range [][]byte{p, bytes.Repeat([]byte("\x82ab\x03\x011"), 12)} {
			padded := append(append(make([]byte, 0, len(p)+len(tail)+64), p...), tail...)[:len(p)]
			hp, _ := NewHashFromListpack(padded, nil)
			if (hp == nil) != (h == nil) || h != nil && !bytes.Equal(hp.lp(), h.lp()) {
				t.Fatalf("hash with spare capacity: %v, without %v", hp != nil, h != nil)
			}
		}

		z, _ := NewZSetFromListpack(p, nil, testScore)
		for _, tail := range [][]byte{p, bytes.Repeat([]byte("\x82zz\x03\x8315.5\x04"), 12)} {
			padded := append(append(make([]byte, 0, len(p)+len(tail)+64), p...), tail...)[:len(p)]
			zp, _ := NewZSetFromListpack(padded, nil, testScore)
			if (zp == nil) != (z == nil) || z != nil && !bytes.Equal(zp.bytes(), z.bytes()) {
				t.Fatalf("zset with spare capacity: %v, without %v", zp != nil, z != nil)
			}
		}
		if z == nil {
			return
		}
		if !countOK || !distinct {
			t.Fatalf("bad zset listpack accepted (valid %v, count %v, distinct %v)", valid, countOK, distinct)
		}
		got := zsetElems(z)
		if len(got) != n/2 || z.Len() != n/2 {
			t.Fatalf("%d elements (Len %d), want %d", len(got), z.Len(), n/2)
		}
		for i, e := range got {
			s, ok := testScore([]byte(elems[2*i+1]))
			if s == 0 {
				s = 0 // the packed form keeps no sign of zero
			}
			if !ok || e.m != elems[2*i] || e.s != s {
				t.Fatalf("element %d = %v, want %q %q", i, e, elems[2*i], elems[2*i+1])
			}
			if i > 0 && !(got[i-1].s < e.s || got[i-1].s == e.s && got[i-1].m < e.m) {
				t.Fatalf("elements %d and %d out of order", i-1, i)
			}
		}
	})
}

// TestPairsEntryPastEnd: a listpack whose last entry runs past its
// terminator is refused, also when the memory after it (here the slice's
// spare capacity) holds the rest of that entry: pairStep, which reads
// whole words, takes the last pairs from a copy padded with terminators.
func TestPairsEntryPastEnd(t *testing.T) {
	for _, c := range []struct {
		name string
		last []byte // the last entry's bytes before the terminator
		rest []byte // what would complete it past the terminator
	}{
		{"int13 score", []byte{0xC0}, []byte{0x02}},            // 0xC0 0xFF 0x02: 255
		{"string value", []byte{0x81}, []byte{0x02}},           // 0x81 0xFF 0x02: "\xff"
		{"string score", []byte{0x83, '1', '2'}, []byte{0x04}}, // "12\xff"
	} {
		lp := append(listpackOf("m", "1")[:qlpHeader+3], c.last...) // "m", then the cut entry
		lp = append(lp, qlpEOF)
		// With the count unknown, as a listpack of 65535 entries or more
		// has it, the count does not catch the overrun.
		for _, count := range []int{2, qlpCountUnknown} {
			qlpSetHeader(lp, count)
			padded := append(append(make([]byte, 0, len(lp)+64), lp...), c.rest...)
			padded = append(padded, bytes.Repeat([]byte{0x81, 'x', 0x02, 0x01, 0x01}, 12)...)[:len(lp)]
			if h, _ := NewHashFromListpack(padded, nil); h != nil {
				t.Fatalf("%s, count %d: hash accepted %q", c.name, count, hashPairs(h))
			}
			if z, _ := NewZSetFromListpack(padded, nil, testScore); z != nil {
				t.Fatalf("%s, count %d: zset accepted %v", c.name, count, zsetElems(z))
			}
		}
	}
}

// TestD2StringEighths checks appendD2String's integer path for multiples
// of 1/256 below 1e6 against "%.17g" (strconv), around every boundary.
func TestD2StringEighths(t *testing.T) {
	check := func(d float64) {
		t.Helper()
		want := strconv.AppendFloat(nil, d, 'g', 17, 64)
		if _, ok := double2ll(d); ok || math.IsInf(d, 0) || math.IsNaN(d) || d == 0 {
			return
		}
		if got := appendD2String(nil, d); string(got) != string(want) {
			t.Fatalf("%v: %q, want %q", d, got, want)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 200000; i++ {
		m := r.Int64N(256e6) - 128e6
		check(float64(m) / 256)
		check(float64(m) / float64(int64(1)<<r.IntN(12)))
		check(r.Float64() * 2e6)
	}
	for _, d := range []float64{0.5, -0.5, 0.00390625, -0.00390625, 999999.99609375, -999999.99609375,
		1e6 - 0.5, 1e6 + 0.5, 0.1, 1.0 / 512, 123456.125, 3.75} {
		check(d)
	}
}

// TestDistinctSet checks lpToPacked's duplicate table against a map, with
// the probe budget as given and exhausted at once (the fallback to
// distinctEntries), for keys of every hashing path (short, 4–7, 8–16 and
// longer bytes) and counts on and off the stack table.
func TestDistinctSet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 3000; iter++ {
		n := 1 + r.IntN(300)
		var elems []string
		seen := map[string]bool{}
		want := true
		for j := 0; j < n; j++ {
			var k string
			if j > 0 && r.IntN(200) == 0 {
				k = elems[2*r.IntN(j)] // a repeat
			} else {
				k = strconv.Itoa(r.IntN(1000)) + string(bytes.Repeat([]byte{'k'}, r.IntN(24)))
			}
			if seen[k] {
				want = false
			}
			seen[k] = true
			elems = append(elems, k, "v")
		}
		p := listpackOf(elems...)
		for _, budget := range []int{-1, 0} {
			d := distinctSet{slots: make([]uint64, distinctSize(p, 0))}
			d.budget = 2*len(d.slots) + 64
			var keys []uint32
			if budget == 0 {
				d.budget = 0
			}
			b := []byte{0, 0}
			got := true
			for j := 0; j < len(elems); j += 2 {
				at := len(b)
				b = binary.AppendUvarint(b, uint64(len(elems[j])))
				b = append(b, elems[j]...)
				b = append(b, 1, 'v')
				keys = append(keys, uint32(at))
				if !d.add(b, at, []byte(elems[j]), len(keys)) {
					got = false
					break
				}
			}
			if got && d.fallback {
				got = distinctEntries(b, keys)
			}
			if got != want {
				t.Fatalf("n=%d budget %d: distinct %v, want %v", n, budget, got, want)
			}
		}
	}
}

// TestListpackShortEntries checks hash and sorted set listpacks against
// entry-by-entry appends for random short strings (every length of
// AppendListpack's word-copy path and past it, empty ones, ones that
// look like integers), so entries land at every distance from the end
// of the packed bytes.
func TestListpackShortEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 7))
	const alphabet = "ab-0123456789x"
	str := func() string {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	lim := DefaultLimits()
	big := *lim
	big.HashMaxListpackEntries, big.HashMaxListpackValue = 1000, 1000
	big.ZSetMaxListpackEntries, big.ZSetMaxListpackValue = 1000, 1000
	for round := 0; round < 2000; round++ {
		n := 1 + r.IntN(12)
		h := NewHash()
		z := NewZSet(n, 0, &big)
		for j := 0; j < n; j++ {
			h.Set([]byte(str()), []byte(str()), &big)
			z.Add([]byte(str()), float64(r.IntN(9)-4)/2, 0, &big)
		}
		var want []string
		h.Each(func(f, v []byte) bool { want = append(want, string(f), string(v)); return true })
		if lp := h.AppendListpack([]byte("pre")); !bytes.Equal(lp[3:], listpackOf(want...)) || string(lp[:3]) != "pre" {
			t.Fatalf("hash %q: listpack differs from entry by entry appends", want)
		}
		want = want[:0]
		for _, e := range zsetElems(z) {
			want = append(want, e.m, string(appendD2String(nil, e.s)))
		}
		if lp := z.AppendListpack([]byte("pre")); !bytes.Equal(lp[3:], listpackOf(want...)) || string(lp[:3]) != "pre" {
			t.Fatalf("zset %q: listpack differs from entry by entry appends", want)
		}
	}
}

// TestListpackDupEveryTableSize: lpToPacked's duplicate table for every
// size it takes (on the stack for up to 16 and up to 128 pairs, on the
// heap beyond) accepts distinct fields and members and refuses a listpack
// whose last one repeats an earlier one, with the header's count and
// with an unknown count (the table then sized from the bytes).
func TestListpackDupEveryTableSize(t *testing.T) {
	for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 127, 128, 129, 200, 300} {
		for _, unknown := range []bool{false, true} {
			for _, dupAt := range []int{-1, 0, n / 2} { // -1: no repeat
				var hash, zset []string
				for j := 0; j < n; j++ {
					f := "f" + strconv.Itoa(j)
					if j == n-1 && dupAt >= 0 && dupAt < j {
						f = "f" + strconv.Itoa(dupAt)
					}
					hash = append(hash, f, "v")
					zset = append(zset, f, strconv.Itoa(j)) // ascending scores
				}
				want := dupAt < 0 || dupAt >= n-1
				lp, zlp := listpackOf(hash...), listpackOf(zset...)
				if unknown {
					binary.LittleEndian.PutUint16(lp[4:], qlpCountUnknown)
					binary.LittleEndian.PutUint16(zlp[4:], qlpCountUnknown)
				}
				if h, _ := NewHashFromListpack(lp, nil); (h != nil) != want || h != nil && h.Len() != n {
					t.Errorf("hash of %d pairs, repeat of %d, unknown count %v: accepted %v, want %v", n, dupAt, unknown, h != nil, want)
				}
				if z, _ := NewZSetFromListpack(zlp, nil, testScore); (z != nil) != want || z != nil && z.Len() != n {
					t.Errorf("zset of %d pairs, repeat of %d, unknown count %v: accepted %v, want %v", n, dupAt, unknown, z != nil, want)
				}
			}
		}
	}
}
