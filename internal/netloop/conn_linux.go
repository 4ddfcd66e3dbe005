//go:build linux

package netloop

// A connection's output (Write, the queue, EPOLLOUT) and the net.Conn
// methods.

import (
	"errors"
	"net"
	"syscall"
	"time"
)

func (c *Conn) hangup() { c.hupOnce.Do(func() { close(c.HUP) }) }

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Write sends b, buffering what the socket does not take at once. Safe
// from any goroutine. It never blocks on the peer.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.out.n > 0 {
		c.out.push(b)
		c.noteOut()
		c.queued.Store(int64(c.out.n))
		return len(b), nil
	}
	n, err := writeAll(c.fd, b)
	if err != nil && err != syscall.EAGAIN {
		return n, err
	}
	if n < len(b) {
		c.out.push(b[n:])
		c.noteOut()
		c.queued.Store(int64(c.out.n))
		c.armOut()
	}
	return len(b), nil
}

// Queued is how many output bytes wait for the socket: one atomic load,
// cheap enough to check after every write (output-buffer limits).
func (c *Conn) Queued() int { return int(c.queued.Load()) }

// QueuedChunks is how many chunks hold the queued output (CLIENT LIST oll).
func (c *Conn) QueuedChunks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.chunks()
}

func writeAll(fd int, b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := rawWrite(fd, b[done:])
		if n > 0 {
			done += n
		}
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return done, err
		}
		if n == 0 {
			return done, syscall.EAGAIN
		}
	}
	return done, nil
}

// armOut asks the loop for EPOLLOUT; c.mu held.
func (c *Conn) armOut() {
	if c.wantOut {
		return
	}
	c.wantOut = true
	c.watch(syscall.EPOLL_CTL_MOD, !c.paused.Load(), true)
}

// watch sets what the loop's epoll reports for c, edge-triggered
// (epollET): always a hang-up, input when in, room to write when out.
// Every change of a connection's events goes through here.
func (c *Conn) watch(op int, in, out bool) error {
	ev := uint32(syscall.EPOLLRDHUP | epollET)
	if in {
		ev |= syscall.EPOLLIN
	}
	if out {
		ev |= syscall.EPOLLOUT
	}
	return syscall.EpollCtl(c.loop.epfd, op, c.fd, &syscall.EpollEvent{Events: ev, Fd: int32(c.fd)})
}

// wantsOut reports whether c waits to write (EPOLLOUT armed).
func (c *Conn) wantsOut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wantOut
}

func (c *Conn) flushPending() {
	c.mu.Lock()
	peak := c.flushLocked()
	c.mu.Unlock()
	c.loop.srv.released(peak)
}

// flushLocked sends what the socket takes of the queue; c.mu held. It
// returns the queue's peak size if the queue was emptied (to release).
func (c *Conn) flushLocked() int {
	if c.closed || c.out.n == 0 {
		return 0
	}
	for c.out.n > 0 {
		n, err := rawWritev(c.fd, &c.out)
		if err == syscall.EINTR {
			continue
		}
		if err != nil && err != syscall.EAGAIN {
			c.queued.Store(0)
			peak := c.out.reset()
			c.noteOut()
			return peak
		}
		if n <= 0 {
			break
		}
		c.out.consume(n)
	}
	c.noteOut()
	c.queued.Store(int64(c.out.n))
	if c.out.n > 0 {
		return 0
	}
	peak := c.out.reset()
	c.noteOut()
	c.wantOut = false
	c.watch(syscall.EPOLL_CTL_MOD, !c.paused.Load(), false)
	return peak
}

// Close closes the connection (after pending output is attempted once).
// Safe from any goroutine. A detached connection is closed once its
// goroutine hands it back; HUP tells the goroutine to finish.
func (c *Conn) Close() error {
	c.loop.post(func() {
		c.flushPending()
		c.loop.closeConn(c)
	})
	return nil
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// LocalAddr is the local address.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// FD is the socket's file descriptor (CLIENT LIST's fd field).
func (c *Conn) FD() int { return c.fd }

// Read, SetReadDeadline and the rest make Conn a net.Conn for code paths
// that only write and close; reading is event-driven, so Read is unsupported.
func (c *Conn) Read([]byte) (int, error)         { return 0, errors.ErrUnsupported }
func (c *Conn) SetDeadline(time.Time) error      { return nil }
func (c *Conn) SetReadDeadline(time.Time) error  { return nil }
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
