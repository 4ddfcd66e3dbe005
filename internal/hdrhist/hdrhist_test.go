package hdrhist

import (
	"math/rand"
	"sort"
	"testing"
)

// Values Redis 7.0 prints for commands that took whole microseconds
// (it records µs × 1000): p50=1.003 for 1 µs, 2.007, 5.023, and the
// clamps at 1 ns and 1 s.
func TestBucketsAsRedis(t *testing.T) {
	for _, c := range []struct{ v, low, high int64 }{
		{0, 1, 1}, {1, 1, 1}, {255, 255, 255}, {256, 256, 257}, {1000, 1000, 1003},
		{1024, 1024, 1031}, {2000, 2000, 2007}, {5000, 4992, 5023},
		{12345, 12288, 12351}, {1_000_000, 999_424, 1_003_519},
		{2_000_000_000, 998_244_352, 1_002_438_655},
	} {
		var h Histogram
		h.Record(c.v)
		var s Snapshot
		h.Snapshot(&s)
		if got := s.ValueAtPercentile(50); got != c.high {
			t.Errorf("value %d: p50 %d, want %d", c.v, got, c.high)
		}
		if got := s.ValueAtPercentile(0); got != c.low {
			t.Errorf("value %d: p0 %d, want %d", c.v, got, c.low)
		}
	}
}

// The percentile of the histogram is the percentile of the raw samples
// mapped to their counter's highest value (the naive twin).
func TestPercentilesMatchSortedSamples(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		n := 1 + r.Intn(500)
		var h Histogram
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = int64(r.ExpFloat64() * float64(1+r.Intn(5_000_000)))
			h.Record(vals[i])
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		var s Snapshot
		h.Snapshot(&s)
		if s.Total != int64(n) {
			t.Fatalf("total %d, want %d", s.Total, n)
		}
		for _, p := range []float64{0.1, 50, 99, 99.9, 100} {
			want := int64(p/100*float64(n) + 0.5)
			if want < 1 {
				want = 1
			}
			v := max(vals[want-1], MinValue)
			if got, exp := s.ValueAtPercentile(p), highest(v); got != exp {
				t.Fatalf("round %d p%v: %d, want %d", round, p, got, exp)
			}
		}
	}
}

// LATENCY HISTOGRAM's rows for samples of 1, 2, 3 and 900 µs (as Redis
// records them): the logarithmic walk stops on the first counter at or
// past 1024, 2048, 4096 … ns and reports that counter's highest value.
func TestCDFAsRedis(t *testing.T) {
	var h Histogram
	for _, v := range []int64{1000, 1000, 2000, 3000, 900_000} {
		h.Record(v)
	}
	var s Snapshot
	h.Snapshot(&s)
	got := s.CDF()
	want := []CDFRow{{1, 2}, {2, 3}, {4, 4}, {1056, 5}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	var empty Snapshot
	if rows := empty.CDF(); len(rows) != 0 {
		t.Fatalf("empty: %v", rows)
	}
}

func TestResetAndUsed(t *testing.T) {
	var h Histogram
	if h.Used() {
		t.Fatal("fresh histogram used")
	}
	h.Record(5)
	if !h.Used() {
		t.Fatal("not used after Record")
	}
	h.Reset()
	if h.Used() {
		t.Fatal("used after Reset")
	}
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	for i := 0; i < b.N; i++ {
		h.Record(int64(800 + i&1023))
	}
}
