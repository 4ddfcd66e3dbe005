package glob

import "testing"

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
	}
	for _, c := range cases {
		if got := MatchString(c.p, c.s, c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", c.p, c.s, c.nocase, got, c.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*[b-c]?\\x", "abx")
	f.Fuzz(func(t *testing.T, p, s string) {
		MatchString(p, s, false)
		MatchString(p, s, true)
	})
}
