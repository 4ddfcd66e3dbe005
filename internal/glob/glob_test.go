package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s   string
		nocase bool
		want   bool
	}{
		{"*", "", false, false}, // stringmatchlen never enters its loop for an empty string
		{"*", "anything", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hallo", false, true},
		{"h\\*llo", "h*llo", false, true},
		{"h\\*llo", "hello", false, false},
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbY", false, false},
		{"user:*", "user:1000", false, true},
		{"*o*", "foo", false, true},
		{"f[", "f[", false, false},
		{"a*a*b", "aaab", false, true},
		{"*a*b*", "xxaxxbxx", false, true},
		{"*a*b", "xxaxxbxxa", false, false},
		// Regression for pattern matching long nested loops (Redis's
		// keyspace test): answered at once by skipLongerMatches.
		{"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
		{"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false, false},
	}
	for _, c := range cases {
		if got := MatchString(c.p, c.s, c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", c.p, c.s, c.nocase, got, c.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*[b-c]?\\x", "abx")
	f.Add("a*a*a*b", "aaaaaab")
	f.Fuzz(func(t *testing.T, p, s string) {
		got := MatchString(p, s, false)
		MatchString(p, s, true)
		if !strings.ContainsAny(p, "[\\") {
			if want := reference(p, s); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference %v", p, s, got, want)
			}
		}
	})
}

// reference is glob matching of '*', '?' and literals by dynamic
// programming, with stringmatchlen's one quirk: an empty string matches
// only the empty pattern.
func reference(p, s string) bool {
	if s == "" {
		return p == ""
	}
	// m[j]: p[:i] matches s[:j].
	m := make([]bool, len(s)+1)
	m[0] = true
	for i := 0; i < len(p); i++ {
		next := make([]bool, len(s)+1)
		for j := 0; j <= len(s); j++ {
			switch {
			case p[i] == '*':
				next[j] = m[j] || (j > 0 && next[j-1])
			case j > 0 && (p[i] == '?' || p[i] == s[j-1]):
				next[j] = m[j-1]
			}
		}
		m = next
	}
	return m[len(s)]
}
