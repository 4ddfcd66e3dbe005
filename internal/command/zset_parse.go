package command

import (
	"bytes"
	"math"
	"strconv"
	"unsafe"

	"github.com/shoal-db/shoal/internal/types"
)

// zStrtod parses b as C strtod does, reporting whether the whole of b was
// consumed (Redis checks eptr reaches the end). As strtod, it skips leading
// white space, accepts a sign, inf/infinity/nan and hex floats without an
// exponent. The empty string yields 0 and counts as consumed (strtod then
// leaves eptr at the terminating NUL). underflow reports a non-zero text
// that rounded to zero (strtod's ERANGE towards zero).
func zStrtod(b []byte) (v float64, full, underflow bool) {
	if len(b) == 0 {
		return 0, true, false
	}
	i := 0
	for i < len(b) && zIsSpace(b[i]) {
		i++
	}
	s := b[i:]
	body := s
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	nonzero := false
	switch {
	case zEqualFoldAny(body, "inf", "infinity"):
	case len(body) >= 3 && zEqualFoldAny(body[:3], "nan"):
		return math.NaN(), zValidNaN(body[3:]), false
	case len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'):
		ok, nz, hasP := zScanHex(body[2:])
		if !ok {
			return 0, false, false
		}
		nonzero = nz
		if !hasP {
			s = append(append([]byte(nil), s...), 'p', '0')
		}
	default:
		ok, nz := zScanDec(body)
		if !ok {
			return 0, false, false
		}
		nonzero = nz
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(s), len(s)), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false, false
	}
	return f, true, nonzero && f == 0
}

func zIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func zEqualFoldAny(b []byte, words ...string) bool {
	for _, w := range words {
		if len(b) == len(w) && bytes.EqualFold(b, []byte(w)) {
			return true
		}
	}
	return false
}

// zValidNaN accepts what may follow "nan" in strtod: nothing or "(chars)".
func zValidNaN(rest []byte) bool {
	if len(rest) == 0 {
		return true
	}
	if rest[0] != '(' || rest[len(rest)-1] != ')' {
		return false
	}
	for _, c := range rest[1 : len(rest)-1] {
		if !(c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// zScanDec validates digits[.digits][e[sign]digits] (at least one digit in
// the mantissa) and reports whether the mantissa has a non-zero digit.
func zScanDec(b []byte) (ok, nonzero bool) {
	i, digits := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits++
		nonzero = nonzero || b[i] != '0'
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits++
			nonzero = nonzero || b[i] != '0'
		}
	}
	if digits == 0 {
		return false, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			e++
		}
		if e == 0 {
			return false, false
		}
	}
	return i == len(b), nonzero
}

func zIsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func zScanHex(b []byte) (ok, nonzero, hasP bool) {
	i, digits := 0, 0
	for ; i < len(b) && zIsHex(b[i]); i++ {
		digits++
		nonzero = nonzero || b[i] != '0'
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && zIsHex(b[i]); i++ {
			digits++
			nonzero = nonzero || b[i] != '0'
		}
	}
	if digits == 0 {
		return false, false, false
	}
	if i < len(b) && (b[i] == 'p' || b[i] == 'P') {
		hasP = true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			e++
		}
		if e == 0 {
			return false, false, false
		}
	}
	return i == len(b), nonzero, hasP
}

// zParseDouble is Redis getDoubleFromObject: no leading space, whole
// string, no overflow or underflow to zero, not NaN.
func zParseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || zIsSpace(b[0]) {
		return 0, false
	}
	v, full, under := zStrtod(b)
	if !full || under || math.IsNaN(v) {
		return 0, false
	}
	if math.IsInf(v, 0) && !zLooksInf(b) {
		return 0, false // overflow: ERANGE with HUGE_VAL
	}
	return v, true
}

func zLooksInf(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	return len(b) > 0 && (b[0] == 'i' || b[0] == 'I')
}

// zParseScoreRange is Redis zslParseRange: "(x" excludes x; strtod rules.
func zParseScoreRange(min, max []byte) (types.ScoreRange, bool) {
	var r types.ScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = zParseRangeItem(min); !ok {
		return r, false
	}
	if r.Max, r.MaxEx, ok = zParseRangeItem(max); !ok {
		return r, false
	}
	return r, true
}

func zParseRangeItem(b []byte) (v float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	v, full, _ := zStrtod(b)
	if !full || math.IsNaN(v) {
		return 0, false, false
	}
	return v, ex, true
}

// zParseLexRange is Redis zslParseLexRange: "[x" inclusive, "(x"
// exclusive, "-" and "+" the infinities.
func zParseLexRange(min, max []byte) (types.LexRange, bool) {
	var r types.LexRange
	if len(min) == 0 || len(max) == 0 {
		return r, false
	}
	switch min[0] {
	case '+':
		if len(min) != 1 {
			return r, false
		}
		r.MinNeg = true
	case '-':
		if len(min) != 1 {
			return r, false
		}
		r.MinInf = true
	case '(', '[':
		r.Min, r.MinEx = min[1:], min[0] == '('
	default:
		return r, false
	}
	switch max[0] {
	case '+':
		if len(max) != 1 {
			return r, false
		}
		r.MaxInf = true
	case '-':
		if len(max) != 1 {
			return r, false
		}
		r.MaxPos = true
	case '(', '[':
		r.Max, r.MaxEx = max[1:], max[0] == '('
	default:
		return r, false
	}
	return r, true
}

// zEqualFold compares an argument with a lower-case keyword.
func zEqualFold(arg []byte, kw string) bool {
	return len(arg) == len(kw) && bytes.EqualFold(arg, unsafe.Slice(unsafe.StringData(kw), len(kw)))
}
