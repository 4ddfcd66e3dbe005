//go:build linux

package netloop

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/clock"
)

// Handler receives a connection's events, on its loop's goroutine.
type Handler interface {
	// OnOpen is called once, before any data.
	OnOpen(c *Conn)
	// OnData is called with every unconsumed input byte. It returns how many
	// it consumed; the rest is offered again, with more, next time.
	OnData(c *Conn, in []byte) int
	// OnClose is called once when the connection is gone.
	OnClose(c *Conn)
}

// Releaser is an optional Handler method, called when a connection lets go
// of a large buffer: an output queue that held n bytes at its peak drained
// or was dropped, or a large input buffer was freed. It may run on any
// goroutine, with no lock held, and must not block. The server uses it to
// give memory back to the OS soon after (the Go runtime otherwise keeps it).
type Releaser interface {
	OnRelease(n int)
}

// TurnEnder is an optional Handler method, called on a loop's goroutine
// after it has handled one round of ready events, with the connections
// that asked for it during the round (Conn.AtTurnEnd), each once. The
// server sends the replies that wait for an fsync there, so one fsync
// covers every client of the round (Redis's beforeSleep). The slice is
// reused after the call.
type TurnEnder interface {
	OnTurnEnd(conns []*Conn)
}

// RoundEnder is an optional Handler method, called on a loop's goroutine
// at the end of every round that handled events, after the TurnEnder: the
// server wakes the replica links there once for the round's writes.
type RoundEnder interface {
	OnRoundEnd()
}

// readMin is the least free room a connection's input buffer has when its
// socket is read: Redis's PROTO_IOBUF_LEN.
const readMin = 16 * 1024

// releaseMin is the smallest buffer worth reporting to a Releaser.
const releaseMin = 1 << 20

// Supported reports whether this platform has the event-loop transport.
const Supported = true

// Server is a set of loops serving one or more listeners.
type Server struct {
	h       Handler
	rel     Releaser   // nil if h is not one
	te      TurnEnder  // nil if h is not one
	re      RoundEnder // nil if h is not one
	loops   []*loop
	lns     atomic.Pointer[[]int] // replaced whole, so the loops read it without a lock
	lnMu    sync.Mutex            // serialises Listen and CloseListener
	next    atomic.Uint32
	closed  atomic.Bool
	readBuf int // the least room a read is given (readMin)
	// slow and out: the slow-call watch (slowwatch_linux.go).
	slow atomic.Pointer[slowWatch]
	out  outCalls
	// watchParked: the watchdog sleeps on watchWake until a round begins.
	watchParked atomic.Bool
	watchWake   chan struct{}
}

// Conn is one client connection.
type Conn struct {
	fd     int
	loop   *loop
	remote net.Addr
	local  net.Addr

	// in is the unconsumed input, owned by the loop (or by whoever holds the
	// connection while it is paused).
	in []byte
	// want is how many bytes the handler said its pending command needs
	// (WantIn), counted from the start of in.
	want int
	// inHeld is cap(in) as last added to the loop's held bytes (noteIn).
	inHeld int

	mu      sync.Mutex
	out     outQueue
	closed  bool
	wantOut bool
	// queued mirrors out.n for lock-free reads (Queued).
	queued atomic.Int64
	// outHeld is out.alloc as last added to the loop's held bytes; under mu.
	outHeld int

	// paused is set while the connection is detached: a goroutine owns it
	// and the loop touches neither its input nor the handler's state.
	paused atomic.Bool
	detach func([]byte) []byte
	// closeWanted records, on the loop goroutine, a close that arrived
	// while the connection was detached; the loop carries it out when the
	// detached goroutine hands the connection back.
	closeWanted bool
	// wantTurnEnd: the connection is on its loop's turnEnd list;
	// turnAsked: OnData asked for it (AtTurnEnd).
	wantTurnEnd bool
	turnAsked   bool
	// Fresh counts bytes read since the handler last reset it (INFO's
	// total_net_input_bytes); touched only on the loop goroutine.
	Fresh int
	// Context is the server's per-connection state.
	Context any
	// HUP is closed when the peer hangs up or the connection is closed.
	HUP      chan struct{}
	hupOnce  sync.Once
	closeErr error
}

// yieldEvery is how often a busy loop yields its P (see run): under the
// 10 ms after which the runtime preempts a goroutine.
const yieldEvery = int64(4 * time.Millisecond)

