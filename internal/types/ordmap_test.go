package types

import (
	"math/rand"
	"slices"
	"testing"
)

// TestOrdMapModel: random sets, deletes and seeks agree with a sorted
// slice, across chunk splits and chunks emptied.
func TestOrdMapModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	m := newOrdMap[int, int](func(a, b int) int { return a - b })
	model := map[int]int{}
	keys := func() []int {
		var ks []int
		for k := range model {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	for i := 0; i < 20000; i++ {
		k := rng.Intn(3000)
		switch rng.Intn(4) {
		case 0, 1:
			_, had := model[k]
			if m.Set(k, i) == had {
				t.Fatalf("Set(%d) new=%v, model had %v", k, !had, had)
			}
			model[k] = i
		case 2:
			v, ok := m.Delete(k)
			mv, mok := model[k]
			if ok != mok || v != mv {
				t.Fatalf("Delete(%d) = %d %v, model %d %v", k, v, ok, mv, mok)
			}
			delete(model, k)
		case 3:
			ks := keys()
			j, _ := slices.BinarySearch(ks, k)
			nk, nv, ok := m.Next(k)
			if ok != (j < len(ks)) || (ok && (nk != ks[j] || nv != model[ks[j]])) {
				t.Fatalf("Next(%d) = %d %v", k, nk, ok)
			}
		}
		if m.Len() != len(model) {
			t.Fatalf("Len %d, model %d", m.Len(), len(model))
		}
	}
	ks := keys()
	var got []int
	m.Ascend(nil, func(k, v int) bool {
		if v != model[k] {
			t.Fatalf("value of %d", k)
		}
		got = append(got, k)
		return true
	})
	if !slices.Equal(got, ks) {
		t.Fatalf("Ascend order differs")
	}
	if f, _, _ := m.First(); len(ks) > 0 && f != ks[0] {
		t.Fatalf("First %d", f)
	}
	if l, _, _ := m.Last(); len(ks) > 0 && l != ks[len(ks)-1] {
		t.Fatalf("Last %d", l)
	}
	for _, c := range m.chunks {
		if len(c) == 0 || len(c) > ordChunk {
			t.Fatalf("chunk of %d entries", len(c))
		}
	}
}
