package slot

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestParseRange(t *testing.T) {
	good := []struct {
		in   string
		want Range
	}{
		{"0-5460", Range{0, 5460}},
		{"7", Range{7, 7}},
		{"0", Range{0, 0}},
		{"16383", Range{16383, 16383}},
		{"0-16383", Range{0, 16383}},
		{"5-5", Range{5, 5}},
		{"00012", Range{12, 12}},
	}
	for _, tc := range good {
		got, err := ParseRange(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRange(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "-", "1-", "-1", "16384", "0-16384", "5-3", "+1", "1 ", " 1",
		"1-2-3", "a", "1a", "000000", "-0", "1--2", "99999999999999999999"} {
		if r, err := ParseRange(in); err == nil || !errors.Is(err, ErrBadRange) {
			t.Errorf("ParseRange(%q) = %v, %v; want ErrBadRange", in, r, err)
		}
	}
}

func TestRangeString(t *testing.T) {
	for _, tc := range []struct {
		r    Range
		want string
	}{
		{Range{0, 5460}, "0-5460"},
		{Range{7, 7}, "7"},
		{Range{0, 16383}, "0-16383"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.r, got, tc.want)
		}
		if back, err := ParseRange(tc.want); err != nil || back != tc.r {
			t.Errorf("ParseRange(%q) = %v, %v", tc.want, back, err)
		}
		if !tc.r.Valid() || tc.r.Len() != tc.r.End-tc.r.Start+1 {
			t.Errorf("%v: Valid/Len wrong", tc.r)
		}
	}
	for _, r := range []Range{{-1, 3}, {3, 2}, {0, Count}} {
		if r.Valid() {
			t.Errorf("%v.Valid() = true", r)
		}
	}
}

func TestBitmapBasics(t *testing.T) {
	var m Bitmap
	if m.Count() != 0 || m.Ranges() != nil {
		t.Fatal("zero Bitmap not empty")
	}
	for _, s := range []int{0, 63, 64, 5000, Count - 1} {
		m.Set(s)
		if !m.Has(s) {
			t.Fatalf("Has(%d) false after Set", s)
		}
	}
	if m.Count() != 5 {
		t.Fatalf("Count = %d", m.Count())
	}
	want := []Range{{0, 0}, {63, 64}, {5000, 5000}, {Count - 1, Count - 1}}
	if got := m.Ranges(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Ranges = %v, want %v", got, want)
	}
	m.Clear(63)
	m.Clear(63)
	if m.Has(63) || m.Count() != 4 {
		t.Fatal("Clear failed")
	}
	var full Bitmap
	full.SetRange(Range{0, Count - 1})
	if full.Count() != Count || !reflect.DeepEqual(full.Ranges(), []Range{{0, Count - 1}}) {
		t.Fatalf("full: %d %v", full.Count(), full.Ranges())
	}
	var three Bitmap
	for _, r := range []Range{{0, 5460}, {5461, 10922}, {10923, 16383}} {
		three.SetRange(r)
	}
	if !reflect.DeepEqual(three.Ranges(), []Range{{0, 16383}}) {
		t.Fatal("adjacent ranges not merged")
	}
}

// TestBitmapNaive checks Bitmap against a []bool twin over random sets.
func TestBitmapNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 200; iter++ {
		var m Bitmap
		var naive [Count]bool
		density := rng.Float64()
		for op := 0; op < 3000; op++ {
			s := rng.IntN(Count)
			if rng.Float64() < density {
				m.Set(s)
				naive[s] = true
			} else {
				m.Clear(s)
				naive[s] = false
			}
		}
		if iter%7 == 0 { // long runs crossing word boundaries
			r := Range{rng.IntN(Count), 0}
			r.End = r.Start + rng.IntN(Count-r.Start)
			m.SetRange(r)
			for s := r.Start; s <= r.End; s++ {
				naive[s] = true
			}
		}
		var want []Range
		n := 0
		for s := 0; s < Count; s++ {
			if m.Has(s) != naive[s] {
				t.Fatalf("iter %d: Has(%d) = %v", iter, s, m.Has(s))
			}
			if !naive[s] {
				continue
			}
			n++
			if len(want) > 0 && want[len(want)-1].End == s-1 {
				want[len(want)-1].End = s
			} else {
				want = append(want, Range{s, s})
			}
		}
		if m.Count() != n {
			t.Fatalf("iter %d: Count = %d, want %d", iter, m.Count(), n)
		}
		if got := m.Ranges(); !reflect.DeepEqual(got, want) {
			t.Fatalf("iter %d: Ranges = %v, want %v", iter, got, want)
		}
	}
}

func TestAllocs(t *testing.T) {
	var m Bitmap
	m.Set(100)
	key := []byte("user:{1000}:profile")
	var sink int
	if n := testing.AllocsPerRun(100, func() {
		if m.Has(100) {
			sink++
		}
		sink += Of(key) + OfString("foo{bar}")
	}); n != 0 {
		t.Fatalf("Has/Of/OfString allocate: %v per run", n)
	}
	_ = sink
}

func BenchmarkOf(b *testing.B) {
	key := []byte("user:{1000}:profile:settings")
	b.ReportAllocs()
	b.SetBytes(int64(len(key)))
	var sink int
	for b.Loop() {
		sink += Of(key)
	}
	_ = sink
}

func BenchmarkOfString(b *testing.B) {
	b.ReportAllocs()
	var sink int
	for b.Loop() {
		sink += OfString("user:{1000}:profile:settings")
	}
	_ = sink
}

func BenchmarkBitmapHas(b *testing.B) {
	var m Bitmap
	m.SetRange(Range{0, 5460})
	b.ReportAllocs()
	var sink int
	for i := 0; b.Loop(); i++ {
		if m.Has(i & (Count - 1)) {
			sink++
		}
	}
	_ = sink
}