// connTable is a loop's connections by fd: a slice indexed by the fd
// (fds are small and reused from the lowest), looked up for every event
// without the hashing of a map. Only the loop goroutine uses it.
type connTable struct{ byFd []*Conn }

func (t *connTable) get(fd int) *Conn {
	if uint(fd) < uint(len(t.byFd)) {
		return t.byFd[fd]
	}
	return nil
}

func (t *connTable) set(fd int, c *Conn) {
	if fd >= len(t.byFd) {
		if c == nil {
			return
		}
		t.byFd = append(t.byFd, make([]*Conn, fd+1-len(t.byFd)+len(t.byFd)/2)...)
	}
	t.byFd[fd] = c
}

type loop struct {
	srv   *Server
	epfd  int
	evfd  int
	conns connTable

	// cur is the runner that owns the loop now (handoff.go): it changes
	// only when the watchdog hands the loop to a new goroutine.
	cur atomic.Pointer[runner]

	postMu sync.Mutex
	posts  []func()

	// done is closed when the loop has shut down (by the runner that owns
	// it when the server closes); dead, under postMu, once its eventfd is
	// closed: a late post (a handed-off call ending after the shutdown)
	// is dropped rather than written to a closed descriptor.
	done chan struct{}
	dead bool

	// detached counts this loop's connections held by a detached
	// goroutine (touched only on the loop goroutine).
	detached int

	// turnEnd lists the connections to hand to the TurnEnder when the
	// current round of events is done.
	turnEnd []*Conn

	// busySince is clock.Mono() when the loop started on its current
	// events, 0 while it polls: accept hands no new connection to a loop
	// stuck in one handler (a long script), which could not answer it.
	busySince atomic.Int64
	// slowTold is the busySince of the last round the slow-call watch
	// reported; touched only by the watchdog.
	slowTold int64

	// held is the bytes of this loop's connections' input buffers and
	// output queues (Server.Held), by capacity.
	held atomic.Int64
}

// stuckAfter is how long a loop may spend on one round of events before
// accept stops giving it new connections.
const stuckAfter = int64(100 * time.Millisecond)

func (l *loop) stuck(now int64) bool {
	b := l.busySince.Load()
	return b != 0 && now-b > stuckAfter
}

// New makes a server with n loops (if n ≤ 0, one per two cores: one
// loop finds more ready requests per wakeup than two that split them, and
// costs less CPU per request; measured in docs/concurrency.md).
func New(h Handler, n int) (*Server, error) {
	if n <= 0 {
		n = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if runtime.GOMAXPROCS(0) < n+1 {
		// Busy loops keep their Ps while they wait (rawWait): one more P
		// runs everything else (cron, replication, TLS handshakes, blocked
		// clients, handed-off calls).
		runtime.GOMAXPROCS(n + 1)
	}
	s := &Server{h: h, readBuf: readMin, watchWake: make(chan struct{}, 1)}
	s.rel, _ = h.(Releaser)
	s.te, _ = h.(TurnEnder)
	s.re, _ = h.(RoundEnder)
	for i := 0; i < n; i++ {
		l, err := newLoop(s)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.loops = append(s.loops, l)
	}
	return s, nil
}

func newLoop(s *Server) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		syscall.Close(epfd)
		return nil, e
	}
	evfd := int(r)
	l := &loop{srv: s, epfd: epfd, evfd: evfd, done: make(chan struct{})}
	l.cur.Store(newRunner(s))
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, evfd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(evfd)}); err != nil {
		return nil, err
	}
	return l, nil
}

// Listen opens a listening socket on host:port (host "" or "0.0.0.0" for
// all IPv4, "::" for all IPv6) and serves it from every loop.
func (s *Server) Listen(host string, port int) (net.Addr, error) {
	ip := net.ParseIP(host)
	if host == "" {
		ip = net.IPv4zero
	}
	if ip == nil {
		addrs, err := net.LookupIP(host)
		if err != nil || len(addrs) == 0 {
			return nil, &net.AddrError{Err: "cannot resolve", Addr: host}
		}
		ip = addrs[0]
	}
	var fd int
	var err error
	var sa syscall.Sockaddr
	if ip4 := ip.To4(); ip4 != nil {
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		a := &syscall.SockaddrInet4{Port: port}
		copy(a.Addr[:], ip4)
		sa = a
	} else {
		fd, err = syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		a := &syscall.SockaddrInet6{Port: port}
		copy(a.Addr[:], ip.To16())
		sa = a
		if err == nil {
			syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
		}
	}
	if err != nil {
		return nil, err
	}
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, 511); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("listen", err)
	}
	// Every loop watches the listener (level-triggered: whichever loop is
	// free accepts, the others find nothing), so a loop held up in one
	// long handler does not stop new connections from being accepted.
	for _, l := range s.loops {
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}); err != nil {
			syscall.Close(fd)
			return nil, err
		}
	}
	s.lnMu.Lock()
	lns := append(s.listeners(), fd)
	s.lns.Store(&lns)
	s.lnMu.Unlock()
	bound, _ := syscall.Getsockname(fd)
	return sockaddrToTCP(bound), nil
}

