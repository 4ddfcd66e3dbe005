package types

import (
	"math/big"
	"strconv"
)

// Redis keeps HINCRBYFLOAT (and INCRBYFLOAT) arithmetic in C long double:
// on x86-64 that is the x87 80-bit format, a 64-bit mantissa with a 15-bit
// exponent, round-to-nearest-even. big.Float with 64 bits of precision
// rounds the same way; the exponent range is checked by hand.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // |x| < 2^16384
	ldMinExp = -16445 // smallest subnormal is 2^-16445
)

// LongDouble is a value with long double precision.
type LongDouble struct{ f big.Float }

// ParseLongDouble parses s as Redis's string2ld does (strtold, no leading
// space, nothing after the number, no overflow, no NaN). Infinities parse;
// callers reject them where Redis does.
func ParseLongDouble(s []byte) (LongDouble, bool) {
	var r LongDouble
	if len(s) == 0 || len(s) > 5*1024 {
		return r, false
	}
	switch c := s[0]; c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return r, false
	}
	body := s
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch lower := string(toLowerASCII(body)); lower {
	case "inf", "infinity":
		r.f.SetInf(neg)
		return r, true
	}
	hex := len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	digits := 0
	for i, c := range body {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
		case hex && i == 1:
		case hex && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
			digits++
		case !hex && (c == 'e' || c == 'E'), hex && (c == 'p' || c == 'P'):
		case c == '+' || c == '-':
			// only right after an exponent mark
			if i == 0 || !(body[i-1] == 'e' || body[i-1] == 'E' || hex && (body[i-1] == 'p' || body[i-1] == 'P')) {
				return r, false
			}
		default:
			return r, false
		}
	}
	if digits == 0 {
		return r, false
	}
	base := 10
	if hex {
		base = 0
	}
	r.f.SetPrec(ldPrec).SetMode(big.ToNearestEven)
	if _, _, err := r.f.Parse(string(s), base); err != nil {
		return r, false
	}
	if r.f.IsInf() {
		return r, false
	}
	if e := r.f.MantExp(nil); r.f.Sign() != 0 && (e > ldMaxExp || e < ldMinExp) {
		return r, false // ERANGE
	}
	return r, true
}

func toLowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// IsInf reports whether the value is infinite.
func (x *LongDouble) IsInf() bool { return x.f.IsInf() }

// Add returns x+y rounded to long double, and false when the sum overflows
// the long double range (Redis: "increment would produce NaN or Infinity").
func (x *LongDouble) Add(y *LongDouble) (LongDouble, bool) {
	var r LongDouble
	if x.f.IsInf() || y.f.IsInf() {
		return r, false
	}
	r.f.SetPrec(ldPrec).SetMode(big.ToNearestEven)
	r.f.Add(&x.f, &y.f)
	if r.f.Sign() != 0 {
		e := r.f.MantExp(nil)
		if e > ldMaxExp {
			return r, false
		}
		if e < ldMinExp {
			r.f.SetInt64(0)
		}
	}
	return r, true
}

// AppendHuman formats x as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with
// trailing zeros (and a trailing point) removed.
func (x *LongDouble) AppendHuman(dst []byte) []byte {
	start := len(dst)
	dst = x.f.Append(dst, 'f', 17)
	// big.Float prints -0 as "-0.000…", as printf does.
	s := dst[start:]
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return dst[:start+i]
}

// ParseInt64 parses s as Redis's string2ll: canonical decimal, no sign
// other than a leading '-', no leading zeros, no spaces, no overflow.
func ParseInt64[T ~string | ~[]byte](s T) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	i := 0
	neg := false
	if s[0] == '-' {
		neg = true
		i = 1
		if len(s) == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var n uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// appendInt is strconv.AppendInt, for callers in this package.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
