package types

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The packed nodes checked against a plain model: nodes as slices of
// entries with the same boundary rule (listpack size estimate, entry
// cap), deletes, exact and approximate trims, ranges both ways.

type mEntry struct {
	id  StreamID
	fv  []string
	del bool
}

type mNode struct {
	fields []string
	ents   []mEntry
	bytes  int
}

func (n *mNode) live() int {
	k := 0
	for _, e := range n.ents {
		if !e.del {
			k++
		}
	}
	return k
}

func (n *mNode) lpBytes() int {
	l := n.live()
	return n.bytes + lpIntElem(int64(l)) + lpIntElem(int64(len(n.ents)-l))
}

type mStream struct{ nodes []*mNode }

func (m *mStream) length() int {
	k := 0
	for _, n := range m.nodes {
		k += n.live()
	}
	return k
}

func (m *mStream) append(id StreamID, fv []string, maxEntries, maxBytes int) {
	var n *mNode
	if len(m.nodes) > 0 {
		n = m.nodes[len(m.nodes)-1]
		if nodeFull(n.lpBytes(), len(n.ents), fv, maxEntries, maxBytes) {
			n = nil
		}
	}
	if n == nil {
		n = &mNode{}
		for i := 0; i < len(fv); i += 2 {
			n.fields = append(n.fields, fv[i])
		}
		n.bytes = 6 + 1 + lpIntElem(int64(len(n.fields))) + lpIntElem(0)
		for _, f := range n.fields {
			n.bytes += lpStrElem(f)
		}
		m.nodes = append(m.nodes, n)
	}
	master := id
	if len(n.ents) > 0 {
		master = n.ents[0].id
	}
	n.bytes += entrySize(&streamNode{master: master, fields: n.fields}, id, fv, slices.Equal(n.fields, fieldsOf(fv)))
	n.ents = append(n.ents, mEntry{id: id, fv: fv})
}

func fieldsOf(fv []string) []string {
	var f []string
	for i := 0; i < len(fv); i += 2 {
		f = append(f, fv[i])
	}
	return f
}

func (m *mStream) delete(id StreamID) bool {
	for ni, n := range m.nodes {
		for i := range n.ents {
			if n.ents[i].id == id && !n.ents[i].del {
				n.ents[i].del = true
				if n.live() == 0 {
					m.nodes = append(m.nodes[:ni], m.nodes[ni+1:]...)
				}
				return true
			}
		}
	}
	return false
}

func (m *mStream) trim(strategy int, maxLen int64, minID StreamID, approx bool, limit int64) int64 {
	var deleted int64
	for len(m.nodes) > 0 {
		if strategy == TrimMaxLen && int64(m.length()) <= maxLen {
			break
		}
		n := m.nodes[0]
		entries := int64(n.live())
		if limit > 0 && deleted+entries > limit {
			break
		}
		var remove bool
		if strategy == TrimMaxLen {
			remove = int64(m.length())-entries >= maxLen
		} else {
			remove = n.ents[len(n.ents)-1].id.Less(minID)
		}
		if remove {
			m.nodes = m.nodes[1:]
			deleted += entries
			continue
		}
		if approx {
			break
		}
		for i := range n.ents {
			e := &n.ents[i]
			if strategy == TrimMaxLen && int64(m.length()) <= maxLen || strategy == TrimMinID && !e.id.Less(minID) {
				break
			}
			if !e.del {
				e.del = true
				deleted++
			}
		}
		break
	}
	return deleted
}

func (m *mStream) rangeIDs(lo, hi StreamID, rev bool) []mEntry {
	var out []mEntry
	for _, n := range m.nodes {
		for _, e := range n.ents {
			if !e.del && !e.id.Less(lo) && !hi.Less(e.id) {
				out = append(out, e)
			}
		}
	}
	if rev {
		slices.Reverse(out)
	}
	return out
}

func (m *mStream) live() []mEntry { return m.rangeIDs(StreamID{}, maxID, false) }

var maxID = StreamID{^uint64(0), ^uint64(0)}

func toBytes(fv []string) [][]byte {
	b := make([][]byte, len(fv))
	for i, x := range fv {
		b[i] = []byte(x)
	}
	return b
}

func randValue(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return ""
	case 1:
		return strconv.FormatInt(r.Int64N(1<<40)-1<<39, 10)
	case 2:
		return "007"
	case 3:
		return strings.Repeat("x", 60+r.IntN(200))
	case 4:
		if r.IntN(20) == 0 {
			return strings.Repeat("y", 5000)
		}
		return "\x00\xff\x80"
	}
	return fmt.Sprintf("v%d", r.IntN(1000))
}

var fieldSets = [][]string{{"f"}, {"f"}, {"f", "g"}, {"a"}, {"g", "f"}, {"f", "g", "h"}, {"12"}, {""}}

func randFV(r *rand.Rand) []string {
	fs := fieldSets[r.IntN(len(fieldSets))]
	fv := make([]string, 0, 2*len(fs))
	for _, f := range fs {
		fv = append(fv, f, randValue(r))
	}
	return fv
}

