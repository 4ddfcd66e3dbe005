//go:build linux

package netloop

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sizedFrames reads frames "<n>\n<n bytes>" and answers each with "ok\n";
// while a frame is incomplete it tells the loop the frame's length
// (WantIn), as the server does for a large argument.
type sizedFrames struct{ opened chan *Conn }

func (h sizedFrames) OnOpen(c *Conn) { h.opened <- c }
func (sizedFrames) OnClose(*Conn)    {}
func (sizedFrames) OnData(c *Conn, in []byte) int {
	used := 0
	for {
		rest := in[used:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return used
		}
		n, _ := strconv.Atoi(string(rest[:i]))
		if len(rest) < i+1+n {
			c.WantIn(i + 1 + n)
			return used
		}
		c.WantIn(0)
		c.Write([]byte("ok\n"))
		used += i + 1 + n
	}
}

// onLoop runs fn on c's loop and waits for it (bounded).
func onLoop(t *testing.T, c *Conn, fn func()) {
	t.Helper()
	done := make(chan struct{})
	c.Post(func() { fn(); close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Post did not run")
	}
}

// A connection reads into its own input buffer: 16 KB from its first
// read, grown once to exactly a large frame's length when the handler
// asks (WantIn), kept after the frame ran, and trimmed by ShrinkIn.
func TestInputBufferSizedByHandler(t *testing.T) {
	h := sizedFrames{opened: make(chan *Conn, 1)}
	s, err := New(h, 1)
	if err != nil {
		t.Fatal(err)
	}
	addr, served := listenAndServe(t, s)
	defer closeAndWait(t, s, served)

	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(nc)
	var c *Conn
	select {
	case c = <-h.opened:
	case <-time.After(5 * time.Second):
		t.Fatal("no OnOpen")
	}
	sizes := func() (held, size int) {
		onLoop(t, c, func() { held, size = c.InLen(), c.InCap() })
		return
	}
	expectOK := func() {
		t.Helper()
		if line, err := r.ReadString('\n'); err != nil || line != "ok\n" {
			t.Fatalf("reply %q, %v", line, err)
		}
	}

	fmt.Fprintf(nc, "3\nabc")
	expectOK()
	if held, size := sizes(); held != 0 || size != readMin {
		t.Fatalf("after a small frame: held %d size %d, want 0 and %d", held, size, readMin)
	}

	const n = 100000
	head := strconv.Itoa(n) + "\n"
	fmt.Fprint(nc, head+strings.Repeat("v", n/2))
	deadline := time.Now().Add(5 * time.Second)
	for {
		held, size := sizes()
		if held == len(head)+n/2 {
			if size != len(head)+n {
				t.Fatalf("half a %d-byte frame held in a buffer of %d, want exactly %d", n, size, len(head)+n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held %d, want %d", held, len(head)+n/2)
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprint(nc, strings.Repeat("v", n/2))
	expectOK()
	if held, size := sizes(); held != 0 || size != len(head)+n {
		t.Fatalf("after the frame: held %d size %d, want 0 and %d (kept)", held, size, len(head)+n)
	}
	onLoop(t, c, func() { c.ShrinkIn(0) })
	if held, size := sizes(); held != 0 || size != 0 {
		t.Fatalf("after ShrinkIn(0): held %d size %d, want 0 and 0", held, size)
	}
	fmt.Fprintf(nc, "1\nx")
	expectOK()
}
