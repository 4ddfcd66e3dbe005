package snapshot

import (
	"runtime"
	"testing"
	"time"
)

// TestBackgroundKeepsItsP: walks one after another change GOMAXPROCS once
// (each change stops the world), two at once hold one P each, and the Ps
// go back only once no walk has run for procsHold.
func TestBackgroundKeepsItsP(t *testing.T) {
	settle(t) // an earlier test's walk may still hold its P
	base := runtime.GOMAXPROCS(0)
	defer func() {
		ReleaseIdleProcs(time.Now().Add(procsHold))
		if got := runtime.GOMAXPROCS(0); got != base {
			t.Errorf("GOMAXPROCS %d after the test, want %d", got, base)
		}
	}()
	// A walk on a goroutine of its own, as BGSAVE runs it; it returns once
	// the walk has ended, so the next one cannot overlap it.
	walk := func() int {
		seen := make(chan int, 1)
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			defer Background()()
			seen <- runtime.GOMAXPROCS(0)
		}()
		<-ended
		return <-seen
	}
	for i := 0; i < 3; i++ {
		if got := walk(); got != base+1 {
			t.Fatalf("walk %d ran with GOMAXPROCS %d, want %d", i, got, base+1)
		}
	}
	// Two at once: the second adds a P of its own.
	release := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer Background()()
		close(ready)
		<-release
	}()
	<-ready
	if got := walk(); got != base+2 {
		t.Fatalf("a walk beside another ran with GOMAXPROCS %d, want %d", got, base+2)
	}
	if left := ReleaseIdleProcs(time.Now().Add(procsHold)); left != 2 {
		t.Fatalf("with a walk running, %d extra Ps left, want 2 kept", left)
	}
	close(release)
	waitWalksEnded(t)
	if left := ReleaseIdleProcs(time.Now()); left != 2 {
		t.Fatalf("right after the last walk, %d extra Ps left, want 2 kept", left)
	}
	if left := ReleaseIdleProcs(time.Now().Add(procsHold)); left != 0 || runtime.GOMAXPROCS(0) != base {
		t.Fatalf("procsHold after the last walk: %d extra Ps left and GOMAXPROCS %d, want 0 and %d", left, runtime.GOMAXPROCS(0), base)
	}
}

// waitWalksEnded waits (bounded) until no walk is running.
func waitWalksEnded(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		procs.Lock()
		walks := procs.walks
		procs.Unlock()
		if walks == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a walk did not end")
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits for running walks to end and gives back the Ps they kept.
func settle(t *testing.T) {
	t.Helper()
	waitWalksEnded(t)
	procs.Lock()
	last := procs.last
	procs.Unlock()
	ReleaseIdleProcs(last.Add(procsHold))
}
