package server

import (
	"bytes"
	"net"
	"testing"
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
	for i := 0; i < b.N; i++ {
		if n := c.process(buf); n != len(buf) {
			b.Fatalf("consumed %d of %d", n, len(buf))
		}
		c.w.Reset()
	}
}
