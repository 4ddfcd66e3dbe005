//go:build linux

package netloop

// Detached connections: a command that may block takes its connection off
// the loop (Detach) and hands it back; TakeOver gives it away for good.

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// Detach hands the connection to fn on a new goroutine once the current
// OnData returns: the loop stops reading it, fn gets the unconsumed input
// and returns what it left unconsumed, and the loop then takes the
// connection back. Call from OnData. Used for commands that may block.
//
// Ownership: from the hand-off until fn returns, fn's goroutine alone owns
// the connection's handler state; the loop calls no Handler method for it.
// A close requested meanwhile (Close, peer hang-up, loop shutdown) closes
// HUP, which fn's goroutine must watch, and is carried out on the loop
// after fn returns, with OnClose, on the loop goroutine. The post that
// hands the connection back is the synchronisation point between the two
// owners.
func (c *Conn) Detach(fn func(in []byte) []byte) { c.detach = fn }

// Post runs fn on the connection's loop goroutine, unless by then the
// connection is closed or held by another goroutine (Detach, a handed-off
// call). Safe from any goroutine.
func (c *Conn) Post(fn func()) {
	c.loop.post(func() {
		if c.paused.Load() || c.isClosed() || c.loop.conns.get(c.fd) != c {
			return
		}
		fn()
	})
}

// WantIn tells the loop that the command at the start of the unconsumed
// input needs n bytes in all (0: not known), so the input buffer grows to
// that once instead of doubling. From OnData.
func (c *Conn) WantIn(n int) { c.want = n }

// InLen is how many input bytes the connection holds unconsumed; InCap
// its input buffer's size. On the loop goroutine (OnData, Post).
func (c *Conn) InLen() int { return len(c.in) }

// InCap: see InLen.
func (c *Conn) InCap() int { return cap(c.in) }

// ShrinkIn gives the input buffer a size of n (not below what it holds),
// Redis's query-buffer resize; 0 frees it. On the loop goroutine.
func (c *Conn) ShrinkIn(n int) {
	n = max(n, len(c.in))
	if n >= cap(c.in) {
		return
	}
	if n == 0 {
		c.in = nil
		c.noteIn()
		return
	}
	nb := make([]byte, len(c.in), n)
	copy(nb, c.in)
	c.in = nb
	c.noteIn()
}

// Detached reports whether a goroutine holds the connection (Detach):
// the loop must not touch the handler's state for it.
func (c *Conn) Detached() bool { return c.paused.Load() }

func (l *loop) startDetached(c *Conn) {
	fn := c.detach
	c.detach = nil
	c.paused.Store(true)
	l.detached++
	in := c.in
	c.in = nil
	c.noteIn()
	go func() {
		rest := fn(in)
		l.post(func() { l.handBack(c, rest) })
	}()
}

// handBack takes c back from the goroutine that held it (a detached or
// handed-off handler), with the input it left unconsumed; on the loop
// goroutine.
func (l *loop) handBack(c *Conn, rest []byte) {
	l.detached--
	c.paused.Store(false)
	if l.conns.get(c.fd) != c {
		return
	}
	if c.closeWanted {
		c.flushPending()
		l.closeConn(c)
		return
	}
	l.listTurnEnd(c)
	c.in = append(rest, c.in...)
	c.noteIn()
	c.watch(syscall.EPOLL_CTL_MOD, true, c.wantsOut())
	if len(c.in) > 0 {
		l.deliver(c)
	}
	if !c.paused.Load() {
		l.readable(c, true)
	}
}

// TakeOver gives a detached connection's goroutine a net.Conn of its own
// on a duplicate of the socket, for a link that lives as long as the
// connection (a replica's link to its master, served with blocking I/O):
// the loop stops reading the socket. Call only from the detached
// function (which was handed the unconsumed input); the original socket
// is closed when that function returns and the connection is closed.
func (c *Conn) TakeOver() (net.Conn, error) {
	if !c.paused.Load() {
		return nil, errors.New("netloop: TakeOver on a connection that is not detached")
	}
	fd, err := syscall.Dup(c.fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "taken-over")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	// Nobody on the loop reads this socket any more: watch nothing but
	// the hang-up.
	c.watch(syscall.EPOLL_CTL_MOD, false, false)
	return nc, nil
}
