package clock

import (
	"math/bits"
	"strconv"
	"sync/atomic"
)

// Fast is a cheaper monotonic clock in nanoseconds, for timing commands on
// the hot path (SLOWLOG, commandstats, latency histograms): where the CPU
// has an invariant time-stamp counter, a TSC read scaled by a rate measured
// against Mono (Calibrate), about a third of Mono's cost under a hypervisor's
// clock source; Mono until the rate is known, and on other CPUs. Redis
// offers the same choice (its monotonic.c, USE_PROCESSOR_CLOCK). Readings
// are for durations only: they start equal to Mono's and may drift from
// them by the rate's error (parts per million), so never mix the two.
func Fast() int64 {
	r := rate.Load()
	if r == nil {
		return Mono()
	}
	d := int64(readTSC()) - r.tsc0
	if d < 0 {
		d = 0 // a counter behind the calibration's (another CPU's): no time
	}
	hi, lo := bits.Mul64(uint64(d), r.nsPerTick)
	return r.ns0 + int64(hi<<32|lo>>32)
}

// tscRate converts TSC ticks since tsc0 to nanoseconds since ns0.
type tscRate struct {
	tsc0, ns0 int64
	nsPerTick uint64 // 32.32 fixed point
	perUs     int64  // ticks per microsecond, for INFO
}

var (
	rate    atomic.Pointer[tscRate]
	calFrom atomic.Pointer[[2]int64] // the first reading: TSC, Mono
)

// calibrateOver is how long Calibrate measures the TSC against Mono
// before Fast uses it: a second gives the rate to about a part per million.
const calibrateOver = int64(1e9)

// Calibrate measures the TSC's rate, called now and then (the server's
// cron): the first call takes a reading, a call a second or more later
// computes the rate and switches Fast to the TSC. Later calls do nothing.
// Safe for concurrent use.
func Calibrate() { calibrate(calibrateOver) }

func calibrate(over int64) {
	if !haveInvariantTSC || rate.Load() != nil {
		return
	}
	now := Mono()
	tsc := int64(readTSC())
	from := calFrom.Load()
	if from == nil {
		calFrom.CompareAndSwap(nil, &[2]int64{tsc, now})
		return
	}
	dt, dn := tsc-from[0], now-from[1]
	if dn < over {
		return
	}
	if dt <= 0 || dt/dn > 100 || dn/dt > 100 {
		return // not a plausible counter: keep Mono
	}
	q, _ := bits.Div64(uint64(dn)>>32, uint64(dn)<<32, uint64(dt))
	rate.CompareAndSwap(nil, &tscRate{tsc0: tsc, ns0: now, nsPerTick: q, perUs: dt * 1000 / dn})
}

// FastSource names Fast's clock as Redis's INFO monotonic_clock does.
func FastSource() string {
	if r := rate.Load(); r != nil {
		return "X86 TSC @ " + strconv.FormatInt(r.perUs, 10) + " ticks/us"
	}
	return "POSIX clock_gettime"
}
