//go:build linux

package netloop

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowLines answers lines: "sleep" holds the loop until release is
// closed, "detach" hands the connection to a goroutine, "block" to one
// that waits for the peer's hang-up, "turn" asks for the turn's end; any
// other line is echoed.
type slowLines struct{ release chan struct{} }

func (slowLines) OnOpen(*Conn)  {}
func (slowLines) OnClose(*Conn) {}
func (h slowLines) OnData(c *Conn, in []byte) int {
	used := 0
	for i, b := range in {
		if b != '\n' {
			continue
		}
		line := string(in[used:i])
		used = i + 1
		switch line {
		case "sleep":
			<-h.release
			c.Write([]byte("slept\n"))
		case "detach":
			c.Detach(func(rest []byte) []byte {
				c.Write([]byte("detached\n"))
				return rest
			})
			return used
		case "block":
			// As a blocked BLPOP: held by a goroutine until the peer
			// hangs up (HUP).
			c.Detach(func(rest []byte) []byte {
				<-c.HUP
				return rest
			})
			return used
		case "turn":
			c.Write([]byte("turn\n"))
			c.AtTurnEnd()
		default:
			c.Write([]byte(line + "\n"))
		}
	}
	return used
}

func (slowLines) OnTurnEnd(conns []*Conn) {
	for _, c := range conns {
		c.Write([]byte("turnend\n"))
	}
}

func startSlow(t *testing.T) (*Server, string, chan struct{}, chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	s, err := New(slowLines{release}, 1)
	if err != nil {
		t.Fatal(err)
	}
	addr, served := listenAndServe(t, s)
	return s, addr, release, served
}

// closeAndWait closes s and waits (bounded) for Serve, which closes
// served, to return.
// listenAndServe listens on a free loopback port and serves s in a
// goroutine; served is closed when Serve returns (closeAndWait).
func listenAndServe(t *testing.T, s *Server) (string, chan struct{}) {
	t.Helper()
	addr, err := s.Listen("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { s.Serve(); close(served) }()
	return addr.String(), served
}

func closeAndWait(t *testing.T, s *Server, served chan struct{}) {
	t.Helper()
	s.Close()
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Error("Serve did not return after Close")
	}
}

type lineConn struct {
	net.Conn
	r *bufio.Reader
}

func dialLines(t *testing.T, addr string) *lineConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &lineConn{nc, bufio.NewReader(nc)}
}

func (c *lineConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// expect reads the given lines, each within 5 s.
func (c *lineConn) expect(t *testing.T, lines ...string) {
	t.Helper()
	for _, want := range lines {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatalf("want %q: %v", want, err)
		}
		if got = strings.TrimSuffix(got, "\n"); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// twoLineConns starts a one-loop slowLines server (closed at the test's
// end) and opens two connections to it, the second one answered once.
func twoLineConns(t *testing.T) (*Server, string, *lineConn, *lineConn, chan struct{}) {
	t.Helper()
	s, addr, release, served := startSlow(t)
	a := dialLines(t, addr)
	b := dialLines(t, addr)
	b.send(t, "hello\n")
	b.expect(t, "hello")
	t.Cleanup(func() { closeAndWait(t, s, served) })
	return s, addr, a, b, release
}

// TestHandoffServesOthers: with one loop, a connection stuck in a handler
// call does not hold the others; the stuck connection then gets the rest
// of its pipeline in order (a detach and a turn-end request included) and
// is read again as before.
func TestHandoffServesOthers(t *testing.T) {
	_, addr, a, b, release := twoLineConns(t)

	a.send(t, "sleep\nx1\ndetach\nturn\nx2\n")
	time.Sleep(50 * time.Millisecond) // a's call has begun
	start := time.Now()
	b.send(t, "while-a-sleeps\n")
	b.expect(t, "while-a-sleeps")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("b waited %v for a stuck call", d)
	}
	// A connection opened now is served too.
	c := dialLines(t, addr)
	c.send(t, "new\n")
	c.expect(t, "new")

	close(release)
	a.expect(t, "slept", "x1", "detached", "turn", "x2", "turnend")
	a.send(t, "again\nturn\n")
	a.expect(t, "again", "turn", "turnend")
	b.send(t, "after\n")
	b.expect(t, "after")
}

// TestHandoffServesSameRound: a connection whose bytes came in the same
// round of events as the call that gets stuck is still served. Connections
// are edge-triggered, so that round's events are not reported again: the
// new runner reads every connection first (rescan).
func TestHandoffServesSameRound(t *testing.T) {
	s, _, a, b, release := twoLineConns(t)
	// Hold the loop in a post (never handed off) while a's and b's lines
	// arrive, so that one epoll_wait reports both, a's first.
	holdLoop(s, 300*time.Millisecond)
	a.send(t, "sleep\n")
	time.Sleep(20 * time.Millisecond)
	b.send(t, "same-round\n")
	start := time.Now()
	b.expect(t, "same-round")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("b waited %v behind a stuck call of its round", d)
	}
	close(release)
	a.expect(t, "slept")
	a.send(t, "again\n")
	a.expect(t, "again")
}

// TestHandoffThenClose: the server stops while a call is handed off; the
// call ends, the connection is closed, and Serve returns.
func TestHandoffThenClose(t *testing.T) {
	s, addr, release, served := startSlow(t)
	a := dialLines(t, addr)
	a.send(t, "sleep\n")
	b := dialLines(t, addr)
	b.send(t, "ping\n")
	b.expect(t, "ping") // handed off
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	closeAndWait(t, s, served)
	if t.Failed() {
		return
	}
	a.expect(t, "slept")
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := a.r.ReadString('\n'); err == nil {
		t.Fatalf("connection still open after Close: read %q", line)
	}
}

