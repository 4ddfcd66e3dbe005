package snapshot

import (
	"testing"
	"time"
)

// TestPacerRestsOnlyWhenBusy: with a clock that moves 1 ms per slot, a
// 2 ms/3 ms pacer rests 3 ms after every second slot while the server is
// busy, and never while it is idle.
func TestPacerRestsOnlyWhenBusy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		busy  bool
		rests int
	}{{"busy", true, 5}, {"idle", false, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := time.Unix(0, 0)
			var slept []time.Duration
			p := &Pacer{Work: 2 * time.Millisecond, Rest: 3 * time.Millisecond, Busy: func() bool { return tc.busy }}
			p.now = func() time.Time { return clock }
			p.sleep = func(d time.Duration) { slept = append(slept, d); clock = clock.Add(d) }
			for range 11 {
				p.Pace()
				clock = clock.Add(time.Millisecond) // the next slot's walk
			}
			if len(slept) != tc.rests {
				t.Fatalf("rested %d times (%v), want %d", len(slept), slept, tc.rests)
			}
			for _, d := range slept {
				if d != 3*time.Millisecond {
					t.Fatalf("rested %v, want 3ms", d)
				}
			}
		})
	}
}
