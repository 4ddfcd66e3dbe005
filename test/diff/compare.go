package diff

import (
	"bytes"
	"math"
	"slices"
	"strconv"

	"github.com/shoal-db/shoal/internal/resp"
)

// Outcome is what one server did for one step: a reply frame, or a failure
// to read one (Fail set to "EOF", "timeout", or an error text).
type Outcome struct {
	Raw  []byte
	Val  resp.Value
	Fail string
}

// String renders the outcome for a failure message: the escaped raw frame
// and its readable form.
func (o Outcome) String() string {
	if o.Fail != "" {
		return "<" + o.Fail + ">"
	}
	return strconv.Quote(string(o.Raw)) + "  " + o.Val.String()
}

// Same compares two outcomes under a step's comparison mode.
func Same(a, b Outcome, unordered, float bool) bool {
	if a.Fail != "" || b.Fail != "" {
		return a.Fail == b.Fail
	}
	if bytes.Equal(a.Raw, b.Raw) {
		return true
	}
	switch {
	case float:
		return sameFloat(a.Val, b.Val)
	case unordered:
		return sameUnordered(a.Val, b.Val)
	}
	return false
}

func isAggregate(k resp.Kind) bool {
	switch k {
	case resp.KindArray, resp.KindSet, resp.KindPush, resp.KindMap:
		return true
	}
	return false
}

// sameUnordered compares the top-level elements of two aggregates as
// multisets (maps: as multisets of key-value pairs); anything else must be
// byte-identical.
func sameUnordered(a, b resp.Value) bool {
	if a.Kind != b.Kind || !isAggregate(a.Kind) || a.Null != b.Null || len(a.Elems) != len(b.Elems) {
		return false
	}
	if len(a.Attrs) > 0 || len(b.Attrs) > 0 {
		return false
	}
	step := 1
	if a.Kind == resp.KindMap {
		step = 2
	}
	enc := func(v resp.Value) []string {
		var out []string
		for i := 0; i+step <= len(v.Elems); i += step {
			var e []byte
			for _, x := range v.Elems[i : i+step] {
				e = resp.AppendValue(e, x)
			}
			out = append(out, string(e))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(enc(a), enc(b))
}

// FloatTolerance is the relative difference @float accepts.
const FloatTolerance = 1e-9

// sameFloat compares numbers numerically and aggregates element by element;
// other values must be byte-identical. A number must stay the same kind
// (a bulk string stays a bulk string).
func sameFloat(a, b resp.Value) bool {
	if a.Kind != b.Kind || a.Null != b.Null {
		return false
	}
	if isAggregate(a.Kind) {
		if len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !sameFloat(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
		return true
	}
	fa, oka := a.Float()
	fb, okb := b.Float()
	if oka && okb {
		if fa == fb || math.IsNaN(fa) && math.IsNaN(fb) {
			return true
		}
		return math.Abs(fa-fb) <= FloatTolerance*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return bytes.Equal(resp.AppendValue(nil, a), resp.AppendValue(nil, b))
}
