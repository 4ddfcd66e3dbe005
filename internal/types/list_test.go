package types

import (
	"encoding/binary"
	"math"
	"math/rand"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// naiveList is the model the chunked List is checked against.
type naiveList []string

func (m naiveList) norm(i int64) (int, bool) {
	if i < 0 {
		i += int64(len(m))
	}
	if i < 0 || i >= int64(len(m)) {
		return 0, false
	}
	return int(i), true
}

func (m naiveList) remove(v string, count int64) (naiveList, int) {
	removed := 0
	if count >= 0 {
		out := m[:0:0]
		for _, e := range m {
			if e == v && (count == 0 || int64(removed) < count) {
				removed++
				continue
			}
			out = append(out, e)
		}
		return out, removed
	}
	limit := -count
	out := slices.Clone(m)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == v && (limit < 0 || int64(removed) < limit) {
			out = slices.Delete(out, i, i+1)
			removed++
		}
	}
	return out, removed
}

func checkList(t *testing.T, step int, l *List, m naiveList) {
	t.Helper()
	if l.Len() != len(m) {
		t.Fatalf("step %d: len %d, model %d", step, l.Len(), len(m))
	}
	if got := l.Elements(); !slices.Equal(got, m) && !(len(got) == 0 && len(m) == 0) {
		t.Fatalf("step %d: elements differ\n got %q\nwant %q", step, got, m)
	}
	checkNodes(t, step, l)
}

// checkNodes checks every node is a valid listpack whose header and count
// agree.
func checkNodes(t *testing.T, step int, l *List) {
	t.Helper()
	total := 0
	for ci, nd := range l.live() {
		n, ok := qlpValidate(nd.lp())
		if !ok || n != nd.count || n == 0 || int(binary.LittleEndian.Uint16(nd.lp()[4:])) != min(n, qlpCountUnknown) {
			t.Fatalf("step %d: node %d: valid %v count %d, node says %d", step, ci, ok, n, nd.count)
		}
		total += n
	}
	if total != l.n {
		t.Fatalf("step %d: nodes hold %d, list says %d", step, total, l.n)
	}
}

// TestListAgainstModel drives List and a plain slice with the same random
// operations, growing lists past many chunks and shrinking them back.
func TestListAgainstModel(t *testing.T) {
	maxLen := 0
	for seed := int64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewSource(seed))
		l := NewList()
		var m naiveList
		// Node sizes: 8 KB, 4 KB, 5 elements, and a packed threshold of
		// 100 bytes so long values get plain nodes.
		lim := DefaultLimits()
		switch seed % 4 {
		case 1:
			lim.ListMaxListpackSize = -1
		case 2:
			lim.ListMaxListpackSize = 5
		case 3:
			lim.ListPackedThreshold = 100
		}
		val := func() string {
			switch rng.Intn(10) {
			case 0:
				return strings.Repeat("v", rng.Intn(300))
			case 1:
				return strconv.Itoa(rng.Intn(20)) + "x"
			case 2:
				return strconv.FormatInt(rng.Int63()>>rng.Intn(63)-int64(rng.Intn(1000)), 10)
			}
			return strconv.Itoa(rng.Intn(20))
		}
		idx := func() int64 { return int64(rng.Intn(2*len(m)+3) - len(m) - 1) }
		for step := 0; step < 3000; step++ {
			// Bias towards growth early and shrinkage late so sizes sweep
			// from 0 to several chunks and back.
			grow := step < 1800
			switch op := rng.Intn(12); {
			case op < 2 || (grow && op < 4):
				n := 1 + rng.Intn(30)
				for i := 0; i < n; i++ {
					v := val()
					if op%2 == 0 {
						l.PushFront([]byte(v), lim)
						m = append(naiveList{v}, m...)
					} else {
						l.PushBack([]byte(v), lim)
						m = append(m, v)
					}
				}
			case op < 4:
				n := 1 + rng.Intn(25)
				for i := 0; i < n; i++ {
					var gotb []byte
					var ok bool
					var want string
					had := len(m) > 0
					if op == 2 {
						gotb, ok = l.PopFront(nil)
						if len(m) > 0 {
							want, m = m[0], m[1:]
						}
					} else {
						gotb, ok = l.PopBack(nil)
						if len(m) > 0 {
							want, m = m[len(m)-1], m[:len(m)-1]
						}
					}
					got := string(gotb)
					if ok != had || got != want {
						t.Fatalf("seed %d step %d: pop got %q,%v want %q", seed, step, got, ok, want)
					}
				}
			case op == 4:
				i, v := idx(), val()
				j, ok := m.norm(i)
				if got := l.Set(i, []byte(v), lim); got != ok {
					t.Fatalf("seed %d step %d: Set(%d) = %v, want %v", seed, step, i, got, ok)
				}
				if ok {
					m[j] = v
				}
			case op == 5:
				i := idx()
				j, ok := m.norm(i)
				gotb, gok := l.Index(i, nil)
				got := string(gotb)
				if gok != ok || (ok && got != m[j]) {
					t.Fatalf("seed %d step %d: Index(%d) = %q,%v", seed, step, i, got, gok)
				}
			case op == 6 || op == 7:
				if len(m) == 0 {
					continue
				}
				for k := 0; k < 1+rng.Intn(40); k++ {
					i := rng.Intn(len(m))
					v := val()
					after := rng.Intn(2) == 0
					l.Insert(i, []byte(v), after, lim)
					if after {
						i++
					}
					m = slices.Insert(m, i, v)
				}
			case op == 8:
				v := val()
				count := int64(rng.Intn(7) - 3)
				if rng.Intn(50) == 0 {
					count = math.MinInt64
				}
				var want int
				m, want = m.remove(v, count)
				if got := l.Remove([]byte(v), count); got != want {
					t.Fatalf("seed %d step %d: Remove(%q,%d) = %d, want %d", seed, step, v, count, got, want)
				}
			case op == 9:
				if grow {
					continue
				}
				n := len(m)
				start, end := rng.Intn(n+2)-1, rng.Intn(n+2)-1
				if start < 0 {
					start = 0
				}
				l.Trim(start, end)
				if start > end || start >= n {
					m = nil
				} else {
					if end >= n {
						end = n - 1
					}
					m = slices.Clone(m[start : end+1])
				}
			case op == 10:
				if len(m) == 0 {
					continue
				}
				start := rng.Intn(len(m))
				end := start + rng.Intn(len(m)-start)
				var got []string
				l.Range(start, end, func(v []byte) bool { got = append(got, string(v)); return true })
				if !slices.Equal(got, m[start:end+1]) {
					t.Fatalf("seed %d step %d: Range(%d,%d) = %q", seed, step, start, end, got)
				}
				got = got[:0]
				l.RangeReverse(start, end, func(v []byte) bool { got = append(got, string(v)); return true })
				rev := slices.Clone(m[start : end+1])
				slices.Reverse(rev)
				if !slices.Equal(got, rev) {
					t.Fatalf("seed %d step %d: RangeReverse(%d,%d) = %q", seed, step, start, end, got)
				}
			case op == 11:
				v := val()
				if got, want := l.Find([]byte(v)), slices.Index(m, v); got != want {
					t.Fatalf("seed %d step %d: Find(%q) = %d, want %d", seed, step, v, got, want)
				}
				if rng.Intn(20) == 0 {
					c := l.Copy().(*List)
					c.PushBack([]byte("x"), lim)
					c.Set(0, []byte("y"), lim)
				}
			}
			if len(m) < 300 || step%7 == 0 {
				checkList(t, step, l, m)
			}
			maxLen = max(maxLen, len(m))
		}
	}
	if maxLen < 1000 {
		t.Fatalf("lists reached only %d elements; the test should cross many nodes", maxLen)
	}
}

