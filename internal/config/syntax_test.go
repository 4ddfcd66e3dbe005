package config

import (
	"math"
	"reflect"
	"testing"

	"github.com/shoal-db/shoal/internal/rnum"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"port 6379", []string{"port", "6379"}, true},
		{"  a\t b  ", []string{"a", "b"}, true},
		{`x "a b" 'c d'`, []string{"x", "a b", "c d"}, true},
		{`x "\n\r\t\b\a\x41\x4a\"\\\q"`, []string{"x", "\n\r\t\b\aAJ\"\\q"}, true},
		{`x "\x4"`, []string{"x", "x4"}, true},
		{`x 'it\'s' 'a\nb'`, []string{"x", "it's", `a\nb`}, true},
		{`x ""`, []string{"x", ""}, true},
		{`x a"b c"`, []string{"x", "ab c"}, true},
		{`x "a"b`, nil, false},
		{`x 'a'b`, nil, false},
		{`x "a`, nil, false},
		{`x 'a`, nil, false},
		{"", nil, true},
		{"a\x00b c", []string{"a"}, true},
	}
	for _, tc := range cases {
		got, ok := splitArgs(tc.in)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReprRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", "q\"uote\\", "\n\r\t\a\b", "\x00\x7f\xff", "it's"} {
		args, ok := splitArgs("x " + repr(s))
		if !ok || len(args) != 2 || args[1] != s {
			t.Errorf("repr(%q) = %s does not read back: %q %v", s, repr(s), args, ok)
		}
	}
	if got := repr("a\"\x01"); got != `"a\"\x01"` {
		t.Errorf("repr = %s", got)
	}
}

func TestMemToUint(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"kb", 0, true}, {"100", 100, true}, {"1b", 1, true},
		{"1k", 1000, true}, {"1kb", 1024, true}, {"1K", 1000, true}, {"1KB", 1024, true},
		{"2m", 2000000, true}, {"2mb", 2 << 20, true}, {"3g", 3000000000, true}, {"3GB", 3 << 30, true},
		{"1x", 0, false}, {"-1", 0, false}, {"1.5gb", 0, false}, {" 5", 0, false}, {"0x10", 0, false},
		{"99999999999999999999", math.MaxUint64, true}, {"99999999999999999999kb", 0, false},
	}
	for _, tc := range cases {
		got, ok := memToUint(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("memToUint(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestString2ll(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "-1": -1, "9223372036854775807": math.MaxInt64, "-9223372036854775808": math.MinInt64}
	for in, want := range good {
		if got, ok := rnum.ParseInt(in); !ok || got != want {
			t.Errorf("rnum.ParseInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "+5", "05", "-0", " 5", "5 ", "abc", "9223372036854775808", "1e3", "-"} {
		if _, ok := rnum.ParseInt(in); ok {
			t.Errorf("rnum.ParseInt(%q) accepted", in)
		}
	}
}

func TestStringMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"*", "port", true}, {"po?t", "port", true}, {"PORT", "port", true}, {"*max*entries*", "hash-max-listpack-entries", true},
		{"cluster-*", "port", false}, {"[pq]ort", "port", true}, {"[^p]ort", "port", false}, {"[a-z]ort", "Port", true},
		{`p\*rt`, "p*rt", true}, {`p\*rt`, "port", false}, {"port*", "port", true}, {"por", "port", false}, {"port", "por", false},
		{"[", "x", false}, {"a[", "a", false},
	}
	for _, tc := range cases {
		if got := stringMatch(tc.pat, tc.s, true); got != tc.want {
			t.Errorf("stringMatch(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
}
