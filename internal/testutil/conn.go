package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
)

// DefaultConnTimeout bounds every read and write on a Conn.
const DefaultConnTimeout = 5 * time.Second

// Conn is a minimal RESP client connection for tests: it sends commands as
// multibulk arrays and reads replies with resp.ReadReply.
type Conn struct {
	C       net.Conn
	R       *bufio.Reader
	Timeout time.Duration // per read or write; DefaultConnTimeout if 0
}

// Dial connects to addr. The connection is closed in t.Cleanup.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := DialTimeout(addr, DefaultConnTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Dial connects to the node; see Dial.
func (n *Node) Dial(t testing.TB) *Conn { t.Helper(); return Dial(t, n.Addr) }

// DialTimeout connects to addr without a testing.TB; the caller closes it.
func DialTimeout(addr string, d time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return nil, err
	}
	return &Conn{C: nc, R: bufio.NewReader(nc)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.C.Close() }

func (c *Conn) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultConnTimeout
}

// AppendCommand appends args as a RESP multibulk command to dst.
func AppendCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// Send writes one command without reading its reply.
func (c *Conn) Send(args ...string) error { return c.SendRaw(AppendCommand(nil, args...)) }

// SendRaw writes b as it is (inline commands, pipelines, broken frames).
func (c *Conn) SendRaw(b []byte) error {
	if err := c.C.SetWriteDeadline(time.Now().Add(c.timeout())); err != nil {
		return err
	}
	_, err := c.C.Write(b)
	return err
}

// Read reads one reply (or push) and its raw frame, waiting at most the
// connection's timeout.
func (c *Conn) Read() (resp.Value, []byte, error) { return c.ReadWithin(c.timeout()) }

// ReadWithin is Read with an explicit bound.
func (c *Conn) ReadWithin(d time.Duration) (resp.Value, []byte, error) {
	if err := c.C.SetReadDeadline(time.Now().Add(d)); err != nil {
		return resp.Value{}, nil, err
	}
	return resp.ReadReply(c.R)
}

// Do sends a command and reads its reply. An error reply is a Value, not
// an error; the error is for I/O and protocol failures.
func (c *Conn) Do(args ...string) (resp.Value, error) {
	if err := c.Send(args...); err != nil {
		return resp.Value{}, err
	}
	v, _, err := c.Read()
	return v, err
}

// MustDo is Do that fails the test on an I/O or protocol error.
func (c *Conn) MustDo(t testing.TB, args ...string) resp.Value {
	t.Helper()
	v, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

// Ping dials addr, sends PING and expects +PONG, all within d.
func Ping(addr string, d time.Duration) error {
	c, err := DialTimeout(addr, d)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Timeout = d
	v, err := c.Do("PING")
	if err != nil {
		return err
	}
	if v.Kind != resp.KindSimple || string(v.Str) != "PONG" {
		return fmt.Errorf("PING answered %s", v)
	}
	return nil
}

// Command sends one command to addr on a fresh connection, every step
// bounded by d, and returns the reply's text; an error reply is returned
// as an error with its text.
func Command(addr string, d time.Duration, args ...string) (string, error) {
	c, err := DialTimeout(addr, d)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.Timeout = d
	v, err := c.Do(args...)
	if err != nil {
		return "", err
	}
	if v.IsError() {
		return "", errors.New(string(v.Str))
	}
	return string(v.Str), nil
}
