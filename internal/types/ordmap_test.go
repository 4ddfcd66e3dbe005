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

// TestOrdMapAppendFillsChunks: keys set in ascending order (a PEL filled by
// XREADGROUP ">") leave full chunks, each with one array of ordChunk.
func TestOrdMapAppendFillsChunks(t *testing.T) {
	m := newOrdMap[int, int](func(a, b int) int { return a - b })
	const n = 10*ordChunk + 5
	for k := 0; k < n; k++ {
		m.Set(k, k)
	}
	if len(m.chunks) != 11 {
		t.Fatalf("%d chunks for %d keys, want 11", len(m.chunks), n)
	}
	for i, c := range m.chunks[:10] {
		if len(c) != ordChunk || cap(c) != ordChunk || c[0].k != i*ordChunk {
			t.Fatalf("chunk %d: len %d cap %d first %d", i, len(c), cap(c), c[0].k)
		}
	}
	// Inserts into a full chunk split it; nothing outgrows ordChunk.
	for k := 0; k < n; k++ {
		m.Set(-k-1, k)
		m.Set(n+k, k)
	}
	for _, c := range m.chunks {
		if len(c) == 0 || cap(c) > ordChunk {
			t.Fatalf("chunk len %d cap %d", len(c), cap(c))
		}
	}
	prev, cnt := -n-1, 0
	m.Ascend(nil, func(k, _ int) bool {
		if k <= prev {
			t.Fatalf("order: %d after %d", k, prev)
		}
		prev, cnt = k, cnt+1
		return true
	})
	if cnt != 3*n || m.Len() != 3*n {
		t.Fatalf("count %d len %d, want %d", cnt, m.Len(), 3*n)
	}
}
