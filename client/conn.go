package client

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
)

// Value is one decoded reply (re-exported from the protocol package).
type Value = resp.Value

// Conn is one connection to one server. It is not safe for concurrent use:
// a caller owns it, queues commands with Send, pushes them with Flush and
// reads the replies in order with Receive (a pipeline), or uses Do for one
// round trip.
type Conn struct {
	addr    string
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	buf     []byte
	Timeout time.Duration // per read/write deadline; 0 = none
}

// Dial connects to addr ("host:port", or a path starting with '/' for a Unix
// socket) within timeout (0 = no timeout).
func Dial(addr string, timeout time.Duration) (*Conn, error) {
	network := "tcp"
	if len(addr) > 0 && addr[0] == '/' {
		network = "unix"
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: 15 * time.Second}
	nc, err := d.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return NewConn(nc, addr), nil
}

// DialTLS is Dial, then a TLS handshake with cfg (bounded by timeout);
// a nil cfg is Dial.
func DialTLS(addr string, timeout time.Duration, cfg *tls.Config) (*Conn, error) {
	if cfg == nil {
		return Dial(addr, timeout)
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: 15 * time.Second}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(nc, cfg)
	if timeout > 0 {
		nc.SetDeadline(time.Now().Add(timeout))
	}
	if err := tc.Handshake(); err != nil {
		nc.Close()
		return nil, &HandshakeError{err}
	}
	nc.SetDeadline(time.Time{})
	return NewConn(tc, addr), nil
}

// HandshakeError is a failed TLS handshake; its text is hiredis's
// ("SSL_connect failed: certificate verify failed" for a refused chain).
type HandshakeError struct{ Err error }

func (e *HandshakeError) Error() string {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var ierr x509.CertificateInvalidError
	if errors.As(e.Err, &verr) || errors.As(e.Err, &uerr) || errors.As(e.Err, &ierr) {
		return "SSL_connect failed: certificate verify failed"
	}
	return "SSL_connect failed: " + e.Err.Error()
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// NewConn wraps an established network connection.
func NewConn(nc net.Conn, addr string) *Conn {
	return &Conn{addr: addr, nc: nc, br: bufio.NewReaderSize(nc, 64<<10), bw: bufio.NewWriterSize(nc, 64<<10)}
}

// Addr is the address the connection was dialled with.
func (c *Conn) Addr() string { return c.addr }

// NetConn is the underlying connection (for raw protocol transfer).
func (c *Conn) NetConn() net.Conn { return c.nc }

// Reader is the connection's buffered reader (replies not yet consumed stay
// in it).
func (c *Conn) Reader() *bufio.Reader { return c.br }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// AppendArgs appends args as one RESP multibulk command to dst.
func AppendArgs[T string | []byte](dst []byte, args []T) []byte {
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

// Send queues one command; nothing is written until Flush (or the buffer
// fills).
func (c *Conn) Send(args ...string) error {
	c.buf = AppendArgs(c.buf[:0], args)
	_, err := c.bw.Write(c.buf)
	return err
}

// SendBytes is Send for binary arguments.
func (c *Conn) SendBytes(args [][]byte) error {
	c.buf = AppendArgs(c.buf[:0], args)
	_, err := c.bw.Write(c.buf)
	return err
}

// Flush writes every queued command.
func (c *Conn) Flush() error {
	if c.Timeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.Timeout))
	}
	return c.bw.Flush()
}

// Receive reads the next reply.
func (c *Conn) Receive() (Value, error) {
	if c.Timeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(c.Timeout))
	}
	v, _, err := resp.ReadReply(c.br)
	return v, err
}

// Do sends one command and reads its reply. An error reply is returned as
// a Value with a nil error; see ReplyError.
func (c *Conn) Do(args ...string) (Value, error) {
	if err := c.Send(args...); err != nil {
		return Value{}, err
	}
	if err := c.Flush(); err != nil {
		return Value{}, err
	}
	return c.Receive()
}

// DoBytes is Do for binary arguments.
func (c *Conn) DoBytes(args [][]byte) (Value, error) {
	if err := c.SendBytes(args); err != nil {
		return Value{}, err
	}
	if err := c.Flush(); err != nil {
		return Value{}, err
	}
	return c.Receive()
}

// Pipeline sends every command in cmds in one write and returns their
// replies in order. It stops at the first I/O error.
func (c *Conn) Pipeline(cmds [][]string) ([]Value, error) {
	for _, a := range cmds {
		if err := c.Send(a...); err != nil {
			return nil, err
		}
	}
	if err := c.Flush(); err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(cmds))
	for range cmds {
		v, err := c.Receive()
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Auth sends AUTH [user] pass. An error reply becomes an *Error.
func (c *Conn) Auth(user, pass string) error {
	var v Value
	var err error
	if user != "" {
		v, err = c.Do("AUTH", user, pass)
	} else {
		v, err = c.Do("AUTH", pass)
	}
	if err != nil {
		return err
	}
	return ReplyError(v)
}

// Error is an error reply from the server, e.g. "ERR unknown command".
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// MovedError is a -MOVED slot host:port reply.
type MovedError struct {
	Slot int
	Addr string
}

func (e *MovedError) Error() string { return "MOVED " + strconv.Itoa(e.Slot) + " " + e.Addr }

// AskError is an -ASK slot host:port reply.
type AskError struct {
	Slot int
	Addr string
}

func (e *AskError) Error() string { return "ASK " + strconv.Itoa(e.Slot) + " " + e.Addr }

// ReplyError returns nil for a reply that is not an error, and a typed
// error (*MovedError, *AskError, *Error) for one that is.
func ReplyError(v Value) error {
	if !v.IsError() {
		return nil
	}
	msg := string(v.Str)
	if slot, addr, kind, ok := ParseRedirect(msg); ok {
		if kind == "MOVED" {
			return &MovedError{Slot: slot, Addr: addr}
		}
		return &AskError{Slot: slot, Addr: addr}
	}
	return &Error{Msg: msg}
}

// ParseRedirect splits "MOVED 3999 127.0.0.1:6381" (or ASK) into its parts.
func ParseRedirect(msg string) (slot int, addr, kind string, ok bool) {
	var rest string
	switch {
	case len(msg) > 6 && msg[:6] == "MOVED ":
		kind, rest = "MOVED", msg[6:]
	case len(msg) > 4 && msg[:4] == "ASK ":
		kind, rest = "ASK", msg[4:]
	default:
		return 0, "", "", false
	}
	sp := -1
	for i := 0; i < len(rest); i++ {
		if rest[i] == ' ' {
			sp = i
			break
		}
	}
	if sp < 0 {
		return 0, "", "", false
	}
	n, err := strconv.Atoi(rest[:sp])
	if err != nil {
		return 0, "", "", false
	}
	return n, rest[sp+1:], kind, true
}

// IsRedirect reports whether err is a MOVED or ASK error.
func IsRedirect(err error) bool {
	var m *MovedError
	var a *AskError
	return errors.As(err, &m) || errors.As(err, &a)
}
