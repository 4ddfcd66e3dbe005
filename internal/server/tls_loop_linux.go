//go:build linux

package server

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/netloop"
)

// TLS connections on the event loops (docs/tls.md). The handshake runs on
// a goroutine over the blocking socket, reading record by record so that
// nothing past the client's last handshake record is taken from the
// socket; the connection then moves to a loop (netloop.Server.Adopt),
// which reads ciphertext as it reads a plaintext client's input. The
// tls.Conn runs over a tlsPipe: its reads return what the loop read and,
// when that runs out, errWouldBlock — a temporary net.Error, on which
// crypto/tls keeps a partial record buffered and leaves the connection
// usable (crypto/tls's readRecordOrCCS only records non-temporary errors).
// Its writes go to the loop connection's non-blocking Write, so encrypted
// replies leave as a plaintext client's do (and queue the same way, which
// the output-buffer limits read).

// errWouldBlock is what a loop-served tls.Conn's transport returns when
// the bytes the loop read are used up.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tls: waiting for more input" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// tlsPipe is the net.Conn under a loop-served tls.Conn.
type tlsPipe struct {
	// raw is a blocking socket the pipe reads and writes instead of the
	// loop: the accepted connection during the handshake (exact: reads
	// stop at record boundaries), a replica link's own socket after
	// takeOver; nil while the loop serves the connection.
	raw atomic.Pointer[pipeRaw]
	// lc is the loop connection (set in OnOpen, before any write).
	lc *netloop.Conn
	// src is ciphertext the loop read and tls.Conn has not taken yet; set
	// only for the length of one OnData, on the connection's owner.
	src []byte
	// The record being read during the handshake: header bytes seen, and
	// body bytes still to come.
	hdr      [5]byte
	hdrGot   int
	bodyLeft int

	remote, local net.Addr
}

type pipeRaw struct {
	c     net.Conn
	exact bool
}

func (p *tlsPipe) Read(b []byte) (int, error) {
	if r := p.raw.Load(); r != nil {
		if !r.exact {
			return r.c.Read(b)
		}
		if left := p.recordLeft(); len(b) > left {
			b = b[:left]
		}
		n, err := r.c.Read(b)
		p.track(b[:n])
		return n, err
	}
	if len(p.src) == 0 {
		return 0, errWouldBlock
	}
	n := copy(b, p.src)
	p.src = p.src[n:]
	return n, nil
}

// recordLeft is how many bytes the current record (header, then body)
// still has to come.
func (p *tlsPipe) recordLeft() int {
	if p.hdrGot < len(p.hdr) {
		return len(p.hdr) - p.hdrGot
	}
	return p.bodyLeft
}

// track follows the record framing over bytes read.
func (p *tlsPipe) track(b []byte) {
	for len(b) > 0 {
		if p.hdrGot < len(p.hdr) {
			k := copy(p.hdr[p.hdrGot:], b)
			p.hdrGot += k
			b = b[k:]
			if p.hdrGot == len(p.hdr) {
				p.bodyLeft = int(p.hdr[3])<<8 | int(p.hdr[4])
				if p.bodyLeft == 0 {
					p.hdrGot = 0
				}
			}
			continue
		}
		k := min(p.bodyLeft, len(b))
		p.bodyLeft -= k
		b = b[k:]
		if p.bodyLeft == 0 {
			p.hdrGot = 0
		}
	}
}

func (p *tlsPipe) Write(b []byte) (int, error) {
	if r := p.raw.Load(); r != nil {
		return r.c.Write(b)
	}
	return p.lc.Write(b)
}

func (p *tlsPipe) Close() error {
	if r := p.raw.Load(); r != nil {
		return r.c.Close()
	}
	return p.lc.Close()
}

func (p *tlsPipe) LocalAddr() net.Addr  { return p.local }
func (p *tlsPipe) RemoteAddr() net.Addr { return p.remote }

func (p *tlsPipe) SetDeadline(t time.Time) error {
	if r := p.raw.Load(); r != nil {
		return r.c.SetDeadline(t)
	}
	return nil
}

func (p *tlsPipe) SetReadDeadline(t time.Time) error {
	if r := p.raw.Load(); r != nil {
		return r.c.SetReadDeadline(t)
	}
	return nil
}

func (p *tlsPipe) SetWriteDeadline(t time.Time) error {
	if r := p.raw.Load(); r != nil {
		return r.c.SetWriteDeadline(t)
	}
	return nil
}

// tlsLoopConn is a loop-served TLS client's net.Conn (client.conn): writes
// are encrypted (tls.Conn), the rest is the loop connection's.
type tlsLoopConn struct {
	*tls.Conn
	pipe *tlsPipe
	lc   *netloop.Conn
	// plain is decrypted input the client has not consumed yet (an
	// incomplete command, or commands left for a detached goroutine); its
	// owner is the connection's owner.
	plain []byte
}

