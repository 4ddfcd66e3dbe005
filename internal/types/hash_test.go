package types

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// lowLimits returns the defaults with the hash and intset thresholds lowered.
func lowLimits(hashEntries, hashValue, intsetEntries int64) *Limits {
	l := DefaultLimits()
	l.HashMaxListpackEntries, l.HashMaxListpackValue, l.SetMaxIntsetEntries = hashEntries, hashValue, intsetEntries
	return l
}

// def is the default thresholds, for tests that do not care.
var def = DefaultLimits()

func randField(r *rand.Rand, space int) string {
	switch r.IntN(80) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("long-field-%d-%s", r.IntN(space), string(make([]byte, 20)))
	case 2:
		return string(make([]byte, 200+r.IntN(3))) // multi-byte uvarint lengths
	}
	return "f" + strconv.Itoa(r.IntN(space))
}

func checkHash(t *testing.T, h *Hash, model map[string]string, everTable bool) {
	t.Helper()
	if h.Len() != len(model) {
		t.Fatalf("Len %d, model %d", h.Len(), len(model))
	}
	if h.IsTable() != everTable {
		t.Fatalf("encoding %s, want table=%v", h.Encoding(), everTable)
	}
	seen := map[string]string{}
	h.Each(func(f, v []byte) bool {
		if _, dup := seen[string(f)]; dup {
			t.Fatalf("field %q twice", f)
		}
		seen[string(f)] = string(v)
		return true
	})
	for f, v := range model {
		if seen[f] != v {
			t.Fatalf("field %q: got %q want %q", f, seen[f], v)
		}
		got, ok := h.Get([]byte(f))
		if !ok || string(got) != v {
			t.Fatalf("Get %q: %q %v, want %q", f, got, ok, v)
		}
	}
}

// TestHashTwin runs random operations against a Hash and a Go map, crossing
// the entry and value-length thresholds, and checks they agree and that the
// encoding follows Redis 7.0's rules (once a table, always a table).
func TestHashTwin(t *testing.T) {
	lim := lowLimits(16, 24, 8)
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 1))
		h := NewHash()
		model := map[string]string{}
		everTable := false
		space := 4 + r.IntN(60)
		for op := range 2000 {
			f := randField(r, space)
			switch r.IntN(4) {
			case 0, 1:
				v := strconv.Itoa(r.IntN(1000))
				if r.IntN(8) == 0 {
					v = fmt.Sprintf("%030d", r.IntN(100))
				}
				_, existed := model[f]
				if added := h.Set([]byte(f), []byte(v), lim); added == existed {
					t.Fatalf("seed %d op %d: Set(%q) added=%v existed=%v", seed, op, f, added, existed)
				}
				model[f] = v
				if int64(len(f)) > lim.HashMaxListpackValue || int64(len(v)) > lim.HashMaxListpackValue ||
					int64(len(model)) > lim.HashMaxListpackEntries {
					everTable = true
				}
			case 2:
				_, existed := model[f]
				if h.Delete([]byte(f)) != existed {
					t.Fatalf("seed %d op %d: Delete(%q) != %v", seed, op, f, existed)
				}
				delete(model, f)
			case 3:
				_, existed := model[f]
				if h.Exists([]byte(f)) != existed {
					t.Fatalf("Exists(%q) != %v", f, existed)
				}
			}
			if op%50 == 0 {
				checkHash(t, h, model, everTable)
				c := h.Copy().(*Hash)
				checkHash(t, c, model, everTable)
			}
			if len(model) > 0 && op%7 == 0 {
				f, v := h.Random()
				if model[string(f)] != string(v) {
					t.Fatalf("Random returned %q=%q, model has %q", f, v, model[string(f)])
				}
			}
		}
		checkHash(t, h, model, everTable)
	}
}

func TestHashEncodingThresholds(t *testing.T) {
	lim := lowLimits(2, 5, 512)
	h := NewHash()
	h.Set([]byte("a"), []byte("1"), lim)
	h.Set([]byte("b"), []byte("2"), lim)
	if h.Encoding() != "listpack" {
		t.Fatalf("2 entries: %s", h.Encoding())
	}
	h.Set([]byte("a"), []byte("3"), lim) // update does not grow
	if h.Encoding() != "listpack" {
		t.Fatalf("update: %s", h.Encoding())
	}
	h.Set([]byte("c"), []byte("3"), lim)
	if h.Encoding() != "hashtable" {
		t.Fatalf("3 entries: %s", h.Encoding())
	}
	h.Delete([]byte("c"))
	h.Delete([]byte("b"))
	if h.Encoding() != "hashtable" {
		t.Fatal("hashtable went back to listpack")
	}
	h2 := NewHash()
	h2.Set([]byte("a"), []byte("123456"), lim)
	if h2.Encoding() != "hashtable" {
		t.Fatalf("long value: %s", h2.Encoding())
	}
	h3 := NewHash()
	h3.Set([]byte("abcdef"), []byte("1"), lim)
	if h3.Encoding() != "hashtable" {
		t.Fatalf("long field: %s", h3.Encoding())
	}
	lim.HashMaxListpackEntries = 0
	h4 := NewHash()
	h4.Set([]byte("a"), []byte("1"), lim)
	if h4.Encoding() != "hashtable" {
		t.Fatalf("max entries 0: %s", h4.Encoding())
	}
}

// TestHashListpackOrder: small hashes keep insertion order, updates in
// place, as Redis's listpack replies.
func TestHashListpackOrder(t *testing.T) {
	h := NewHash()
	for _, kv := range [][2]string{{"b", "1"}, {"a", "2"}, {"c", "3"}, {"a", "longer value"}, {"b", ""}} {
		h.Set([]byte(kv[0]), []byte(kv[1]), def)
	}
	h.Delete([]byte("c"))
	h.Set([]byte("d"), []byte("4"), def)
	var got []string
	h.Each(func(f, v []byte) bool { got = append(got, string(f)+"="+string(v)); return true })
	want := fmt.Sprint([]string{"b=", "a=longer value", "d=4"})
	if fmt.Sprint(got) != want {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// TestTableScanGuarantee checks the SCAN contract on the hashtable encoding:
// while the table grows and shrinks between calls, every element present
// for the whole scan is returned at least once.
func TestTableScanGuarantee(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 2))
		tb := newTable[struct{}](0)
		next := 0
		add := func() {
			tb.insert("m"+strconv.Itoa(next), struct{}{})
			next++
		}
		for range r.IntN(300) {
			add()
		}
		stable := map[string]bool{}
		tb.each(func(e *tentry[struct{}]) bool { stable[e.key] = true; return true })
		removedStable := map[string]bool{}
		seen := map[string]bool{}
		var cursor uint64
		for steps := 0; ; steps++ {
			cursor = tb.scanBucket(cursor, func(e *tentry[struct{}]) { seen[e.key] = true })
			if cursor == 0 {
				break
			}
			// mutate between calls: grow a lot, or shrink a lot
			switch r.IntN(3) {
			case 0:
				for range r.IntN(200) {
					add()
				}
			case 1:
				for range r.IntN(200) {
					if tb.n == 0 {
						break
					}
					k := tb.ents[tb.randomIndex()].key
					if stable[k] {
						removedStable[k] = true
					}
					tb.remove([]byte(k))
				}
			}
			if steps > 1_000_000 {
				t.Fatal("scan does not terminate")
			}
		}
		for k := range stable {
			if !removedStable[k] && !seen[k] {
				t.Fatalf("seed %d: %q present throughout but not returned", seed, k)
			}
		}
	}
}
