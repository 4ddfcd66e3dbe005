// Package glob is Redis's stringmatchlen: the glob patterns of KEYS, SCAN
// MATCH, PSUBSCRIBE and CONFIG GET (* ? [abc] [^a-z] and \ escapes).
package glob

// Match reports whether s matches pattern. nocase folds ASCII case.
func Match(pattern, s []byte, nocase bool) bool {
	var skip bool
	return match(pattern, s, nocase, 0, &skip)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	var skip bool
	return match([]byte(pattern), []byte(s), nocase, 0, &skip)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match follows Redis util.c stringmatchlen_impl. *skip is its
// skipLongerMatches: once the rest of the pattern after a '*' matched
// nowhere in the rest of the string, no earlier '*' can help by matching
// more, so every level gives up at once ("a*a*a*…b" would otherwise take
// exponential time). The nesting limit bounds the recursion depth.
func match(p, s []byte, nocase bool, nesting int, skip *bool) bool {
	if nesting > 1000 {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, nocase, nesting+1, skip) {
					return true
				}
				if *skip {
					return false
				}
				s = s[1:]
			}
			*skip = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) > 0 && p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if len(p) == 0 || p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					c := s[0]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if nocase {
					if lower(p[0]) == lower(s[0]) {
						matched = true
					}
				} else if p[0] == s[0] {
					matched = true
				}
				p = p[1:]
			}
			if len(p) == 0 {
				// pattern ended inside [...]: Redis treats the last char as the end
				p = []byte{']'}
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if nocase {
				if lower(p[0]) != lower(s[0]) {
					return false
				}
			} else if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
