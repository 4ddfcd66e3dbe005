package migrate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/rediserr"
)

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		if f == `""` {
			f = ""
		}
		out = append(out, []byte(f))
	}
	return out
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Request
		err  string
	}{
		{in: "MIGRATE h 7000 k 0 1000", want: Request{Host: "h", Port: "7000", Name: "h:7000", Timeout: time.Second, FirstKey: 3, NumKeys: 1}},
		{in: "migrate h 7000 k 3 0 copy REPLACE", want: Request{Host: "h", Port: "7000", Name: "h:7000", DB: 3, Timeout: time.Second, Copy: true, Replace: true, FirstKey: 3, NumKeys: 1}},
		{in: "MIGRATE h 1 k 0 -5", want: Request{Host: "h", Port: "1", Name: "h:1", Timeout: time.Second, FirstKey: 3, NumKeys: 1}},
		{in: "MIGRATE h 1 k 0 250 AUTH pw", want: Request{Host: "h", Port: "1", Name: "h:1", Timeout: 250 * time.Millisecond, HasPassword: true, Password: "pw", FirstKey: 3, NumKeys: 1}},
		{in: "MIGRATE h 1 k 0 250 AUTH2 u pw AUTH q", want: Request{Host: "h", Port: "1", Name: "h:1", Timeout: 250 * time.Millisecond, HasPassword: true, Username: "u", Password: "q", FirstKey: 3, NumKeys: 1}},
		{in: `MIGRATE h 1 "" 0 250 REPLACE KEYS a b c`, want: Request{Host: "h", Port: "1", Name: "h:1", Timeout: 250 * time.Millisecond, Replace: true, FirstKey: 8, NumKeys: 3}},
		{in: `MIGRATE h 1 "" 0 250 KEYS`, want: Request{Host: "h", Port: "1", Name: "h:1", Timeout: 250 * time.Millisecond, FirstKey: 7, NumKeys: 0}},
		// Everything after KEYS is a key, even option names.
		{in: `MIGRATE h 1 "" 0 250 KEYS copy auth`, want: Request{Host: "h", Port: "1", Name: "h:1", Timeout: 250 * time.Millisecond, FirstKey: 7, NumKeys: 2}},
		{in: "MIGRATE h 1 k 0 1000 KEYS a", err: rediserr.MigrateKeysNeedEmpty},
		{in: "MIGRATE h 1 k 0 1000 bogus", err: rediserr.Syntax},
		{in: "MIGRATE h 1 k 0 1000 AUTH", err: rediserr.Syntax},
		{in: "MIGRATE h 1 k 0 1000 AUTH2 u", err: rediserr.Syntax},
		// Options are checked before the numbers, the timeout before the db.
		{in: "MIGRATE h 1 k x y bogus", err: rediserr.Syntax},
		{in: "MIGRATE h 1 k 0 1.5", err: rediserr.NotInteger},
		{in: "MIGRATE h 1 k x 10", err: rediserr.NotInteger},
	}
	for _, tc := range cases {
		got, err := Parse(args(tc.in))
		if err != tc.err {
			t.Errorf("%s: error %q, want %q", tc.in, err, tc.err)
			continue
		}
		if err == "" && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestKeyPositions(t *testing.T) {
	cases := []struct {
		in   string
		want []int
	}{
		{"MIGRATE h 1 k 0 1000", []int{3}},
		{"MIGRATE h 1 k 0 1000 COPY", []int{3}},
		{`MIGRATE h 1 "" 0 1000 KEYS a b`, []int{7, 8}},
		{`MIGRATE h 1 "" 0 1000 COPY REPLACE AUTH keys KEYS a`, []int{11}},
		{`MIGRATE h 1 "" 0 1000 AUTH2 keys keys KEYS a b`, []int{10, 11}},
		{`MIGRATE h 1 k 0 1000 KEYS a b`, nil},
		{`MIGRATE h 1 "" 0 1000`, []int{3}},
	}
	for _, tc := range cases {
		if got := KeyPositions(args(tc.in), nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{"7000": 7000, " 12x": 12, "-3": -3, "+4": 4, "x": 0, "": 0} {
		if got := Atoi(in); got != want {
			t.Errorf("Atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzParse: any argument vector of MIGRATE's arity parses or is refused
// with one of Redis's texts, never panics, and the keys Parse finds are
// the ones KeyPositions reports whenever parsing succeeds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"MIGRATE h 1 k 0 1000", `MIGRATE h 1 "" 0 250 REPLACE KEYS a b c`,
		"MIGRATE h 1 k 0 250 AUTH2 u pw AUTH q", "MIGRATE h 1 k 0 1000 AUTH", "MIGRATE h 1 k x y bogus"} {
		f.Add(strings.ReplaceAll(s, " ", "\x00"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := [][]byte{}
		for _, p := range strings.Split(s, "\x00") {
			a = append(a, []byte(p))
		}
		if len(a) < 6 {
			return
		}
		r, err := Parse(a)
		switch err {
		case "":
			pos := KeyPositions(a, nil)
			if r.NumKeys != len(pos) || (len(pos) > 0 && pos[0] != r.FirstKey) {
				t.Fatalf("%q: Parse keys %d+%d, KeyPositions %v", a, r.FirstKey, r.NumKeys, pos)
			}
			if r.Timeout <= 0 {
				t.Fatalf("%q: timeout %v", a, r.Timeout)
			}
		case rediserr.Syntax, rediserr.NotInteger, rediserr.MigrateKeysNeedEmpty:
		default:
			t.Fatalf("%q: unexpected error %q", a, err)
		}
	})
}
