package server

import (
	"net"
	"testing"
)

// BenchmarkDispatchGetSet: the dispatch path (parse, route, lock, run,
// reply) of a pipeline of 100 SET and GET commands on one connection,
// without the network.
func BenchmarkDispatchGetSet(b *testing.B) {
	s := startServer(b)
	a, p := net.Pipe()
	defer a.Close()
	defer p.Close()
	c := s.newClient(a)
	var buf []byte
	for i := 0; i < 50; i++ {
		buf = append(buf, encode("SET", "key:1", "value")...)
		buf = append(buf, encode("GET", "key:1")...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := c.process(buf); n != len(buf) {
			b.Fatalf("consumed %d of %d", n, len(buf))
		}
		c.w.Reset()
	}
}
