// Package rnum is Redis's number syntax, where it differs from Go's strconv
// and shows in replies: string2ll's strict integers (no '+', no spaces, no
// leading zeros, no "-0"). One implementation serves the protocol, the
// commands and the config, so they all accept and refuse the same input.
// It also holds the short decimal form a sorted set's scores take in a
// listpack ("1.5"), parsed exactly without strconv's general path, for the
// RDB decoder and the listpack conversion alike.
package rnum

// ParseInt parses s as Redis's string2ll does: an optional '-', then digits
// with no leading zero ("0" alone excepted), at most 20 bytes, within int64.
func ParseInt[T string | []byte](s T) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		d := uint64(s[i] - '0')
		if d > 9 {
			return 0, false
		}
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// IsInt reports whether s is an integer ParseInt accepts.
func IsInt[T string | []byte](s T) bool {
	_, ok := ParseInt(s)
	return ok
}

// exactPow10 are the powers of ten a float64 holds exactly.
var exactPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// ParseShortDecimal parses the common form of a score written as text,
// [-]digits.digits with at most 15 digits in all (d2string's "1.5",
// "0.125"): the digits as an integer m < 10^15 and a power of ten, both
// exact in a float64, so m / 10^k is the correctly rounded value strtod
// returns. Anything else is not ok (the caller's full parser decides).
func ParseShortDecimal(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c-'0' <= 9:
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, false
		}
	}
	if !dot || frac == 0 || digits > 15 {
		return 0, false
	}
	f := float64(m) / exactPow10[frac]
	if neg {
		f = -f
	}
	return f, true
}
