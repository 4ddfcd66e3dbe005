//go:build linux

package netloop

import (
	"bufio"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// echoLines answers every complete line with the same line.
type echoLines struct{}

func (echoLines) OnOpen(*Conn)  {}
func (echoLines) OnClose(*Conn) {}
func (echoLines) OnData(c *Conn, in []byte) int {
	used := 0
	for i, b := range in {
		if b == '\n' {
			c.Write(in[used : i+1])
			used = i + 1
		}
	}
	return used
}

// gcWithin runs a garbage collection and fails the test if it does not
// finish in time: a loop waiting raw must let the runtime stop it.
func gcWithin(t *testing.T, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { runtime.GC(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("runtime.GC did not finish in %v: a loop kept its P", d)
	}
}

// TestLoopsLetTheRuntimeStop checks that busy loops (waiting raw, keeping
// their Ps) and quiet ones (waiting through the runtime) both let garbage
// collections finish, and that the server keeps a P beside its loops.
func TestLoopsLetTheRuntimeStop(t *testing.T) {
	s, err := New(echoLines{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got < 3 {
		t.Fatalf("GOMAXPROCS %d with 2 loops, want at least 3", got)
	}
	addr, served := listenAndServe(t, s)
	defer closeAndWait(t, s, served)

	// Busy: clients ping-pong lines while collections run.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			for {
				select {
				case <-stop:
					return
				default:
				}
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := conn.Write([]byte("ping\n")); err != nil {
					errs <- err
					return
				}
				if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		gcWithin(t, 10*time.Second)
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("client: %v", err)
	}

	// Quiet: the loops have gone back to waiting through the runtime.
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 5; i++ {
		gcWithin(t, 10*time.Second)
	}
}
