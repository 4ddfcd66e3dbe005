package types

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func randMember(r *rand.Rand, space int, ints bool) string {
	if ints || r.IntN(40) != 0 {
		switch r.IntN(20) {
		case 0:
			return "-9223372036854775808"
		case 1:
			return "9223372036854775807"
		}
		return strconv.Itoa(r.IntN(space) - space/2)
	}
	switch r.IntN(4) {
	case 0:
		return "0" + strconv.Itoa(r.IntN(space)) // not canonical: not an integer
	case 1:
		return ""
	}
	return "m" + strconv.Itoa(r.IntN(space))
}

func checkSet(t *testing.T, s *Set, model map[string]bool) {
	t.Helper()
	if s.Len() != len(model) {
		t.Fatalf("Len %d, model %d", s.Len(), len(model))
	}
	var got []string
	s.Each(func(m []byte) bool { got = append(got, string(m)); return true })
	if len(got) != len(model) {
		t.Fatalf("Each gave %d members, model %d", len(got), len(model))
	}
	for _, m := range got {
		if !model[m] {
			t.Fatalf("member %q not in model", m)
		}
	}
	if s.IsIntset() {
		nums := make([]int64, len(got))
		for i, m := range got {
			nums[i], _ = strconv.ParseInt(m, 10, 64)
		}
		if !slices.IsSorted(nums) {
			t.Fatalf("intset not ascending: %v", got)
		}
	}
	var ms []string
	s.Members(func(m string) bool { ms = append(ms, m); return true })
	if !slices.Equal(ms, got) {
		t.Fatalf("Members %v != Each %v", ms, got)
	}
}

// TestSetTwin runs random operations against a Set and a Go map, crossing
// set-max-intset-entries and mixing in non-integers, and checks the
// encoding follows Redis 7.0's setTypeAdd.
func TestSetTwin(t *testing.T) {
	lim := lowLimits(512, 64, 16)
	for seed := range uint64(60) {
		r := rand.New(rand.NewPCG(seed, 3))
		ints := seed%2 == 0
		space := 8 + r.IntN(80)
		first := randMember(r, space, ints)
		s := NewSetFor([]byte(first))
		_, firstInt := ParseInt64([]byte(first))
		everTable := !firstInt
		model := map[string]bool{}
		for op := range 3000 {
			m := randMember(r, space, ints)
			switch r.IntN(5) {
			case 0, 1:
				if s.Add([]byte(m), lim) == model[m] {
					t.Fatalf("seed %d op %d: Add(%q) vs model %v", seed, op, m, model[m])
				}
				model[m] = true
				if _, isInt := ParseInt64([]byte(m)); !isInt || int64(len(model)) > lim.SetMaxIntsetEntries {
					everTable = true
				}
			case 2:
				if s.Remove([]byte(m)) != model[m] {
					t.Fatalf("seed %d op %d: Remove(%q) vs model %v", seed, op, m, model[m])
				}
				delete(model, m)
			case 3:
				if s.Contains([]byte(m)) != model[m] || s.ContainsString(m) != model[m] {
					t.Fatalf("Contains(%q) != %v", m, model[m])
				}
			case 4:
				if len(model) > 0 {
					got := string(s.AppendRandom(nil))
					if !model[got] {
						t.Fatalf("AppendRandom gave %q, not a member", got)
					}
				}
			}
			if s.IsIntset() == everTable {
				t.Fatalf("seed %d op %d: encoding %s, everTable %v", seed, op, s.Encoding(), everTable)
			}
			if op%100 == 0 {
				checkSet(t, s, model)
				checkSet(t, s.Copy().(*Set), model)
			}
		}
		checkSet(t, s, model)
	}
}

func TestSetRandomUniform(t *testing.T) {
	for _, enc := range []string{"intset", "hashtable"} {
		s := NewSet()
		if enc == "hashtable" {
			s = NewSetFor([]byte("x"))
		}
		for i := range 10 {
			s.Add([]byte(strconv.Itoa(i)), def)
		}
		counts := map[string]int{}
		for range 20000 {
			counts[string(s.AppendRandom(nil))]++
		}
		for m, n := range counts {
			if n < 1500 || n > 2500 {
				t.Fatalf("%s: member %s drawn %d/20000 times", enc, m, n)
			}
		}
	}
}
