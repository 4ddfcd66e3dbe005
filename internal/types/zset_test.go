package types

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"testing"
)

// naiveZ is the model: a sorted slice of pairs.
type naiveZ struct{ e []zpair }

type zpair struct {
	m string
	s float64
}

func (n *naiveZ) sort() {
	sort.Slice(n.e, func(i, j int) bool { return zless(n.e[i].s, n.e[i].m, n.e[j].s, n.e[j].m) })
}

func (n *naiveZ) find(m string) int {
	for i, p := range n.e {
		if p.m == m {
			return i
		}
	}
	return -1
}

func checkSame(t *testing.T, z *ZSet, n *naiveZ, step int) {
	t.Helper()
	if z.Len() != len(n.e) {
		t.Fatalf("step %d: len %d, model %d", step, z.Len(), len(n.e))
	}
	i := 0
	z.Range(0, z.Len(), false, func(m []byte, s float64) bool {
		if string(m) != n.e[i].m || s != n.e[i].s {
			t.Fatalf("step %d: rank %d: (%q,%v), model (%q,%v)", step, i, m, s, n.e[i].m, n.e[i].s)
		}
		i++
		return true
	})
	if i != len(n.e) {
		t.Fatalf("step %d: range visited %d of %d", step, i, len(n.e))
	}
	if sl := z.skip(); sl != nil {
		// backward links and hash index agree too
		k := len(n.e) - 1
		for x := sl.tail; x != nil; x = x.backward {
			if x.member != n.e[k].m {
				t.Fatalf("step %d: backward rank %d: %q", step, k, x.member)
			}
			k--
		}
		cnt := 0
		for _, b := range sl.buckets {
			for x := b; x != nil; x = x.hnext {
				cnt++
			}
		}
		if cnt != len(n.e) {
			t.Fatalf("step %d: hash has %d", step, cnt)
		}
	}
}

func TestZSetModel(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { zsetModelRun(t, seed) })
	}
}

