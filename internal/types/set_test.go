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
	for _, enc := range []string{"intset", "packed", "table"} {
		s := NewSet()
		if enc != "intset" {
			s = NewSetFor([]byte("x"))
		}
		n := 10
		if enc == "table" {
			n = 2 * SetPackedEntries
		}
		for i := range n {
			s.Add([]byte(strconv.Itoa(i)), def)
		}
		if s.ScansWhole() != (enc != "table") {
			t.Fatalf("%s: scans whole %v", enc, s.ScansWhole())
		}
		counts := map[string]int{}
		for range 2000 * n {
			counts[string(s.AppendRandom(nil))]++
		}
		if len(counts) != n {
			t.Fatalf("%s: %d of %d members drawn", enc, len(counts), n)
		}
		for m, k := range counts {
			if k < 1500 || k > 2500 {
				t.Fatalf("%s: member %s drawn %d/%d times", enc, m, k, 2000*n)
			}
		}
	}
}

// TestSetPackedBounds: a hashtable set is packed (SSCAN returns it whole)
// up to SetPackedEntries members of up to SetPackedValue bytes, becomes a
// table past either bound, keeping every member, and never packs again;
// OBJECT ENCODING says hashtable for both, as Redis 7.0's.
func TestSetPackedBounds(t *testing.T) {
	member := func(i int) []byte { return []byte("m" + strconv.Itoa(i)) }
	check := func(what string, s *Set, n int, packed bool) {
		t.Helper()
		if s.Encoding() != "hashtable" || s.ScansWhole() != packed || s.Len() != n {
			t.Fatalf("%s: encoding %s, scans whole %v, len %d; want hashtable, %v, %d", what, s.Encoding(), s.ScansWhole(), s.Len(), packed, n)
		}
		for i := range n {
			if !s.Contains(member(i)) {
				t.Fatalf("%s: %s missing", what, member(i))
			}
		}
	}
	s := NewSetFor(member(0))
	for i := range SetPackedEntries {
		if !s.Add(member(i), def) || s.Add(member(i), def) {
			t.Fatalf("Add(%s): new once, then not", member(i))
		}
	}
	check("full", s, SetPackedEntries, true)
	s.Add(member(SetPackedEntries), def)
	check("one more member", s, SetPackedEntries+1, false)
	for i := SetPackedEntries; i > 1; i-- {
		s.Remove(member(i))
	}
	check("emptied to two", s, 2, false)

	long := make([]byte, SetPackedValue+1)
	for i := range long {
		long[i] = 'x'
	}
	s = NewSetFor(member(0))
	s.Add(member(0), def)
	s.Add(long[:SetPackedValue], def)
	if !s.ScansWhole() || s.Len() != 2 {
		t.Fatalf("a member of the longest size: scans whole %v, len %d", s.ScansWhole(), s.Len())
	}
	s.Add(long, def)
	if s.ScansWhole() || !s.Contains(long) || !s.Contains(long[:SetPackedValue]) || s.Len() != 3 {
		t.Fatalf("a longer member: scans whole %v, len %d", s.ScansWhole(), s.Len())
	}
	if NewSetFor(long).ScansWhole() {
		t.Fatal("a set created for a long member is packed")
	}

	// From an intset: packed with the integers as text, unless they are
	// too many.
	s = NewSet()
	for i := range 3 {
		s.Add([]byte(strconv.Itoa(i)), def)
	}
	s.Add([]byte("x"), def)
	if !s.ScansWhole() || s.IsIntset() || s.Len() != 4 || !s.Contains([]byte("2")) || !s.Contains([]byte("x")) {
		t.Fatalf("intset + x: %s, scans whole %v, len %d", s.Encoding(), s.ScansWhole(), s.Len())
	}
	s = NewSet()
	for i := range SetPackedEntries {
		s.Add([]byte(strconv.Itoa(i)), def)
	}
	s.Add([]byte("x"), def)
	if s.ScansWhole() || s.Len() != SetPackedEntries+1 {
		t.Fatalf("full intset + x: scans whole %v, len %d", s.ScansWhole(), s.Len())
	}

	// Removing every member leaves an empty set; a copy is independent.
	s = NewSetFor([]byte("a"))
	s.Add([]byte("a"), def)
	s.Add([]byte("b"), def)
	c := s.Copy().(*Set)
	s.Remove([]byte("a"))
	s.Remove([]byte("b"))
	if s.Len() != 0 || s.Contains([]byte("a")) || c.Len() != 2 || !c.Contains([]byte("a")) || !c.ScansWhole() {
		t.Fatalf("emptied: len %d; copy len %d", s.Len(), c.Len())
	}
}
