//go:build linux

package netloop

import (
	"errors"
	"net"
	"syscall"
	"unsafe"

	"github.com/shoal-db/shoal/internal/clock"
)

// Adopt moves an open connection onto the loops: a duplicate of its
// socket is registered with the next loop (as accept would) and nc is
// closed. Use it for a connection that must be set up with blocking I/O
// first, such as a TLS handshake (internal/server/tls_loop_linux.go): the
// loop then reads only what arrives after that, so nothing may be left
// unread in nc's own buffers. ctx becomes the Conn's Context before
// OnOpen, which tells such a connection from an accepted one. nc is
// closed whether or not Adopt succeeds.
func (s *Server) Adopt(nc net.Conn, ctx any) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		nc.Close()
		return errors.New("netloop: Adopt needs a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		nc.Close()
		return err
	}
	fd := -1
	var derr error
	if cerr := raw.Control(func(f uintptr) { fd, derr = dupCloexec(int(f)) }); cerr != nil {
		derr = cerr
	}
	remote, local := nc.RemoteAddr(), nc.LocalAddr()
	// Go's poller forgets its descriptor; the duplicate keeps the socket
	// (and its non-blocking file status, which it shares) open.
	nc.Close()
	if derr != nil {
		return derr
	}
	if s.closed.Load() {
		syscall.Close(fd)
		return net.ErrClosed
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	c := &Conn{fd: fd, remote: remote, local: local, HUP: make(chan struct{}), Context: ctx}
	l := s.pickLoop()
	c.loop = l
	l.post(func() { l.register(c) })
	return nil
}

// pickLoop is the loop a new connection goes to: the next in turn, passing
// over loops stuck in one long round of events.
func (s *Server) pickLoop() *loop {
	loops := s.loops
	i := int(s.next.Add(1))
	target := loops[i%len(loops)]
	if len(loops) > 1 {
		now := clock.Mono()
		for tries := 1; tries < len(loops) && target.stuck(now); tries++ {
			target = loops[(i+tries)%len(loops)]
		}
	}
	return target
}

func dupCloexec(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// tcpCloseWait is the kernel's TCP_CLOSE_WAIT state: the peer sent its FIN.
const tcpCloseWait = 8

// finReceived reports whether the peer has shut its side down even though
// unread data waits before the FIN (a peek sees only the data): a TLS
// client's close_notify alert, or commands pipelined behind a blocking
// one. As Redis, which reads a blocked client's socket, the connection
// is then gone.
func finReceived(fd int) bool {
	var info syscall.TCPInfo
	size := uint32(unsafe.Sizeof(info))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO,
		uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	return e == 0 && info.State == tcpCloseWait
}