func zsetModelRun(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	z := NewZSet(0, 0, def)
	n := &naiveZ{}
	members := 300
	if seed%2 == 0 {
		members = 60 // stay mostly compact
	}
	randScore := func() float64 {
		switch r.IntN(6) {
		case 0:
			return float64(r.IntN(10))
		case 1:
			return r.Float64()*100 - 50
		case 2:
			return math.Inf(1 - 2*r.IntN(2))
		case 3:
			return float64(r.Int64N(1<<60) - 1<<59)
		case 4:
			return math.Copysign(0, -1)
		}
		return float64(r.IntN(3))
	}
	randMember := func() string {
		k := r.IntN(members)
		if r.IntN(50) == 0 {
			return fmt.Sprintf("long-%d-%070d", k, k) // over the value threshold
		}
		return fmt.Sprint("m", k)
	}
	for step := 0; step < 4000; step++ {
		switch op := r.IntN(10); op {
		case 0, 1, 2, 3: // ZADD with flags
			m, s := randMember(), randScore()
			flags := []int{0, ZAddNX, ZAddXX, ZAddGT, ZAddLT, ZAddIncr, ZAddIncr | ZAddGT, ZAddXX | ZAddLT}[r.IntN(8)]
			got, out, ok := z.Add([]byte(m), s, flags, def)
			i := n.find(m)
			want, wout, wok := s, 0, true
			if i >= 0 {
				cur := n.e[i].s
				switch {
				case flags&ZAddNX != 0:
					want, wout = cur, ZNop
				default:
					if flags&ZAddIncr != 0 {
						want = cur + s
					}
					if math.IsNaN(want) {
						wok = false
					} else if (flags&ZAddLT != 0 && want >= cur) || (flags&ZAddGT != 0 && want <= cur) {
						want, wout = cur, ZNop
					} else if want != cur {
						wout = ZUpdated
						n.e[i].s = want
					}
				}
			} else if flags&ZAddXX != 0 {
				want, wout = 0, ZNop
			} else {
				wout = ZAdded
				n.e = append(n.e, zpair{m, s})
			}
			n.sort()
			if ok != wok || (ok && (out != wout || got != want)) {
				t.Fatalf("step %d: add %q %v %b: got %v %b %v want %v %b %v", step, m, s, flags, got, out, ok, want, wout, wok)
			}
		case 4: // ZREM
			m := randMember()
			i := n.find(m)
			if z.Remove([]byte(m)) != (i >= 0) {
				t.Fatalf("step %d: remove %q", step, m)
			}
			if i >= 0 {
				n.e = append(n.e[:i], n.e[i+1:]...)
			}
		case 5: // rank and score
			m := randMember()
			i := n.find(m)
			rk, s, ok := z.Rank([]byte(m))
			if ok != (i >= 0) || (ok && (rk != i || s != n.e[i].s)) {
				t.Fatalf("step %d: rank %q = %d %v %v, model %d", step, m, rk, s, ok, i)
			}
			if sc, ok2 := z.Score([]byte(m)); ok2 != ok || sc != s {
				t.Fatalf("step %d: score", step)
			}
		case 6: // score range
			a, b := randScore(), randScore()
			rg := ScoreRange{Min: a, Max: b, MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0}
			lo, hi := z.ScoreRanks(&rg)
			wlo, whi := 0, 0
			if !rg.Empty() {
				for _, p := range n.e {
					if rg.belowMin(p.s) {
						wlo++
					}
					if rg.notAboveMax(p.s) {
						whi++
					}
				}
			}
			if whi < wlo {
				whi = wlo
			}
			if lo != wlo || hi != whi {
				t.Fatalf("step %d: score ranks %+v = %d,%d want %d,%d", step, rg, lo, hi, wlo, whi)
			}
			if r.IntN(4) == 0 { // ZREMRANGEBYSCORE
				z.RemoveRange(lo, hi)
				n.e = append(n.e[:lo], n.e[hi:]...)
			}
		case 7: // lex range on an all-equal-score copy
			if len(n.e) == 0 {
				continue
			}
			lz := NewZSet(0, 0, def)
			ln := &naiveZ{}
			for _, p := range n.e {
				lz.Add([]byte(p.m), 0, 0, def)
				ln.e = append(ln.e, zpair{p.m, 0})
			}
			ln.sort()
			a, b := randMember(), randMember()
			rg := LexRange{Min: []byte(a), Max: []byte(b), MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0, MinInf: r.IntN(8) == 0, MaxInf: r.IntN(8) == 0}
			lo, hi := lz.LexRanks(&rg)
			var got []string
			lz.Range(lo, hi, r.IntN(2) == 0, func(m []byte, _ float64) bool { got = append(got, string(m)); return true })
			cnt := 0
			if !rg.Empty() {
				for _, p := range ln.e {
					if !rg.belowMin([]byte(p.m)) && rg.notAboveMax([]byte(p.m)) {
						cnt++
					}
				}
			}
			if len(got) != cnt {
				t.Fatalf("step %d: lex %+v: got %d want %d", step, rg, len(got), cnt)
			}
		case 8: // pops / rank ranges
			if len(n.e) == 0 {
				continue
			}
			k := 1 + r.IntN(3)
			if k > len(n.e) {
				k = len(n.e)
			}
			if r.IntN(2) == 0 {
				z.RemoveRange(0, k)
				n.e = n.e[k:]
			} else {
				var got []string
				z.Range(len(n.e)-k, len(n.e), true, func(m []byte, _ float64) bool { got = append(got, string(m)); return true })
				for j, m := range got {
					if m != n.e[len(n.e)-1-j].m {
						t.Fatalf("step %d: rev range", step)
					}
				}
				z.RemoveRange(len(n.e)-k, len(n.e))
				n.e = n.e[:len(n.e)-k]
			}
		case 9: // copy and At
			c := z.Copy().(*ZSet)
			checkSame(t, c, n, step)
			if len(n.e) > 0 {
				i := r.IntN(len(n.e))
				m, s := z.At(i)
				if string(m) != n.e[i].m || s != n.e[i].s {
					t.Fatalf("step %d: At(%d)", step, i)
				}
			}
		}
		checkSame(t, z, n, step)
	}
	if members == 300 && z.Encoding() != "skiplist" {
		t.Errorf("expected conversion to skiplist")
	}
}

