// Package rnum is Redis's number syntax, where it differs from Go's strconv
// and shows in replies: string2ll's strict integers (no '+', no spaces, no
// leading zeros, no "-0"). One implementation serves the protocol, the
// commands and the config, so they all accept and refuse the same input.
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
