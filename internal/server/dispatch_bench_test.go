package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/testutil"
)

// BenchmarkDispatchGetSet: the dispatch path (parse, route, lock, run,
// reply) of a pipeline of 100 SET and GET commands on one connection,
// without the network.
func BenchmarkDispatchGetSet(b *testing.B) { benchDispatch(b, nil) }

// BenchmarkDispatchGetSetACLUser is BenchmarkDispatchGetSet as a user
// that is not all-powerful (~key:* +@all -@dangerous): every command takes
// the ACL check (command bitmap, key patterns through the key specs).
func BenchmarkDispatchGetSetACLUser(b *testing.B) {
	benchDispatch(b, func(s *Server, c *client) {
		u, _, err := s.acl.SetUser("app", []string{"on", "nopass", "~key:*", "+@all", "-@dangerous"})
		if err != nil {
			b.Fatal(err)
		}
		c.user.Store(u)
	})
}

func benchDispatch(b *testing.B, setup func(s *Server, c *client)) {
	s := startServer(b)
	a, p := net.Pipe()
	defer a.Close()
	defer p.Close()
	c := s.newClient(a)
	if setup != nil {
		setup(s, c)
	}
	var buf []byte
	for i := 0; i < 50; i++ {
		buf = append(buf, encode("SET", "key:1", "value")...)
		buf = append(buf, encode("GET", "key:1")...)
	}
	c.process(buf)
	if bytes.Contains(c.w.Buf, []byte("NOPERM")) {
		b.Fatalf("refused: %q", c.w.Buf[:80])
	}
	c.w.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	defer testutil.ReportCPU(b)()
	for i := 0; i < b.N; i++ {
		if n := c.process(buf); n != len(buf) {
			b.Fatalf("consumed %d of %d", n, len(buf))
		}
		c.w.Reset()
	}
}

// discardConn is a connection that takes every write and never has input.
type discardConn struct{ net.Conn }

func (discardConn) Write(b []byte) (int, error) { return len(b), nil }

// TestRoundTripAllocations: one GET or SET read and answered (process,
// then flush, as a loop does at pipeline depth 1) allocates nothing once
// the client is warm (a SET over a string writes into its record): at -P1
// every allocation is paid per request.
func TestRoundTripAllocations(t *testing.T) {
	s := startServer(t)
	a, p := net.Pipe()
	defer a.Close()
	defer p.Close()
	c := s.newClient(discardConn{a})
	for _, tc := range []struct {
		req  []byte
		want float64
	}{{encode("SET", "key:1", "value"), 0}, {encode("GET", "key:1"), 0}} {
		req := tc.req
		round := func() {
			if n := c.process(req); n != len(req) {
				t.Fatalf("consumed %d of %d", n, len(req))
			}
			c.flush()
		}
		round()
		if n := testing.AllocsPerRun(1000, round); n != tc.want {
			t.Errorf("%q: %v allocations per round trip, want %v", req, n, tc.want)
		}
	}
}

// BenchmarkDispatchPFADD: the dispatch path of redis-benchmark's PFADD
// loads at -P16 (-r 100000, 12-digit random numbers), without the network:
// one op is a pipeline of 16 commands. dense: PFADD hll ele:N on one dense
// HLL that has seen the elements (its steady state); sparse: PFADD hll:N
// ele:N over 100000 small sparse HLLs (about 10 elements each to start).
func BenchmarkDispatchPFADD(b *testing.B) {
	for _, sparse := range []bool{false, true} {
		name := "dense"
		if sparse {
			name = "sparse"
		}
		b.Run(name, func(b *testing.B) {
			s := startServer(b)
			a, p := net.Pipe()
			defer a.Close()
			defer p.Close()
			c := s.newClient(a)
			rng := rand.New(rand.NewPCG(1, 2))
			num := func() string { return fmt.Sprintf("%012d", rng.IntN(100000)) }
			cmd := func() []byte {
				key := "hll"
				if sparse {
					key = "hll:" + num()
				}
				return encode("PFADD", key, "ele:"+num())
			}
			pipes := make([][]byte, 4096)
			for i := range pipes {
				for j := 0; j < 16; j++ {
					pipes[i] = append(pipes[i], cmd()...)
				}
			}
			warm := 100000 // dense: every element seen
			if sparse {
				warm = 1000000
			}
			for i := 0; i < warm/16; i++ {
				c.process(pipes[i%len(pipes)])
				c.w.Reset()
			}
			b.ReportAllocs()
			defer testutil.ReportCPU(b)()
			i := 0
			for b.Loop() {
				pipe := pipes[i%len(pipes)]
				i++
				if n := c.process(pipe); n != len(pipe) {
					b.Fatalf("consumed %d of %d", n, len(pipe))
				}
				c.w.Reset()
			}
		})
	}
}

// TestPrefetchHotKey: prefetch stops peeking at a pipeline whose first
// commands all name one key (hotKeyPeek), and looks at every command of
// one that names several (up to PrefetchMax); the replies do not depend
// on it.
func TestPrefetchHotKey(t *testing.T) {
	s := startServer(t)
	a, p := net.Pipe()
	defer a.Close()
	defer p.Close()
	c := s.newClient(a)
	var hot, mixed []byte
	for i := 0; i < 6; i++ {
		hot = append(hot, encode("INCR", "k")...)
		mixed = append(mixed, encode("INCR", fmt.Sprintf("k%d", i%3))...)
	}
	if n := c.prefetch(hot); n != keyspace.PrefetchMax || c.pf.Len() != 0 {
		t.Fatalf("hot pipeline: prefetch looked at %d commands, %d keys queued", n, c.pf.Len())
	}
	if n := c.prefetch(mixed); n != 6 {
		t.Fatalf("mixed pipeline: prefetch looked at %d commands, want 6", n)
	}
	c.pfLeft = 0
	c.process(append(hot, mixed...))
	want := ":1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:1\r\n:1\r\n:1\r\n:2\r\n:2\r\n:2\r\n"
	if string(c.w.Buf) != want {
		t.Fatalf("replies %q, want %q", c.w.Buf, want)
	}
}