// listeners returns a copy of the listening sockets.
func (s *Server) listeners() []int {
	if p := s.lns.Load(); p != nil {
		return append([]int(nil), *p...)
	}
	return nil
}

// CloseListener stops listening on addr (an address Listen returned),
// while the loops and their connections go on (CONFIG SET port and
// bind). It reports whether addr was a listener.
func (s *Server) CloseListener(addr net.Addr) bool {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	lns := s.listeners()
	for i, fd := range lns {
		sa, err := syscall.Getsockname(fd)
		if err != nil || sockaddrToTCP(sa).String() != addr.String() {
			continue
		}
		// Out of the list first, so that an event of this round for the
		// descriptor (or a connection that reuses its number) is not
		// taken for the listener's.
		lns = append(lns[:i], lns[i+1:]...)
		s.lns.Store(&lns)
		for _, l := range s.loops {
			syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
		}
		syscall.Close(fd)
		return true
	}
	return false
}

// Serve runs the loops until Close, and returns when every loop has shut
// down (a handed-off call may still be finishing; its goroutine only
// posts to its loop, which a closed loop ignores).
func (s *Server) Serve() {
	for _, l := range s.loops {
		l.start(l.cur.Load())
	}
	stop := make(chan struct{})
	go s.watch(stop)
	for _, l := range s.loops {
		<-l.done
	}
	close(stop)
}

// start runs r, the loop's owner, on a goroutine of its own.
func (l *loop) start(r *runner) { go l.run(r) }

// Close stops the loops and closes every listener and connection.
func (s *Server) Close() {
	if s.closed.Swap(true) {
		return
	}
	s.lnMu.Lock()
	for _, fd := range s.listeners() {
		syscall.Close(fd)
	}
	s.lnMu.Unlock()
	for _, l := range s.loops {
		l.wake()
	}
}

// wake makes the loop's epoll_wait return.
func (l *loop) wake() {
	l.postMu.Lock()
	l.wakeLocked()
	l.postMu.Unlock()
}

// wakeLocked is wake with postMu held: a dead loop's eventfd is closed
// (and its number maybe reused), so it is not written.
func (l *loop) wakeLocked() {
	if l.dead {
		return
	}
	var one = [8]byte{1}
	syscall.Write(l.evfd, one[:])
}

// post runs fn on the loop's goroutine.
func (l *loop) post(fn func()) {
	l.postMu.Lock()
	defer l.postMu.Unlock()
	if l.dead {
		return
	}
	l.posts = append(l.posts, fn)
	if len(l.posts) == 1 {
		// Posts already waiting have a wake on its way: runPosts takes
		// them all, and the first post after it wakes again.
		l.wakeLocked()
	}
}

func (l *loop) isListener(fd int) bool {
	p := l.srv.lns.Load()
	if p == nil {
		return false
	}
	for _, x := range *p {
		if x == fd {
			return true
		}
	}
	return false
}

