package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/config"
)

// startServer runs a Server in-process on 127.0.0.1:0 and stops it at cleanup.
func startServer(t *testing.T) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	cfg.Bind = []string{"127.0.0.1"}
	s := New(cfg, io.Discard)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Serve(); close(done) }()
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

// conn is a raw RESP test connection.
type conn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dial(t *testing.T, s *Server) *conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &conn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func encode(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

func (c *conn) send(args ...string) {
	c.t.Helper()
	if _, err := c.nc.Write(encode(args...)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns one whole raw reply.
func (c *conn) read() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := readReply(c.r)
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, s)
	}
	return s
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 {
		return line, fmt.Errorf("short line")
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '$', '=', '!':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return line, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return line, err
		}
		return line + string(buf), nil
	case '*', '~', '>', '%':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' {
			n *= 2
		}
		out := line
		for i := 0; i < n; i++ {
			s, err := readReply(r)
			out += s
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return line, nil
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

// checkFor polls fn until it returns true or the deadline passes.
func checkFor(t *testing.T, total time.Duration, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(total)
	for time.Now().Before(deadline) {
		if fn() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}
