package server

import (
	"testing"
	"time"
)

// TestLDBSessions: the wait for debugging sessions (ldbSessions) returns
// at once with none, gives up after its bound while one lasts, returns
// as the last one ends, and serves again after that.
func TestLDBSessions(t *testing.T) {
	var l ldbSessions
	if !l.wait(time.Hour) {
		t.Fatal("wait with nothing in progress = false")
	}
	l.add()
	l.add()
	start := time.Now()
	if l.wait(20 * time.Millisecond) {
		t.Fatal("wait with two in progress = true")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("wait gave up after %v, before its bound", d)
	}
	l.done()
	if l.wait(20 * time.Millisecond) {
		t.Fatal("wait with one in progress = true")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		l.done()
	}()
	if !l.wait(10 * time.Second) {
		t.Fatal("wait did not see the last one end")
	}
	l.add()
	if l.wait(10 * time.Millisecond) {
		t.Fatal("wait after a new add = true")
	}
	l.done()
	if !l.wait(time.Hour) {
		t.Fatal("wait after the new one ended = false")
	}
}