func TestListEncoding(t *testing.T) {
	l := NewList()
	l.PushBack([]byte("a"), DefaultLimits())
	if l.Encoding() != "quicklist" || l.Kind() != KindList {
		t.Fatalf("encoding %q kind %v", l.Encoding(), l.Kind())
	}
}

// TestSmallListMemory: a short list costs a small first chunk, not a
// full-sized one (the 10 % of keys that are short lists dominated RDB load
// time and memory when every list began with a 2 KB chunk).
func TestSmallListMemory(t *testing.T) {
	const lists = 2000
	var before, after runtime.MemStats
	keep := make([]*List, lists)
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		l := NewList()
		lim := DefaultLimits()
		l.PushBack([]byte("a"), lim)
		l.PushBack([]byte("b"), lim)
		l.PushFront([]byte("c"), lim)
		keep[i] = l
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapAlloc - before.HeapAlloc) / lists
	if per > 256 {
		t.Fatalf("a 3-element list costs %d bytes of heap, want ≤ 256", per)
	}
	for _, l := range keep {
		if got := l.Elements(); !slices.Equal(got, []string{"c", "a", "b"}) {
			t.Fatalf("elements %q", got)
		}
	}
}

// TestListInlineNode: a list's first node struct and its slot are the
// list's own (a one-node list is two allocations: the list and its
// listpack), reused when the list empties and fills again, and never
// shared with a copy or with a list that Own fills.
func TestListInlineNode(t *testing.T) {
	lim := DefaultLimits()
	if n := testing.AllocsPerRun(100, func() {
		l := NewList()
		l.PushBack([]byte("a"), lim)
	}); n != 2 {
		t.Fatalf("a one-element list takes %v allocations, want 2", n)
	}
	l := NewList()
	for round := range 5 {
		l.PushFront([]byte("x"+strconv.Itoa(round)), lim)
		l.PushBack([]byte("y"), lim)
		c := l.Copy().(*List)
		for l.Len() > 0 {
			l.PopBack(nil)
		}
		l.PushBack([]byte("z"), lim)
		if got := c.Elements(); !slices.Equal(got, []string{"x" + strconv.Itoa(round), "y"}) {
			t.Fatalf("round %d: the copy holds %q after the list emptied and refilled", round, got)
		}
		if got := l.Elements(); !slices.Equal(got, []string{"z"}) {
			t.Fatalf("round %d: list %q", round, got)
		}
		l.PopFront(nil)
	}
	// Own into a list that held one node (its inline one).
	scratch := NewScratchList()
	scratch.AppendListpack(listpackOf("p", "q"))
	reuse := NewList()
	reuse.PushBack([]byte("old"), lim)
	out := scratch.Own(reuse)
	scratch.ResetScratch()
	scratch.AppendListpack(listpackOf("r"))
	if got := out.Elements(); !slices.Equal(got, []string{"p", "q"}) {
		t.Fatalf("Own into a one-node list: %q", got)
	}
	fresh := scratch.Own(nil)
	scratch.ResetScratch()
	scratch.AppendListpack(listpackOf("s", "t", "u"))
	if got := fresh.Elements(); !slices.Equal(got, []string{"r"}) {
		t.Fatalf("Own into a new list: %q", got)
	}
}
