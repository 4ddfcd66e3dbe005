package clusterbus

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// Link errors.
var (
	// ErrLinkClosed: Send on a closed link.
	ErrLinkClosed = errors.New("clusterbus: link closed")
	// ErrQueueFull: the write queue is full. Redis frees a link whose send
	// buffer passes cluster-link-sendbuf-limit; the caller should likewise
	// close the link and let the runner reconnect.
	ErrQueueFull = errors.New("clusterbus: link write queue full")
	// ErrBufferLimit: the bytes queued and not yet written would pass the
	// limit given to SendLimited (cluster-link-sendbuf-limit).
	ErrBufferLimit = errors.New("clusterbus: link send buffer limit reached")
)

// LinkConfig configures a Link. The zero value is usable.
type LinkConfig struct {
	// OnMessage receives each decoded message, in order, on the link's read
	// goroutine. It must not block for long: reading stops while it runs.
	// The message's byte slices alias the read buffer and are valid only
	// until OnMessage returns.
	OnMessage func(*Link, *Message)
	// OnDrop receives each frame Decode rejected (ErrVersion,
	// ErrUnknownType, ...). The link stays up, as in Redis. Optional.
	OnDrop func(*Link, error)
	// QueueLen is the write queue's capacity in messages; 0 means 256.
	QueueLen int
	// Wrap, if set, wraps each connection Listen accepts (tls.Server for
	// tls-cluster: the handshake runs on the link's first read).
	Wrap func(net.Conn) net.Conn
}

// Link is one cluster bus TCP connection: a read goroutine decoding frames
// and a write goroutine draining a bounded queue. It does no reconnecting;
// that is the runner's job.
type Link struct {
	conn net.Conn
	cfg  LinkConfig
	out  chan []byte
	// queued: bytes of the messages queued or being written.
	queued atomic.Int64

	mu     sync.Mutex
	closed bool
	err    error // why the link ended
	done   chan struct{}
	wg     sync.WaitGroup
}

// NewLink starts the read and write goroutines on conn.
func NewLink(conn net.Conn, cfg LinkConfig) *Link {
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 256
	}
	l := &Link{conn: conn, cfg: cfg, out: make(chan []byte, cfg.QueueLen), done: make(chan struct{})}
	l.wg.Add(2)
	go l.readLoop()
	go l.writeLoop()
	return l
}

// Dial connects to a bus address (host:port, the port being the client port
// + 10000) and returns a Link on it.
func Dial(addr string, cfg LinkConfig) (*Link, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewLink(c, cfg), nil
}

// Conn returns the underlying connection (for addresses).
func (l *Link) Conn() net.Conn { return l.conn }

// Send encodes m and queues it. It never blocks.
func (l *Link) Send(m *Message) error { return l.SendLimited(m, 0) }

// SendLimited is Send that refuses, with ErrBufferLimit, a message that
// would take the bytes waiting to be written past limit (0: no limit).
// The message that reaches the limit is still queued, as Redis frees the
// link once its send buffer is past the limit; the caller closes it.
func (l *Link) SendLimited(m *Message, limit int64) error {
	b := m.Encode(make([]byte, 0, m.Len()))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLinkClosed
	}
	select {
	case l.out <- b:
		if q := l.queued.Add(int64(len(b))); limit > 0 && q > limit {
			return ErrBufferLimit
		}
		return nil
	default:
		return ErrQueueFull
	}
}

// Queued is the number of bytes queued and not yet written.
func (l *Link) Queued() int64 { return l.queued.Load() }

// Done is closed when the link has ended; Err then says why.
func (l *Link) Done() <-chan struct{} { return l.done }

// Err returns why the link ended (nil while it is up or after Close).
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the connection and waits for both goroutines to exit.
func (l *Link) Close() error {
	l.fail(nil)
	l.wg.Wait()
	return nil
}

// fail ends the link once, recording err.
func (l *Link) fail(err error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed, l.err = true, err
	close(l.done)
	l.mu.Unlock()
	l.conn.Close()
}

func (l *Link) readLoop() {
	defer l.wg.Done()
	buf := make([]byte, 0, 4096)
	for {
		f, err := ReadFrame(l.conn, buf)
		if err != nil {
			l.fail(err)
			return
		}
		buf = f[:0]
		m, err := Decode(f)
		if err != nil {
			if l.cfg.OnDrop != nil {
				l.cfg.OnDrop(l, err)
			}
			continue
		}
		if l.cfg.OnMessage != nil {
			l.cfg.OnMessage(l, m)
		}
	}
}

func (l *Link) writeLoop() {
	defer l.wg.Done()
	for {
		select {
		case <-l.done:
			return
		case b := <-l.out:
			_, err := l.conn.Write(b)
			l.queued.Add(-int64(len(b)))
			if err != nil {
				l.fail(err)
				return
			}
		}
	}
}

// Listener accepts inbound bus links.
type Listener struct {
	l  net.Listener
	wg sync.WaitGroup
}

// Listen accepts connections on addr and hands each, as a Link with cfg, to
// accept, on the accept goroutine.
func Listen(addr string, cfg LinkConfig, accept func(*Link)) (*Listener, error) {
	nl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ln := &Listener{l: nl}
	ln.wg.Add(1)
	go func() {
		defer ln.wg.Done()
		for {
			c, err := nl.Accept()
			if err != nil {
				return
			}
			if cfg.Wrap != nil {
				c = cfg.Wrap(c)
			}
			accept(NewLink(c, cfg))
		}
	}()
	return ln, nil
}

// Addr is the listening address.
func (ln *Listener) Addr() net.Addr { return ln.l.Addr() }

// Close stops accepting and waits for the accept goroutine; accepted links
// are the caller's to close.
func (ln *Listener) Close() error {
	err := ln.l.Close()
	ln.wg.Wait()
	return err
}
