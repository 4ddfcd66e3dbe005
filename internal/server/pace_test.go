package server

import (
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"testing"
	"time"
)

// TestPaceAfterLoad: after an RDB load (DEBUG RELOAD) the next
// collection's goal is what a collection at the load's end would set, the
// data held times (1 + GOGC/100), whatever point of the load the
// collector's last cycle marked; and GOGC is back to what it was once that
// collection ran.
func TestPaceAfterLoad(t *testing.T) {
	s := startServer(t, "--dir", t.TempDir())
	c := dial(t, s)
	const keys = 50_000
	slow := func(args ...string) { // long under -race
		t.Helper()
		c.send(args...)
		if got := c.reply(time.Minute); got != "+OK\r\n" {
			t.Fatalf("%q: %q", args, got)
		}
	}
	slow("DEBUG", "POPULATE", strconv.Itoa(keys), "key", "40")
	read := func() (gogc, goal uint64) {
		m := []rtmetrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/goal:bytes"}}
		rtmetrics.Read(m)
		return m[0].Value.Uint64(), m[1].Value.Uint64()
	}
	base, _ := read()
	for round := range 3 {
		slow("DEBUG", "RELOAD")
		_, goal := read()
		used := uint64(s.measureMemory())
		// The goal is set from the live heap, which holds more than
		// used_memory counts (runtime overhead): at least the figure.
		if want := used + used*base/100; goal < want {
			t.Fatalf("round %d: heap goal %d after the load, want at least %d (used %d, GOGC %d)", round, goal, want, used, base)
		}
		runtime.GC()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if pct, _ := read(); pct == base {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("round %d: GOGC %d after the next collection, want %d back", round, pct, base)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
