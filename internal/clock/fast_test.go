package clock

import (
	"testing"
	"time"
)

// TestFastTracksMono: once calibrated, Fast's durations agree with Mono's.
func TestFastTracksMono(t *testing.T) {
	if !haveInvariantTSC {
		t.Skip("no invariant TSC: Fast is Mono")
	}
	calibrate(0) // the first reading
	time.Sleep(100 * time.Millisecond)
	calibrate(int64(50 * time.Millisecond))
	if rate.Load() == nil {
		t.Fatal("not calibrated after 100 ms")
	}
	if s := FastSource(); len(s) < 10 || s[:8] != "X86 TSC " {
		t.Fatalf("FastSource %q", s)
	}
	for i := 0; i < 5; i++ {
		f0, m0 := Fast(), Mono()
		time.Sleep(20 * time.Millisecond)
		f1, m1 := Fast(), Mono()
		df, dm := f1-f0, m1-m0
		// The rate was measured over 100 ms: well within 1 %, plus the
		// reads' own spacing.
		if diff := df - dm; diff > dm/100+int64(50*time.Microsecond) || -diff > dm/100+int64(50*time.Microsecond) {
			t.Fatalf("Fast measured %v, Mono %v", time.Duration(df), time.Duration(dm))
		}
	}
	if d := Fast() - Fast(); d > 0 {
		t.Fatalf("Fast went backwards by %d ns", d)
	}
}

func BenchmarkMono(b *testing.B) {
	var s int64
	for b.Loop() {
		s += Mono()
	}
	_ = s
}

func BenchmarkFast(b *testing.B) {
	calibrate(0)
	time.Sleep(20 * time.Millisecond)
	calibrate(0)
	var s int64
	for b.Loop() {
		s += Fast()
	}
	_ = s
}
