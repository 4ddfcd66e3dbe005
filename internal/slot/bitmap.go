package slot

import (
	"errors"
	"math/bits"
	"strconv"
)

// Range is an inclusive run of slots, Start <= End, as CLUSTER NODES and
// nodes.conf write them ("0-5460", or "7" for a single slot).
type Range struct{ Start, End int }

// ErrBadRange is wrapped by ParseRange for text that is not a slot range.
var ErrBadRange = errors.New("slot: bad slot range")

// Valid reports whether r lies within [0, Count) and Start <= End.
func (r Range) Valid() bool { return 0 <= r.Start && r.Start <= r.End && r.End < Count }

// Len returns the number of slots in r.
func (r Range) Len() int { return r.End - r.Start + 1 }

// String formats r as CLUSTER NODES does: "start-end", or "start" when the
// range holds one slot.
func (r Range) String() string { return string(r.Append(nil)) }

// Append appends r, formatted as by String, to b.
func (r Range) Append(b []byte) []byte {
	b = strconv.AppendInt(b, int64(r.Start), 10)
	if r.End != r.Start {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(r.End), 10)
	}
	return b
}

// ParseRange parses "start-end" or "slot" (decimal, no sign, no spaces).
// The result is valid: both ends in [0, Count) and start <= end.
func ParseRange(s string) (Range, error) {
	lo, hi := s, s
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			lo, hi = s[:i], s[i+1:]
			break
		}
	}
	a, ok1 := parseSlot(lo)
	b, ok2 := parseSlot(hi)
	if !ok1 || !ok2 || a > b {
		return Range{}, errors.Join(ErrBadRange, errors.New(strconv.Quote(s)))
	}
	return Range{a, b}, nil
}

// parseSlot parses a decimal slot number in [0, Count), digits only.
func parseSlot(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n < Count
}

// Bitmap is a set of slots, one bit per slot (2 KiB). The zero value is empty.
// Methods panic if given a slot outside [0, Count), like an index out of range.
type Bitmap [Count / 64]uint64

// Set adds slot s.
func (m *Bitmap) Set(s int) { m[s>>6] |= 1 << (uint(s) & 63) }

// Clear removes slot s.
func (m *Bitmap) Clear(s int) { m[s>>6] &^= 1 << (uint(s) & 63) }

// Has reports whether slot s is in the set. It does not allocate.
func (m *Bitmap) Has(s int) bool { return m[s>>6]&(1<<(uint(s)&63)) != 0 }

// SetRange adds every slot of r, which must be valid.
func (m *Bitmap) SetRange(r Range) {
	for s := r.Start; s <= r.End; s++ {
		m.Set(s)
	}
}

// Count returns the number of slots in the set.
func (m *Bitmap) Count() int {
	n := 0
	for _, w := range m {
		n += bits.OnesCount64(w)
	}
	return n
}

// Ranges returns the set as ascending, maximal runs: adjacent slots are
// merged, so the result is what CLUSTER NODES prints for a node owning
// exactly these slots. It returns nil for the empty set.
func (m *Bitmap) Ranges() []Range {
	var out []Range
	start := -1
	for i, w := range m {
		base := i * 64
		if w == 0 && start < 0 {
			continue
		}
		if w == ^uint64(0) && start >= 0 {
			continue
		}
		for b := 0; b < 64; b++ {
			on := w&(1<<uint(b)) != 0
			switch {
			case on && start < 0:
				start = base + b
			case !on && start >= 0:
				out = append(out, Range{start, base + b - 1})
				start = -1
			}
		}
	}
	if start >= 0 {
		out = append(out, Range{start, Count - 1})
	}
	return out
}
