package command

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/hll"
)

// TestPFADDAllocations: a sparse PFADD allocates the stored record and
// nothing else (its sketch is changed in a buffer on the stack), one whose
// string keeps its length is written in place, and PFCOUNT refreshing the
// cached cardinality writes it in place.
func TestPFADDAllocations(t *testing.T) {
	e := newTestEnv(t)
	// "a" lands alone in register 12711 with count 2 (Z:12711 v:2,1
	// Z:3672); raise is an element raising that register to 3, which keeps
	// the string's length.
	raise := ""
	for i := 0; raise == ""; i++ {
		if j, c := hll.PatLen([]byte("e" + strconv.Itoa(i))); j == 12711 && c == 3 {
			raise = "e" + strconv.Itoa(i)
		}
	}
	for _, tc := range []struct {
		name  string
		setup [][]string // on key k
		cmd   []string   // key second
		want  uint64
		after string // PFDEBUG DECODE after, if set
	}{
		// The key's slot table made first: the keyspace's own allocations
		// are not PFADD's.
		{"new key", [][]string{{"set", "k", "x"}, {"del", "k"}}, []string{"pfadd", "k", "a"}, 1, "$20\r\nZ:12711 v:2,1 Z:3672\r\n"},
		// A sketch growing within its record's allocation (key and
		// sketch: 14+20 bytes, 48 allocated; b, c and d add 9) is written
		// into it; past the allocation it takes a new record.
		{"sparse, grows", [][]string{{"pfadd", "k", "a"}}, []string{"pfadd", "k", "b", "c", "d"}, 0, ""},
		{"sparse, outgrows", [][]string{{"pfadd", "k", "a"}}, []string{"pfadd", "k", "b", "c", "d", "e", "f", "g"}, 1, ""},
		{"sparse, same length", [][]string{{"pfadd", "k", "a"}}, []string{"pfadd", "k", raise}, 0, "$20\r\nZ:12711 v:3,1 Z:3672\r\n"},
		{"pfcount refresh", [][]string{{"pfadd", "k", "x", "y", "z"}}, []string{"pfcount", "k"}, 0, ""},
	} {
		// The least of a few tries: another goroutine may allocate meanwhile.
		least := ^uint64(0)
		for try := 0; try < 5; try++ {
			key := tc.name + strconv.Itoa(try)
			for _, s := range tc.setup {
				e.do(append([]string{s[0], key}, s[2:]...)...)
			}
			before := e.do("get", key)
			c, h := newBenchCtx(t, e, append([]string{tc.cmd[0], key}, tc.cmd[2:]...)...)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			h(c)
			runtime.ReadMemStats(&m1)
			least = min(least, m1.Mallocs-m0.Mallocs)
			if string(c.W.Buf) == ":0\r\n" || e.do("get", key) == before {
				t.Fatalf("%s: %q changed nothing", tc.name, c.W.Buf)
			}
			if got := e.do("pfdebug", "decode", key); tc.after != "" && got != tc.after {
				t.Fatalf("%s: PFDEBUG DECODE %q, want %q", tc.name, got, tc.after)
			}
		}
		if least > tc.want {
			t.Errorf("%s: %d allocations, want ≤ %d", tc.name, least, tc.want)
		}
	}
}
