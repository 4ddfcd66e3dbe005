// Package hdrhist is the per-command latency histogram of Redis 7.0's
// latency tracking (INFO latencystats, LATENCY HISTOGRAM): the bucket
// layout of an HdrHistogram that tracks 1 ns to 1 s with two significant
// digits, so a value lands in the bucket Redis's would put it in and the
// percentiles and cumulative rows read back are the ones Redis reports for
// the same samples.
//
// Layout: 256 sub-buckets per bucket, the upper 128 of each bucket after
// the first stored (each bucket doubles the value range and halves the
// resolution); 23 buckets cover 1e9, so 3072 counters in all. They are kept
// in 24 rows of 128, a row allocated the first time a value lands in it
// (commands cluster in a few rows), so an unused histogram costs 24
// pointers.
//
// Record is safe from any goroutine: one atomic add, no lock, no
// allocation once its row exists. Readers take a Snapshot.
package hdrhist

import (
	"math/bits"
	"sync/atomic"
)

const (
	// MinValue and MaxValue bound what is recorded (Redis's
	// LATENCY_HISTOGRAM_MIN_VALUE / _MAX_VALUE, in ns); values outside are
	// clamped.
	MinValue = 1
	MaxValue = 1_000_000_000

	subHalfMag = 7   // log2(subHalf)
	subHalf    = 128 // sub-buckets stored per bucket after the first
	subCount   = 256 // 2 * subHalf: 2 significant digits need 200
	subMask    = subCount - 1
	buckets    = 23 // 256 << 22 > MaxValue
	// Len is the number of counters.
	Len  = (buckets + 1) * subHalf
	rows = Len / subHalf
)

type row [subHalf]atomic.Int64

// Histogram is one command's latency histogram. The zero value is empty
// and ready.
type Histogram struct {
	rows [rows]atomic.Pointer[row]
}

func bucketOf(v int64) int {
	return 64 - bits.LeadingZeros64(uint64(v|subMask)) - (subHalfMag + 1)
}

// Index is the counter a value (ns) is counted in.
func Index(v int64) int {
	if v < MinValue {
		v = MinValue
	} else if v > MaxValue {
		v = MaxValue
	}
	b := bucketOf(v)
	return (b+1)<<subHalfMag + int(v>>uint(b)) - subHalf
}

// Record counts one value (ns).
func (h *Histogram) Record(v int64) { h.Add(Index(v), 1) }

// Add adds n to counter i (an Index).
func (h *Histogram) Add(i int, n int64) {
	r := h.rows[i>>subHalfMag].Load()
	if r == nil {
		r = h.newRow(i >> subHalfMag)
	}
	r[i&(subHalf-1)].Add(n)
}

func (h *Histogram) newRow(k int) *row {
	fresh := new(row)
	if h.rows[k].CompareAndSwap(nil, fresh) {
		return fresh
	}
	return h.rows[k].Load()
}

// Used reports whether anything was recorded since the last Reset
// (Redis's command has a histogram allocated).
func (h *Histogram) Used() bool {
	for k := range h.rows {
		if h.rows[k].Load() != nil {
			return true
		}
	}
	return false
}

// Reset empties the histogram (CONFIG RESETSTAT). Records racing with it
// may land in the rows dropped.
func (h *Histogram) Reset() {
	for k := range h.rows {
		h.rows[k].Store(nil)
	}
}

// Snapshot is a histogram's counters read at one time.
type Snapshot struct {
	Counts [Len]int64
	Total  int64
}

// Snapshot copies the counters into s.
func (h *Histogram) Snapshot(s *Snapshot) {
	s.Total = 0
	for k := range h.rows {
		r := h.rows[k].Load()
		base := k * subHalf
		if r == nil {
			clear(s.Counts[base : base+subHalf])
			continue
		}
		for j := range r {
			n := r[j].Load()
			s.Counts[base+j] = n
			s.Total += n
		}
	}
}

// valueAt is the lowest value counter i holds.
func valueAt(i int) int64 {
	b := i>>subHalfMag - 1
	sb := i&(subHalf-1) + subHalf
	if b < 0 {
		sb -= subHalf
		b = 0
	}
	return int64(sb) << uint(b)
}

// lowest is the lowest value equivalent to v (in v's counter).
func lowest(v int64) int64 {
	b := bucketOf(v)
	return (v >> uint(b)) << uint(b)
}

// rangeSize is the width of v's counter.
func rangeSize(v int64) int64 {
	b := bucketOf(v)
	if v>>uint(b) >= subCount {
		b++
	}
	return 1 << uint(b)
}

// highest is the highest value equivalent to v.
func highest(v int64) int64 { return lowest(v) + rangeSize(v) - 1 }

// ValueAtPercentile is HdrHistogram's hdr_value_at_percentile: the
// highest value equivalent to the one at percentile p (0 to 100); for p
// 0, the lowest.
func (s *Snapshot) ValueAtPercentile(p float64) int64 {
	if p > 100 {
		p = 100
	}
	want := int64(p/100*float64(s.Total) + 0.5)
	if want < 1 {
		want = 1
	}
	var v int64
	var cum int64
	for i, n := range s.Counts {
		cum += n
		if cum >= want {
			v = valueAt(i)
			break
		}
	}
	if p == 0 {
		return lowest(v)
	}
	return highest(v)
}

// CDFRow is one row of LATENCY HISTOGRAM: the calls that took at most
// Micros µs (cumulative).
type CDFRow struct {
	Micros     int64
	Cumulative int64
}

// CDF walks the counters with HdrHistogram's logarithmic iterator (first
// reporting level 1024 ns, each next one doubled), as Redis's LATENCY
// HISTOGRAM does, and returns each step that added calls: the highest value
// of the counter the step stopped on, in µs (integer division), and the
// calls counted up to it.
func (s *Snapshot) CDF() []CDFRow {
	it := logIter{s: s, idx: -1, level: 1024, levelLow: lowest(1024)}
	var out []CDFRow
	var prev int64
	for it.next() {
		if it.cum > prev {
			out = append(out, CDFRow{Micros: it.high / 1000, Cumulative: it.cum})
		}
		prev = it.cum
	}
	return out
}

// logIter is hdr_iter with its logarithmic step function.
type logIter struct {
	s               *Snapshot
	idx             int
	cum, value      int64
	high            int64
	level, levelLow int64
}

func (it *logIter) moveNext() bool {
	it.idx++
	if it.idx >= Len {
		return false
	}
	it.cum += it.s.Counts[it.idx]
	it.value = valueAt(it.idx)
	it.high = lowest(it.value) + rangeSize(it.value) - 1
	return true
}

func (it *logIter) next() bool {
	peekAbove := it.idx < Len && valueAt(it.idx+1) > it.levelLow
	if it.cum >= it.s.Total && !peekAbove {
		return false
	}
	for {
		if it.value >= it.levelLow {
			it.level *= 2
			it.levelLow = lowest(it.level)
			return true
		}
		if !it.moveNext() {
			return true
		}
	}
}
