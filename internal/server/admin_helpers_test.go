package server

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// startServer runs a Server in-process on 127.0.0.1:0 and stops it at cleanup.
// startServer runs an in-process server on a loopback port until the test ends.
func startServer(t testing.TB, args ...string) *Server {
	t.Helper()
	// DEBUG allowed, as in Redis's own test suite (guard.go); args are
	// further directives.
	cfg, err := config.Load("", append([]string{"--enable-debug-command", "yes"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	s := New(cfg, io.Discard)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Serve(); close(done) }()
	// Serving before the test goes on: a test done within moments would
	// otherwise Close while Serve still starts its background work (a
	// WaitGroup Add racing Close's Wait).
	waitServing(t, s)
	t.Cleanup(func() {
		s.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return s
}

// waitServing waits (bounded) until s answers a PING.
func waitServing(t testing.TB, s *Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr().String(), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = c.Write([]byte("PING\r\n"))
			var b [7]byte
			if err == nil {
				_, err = io.ReadFull(c, b[:])
			}
			c.Close()
			if err == nil && string(b[:]) == "+PONG\r\n" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server does not answer PING: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// conn is a raw RESP test connection: replies come back as their raw bytes.
type conn struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func dial(t testing.TB, s *Server) *conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &conn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func encode(args ...string) []byte {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// send writes one command without waiting for its reply.
func (c *conn) send(args ...string) {
	c.t.Helper()
	if _, err := c.nc.Write(encode(args...)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns one whole raw reply, failing after 5 s.
func (c *conn) read() string { c.t.Helper(); return c.reply(5 * time.Second) }

// reply reads one whole raw reply, failing after wait.
func (c *conn) reply(wait time.Duration) string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(wait))
	defer c.nc.SetReadDeadline(time.Time{})
	_, raw, err := resp.ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(raw)
}

// noReply checks that nothing arrives within wait.
func (c *conn) noReply(wait time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(wait))
	defer c.nc.SetReadDeadline(time.Time{})
	if b, err := c.r.Peek(1); err == nil {
		c.t.Fatalf("unexpected reply starting %q", b)
	}
}

// do sends a command and returns its reply.
func (c *conn) do(args ...string) string {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

func (c *conn) expect(want string, args ...string) {
	c.t.Helper()
	if got := c.do(args...); got != want {
		c.t.Errorf("%q: got %q, want %q", args, got, want)
	}
}

// bulkBody strips a bulk or verbatim header from a raw reply.
func bulkBody(raw string) string {
	i := strings.Index(raw, "\r\n")
	body := raw[i+2 : len(raw)-2]
	if raw[0] == '=' {
		body = body[4:]
	}
	return body
}

// checkFor polls fn every 5 ms until it returns true or total elapses.
func checkFor(t *testing.T, total time.Duration, fn func() bool) {
	t.Helper()
	testutil.Until(t, total, 5*time.Millisecond, "the condition", fn)
}