func TestZSetEncodingThresholds(t *testing.T) {
	z := NewZSet(0, 0, def)
	for i := 0; i < 128; i++ {
		z.Add([]byte(fmt.Sprint("m", i)), float64(i), 0, def)
	}
	if z.Encoding() != "listpack" {
		t.Fatal("128 entries should stay listpack")
	}
	z.Add([]byte("x"), 1, 0, def)
	if z.Encoding() != "skiplist" {
		t.Fatal("129 entries should be skiplist")
	}
	z = NewZSet(1, 0, def)
	z.Add(make([]byte, 64), 1, 0, def)
	if z.Encoding() != "listpack" {
		t.Fatal("64 bytes should stay listpack")
	}
	z.Add(make([]byte, 65), 1, 0, def)
	if z.Encoding() != "skiplist" {
		t.Fatal("65 bytes should be skiplist")
	}
	if NewZSet(129, 1, def).Encoding() != "skiplist" || NewZSet(1, 65, def).Encoding() != "skiplist" {
		t.Fatal("size hints")
	}
}

// TestZSetScanGuarantee: elements present for the whole scan are all
// returned, even as the table grows and shrinks between calls.
func TestZSetScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	z := NewZSet(1000, 0, def)
	for i := 0; i < 1000; i++ {
		z.Add([]byte(fmt.Sprint("stable", i)), float64(i), 0, def)
	}
	seen := map[string]bool{}
	var cur uint64
	extra := 0
	for {
		cur = z.Scan(cur, 10, func(m []byte, _ float64) { seen[string(m)] = true })
		// churn: grow a lot, then shrink
		for k := 0; k < 50; k++ {
			z.Add([]byte(fmt.Sprint("tmp", extra)), r.Float64(), 0, def)
			extra++
		}
		if extra > 3000 {
			for k := 0; k < extra; k++ {
				z.Remove([]byte(fmt.Sprint("tmp", k)))
			}
		}
		if cur == 0 {
			break
		}
	}
	for i := 0; i < 1000; i++ {
		if !seen[fmt.Sprint("stable", i)] {
			t.Fatalf("stable%d not returned", i)
		}
	}
}

// TestZSetMemory reports the live heap bytes of a 10-member sorted set.
func TestZSetMemory(t *testing.T) {
	const n = 100_000
	keep := make([]*ZSet, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		z := NewZSet(10, 10, def)
		for j := 0; j < 10; j++ {
			z.Add([]byte(fmt.Sprintf("member:%d", j)), float64(j), 0, def)
		}
		keep[i] = z
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.1f bytes per 10-member zset (object only, %s)", per, keep[0].Encoding())
	runtime.KeepAlive(keep)
}

func benchZSet(b *testing.B, size int) *ZSet {
	z := NewZSet(0, 0, def)
	for i := 0; i < size; i++ {
		z.Add([]byte(fmt.Sprint("member:", i)), float64(i%1000), 0, def)
	}
	return z
}

func BenchmarkZAdd(b *testing.B) {
	for _, size := range []int{1000, 100_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			z := benchZSet(b, size)
			ms := make([][]byte, 1024)
			for i := range ms {
				ms[i] = []byte(fmt.Sprint("member:", (i*7919)%size))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				z.Add(ms[i&1023], float64(i%2000), 0, def) // score update, the ZADD steady state
			}
		})
	}
}

func BenchmarkZRank(b *testing.B) {
	for _, size := range []int{1000, 100_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			z := benchZSet(b, size)
			ms := make([][]byte, 1024)
			for i := range ms {
				ms[i] = []byte(fmt.Sprint("member:", (i*7919)%size))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				z.Rank(ms[i&1023])
			}
		})
	}
}