func (l *loop) run(r *runner) {
	events := make([]syscall.EpollEvent, 256)
	defer func() {
		// A runner whose handler call was handed off leaves through
		// runtime.Goexit (finishHandoff): the loop lives on in its successor.
		if !r.gone {
			// No hand-off from here on: the shutdown's own handler calls
			// (a connection handed back) run to the end on this goroutine.
			r.final = true
			l.shutdown()
		}
	}()
	if r.took != nil {
		// Taken over from a runner stuck in one handler call (handoff.go):
		// that connection stays with the old goroutine until it hands it
		// back, and the round it left unfinished may have replies waiting
		// for the turn's end. Its events not handled yet are lost with it
		// (connections are edge-triggered): rescan reads every connection.
		r.took.paused.Store(true)
		l.detached++
		r.took = nil
		if len(l.turnEnd) > 0 {
			l.endTurn()
		}
		if l.srv.re != nil {
			l.srv.re.OnRoundEnd()
		}
		l.busySince.Store(0)
		l.rescan()
	}
	quiet := false
	yielded := clock.Mono()
	for !l.srv.closed.Load() {
		var n int
		var err error
		if quiet {
			// Quiet for a while: wait through the runtime, which lends this
			// loop's P to other goroutines until an event comes.
			n, err = syscall.EpollWait(l.epfd, events, -1)
		} else {
			// Busy: wait raw, keeping the P. A wait through the runtime
			// hands the P to another thread and takes it back, which on a
			// request/response load costs more than the wait itself.
			n, err = rawWait(l.epfd, events, rawWaitMillis)
		}
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				// A signal: often the runtime asking this goroutine to
				// stop (GC, preemption). Gosched lets it.
				runtime.Gosched()
				continue
			}
			return
		}
		quiet = n == 0
		if n == 0 {
			continue
		}
		now := clock.Mono()
		l.busySince.Store(now)
		l.srv.wakeWatch()
		if now-yielded >= yieldEvery {
			// The raw waits keep this goroutine running for as long as
			// traffic lasts: past 10 ms the runtime's sysmon preempts it
			// with a signal (an EINTR here) and polls every 20 µs for a
			// while after. A yield of our own, when nothing else waits
			// for the P, costs less than either.
			yielded = now
			runtime.Gosched()
		}
		for i := 0; i < n; i++ {
			ev := &events[i]
			fd := int(ev.Fd)
			switch {
			case fd == l.evfd:
				var b [8]byte
				syscall.Read(l.evfd, b[:])
				l.runPosts()
			case l.isListener(fd):
				l.accept(fd)
			default:
				c := l.conns.get(fd)
				if c == nil {
					continue
				}
				if ev.Events&syscall.EPOLLOUT != 0 {
					c.flushPending()
				}
				if ev.Events&(syscall.EPOLLIN|syscall.EPOLLHUP|syscall.EPOLLERR|syscall.EPOLLRDHUP) != 0 {
					// A hang-up that came with the bytes gives no later
					// event: read on to the end of the stream.
					l.readable(c, ev.Events&(syscall.EPOLLHUP|syscall.EPOLLERR|syscall.EPOLLRDHUP) != 0)
				}
			}
		}
		if len(l.turnEnd) > 0 {
			l.endTurn()
		}
		if l.srv.re != nil {
			l.srv.re.OnRoundEnd()
		}
		l.busySince.Store(0)
	}
}

// AtTurnEnd asks for the TurnEnder's call for c after the current round
// of events. Only from OnData: the loop puts c on the round's list when
// OnData returns (the call may have been handed off meanwhile, and then
// the list belongs to another goroutine).
func (c *Conn) AtTurnEnd() { c.turnAsked = true }

// listTurnEnd puts c on the round's TurnEnder list if OnData asked for it;
// on the loop goroutine.
func (l *loop) listTurnEnd(c *Conn) {
	if !c.turnAsked {
		return
	}
	c.turnAsked = false
	if c.wantTurnEnd || l.srv.te == nil {
		return
	}
	c.wantTurnEnd = true
	l.turnEnd = append(l.turnEnd, c)
}

func (l *loop) endTurn() {
	for _, c := range l.turnEnd {
		c.wantTurnEnd = false
	}
	l.srv.te.OnTurnEnd(l.turnEnd)
	clear(l.turnEnd)
	l.turnEnd = l.turnEnd[:0]
}

func (l *loop) runPosts() {
	l.postMu.Lock()
	posts := l.posts
	l.posts = nil
	l.postMu.Unlock()
	next := 0
	defer func() {
		// Left early: a handler call in posts[next-1] was handed off
		// (runtime.Goexit); the loop's next runner runs the rest.
		if next < len(posts) {
			l.postMu.Lock()
			l.posts = append(posts[next:], l.posts...)
			l.postMu.Unlock()
			l.wake()
		}
	}()
	for next < len(posts) {
		fn := posts[next]
		next++
		fn()
	}
}

// detachedShutdownWait bounds how long a stopping loop waits for detached
// connections to be handed back (each was told to stop through HUP).
const detachedShutdownWait = 5 * time.Second

