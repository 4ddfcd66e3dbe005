package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/resp"
)

// This file holds Go twins of the small Redis string helpers whose exact
// behaviour shows through the config syntax: sdssplitargs, sdscatrepr,
// memtoull, string2ll, strtoll and stringmatch.

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'
}

func isHex(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
}

func hexVal(b byte) byte {
	switch {
	case b >= '0' && b <= '9':
		return b - '0'
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10
	default:
		return b - 'A' + 10
	}
}

// splitArgs splits a line the way sdssplitargs does: blanks separate
// arguments, "double quotes" know \n \r \t \b \a \xHH and \<char> escapes,
// 'single quotes' know only \'. A closing quote must be followed by a blank or
// the end of the line. ok is false for unbalanced quotes. Like the C code it
// stops at the first NUL byte. The protocol's inline parser is the one
// implementation (resp.SplitArgs).
func splitArgs(line string) (args []string, ok bool) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	parts, _, err := resp.SplitArgs([]byte(line), nil, nil)
	if err != nil {
		return nil, false
	}
	for _, p := range parts {
		args = append(args, string(p))
	}
	return args, true
}

// repr quotes s the way sdscatrepr does, so that splitArgs reads it back.
func repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c <= 0x7e {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// asciiLower lowercases ASCII letters only, like a loop of tolower(3) in the
// C locale.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// memToUint parses a memory value as memtoull does: decimal digits then an
// optional unit b, k (1000), kb (1024), m, mb, g, gb, case-insensitive. An
// empty digit string is 0, and digit strings too long for 64 bits saturate,
// both as in the C code.
func memToUint(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	u := 0
	for u < len(s) && s[u] >= '0' && s[u] <= '9' {
		u++
	}
	var mul uint64
	switch strings.ToLower(s[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if u >= 128 {
		return 0, false
	}
	var val uint64
	if u > 0 {
		v, err := strconv.ParseUint(s[:u], 10, 64)
		if err != nil {
			v = math.MaxUint64 // strtoull saturates and memtoull does not check ERANGE
		}
		val = v
	}
	if val > math.MaxUint64/mul {
		return 0, false
	}
	return val * mul, true
}

// strtoll mimics strtoll(s, &end, base) followed by the usual "*end == 0"
// check: leading blanks and a sign are allowed, the empty string is 0, and
// overflow saturates.
func strtoll(s string, base int) (int64, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && digitVal(s[k]) < base {
		k++
	}
	if k == j { // no digits: end points at the start of s
		return 0, len(s) == 0
	}
	if k != len(s) {
		return 0, false
	}
	v, err := strconv.ParseInt(s[i:k], base, 64)
	if err != nil {
		if s[i] == '-' {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	return v, true
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// stringMatch is Redis's stringmatchlen glob: * ? [abc] [^a-z] and \ escapes.
func stringMatch(pattern, str string, nocase bool) bool {
	skip := false
	return matchImpl(pattern, str, nocase, &skip)
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func matchImpl(pat, str string, nocase bool, skipLonger *bool) bool {
	p, s := 0, 0
	pat0 := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	str0 := func(i int) byte {
		if i < len(str) {
			return str[i]
		}
		return 0
	}
	eq := func(a, b byte) bool {
		if nocase {
			return lowerByte(a) == lowerByte(b)
		}
		return a == b
	}
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for p+1 < len(pat) && pat[p+1] == '*' {
				p++
			}
			if p == len(pat)-1 {
				return true
			}
			for s < len(str) {
				if matchImpl(pat[p+1:], str[s:], nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
			}
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			p++
			not := pat0(p) == '^'
			if not {
				p++
			}
			match := false
			for {
				if pat0(p) == '\\' && len(pat)-p >= 2 {
					p++
					if pat[p] == str[s] {
						match = true
					}
				} else if pat0(p) == ']' {
					break
				} else if p >= len(pat) {
					p--
					break
				} else if len(pat)-p >= 3 && pat[p+1] == '-' {
					start, end, c := pat[p], pat[p+2], str[s]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lowerByte(start), lowerByte(end), lowerByte(c)
					}
					p += 2
					if c >= start && c <= end {
						match = true
					}
				} else if eq(pat[p], str[s]) {
					match = true
				}
				p++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			fallthrough
		default:
			if !eq(pat[p], str0(s)) {
				return false
			}
			s++
		}
		p++
		if s == len(str) {
			for pat0(p) == '*' {
				p++
			}
			break
		}
	}
	return p >= len(pat) && s == len(str)
}

// MemToUint is Redis's memtoull (DEBUG QUICKLIST-PACKED-THRESHOLD): false
// for what it reports as an error.
func MemToUint(s string) (uint64, bool) { return memToUint(s) }
