package types

import "testing"

// TestLongDouble checks HINCRBYFLOAT arithmetic and formatting against
// replies captured from redis-server 7.0.15 (x86-64 long double).
func TestLongDouble(t *testing.T) {
	cases := []struct{ cur, incr, want string }{
		{"0", "0.1", "0.1"},
		{"0.1", "0.2", "0.3"},
		{"0", "3.0e3", "3000"},
		{"0", "-0.0", "0"},
		{"0", "1.5e-10", "0.00000000015"},
		{"0", "12345678901234567890", "12345678901234567890"},
		{"0x10", "1", "17"},
		{"+5", "1", "6"},
		{"-3", "0.000000000000000001", "-3"},
		{"10.5", "0.1", "10.6"},
		{"5.0e3", "2.0e2", "5200"},
		{"0", "1e308", "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048"},
	}
	for _, c := range cases {
		cur, ok := ParseLongDouble([]byte(c.cur))
		if !ok {
			t.Fatalf("parse %q", c.cur)
		}
		incr, ok := ParseLongDouble([]byte(c.incr))
		if !ok {
			t.Fatalf("parse %q", c.incr)
		}
		sum, ok := cur.Add(&incr)
		if !ok {
			t.Fatalf("%s+%s overflowed", c.cur, c.incr)
		}
		if got := string(sum.AppendHuman(nil)); got != c.want {
			t.Errorf("%s+%s = %s, want %s", c.cur, c.incr, got, c.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "1e5000", "nan", "abc", "1e", ".", "0x", "1_0", "0b1", "--1", "1e+"} {
		if _, ok := ParseLongDouble([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	big, _ := ParseLongDouble([]byte("1.1e4932"))
	if _, ok := big.Add(&big); ok {
		t.Error("1.1e4932*2 did not overflow")
	}
	inf, ok := ParseLongDouble([]byte("-inf"))
	if !ok || !inf.IsInf() {
		t.Error("-inf")
	}
}

func TestParseInt64(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if n, ok := ParseInt64([]byte(s)); !ok || n != want {
			t.Errorf("%q: %d %v", s, n, ok)
		}
	}
	for _, s := range []string{"", "-", "-0", "01", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1.0"} {
		if _, ok := ParseInt64([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
}