// TestHandoffCallEndsFirst: the stuck call ends, and its goroutine exits,
// before the watchdog has started the loop's new runner. The server must
// go on serving (Serve waited on a WaitGroup that this order took to zero:
// the server exited as if closed).
func TestHandoffCallEndsFirst(t *testing.T) {
	s, addr, release, served := startSlow(t)
	defer closeAndWait(t, s, served)
	var once sync.Once
	hook := func() {
		once.Do(func() {
			close(release)
			time.Sleep(200 * time.Millisecond) // the call ends and hands back
		})
	}
	afterTakeover.Store(&hook)
	defer afterTakeover.Store(nil)
	a := dialLines(t, addr)
	a.send(t, "sleep\nafter\n")
	a.expect(t, "slept", "after")
	select {
	case <-served:
		t.Fatal("Serve returned: the loop stopped when the handed-off call ended first")
	case <-time.After(100 * time.Millisecond):
	}
	b := dialLines(t, addr)
	b.send(t, "still\n")
	b.expect(t, "still")
	a.send(t, "again\n")
	a.expect(t, "again")
}

// TestHandoffAfterWatchdogSleeps: once every loop has been idle for a
// while the watchdog sleeps; the round that gets stuck must wake it, or
// the other connections would wait for the call.
func TestHandoffAfterWatchdogSleeps(t *testing.T) {
	s, addr, release, served := startSlow(t)
	defer closeAndWait(t, s, served)
	a := dialLines(t, addr)
	b := dialLines(t, addr)
	b.send(t, "hello\n")
	b.expect(t, "hello")
	deadline := time.Now().Add(10 * time.Second)
	for !s.watchParked.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the watchdog never went to sleep on an idle server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.send(t, "sleep\n")
	time.Sleep(50 * time.Millisecond) // a's call has begun
	start := time.Now()
	b.send(t, "while-a-sleeps\n")
	b.expect(t, "while-a-sleeps")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("b waited %v for a stuck call", d)
	}
	close(release)
	a.expect(t, "slept")
}

// closeLines is slowLines that reports each OnClose.
type closeLines struct {
	slowLines
	closed chan struct{}
}

func (h closeLines) OnClose(*Conn) {
	select {
	case h.closed <- struct{}{}:
	default:
	}
}

// startCloseLines starts a one-loop closeLines server, closed (and waited
// for) at the test's end.
func startCloseLines(t *testing.T) (*Server, string, closeLines) {
	t.Helper()
	h := closeLines{slowLines{make(chan struct{})}, make(chan struct{}, 1)}
	s, err := New(h, 1)
	if err != nil {
		t.Fatal(err)
	}
	addr, served := listenAndServe(t, s)
	t.Cleanup(func() { closeAndWait(t, s, served) })
	return s, addr, h
}

// TestHangUpWithBytes: bytes and the peer's hang-up that arrive together
// make one edge-triggered event; neither the short read of the bytes nor
// the connection being detached by them (a client that sends BLPOP and
// hangs up) may end the reading before the hang-up is seen, or the
// connection stays open for ever.
func TestHangUpWithBytes(t *testing.T) {
	s, addr, h := startCloseLines(t)
	for _, tc := range []struct{ what, bytes string }{
		{"a partial line", "partial"},
		{"a line that detaches the connection (as a BLPOP that blocks)", "block\n"},
	} {
		c := dialLines(t, addr)
		c.send(t, "hello\n")
		c.expect(t, "hello")
		holdLoop(s, 200*time.Millisecond) // the bytes and the FIN arrive meanwhile
		c.send(t, tc.bytes)
		c.Close()
		select {
		case <-h.closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s, then a hang-up: the connection was not closed", tc.what)
		}
	}
}

// holdLoop keeps s's first loop busy in a post (never handed off) for d,
// and returns once that has begun: bytes sent meanwhile are all reported
// by the loop's next epoll_wait.
func holdLoop(s *Server, d time.Duration) {
	held := make(chan struct{})
	s.loops[0].post(func() {
		close(held)
		time.Sleep(d)
	})
	<-held
}

// TestHandoffKeepsHangUps: a detached connection's hang-up (a client that
// sent BLPOP and went away) that the loop's runner had already taken from
// epoll when it got stuck in another connection's call is not lost with
// that runner: edge triggering reports it once, and the goroutine holding
// the connection would wait for HUP for ever (a blocked client counted in
// blocked_clients for good).
func TestHandoffKeepsHangUps(t *testing.T) {
	s, addr, h := startCloseLines(t)
	a := dialLines(t, addr)
	b := dialLines(t, addr)
	a.send(t, "block\n")
	b.send(t, "hello\n")
	b.expect(t, "hello") // a is detached by now
	// b's line and then a's FIN arrive while the loop is held: its next
	// epoll_wait reports both, in that order, and b's call gets stuck.
	holdLoop(s, 100*time.Millisecond)
	b.send(t, "sleep\n")
	time.Sleep(time.Millisecond)
	a.Close()
	select {
	case <-h.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("a detached connection's hang-up was lost when the loop was handed on")
	}
	close(h.release)
	b.expect(t, "slept")
}
