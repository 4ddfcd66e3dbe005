//go:build linux

package server

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// blockingConn is a replica's link to its master read with blocking
// read(2) on the link's own descriptor, out of the Go netpoller: when the
// master's bytes arrive the kernel wakes the thread waiting in read, as
// it wakes Redis's event loop, instead of the netpoller waking a thread
// that then wakes the link's goroutine (a futex and a spinning thread per
// read, and the replica lag that goes with them). repl-timeout becomes
// SO_RCVTIMEO. Close shuts the socket down, which ends a read in
// progress, and closes the descriptor once no read or write is in it.
type blockingConn struct {
	fd     int
	local  net.Addr
	remote net.Addr
	io     sync.RWMutex // read and write hold it shared, close exclusively
	closed atomic.Bool
	// rto, sto: the SO_RCVTIMEO / SO_SNDTIMEO in force (a deadline moved
	// by less than a second keeps them: one setsockopt, not one per read).
	rto, sto time.Duration
}

// newBlockingConn takes c's socket over: a duplicate of its descriptor in
// blocking mode. The caller closes c (which removes it from the
// netpoller; the duplicate keeps the socket).
func newBlockingConn(c *net.TCPConn) (*blockingConn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return &blockingConn{fd: fd, local: c.LocalAddr(), remote: c.RemoteAddr()}, nil
}

func (b *blockingConn) Read(p []byte) (int, error) {
	b.io.RLock()
	defer b.io.RUnlock()
	if b.closed.Load() {
		return 0, net.ErrClosed
	}
	for {
		n, err := syscall.Read(b.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, os.ErrDeadlineExceeded
		case err != nil:
			return 0, &net.OpError{Op: "read", Net: "tcp", Source: b.local, Addr: b.remote, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (b *blockingConn) Write(p []byte) (int, error) {
	b.io.RLock()
	defer b.io.RUnlock()
	if b.closed.Load() {
		return 0, net.ErrClosed
	}
	done := 0
	for done < len(p) {
		n, err := syscall.Write(b.fd, p[done:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return done, os.ErrDeadlineExceeded
		case err != nil:
			return done, &net.OpError{Op: "write", Net: "tcp", Source: b.local, Addr: b.remote, Err: err}
		}
		done += n
	}
	return done, nil
}

func (b *blockingConn) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	syscall.Shutdown(b.fd, syscall.SHUT_RDWR) // ends a blocked read or write
	b.io.Lock()
	defer b.io.Unlock()
	return syscall.Close(b.fd)
}

func (b *blockingConn) LocalAddr() net.Addr  { return b.local }
func (b *blockingConn) RemoteAddr() net.Addr { return b.remote }

func (b *blockingConn) SetDeadline(t time.Time) error {
	if err := b.SetReadDeadline(t); err != nil {
		return err
	}
	return b.SetWriteDeadline(t)
}

func (b *blockingConn) SetReadDeadline(t time.Time) error {
	return b.setTimeout(syscall.SO_RCVTIMEO, &b.rto, t)
}

// SetWriteDeadline is taken by one writer at a time (masterLink.wmu).
func (b *blockingConn) SetWriteDeadline(t time.Time) error {
	return b.setTimeout(syscall.SO_SNDTIMEO, &b.sto, t)
}

// setTimeout turns a deadline into the socket timeout opt, unless the
// one in force is within a second of it. The zero time is no timeout.
func (b *blockingConn) setTimeout(opt int, cur *time.Duration, t time.Time) error {
	d := time.Duration(0)
	if !t.IsZero() {
		d = max(time.Until(t), time.Millisecond)
	}
	if diff := d - *cur; *cur != 0 && d != 0 && diff < time.Second && diff > -time.Second {
		return nil
	}
	*cur = d
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	b.io.RLock()
	defer b.io.RUnlock()
	if b.closed.Load() {
		return net.ErrClosed
	}
	return syscall.SetsockoptTimeval(b.fd, syscall.SOL_SOCKET, opt, &tv)
}

// blockingLink is newBlockingConn for a plain TCP link (false for TLS).
func blockingLink(c net.Conn) (*blockingConn, bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil, false
	}
	b, err := newBlockingConn(tc)
	return b, err == nil
}

// FD is the descriptor, for CLIENT LIST's fd field (client.fdOf).
func (b *blockingConn) FD() int { return b.fd }