func nextID(r *rand.Rand, last StreamID) StreamID {
	switch r.IntN(8) {
	case 0: // a new millisecond, any sequence
		return StreamID{Ms: last.Ms + 1 + r.Uint64N(1<<20), Seq: r.Uint64()}
	case 1:
		return StreamID{Ms: last.Ms + 1<<40, Seq: 0}
	case 2:
		if last.Seq < ^uint64(0)-1<<40 {
			return StreamID{Ms: last.Ms, Seq: last.Seq + 1 + r.Uint64N(1<<40)}
		}
	case 3:
		return StreamID{Ms: last.Ms + 1, Seq: 0}
	}
	id, ok := last.Incr()
	if !ok {
		panic("ID space exhausted")
	}
	return id
}

// checkStreamModel compares s with the model m: length, node layout (fields,
// IDs, tombstones, values, size estimate) and the live entries.
func checkStreamModel(t *testing.T, s *Stream, m *mStream, what string) {
	t.Helper()
	if s.Len() != m.length() {
		t.Fatalf("%s: len %d, model %d", what, s.Len(), m.length())
	}
	if s.NodeCount() != len(m.nodes) {
		t.Fatalf("%s: %d nodes, model %d", what, s.NodeCount(), len(m.nodes))
	}
	ni := 0
	s.EachNode(func(fields []string, ents []StreamEntry) bool {
		mn := m.nodes[ni]
		if !slices.Equal(fields, mn.fields) || len(ents) != len(mn.ents) {
			t.Fatalf("%s: node %d: fields %q, %d entries; model %q, %d", what, ni, fields, len(ents), mn.fields, len(mn.ents))
		}
		for i := range ents {
			me := mn.ents[i]
			if ents[i].ID != me.id || ents[i].Deleted() != me.del || !slices.Equal(ents[i].FV, me.fv) {
				t.Fatalf("%s: node %d entry %d: %v %q %v; model %v %q %v", what, ni, i,
					ents[i].ID, ents[i].FV, ents[i].Deleted(), me.id, me.fv, me.del)
			}
		}
		if got := s.nodes[ni].lpBytes(); got != mn.lpBytes() {
			t.Fatalf("%s: node %d: size %d, model %d", what, ni, got, mn.lpBytes())
		}
		ni++
		return true
	})
	first, okF := s.First()
	last, okL := s.Last()
	live := m.live()
	if okF != (len(live) > 0) || okL != okF {
		t.Fatalf("%s: First/Last ok %v %v with %d live", what, okF, okL, len(live))
	}
	if okF && (first.ID != live[0].id || last.ID != live[len(live)-1].id || !slices.Equal(last.FV, live[len(live)-1].fv)) {
		t.Fatalf("%s: first %v last %v, model %v %v", what, first.ID, last.ID, live[0].id, live[len(live)-1].id)
	}
}

func checkRange(t *testing.T, s *Stream, m *mStream, lo, hi StreamID, rev bool, limit int) {
	t.Helper()
	want := m.rangeIDs(lo, hi, rev)
	if limit > 0 && len(want) > limit {
		want = want[:limit]
	}
	var got []StreamEntry
	s.Range(lo, hi, rev, func(e *StreamEntry) bool {
		got = append(got, StreamEntry{ID: e.ID, FV: slices.Clone(e.FV)})
		return limit == 0 || len(got) < limit
	})
	if len(got) != len(want) {
		t.Fatalf("range %v..%v rev=%v limit %d: %d entries, model %d", lo, hi, rev, limit, len(got), len(want))
	}
	if k := s.Count(lo, hi, rev, int64(limit)); k != int64(len(want)) {
		t.Fatalf("count %v..%v rev=%v limit %d: %d, model %d", lo, hi, rev, limit, k, len(want))
	}
	for i := range got {
		if got[i].ID != want[i].id || !slices.Equal(got[i].FV, want[i].fv) {
			t.Fatalf("range %v..%v rev=%v: entry %d %v %q, model %v %q", lo, hi, rev, i, got[i].ID, got[i].FV, want[i].id, want[i].fv)
		}
	}
}

// randBound is an ID near the stream's IDs: one of them, one just beside, or an end.
func randBound(r *rand.Rand, ids []StreamID) StreamID {
	if len(ids) == 0 || r.IntN(8) == 0 {
		return []StreamID{{}, maxID, {Ms: 1}}[r.IntN(3)]
	}
	id := ids[r.IntN(len(ids))]
	switch r.IntN(3) {
	case 0:
		if x, ok := id.Incr(); ok {
			return x
		}
	case 1:
		if x, ok := id.Decr(); ok {
			return x
		}
	}
	return id
}

func TestStreamPackedModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	rounds := 150
	if testing.Short() {
		rounds = 30
	}
	for round := 0; round < rounds; round++ {
		s, m := NewStream(), &mStream{}
		maxEntries := []int{0, 1, 2, 3, 7, 100}[r.IntN(6)]
		maxBytes := []int{0, 40, 120, 600, 4096}[r.IntN(5)]
		var ids []StreamID // every ID ever added
		last := StreamID{Ms: r.Uint64N(1 << 45), Seq: r.Uint64N(4)}
		for op := 0; op < 250; op++ {
			what := fmt.Sprintf("round %d op %d", round, op)
			switch k := r.IntN(20); {
			case k < 11:
				last = nextID(r, last)
				fv := randFV(r)
				s.Append(last, toBytes(fv), maxEntries, maxBytes)
				m.append(last, fv, maxEntries, maxBytes)
				ids = append(ids, last)
			case k < 14 && len(ids) > 0:
				id := ids[r.IntN(len(ids))]
				if got, want := s.Delete(id), m.delete(id); got != want {
					t.Fatalf("%s: delete %v: %v, model %v", what, id, got, want)
				}
			case k < 17:
				maxLen := int64(r.IntN(30))
				approx, limit := r.IntN(2) == 0, int64(0)
				if approx && r.IntN(3) == 0 {
					limit = int64(1 + r.IntN(10))
				}
				if got, want := s.Trim(TrimMaxLen, maxLen, StreamID{}, approx, limit), m.trim(TrimMaxLen, maxLen, StreamID{}, approx, limit); got != want {
					t.Fatalf("%s: MAXLEN %d approx %v limit %d: %d, model %d", what, maxLen, approx, limit, got, want)
				}
			default:
				minID := randBound(r, ids)
				approx, limit := r.IntN(2) == 0, int64(0)
				if approx && r.IntN(3) == 0 {
					limit = int64(1 + r.IntN(10))
				}
				if got, want := s.Trim(TrimMinID, 0, minID, approx, limit), m.trim(TrimMinID, 0, minID, approx, limit); got != want {
					t.Fatalf("%s: MINID %v approx %v limit %d: %d, model %d", what, minID, approx, limit, got, want)
				}
			}
			checkStreamModel(t, s, m, what)
			for i := 0; i < 3; i++ {
				lo, hi := randBound(r, ids), randBound(r, ids)
				limit := []int{0, 0, 1, 3}[r.IntN(4)]
				checkRange(t, s, m, lo, hi, false, limit)
				checkRange(t, s, m, lo, hi, true, limit)
			}
			for i := 0; i < 2 && len(ids) > 0; i++ {
				id := ids[r.IntN(len(ids))]
				e := s.Entry(id)
				w := m.rangeIDs(id, id, false)
				if (e != nil) != (len(w) == 1) || e != nil && (e.ID != id || !slices.Equal(e.FV, w[0].fv)) {
					t.Fatalf("%s: Entry(%v) = %v, model %v", what, id, e, w)
				}
			}
		}
		// A copy is equal and independent; a rebuild from EachNode (as an
		// RDB load does) is equal.
		cp := s.Copy().(*Stream)
		checkStreamModel(t, cp, m, "copy")
		re := NewStream()
		s.EachNode(func(fields []string, ents []StreamEntry) bool {
			if !re.AppendNode(slices.Clone(fields), slices.Clone(ents)) {
				t.Fatal("AppendNode refused a node EachNode gave")
			}
			return true
		})
		checkStreamModel(t, re, m, "rebuilt")
		if re.RaxNodes() != s.RaxNodes() && len(m.nodes) > 0 {
			t.Fatalf("rebuilt rax nodes %d, want %d", re.RaxNodes(), s.RaxNodes())
		}
		for _, e := range m.live() {
			s.Delete(e.id)
		}
		checkStreamModel(t, cp, m, "copy after deleting the original's entries")
	}
}

// TestStreamAppendAllocs: an XADD to the tail node allocates nothing but
// buffer growth (no per-entry objects).
func TestStreamAppendAllocs(t *testing.T) {
	s := NewStream()
	fv := [][]byte{[]byte("field"), []byte("value")}
	id := StreamID{Ms: 1}
	allocs := testing.AllocsPerRun(10000, func() {
		id.Seq++
		s.Append(id, fv, 100, 4096)
	})
	// Per 100 entries: a node, its buffer, its rax key and rax nodes.
	if allocs > 0.1 {
		t.Fatalf("%.3f allocations per append", allocs)
	}
}

func BenchmarkStreamAppend(b *testing.B) {
	s := NewStream()
	fv := [][]byte{[]byte("f"), []byte("v")}
	id := StreamID{Ms: 1}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		id.Seq++
		s.Append(id, fv, 100, 4096)
	}
}

// TestStreamMemoryPerEntry: a million `XADD s * f v` entries (about 150 a
// millisecond) hold under 12 bytes each of live heap, nodes and rax shape
// included (redis-server: ~13 bytes of used_memory an entry).
func TestStreamMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a million entries")
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	s := NewStream()
	fv := [][]byte{[]byte("f"), []byte("v")}
	id := StreamID{Ms: 1733380000000}
	const n = 1000000
	for i := 0; i < n; i++ {
		if i%150 == 0 {
			id = StreamID{Ms: id.Ms + 1}
		} else {
			id.Seq++
		}
		s.Append(id, fv, 100, 4096)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	per := float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n
	t.Logf("%.2f bytes of heap an entry, %d nodes", per, s.NodeCount())
	if per > 12 {
		t.Fatalf("%.2f bytes an entry", per)
	}
	runtime.KeepAlive(s)
}