// Close closes the socket as a plaintext client's is (no close_notify,
// as Redis frees the SSL without SSL_shutdown).
func (t *tlsLoopConn) Close() error                     { return t.lc.Close() }
func (t *tlsLoopConn) NetConn() net.Conn                { return t.lc } // CLIENT LIST fd
func (t *tlsLoopConn) Queued() int                      { return t.lc.Queued() }
func (t *tlsLoopConn) QueuedChunks() int                { return t.lc.QueuedChunks() }
func (t *tlsLoopConn) LocalAddr() net.Addr              { return t.lc.LocalAddr() }
func (t *tlsLoopConn) RemoteAddr() net.Addr             { return t.lc.RemoteAddr() }
func (t *tlsLoopConn) SetDeadline(time.Time) error      { return nil }
func (t *tlsLoopConn) SetReadDeadline(time.Time) error  { return nil }
func (t *tlsLoopConn) SetWriteDeadline(time.Time) error { return nil }

// tlsOnLoop runs a TLS client's handshake on the calling goroutine and
// hands the connection to the event loops. It reports false when there
// are no loops to take it (the caller serves it with a goroutine).
func (s *Server) tlsOnLoop(conn net.Conn) bool {
	ls := s.loops
	if ls == nil {
		return false
	}
	p := &tlsPipe{remote: conn.RemoteAddr(), local: conn.LocalAddr()}
	p.raw.Store(&pipeRaw{c: conn, exact: true})
	tc := tls.Server(p, s.tls.lc)
	ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.Logf('#', "Error accepting a client connection: %s (conn: addr=%s)", tlsErrText(err), conn.RemoteAddr())
		discardUnread(conn)
		conn.Close()
		return true
	}
	p.raw.Store(nil)
	if err := ls.Adopt(conn, &tlsLoopConn{Conn: tc, pipe: p}); err != nil && !s.stopping() {
		s.Logf('#', "Error accepting a client connection: %v (conn: addr=%s)", err, p.remote)
	}
	return true
}

// stopping reports whether Close has begun.
func (s *Server) stopping() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// openTLS is OnOpen's part for a connection Adopt brought from
// tlsOnLoop: it becomes the client's net.Conn.
func openTLS(conn *netloop.Conn) (net.Conn, bool) {
	t, ok := conn.Context.(*tlsLoopConn)
	if !ok {
		return conn, false
	}
	t.lc, t.pipe.lc = conn, conn
	return t, true
}

// tlsPlainMin is the first size of a TLS client's decrypted-input buffer.
const tlsPlainMin = 16 * 1024

// onTLSData is OnData for a TLS client: in is ciphertext. Every whole
// record is decrypted into t.plain and the client runs on that as a
// plaintext client runs on its input. in is always consumed: a partial
// record waits inside tls.Conn for the rest.
func (h loopHandler) onTLSData(c *client, conn *netloop.Conn, in []byte) int {
	t := c.conn.(*tlsLoopConn)
	conn.Fresh = 0
	before := len(t.plain)
	t.pipe.src = in
	ended := false
	for {
		if len(t.plain) == cap(t.plain) {
			nb := make([]byte, len(t.plain), max(tlsPlainMin, 2*cap(t.plain)))
			copy(nb, t.plain)
			t.plain = nb
		}
		n, err := t.Read(t.plain[len(t.plain):cap(t.plain)])
		t.plain = t.plain[:len(t.plain)+n]
		if err != nil {
			// Anything but "no more input yet" (the peer's close_notify,
			// a bad record: tls.Conn has sent its alert) ends the
			// connection once what came before it has run.
			ended = err != errWouldBlock
			break
		}
	}
	t.pipe.src = nil
	c.batch.netIn += int64(len(t.plain) - before)
	if len(t.plain) == before && !ended {
		return len(in) // only part of a record
	}
	used := h.run(c, conn, t.plain)
	switch {
	case used < 0:
		t.plain = t.plain[:0]
	case ended:
		c.drainAsync()
		conn.Close()
		t.plain = t.plain[:0]
	case c.detachPending:
		c.detachPending = false
		conn.Detach(func(raw []byte) []byte {
			rest := c.runDetached(t.plain[used:])
			t.plain = t.plain[:copy(t.plain, rest)]
			return raw
		})
	case c.overQueryLimit(t.plain[used:]):
		t.plain = t.plain[:0]
	case used > 0:
		t.plain = t.plain[:copy(t.plain, t.plain[used:])]
		if len(t.plain) == 0 && cap(t.plain) > 4*tlsPlainMin {
			c.srv.released(cap(t.plain)) // obuf.go: a big one goes back to the OS
			t.plain = nil
		}
	}
	return len(in)
}

// takeOverTLS is takeOver for a loop-served TLS client: the replica link
// gets the tls.Conn, now over a socket of its own.
func takeOverTLS(t *tlsLoopConn) (net.Conn, error) {
	nc, err := t.lc.TakeOver()
	if err != nil {
		return nil, err
	}
	t.pipe.raw.Store(&pipeRaw{c: nc})
	return t.Conn, nil
}

// discardUnread reads and drops what waits in conn's socket, without
// waiting. The handshake reads record by record, so a refused client's
// next bytes (its first command, sent behind its certificate) may still be
// there; closing over them would reset the connection instead of ending
// it, and the client would report a reset rather than the close.
func discardUnread(conn net.Conn) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var buf [4096]byte
	rc.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_DONTWAIT)
			if n <= 0 || err != nil {
				return true
			}
		}
	})
}
