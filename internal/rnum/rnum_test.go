package rnum

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestParseInt(t *testing.T) {
	ok := map[string]int64{
		"0": 0, "1": 1, "-1": -1, "12345": 12345,
		"9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63,
	}
	for s, want := range ok {
		if got, good := ParseInt(s); !good || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", s, got, good, want)
		}
	}
	for _, s := range []string{"", "-", "+1", " 1", "1 ", "01", "-0", "00", "1a", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "99999999999999999999", "123456789012345678901", "0x10", "1e3"} {
		if got, good := ParseInt([]byte(s)); good {
			t.Errorf("ParseInt(%q) accepted as %d", s, got)
		}
	}
}

// TestParseIntTwin checks the fast path against strconv on canonical forms.
func TestParseIntTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		n := int64(r.Uint64())
		if i%3 == 0 {
			n = int64(r.IntN(2000)) - 1000
		}
		s := strconv.FormatInt(n, 10)
		if got, ok := ParseInt(s); !ok || got != n {
			t.Fatalf("ParseInt(%q) = %d, %v", s, got, ok)
		}
	}
}

func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "+1", "01", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseInt(s)
		want, err := strconv.ParseInt(s, 10, 64)
		canonical := err == nil && strconv.FormatInt(want, 10) == s
		if ok != canonical || (ok && got != want) {
			t.Fatalf("ParseInt(%q) = %d, %v; strconv canonical %v %d", s, got, ok, canonical, want)
		}
	})
}

// TestParseShortDecimal: the fast path gives ParseFloat's value (strtod's
// for these forms) wherever it answers, and answers for the common forms.
func TestParseShortDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	check := func(s string) {
		t.Helper()
		got, ok := ParseShortDecimal([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v, ParseFloat %v (%v)", s, got, want, err)
		}
	}
	for i := 0; i < 300000; i++ {
		ip := strconv.FormatUint(r.Uint64N(1e8), 10)
		fp := strconv.FormatUint(r.Uint64N(1e9), 10)
		fp = strings.Repeat("0", r.IntN(4)) + fp
		s := ip + "." + fp
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		check(s)
		check(strconv.FormatFloat(r.Float64()*1e6, 'f', r.IntN(10), 64))
	}
	for _, s := range []string{"0.5", "-0.5", "-0.0", "00.5", "1.", ".5", "1.5e3", "1..5", "-", "", "1.2.3",
		"999999999999999.9", "99999999999999.9", "0.000000000000001", "+1.5", " 1.5", "1.5 ", "0x1.8p1", "inf", "nan"} {
		check(s)
	}
	for _, s := range []string{"0.5", "1.5", "-2.25", "123456.125", "0.1"} {
		if _, ok := ParseShortDecimal([]byte(s)); !ok {
			t.Fatalf("%q: not taken by the fast path", s)
		}
	}
}
