package server

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
)

// streamText drains r and returns the stream's bytes so far.
func streamText(t *testing.T, s *Server, off int64) string {
	t.Helper()
	r, err := s.stream.NewReader(off, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b []byte
	for {
		chunk, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if chunk == nil {
			return string(b)
		}
		b = append(b, chunk...)
	}
}

func portOf(s *Server) string { return strconv.Itoa(s.Addr().(*net.TCPAddr).Port) }

// TestMigrateMovesAndPropagatesDel: MIGRATE between two in-process servers
// moves the keys (with their TTL), deletes them here, and the write stream
// sees them as one DEL; with COPY nothing is deleted or propagated.
func TestMigrateMovesAndPropagatesDel(t *testing.T) {
	src, dst := startServer(t), startServer(t)
	src.stream.SetBacklog(1 << 20)
	c, d := dial(t, src), dial(t, dst)
	c.expect("+OK\r\n", "SET", "a", "1", "EX", "100")
	c.expect(":3\r\n", "RPUSH", "b", "x", "y", "z")
	off := src.stream.Offset()
	c.expect("+OK\r\n", "MIGRATE", "127.0.0.1", portOf(dst), "", "0", "1000", "KEYS", "a", "missing", "b")
	c.expect(":0\r\n", "EXISTS", "a", "b")
	d.expect("$1\r\n1\r\n", "GET", "a")
	d.expect("*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n", "LRANGE", "b", "0", "-1")
	if ttl := d.do("TTL", "a"); ttl != ":100\r\n" && ttl != ":99\r\n" {
		t.Fatalf("TTL after MIGRATE: %q", ttl)
	}
	want := "*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n"
	if got := streamText(t, src, off); !strings.HasSuffix(got, want) || strings.Contains(got, "MIGRATE") {
		t.Fatalf("stream after MIGRATE: %q, want it to end with %q", got, want)
	}

	c.expect("+OK\r\n", "SET", "k", "v")
	off = src.stream.Offset()
	c.expect("+OK\r\n", "MIGRATE", "127.0.0.1", portOf(dst), "k", "0", "1000", "COPY")
	c.expect("$1\r\nv\r\n", "GET", "k")
	if got := streamText(t, src, off); got != "" {
		t.Fatalf("MIGRATE COPY propagated %q", got)
	}
	// A target error fails the key and leaves it here.
	c.expect("-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n",
		"MIGRATE", "127.0.0.1", portOf(dst), "k", "0", "1000")
	c.expect("$1\r\nv\r\n", "GET", "k")
	if !strings.Contains(c.do("INFO", "stats"), "migrate_cached_sockets:1\r\n") {
		t.Fatal("the connection to the target is not cached")
	}
}

// heldTarget is a target that reads commands and answers +OK to each only
// when release is closed.
func heldTarget(t *testing.T) (port string, release chan struct{}, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	release, got = make(chan struct{}), make(chan string, 16)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		for {
			v, _, err := resp.ReadReply(br)
			if err != nil {
				return
			}
			got <- string(v.Elems[0].Str)
			<-release
			if _, err := nc.Write([]byte("+OK\r\n")); err != nil {
				return
			}
		}
	}()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), release, got
}

// TestMigrateKeyInFlight: while a MIGRATE waits for its target, the server
// keeps serving other keys, and a write to the key being moved waits for
// the MIGRATE to finish instead of being lost: it runs after the key was
// deleted here.
func TestMigrateKeyInFlight(t *testing.T) {
	src := startServer(t)
	port, release, got := heldTarget(t)
	mover, writer, scripter, other := dial(t, src), dial(t, src), dial(t, src), dial(t, src)
	mover.expect("+OK\r\n", "SET", "moving", "old")
	other.expect("+OK\r\n", "SET", "still", "here")

	mover.send("MIGRATE", "127.0.0.1", port, "moving", "0", "5000")
	select {
	case cmd := <-got: // SELECT, sent first: the batch is on its way
		if cmd != "SELECT" {
			t.Fatalf("target got %q first", cmd)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("MIGRATE never reached the target")
	}
	// Other keys are served while the transfer waits.
	other.expect("$4\r\nhere\r\n", "GET", "still")
	// A write to the key in flight waits.
	writer.send("SET", "moving", "new")
	writer.noReply(200 * time.Millisecond)
	// So does a script that declared it.
	scripter.send("EVAL", "return redis.call('APPEND', KEYS[1], '+lua')", "1", "moving")
	scripter.noReply(100 * time.Millisecond)
	close(release)
	if r := mover.read(); r != "+OK\r\n" {
		t.Fatalf("MIGRATE: %q", r)
	}
	if r := writer.read(); r != "+OK\r\n" {
		t.Fatalf("SET after the MIGRATE: %q", r)
	}
	if r := scripter.read(); r != ":7\r\n" && r != ":4\r\n" {
		t.Fatalf("EVAL after the MIGRATE: %q", r)
	}
	// Both ran after the MIGRATE deleted the key, in either order: what
	// they wrote is kept.
	if r := other.do("GET", "moving"); r != "$7\r\nnew+lua\r\n" && r != "$3\r\nnew\r\n" {
		t.Fatalf("GET after the MIGRATE: %q", r)
	}
	if src.migr.flights.Active() {
		t.Fatal("keys left in flight")
	}
}
