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
	"unsafe"
)

// blockingConn is a replica's link to its master read with blocking
// read(2) on the link's own descriptor, out of the Go netpoller: when the
// master's bytes arrive the kernel wakes the thread waiting in read, as
// it wakes Redis's event loop, instead of the netpoller waking a thread
// that then wakes the link's goroutine (a futex and a spinning thread per
// read, and the replica lag that goes with them). repl-timeout becomes
// SO_RCVTIMEO. A read first takes what is there, or arrives within
// rawWaitMillis, with raw syscalls (readRaw); only then does it block.
// Close shuts the socket down, which ends a read in progress, and closes
// the descriptor once no read or write is in it.
type blockingConn struct {
	fd     int
	local  net.Addr
	remote net.Addr
	io     sync.RWMutex // read and write hold it shared, close exclusively
	closed atomic.Bool
	// rto, sto: the SO_RCVTIMEO / SO_SNDTIMEO in force (a deadline moved
	// by less than a second, or a quarter of them, keeps them: one
	// setsockopt, not one per read).
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
	if n, ok, err := b.readRaw(p); ok {
		return n, err
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

// rawWaitMillis is how long a read waits for the master's next bytes
// keeping its P before it blocks through the runtime. A read blocked in a
// syscall leaves its P to sysmon, which hands it to a woken thread when
// no other P is idle, and takes a P back when it returns; under a steady
// stream the next bytes mostly come sooner than that (SET -P16: futex
// calls -30%, the replica's CPU per applied command lower; docs).
const rawWaitMillis = 2

// pollFd is struct pollfd.
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

// readRaw reads what the socket holds, or what reaches it within
// rawWaitMillis, with raw syscalls (the thread keeps its P, as an event
// loop's raw wait does; the runtime's preemption signal ends the wait
// with EINTR, so a stop-the-world waits for it no longer than for a
// loop). ok is false when nothing came: the caller blocks.
func (b *blockingConn) readRaw(p []byte) (n int, ok bool, err error) {
	if len(p) == 0 {
		return 0, true, nil
	}
	for waited := false; ; waited = true {
		r, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(b.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), syscall.MSG_DONTWAIT, 0, 0)
		switch {
		case e == 0 && r == 0:
			return 0, true, io.EOF
		case e == 0:
			return int(r), true, nil
		case e != syscall.EAGAIN && e != syscall.EINTR:
			return 0, true, &net.OpError{Op: "read", Net: "tcp", Source: b.local, Addr: b.remote, Err: e}
		case waited:
			return 0, false, nil
		}
		fds := [1]pollFd{{fd: int32(b.fd), events: 0x1}} // POLLIN
		ts := syscall.NsecToTimespec(rawWaitMillis * int64(time.Millisecond))
		k, _, e := syscall.RawSyscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if e != 0 || k == 0 {
			return 0, false, nil // interrupted, or nothing came
		}
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
// one in force is within a second (and a quarter) of it: a link held by a
// pause reads with 10 ms timeouts (heldPoll), also under repl-timeout 1.
// The zero time is no timeout.
func (b *blockingConn) setTimeout(opt int, cur *time.Duration, t time.Time) error {
	d := time.Duration(0)
	if !t.IsZero() {
		d = max(time.Until(t), time.Millisecond)
	}
	slack := min(time.Second, *cur/4)
	if diff := d - *cur; *cur != 0 && d != 0 && diff < slack && diff > -slack {
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
