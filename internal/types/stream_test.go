package types

import (
	"math/rand/v2"
	"testing"
)

// TestStreamModel checks appends, deletes, trims and range reads against a
// plain slice, over many node sizes.
func TestStreamModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		s := NewStream()
		var model []StreamID
		nodeMax := 1 + r.IntN(6)
		next := StreamID{Ms: 1}
		for op := 0; op < 300; op++ {
			switch k := r.IntN(10); {
			case k < 6:
				s.Append(next, [][]byte{[]byte("f"), []byte("v")}, nodeMax, 4096)
				model = append(model, next)
				next.Seq += uint64(1 + r.IntN(3))
			case k < 8 && len(model) > 0:
				i := r.IntN(len(model))
				if !s.Delete(model[i]) {
					t.Fatalf("delete %v failed", model[i])
				}
				if s.Delete(model[i]) {
					t.Fatalf("deleted %v twice", model[i])
				}
				model = append(model[:i], model[i+1:]...)
			case k == 8:
				maxLen := int64(r.IntN(20))
				n := s.Trim(TrimMaxLen, maxLen, StreamID{}, false, 0)
				want := max(int64(len(model))-maxLen, 0)
				if n != want {
					t.Fatalf("exact MAXLEN %d trimmed %d, want %d", maxLen, n, want)
				}
				model = model[want:]
			default:
				before := s.Len()
				n := s.Trim(TrimMaxLen, int64(r.IntN(20)), StreamID{}, true, 0)
				model = model[n:]
				if before-int(n) != s.Len() {
					t.Fatal("length out of step")
				}
			}
			if s.Len() != len(model) {
				t.Fatalf("len %d, model %d", s.Len(), len(model))
			}
			// A range between two random bounds, both directions.
			lo := StreamID{Ms: 1, Seq: uint64(r.IntN(int(next.Seq) + 1))}
			hi := StreamID{Ms: 1, Seq: uint64(r.IntN(int(next.Seq) + 1))}
			var want []StreamID
			for _, id := range model {
				if !id.Less(lo) && !hi.Less(id) {
					want = append(want, id)
				}
			}
			var got []StreamID
			s.Range(lo, hi, false, func(e *StreamEntry) bool { got = append(got, e.ID); return true })
			if len(got) != len(want) {
				t.Fatalf("range %v..%v: %v, want %v", lo, hi, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("range %v..%v: %v, want %v", lo, hi, got, want)
				}
			}
			got = got[:0]
			s.Range(lo, hi, true, func(e *StreamEntry) bool { got = append(got, e.ID); return true })
			for i := range got {
				if got[i] != want[len(want)-1-i] {
					t.Fatalf("revrange %v..%v: %v, want %v", lo, hi, got, want)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("revrange %v..%v: %v, want %v", lo, hi, got, want)
			}
		}
	}
}
