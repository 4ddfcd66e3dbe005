package snapshot

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// TestBackgroundThreadIsIdleClass: the walk's thread is SCHED_IDLE (or at
// nice 19 where that is refused), and the goroutine that started the test
// keeps its class.
func TestBackgroundThreadIsIdleClass(t *testing.T) {
	policy := func() int {
		p, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(syscall.Gettid()), 0, 0)
		if e != 0 {
			t.Fatalf("sched_getscheduler: %v", e)
		}
		return int(p)
	}
	type class struct{ policy, nice int }
	got := make(chan class)
	go func() {
		defer Background()()
		raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		if err != nil {
			t.Error(err)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/comm", syscall.Gettid()))
		if string(comm) != "shoal-bgsave\n" {
			t.Errorf("walk thread named %q, want shoal-bgsave", comm)
		}
		got <- class{policy(), 20 - raw} // the raw syscall returns 20 - nice
	}()
	c := <-got
	if c.policy != schedIdle && c.nice != 19 {
		t.Fatalf("walk thread: policy %d, nice %d; want SCHED_IDLE (%d) or nice 19", c.policy, c.nice, schedIdle)
	}
	if p := policy(); p == schedIdle {
		t.Fatalf("the test's own thread became SCHED_IDLE")
	}
}
