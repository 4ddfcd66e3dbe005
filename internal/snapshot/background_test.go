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
	base := runtime.GOMAXPROCS(0)
	defer func() {
		ReleaseIdleProcs(time.Now().Add(procsHold))
		if got := runtime.GOMAXPROCS(0); got != base {
			t.Errorf("GOMAXPROCS %d after the test, want %d", got, base)
		}
	}()
	walk := func() int { // a walk on a goroutine of its own, as BGSAVE runs it
		seen := make(chan int)
		go func() {
			defer Background()()
			seen <- runtime.GOMAXPROCS(0)
		}()
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
	deadline := time.Now().Add(5 * time.Second)
	for {
		procs.Lock()
		walks := procs.walks
		procs.Unlock()
		if walks == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the walk did not end")
		}
		time.Sleep(time.Millisecond)
	}
	if left := ReleaseIdleProcs(time.Now()); left != 2 {
		t.Fatalf("right after the last walk, %d extra Ps left, want 2 kept", left)
	}
	if left := ReleaseIdleProcs(time.Now().Add(procsHold)); left != 0 || runtime.GOMAXPROCS(0) != base {
		t.Fatalf("procsHold after the last walk: %d extra Ps left and GOMAXPROCS %d, want 0 and %d", left, runtime.GOMAXPROCS(0), base)
	}
}