func (l *loop) shutdown() {
	if len(l.turnEnd) > 0 {
		l.endTurn()
	}
	l.runPosts()
	for _, c := range l.conns.byFd {
		if c != nil {
			l.closeConn(c)
		}
	}
	// Detached connections were only told to stop (closeConn sets
	// closeWanted and closes HUP); their owners hand them back through
	// posts, and the hand-back closes them. Wait for that, bounded, so the
	// handler's OnClose still runs on this goroutine.
	deadline := time.Now().Add(detachedShutdownWait)
	events := make([]syscall.EpollEvent, 8)
	for l.detached > 0 && time.Now().Before(deadline) {
		syscall.EpollWait(l.epfd, events, 50)
		var b [8]byte
		syscall.Read(l.evfd, b[:])
		l.runPosts()
	}
	l.postMu.Lock()
	l.dead = true
	syscall.Close(l.epfd)
	syscall.Close(l.evfd)
	l.postMu.Unlock()
	close(l.done)
}

func (l *loop) accept(lfd int) {
	for {
		fd, sa, err := syscall.Accept4(lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		local, _ := syscall.Getsockname(fd)
		c := &Conn{fd: fd, remote: sockaddrToTCP(sa), local: sockaddrToTCP(local), HUP: make(chan struct{})}
		target := l.srv.pickLoop()
		c.loop = target
		if target == l {
			l.register(c)
		} else {
			target.post(func() { target.register(c) })
		}
	}
}

// epollET is EPOLLET as the uint32 of an EpollEvent (syscall's constant
// is negative). Connections are edge-triggered: an event comes when bytes
// arrive (or room to write appears), not at every wait while they are
// there. A level-triggered socket that was ready is polled again by the
// next epoll_wait even when it was read empty meanwhile, which at
// pipeline depth 1 is one more tcp_poll per request. readable therefore
// always reads until a short read or EAGAIN, and whatever stops reading
// early (a paused connection) re-arms the socket and reads when it
// resumes (handBack). Listeners and the post eventfd stay
// level-triggered.
const epollET = 1 << 31

// rescan reads every connection of the loop (and flushes the pending
// output of those waiting to write): a new runner's first step after a
// take-over, as the events its predecessor had not handled yet went with
// it, and with edge triggering they are not reported again. A connection
// a goroutine holds is only looked at for a hang-up, which that goroutine
// may be waiting for (a blocked client whose peer went away:
// TestHandoffKeepsHangUps).
func (l *loop) rescan() {
	for _, c := range l.conns.byFd {
		if c == nil {
			continue
		}
		if c.paused.Load() {
			l.closeIfPeerClosed(c)
			continue
		}
		if c.wantsOut() {
			c.flushPending()
		}
		l.readable(c, true)
	}
}

func (l *loop) register(c *Conn) {
	l.conns.set(c.fd, c)
	l.srv.h.OnOpen(c)
	if err := c.watch(syscall.EPOLL_CTL_ADD, true, false); err != nil {
		l.closeConn(c)
		return
	}
	// a client may have written (and hung up) before registration
	l.readable(c, true)
}

// readable reads what is available and offers it to the handler. A short
// read ends it: with edge triggering, bytes that come later bring an
// event of their own. But a hang-up already received brings none, so
// drain (the event reported one, or no event was reported: a connection
// registered, handed back or rescanned) reads on until EAGAIN or the end
// of the stream.
func (l *loop) readable(c *Conn, drain bool) {
	if c.paused.Load() {
		l.closeIfPeerClosed(c)
		return
	}
	for {
		// The connection reads into its own input buffer, with at least
		// readBuf free, as Redis reads into a client's query buffer: a
		// command that arrives in pieces is not copied again, and the
		// buffer's size is the client's (InCap, ShrinkIn).
		// A large argument gets room for itself and no more (Redis's
		// sdsMakeRoomForNonGreedy for a big bulk), other input doubles it.
		size := 0
		if c.want > cap(c.in) {
			size = c.want
		} else if cap(c.in)-len(c.in) < l.srv.readBuf && (c.want <= len(c.in) || len(c.in) == cap(c.in)) {
			size = max(2*cap(c.in), len(c.in)+l.srv.readBuf)
		}
		if size > 0 {
			nb := make([]byte, len(c.in), size)
			copy(nb, c.in)
			c.in = nb
			c.noteIn()
		}
		room := c.in[len(c.in):cap(c.in)]
		n, err := rawRead(c.fd, room)
		if n > 0 {
			c.Fresh += n
			c.in = c.in[:len(c.in)+n]
			l.deliver(c)
			if c.isClosed() {
				return
			}
			if c.paused.Load() {
				// Detached by what it read. A hang-up that came with
				// these bytes brings no later event: look for it now,
				// as for an event on a paused connection (above).
				if drain {
					l.closeIfPeerClosed(c)
				}
				return
			}
			if n < len(room) && !drain {
				return
			}
			continue
		}
		if err == syscall.EINTR {
			continue // edge-triggered: no new event would come for these bytes
		}
		if err == syscall.EAGAIN {
			return
		}
		// n == 0: EOF; or a hard error
		l.closeConn(c)
		return
	}
}

// closeIfPeerClosed is for a paused connection that may have had a
// hang-up: the goroutine holding it will see HUP, data waits in the
// socket, and a peer that hung up is closed when the conn comes back.
func (l *loop) closeIfPeerClosed(c *Conn) {
	if l.peerClosed(c) {
		l.closeConn(c)
	}
}

// peerClosed checks, without consuming data, whether the peer hung up.
func (l *loop) peerClosed(c *Conn) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(c.fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	if n == 0 && err == nil {
		return true
	}
	if err != nil && err != syscall.EAGAIN && err != syscall.EINTR {
		return true
	}
	if n > 0 && finReceived(c.fd) {
		return true
	}
	if n > 0 {
		// Data is waiting while paused: watch only the hang-up until the
		// connection comes back (handBack re-arms input and reads).
		c.watch(syscall.EPOLL_CTL_MOD, false, c.wantsOut())
	}
	return false
}

func (l *loop) deliver(c *Conn) {
	used := l.onData(c, c.in)
	if used >= len(c.in) {
		if cap(c.in) > 1<<20 {
			l.srv.released(cap(c.in))
			c.in = nil
			c.noteIn()
		} else {
			c.in = c.in[:0]
		}
		if c.detach != nil {
			l.startDetached(c)
		}
		return
	}
	if used > 0 {
		c.in = append(c.in[:0], c.in[used:]...)
	}
	if c.detach != nil {
		l.startDetached(c)
	}
}

// closeConn closes c, on the loop goroutine. A detached connection belongs
// to its goroutine: it is only told (HUP) and stops being polled, and the
// close is carried out when the goroutine hands it back (startDetached), so
// OnClose never runs while the handler's state is in other hands.
func (l *loop) closeConn(c *Conn) {
	// The fd number may already belong to a newer connection: only close c.
	if l.conns.get(c.fd) != c {
		return
	}
	if c.paused.Load() {
		if !c.closeWanted {
			c.closeWanted = true
			syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
			c.hangup()
		}
		return
	}
	l.conns.set(c.fd, nil)
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	c.hangup()
	// The server frees the connection's state before the peer sees EOF.
	l.srv.h.OnClose(c)
	c.mu.Lock()
	c.closed = true
	peak := c.out.reset()
	c.noteOut()
	c.queued.Store(0)
	c.mu.Unlock()
	c.in = nil
	c.noteIn()
	syscall.Close(c.fd)
	l.srv.released(peak)
}

// Held is the bytes the connections' input buffers and output queues hold
// now (by capacity), summed over the loops: what a client's buffers add
// to the server's used memory, known at once (the Go heap's own figure
// sees a freed buffer only after the next collection). Safe from any
// goroutine.
func (s *Server) Held() int64 {
	n := int64(0)
	for _, l := range s.loops {
		n += l.held.Load()
	}
	return n
}

// noteIn brings the loop's held bytes up to date with c's input buffer;
// on the goroutine that owns c.in.
func (c *Conn) noteIn() {
	if d := cap(c.in) - c.inHeld; d != 0 {
		c.inHeld = cap(c.in)
		c.loop.held.Add(int64(d))
	}
}

// noteOut brings the loop's held bytes up to date with c's output queue;
// c.mu held.
func (c *Conn) noteOut() {
	if d := c.out.alloc - c.outHeld; d != 0 {
		c.outHeld = c.out.alloc
		c.loop.held.Add(int64(d))
	}
}

// released tells the Releaser about a large buffer let go.
func (s *Server) released(n int) {
	if n >= releaseMin && s.rel != nil {
		s.rel.OnRelease(n)
	}
}

func sockaddrToTCP(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IPv4(a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3]), Port: a.Port}
	case *syscall.SockaddrInet6:
		ip := make(net.IP, 16)
		copy(ip, a.Addr[:])
		return &net.TCPAddr{IP: ip, Port: a.Port}
	}
	return &net.TCPAddr{}
}
