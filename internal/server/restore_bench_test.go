package server

import (
	"bytes"
	"net"
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// BenchmarkDispatchRestore: RESTORE key 0 payload REPLACE through the
// dispatch path (parse, route, lock, decode, store, reply), without the
// network, as tools/benchdump's RESTORE phase sends it: pipelines of 100
// over 40 000 keys, each restored over the value of the round before. One
// op is one RESTORE. The payloads are the server's own DUMPs of
// benchdump's string, hash10 and zset10 values.
func BenchmarkDispatchRestore(b *testing.B) {
	const keys, batch = 40000, 100
	for _, kind := range []string{"string", "hash10", "zset10"} {
		b.Run(kind, func(b *testing.B) {
			s := startServer(b)
			a, p := net.Pipe()
			defer a.Close()
			defer p.Close()
			c := s.newClient(a)
			run := func(req []byte) {
				if n := c.process(req); n != len(req) {
					b.Fatalf("consumed %d of %d", n, len(req))
				}
			}
			pipes := make([][]byte, 0, keys/batch)
			var pipe []byte
			for i := 0; i < keys; i++ {
				key := "bench:" + strconv.Itoa(i)
				args := []string{"SET", key, "value-" + strconv.Itoa(i)}
				switch kind {
				case "hash10":
					args = []string{"HSET", key}
					for j := 0; j < 20; j++ {
						args = append(args, "f"+strconv.Itoa(j)+":"+strconv.Itoa(i%7))
					}
				case "zset10":
					args = []string{"ZADD", key}
					for j := 0; j < 10; j++ {
						args = append(args, strconv.FormatFloat(float64(j)+0.5, 'f', -1, 64), "m"+strconv.Itoa(j))
					}
				}
				run(encode(args...))
				c.w.Reset()
				run(encode("DUMP", key))
				reply := c.w.Buf
				nl := bytes.IndexByte(reply, '\n')
				if reply[0] != '$' || nl < 0 {
					b.Fatalf("DUMP: %q", reply)
				}
				payload := string(reply[nl+1 : len(reply)-2])
				c.w.Reset()
				pipe = append(pipe, encode("RESTORE", "r:"+key, "0", payload, "REPLACE")...)
				if len(pipe) > 0 && (i+1)%batch == 0 {
					pipes = append(pipes, pipe)
					pipe = nil
				}
			}
			want := bytes.Repeat([]byte("+OK\r\n"), batch)
			for _, pipe := range pipes { // the keys exist: every op replaces
				run(pipe)
				if !bytes.Equal(c.w.Buf, want) {
					b.Fatalf("RESTORE: %q", c.w.Buf[:min(len(c.w.Buf), 200)])
				}
				c.w.Reset()
			}
			b.ReportAllocs()
			b.ResetTimer()
			defer testutil.ReportCPU(b)()
			for i := 0; i < b.N; i += batch {
				run(pipes[i/batch%len(pipes)])
				c.w.Reset()
			}
		})
	}
}
