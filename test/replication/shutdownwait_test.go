package replication

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// A master asked to shut down while a replica has not acknowledged its
// stream waits for it (shutdown-timeout), on redis-server and Shoal
// alike: SHUTDOWN clients are blocked meanwhile, INFO shows
// shutdown_in_milliseconds, SHUTDOWN ABORT fails them; a SIGTERM waits
// until the replica caught up, then exits with it in sync.
func TestShutdownWaitsForReplica(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			follow(t, r, m)
			do(t, m, "SET", "k", "1")
			caughtUp(t, m, r)
			testutil.NoErr(t, r.Cmd.Process.Signal(syscall.SIGSTOP))
			stopped := true
			defer func() {
				if stopped {
					r.Cmd.Process.Signal(syscall.SIGCONT)
				}
			}()
			do(t, m, "INCR", "k") // the stopped replica cannot acknowledge it

			rd1, rd2 := m.Dial(t), m.Dial(t)
			testutil.NoErr(t, rd1.Send("SHUTDOWN"))
			testutil.NoErr(t, rd2.Send("SHUTDOWN"))
			// Shoal counts a SHUTDOWN blocked as its loop hands it off, a
			// moment before the wait's deadline is set: both are polled.
			testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				if b := info(t, m, "clients")["blocked_clients"]; b != "2" {
					return fmt.Errorf("blocked_clients %s with two SHUTDOWNs waiting", b)
				}
				if ms, _ := strconv.Atoi(info(t, m, "server")["shutdown_in_milliseconds"]); ms <= 0 {
					return fmt.Errorf("shutdown_in_milliseconds %d while waiting", ms)
				}
				return nil
			})
			if v := do(t, m, "SHUTDOWN", "ABORT"); str(v) != "OK" {
				t.Fatalf("SHUTDOWN ABORT: %q", str(v))
			}
			for _, rd := range []*testutil.Conn{rd1, rd2} {
				v, _, err := rd.Read()
				testutil.NoErr(t, err)
				if !strings.Contains(str(v), "Errors trying to SHUTDOWN. Check logs.") {
					t.Fatalf("aborted SHUTDOWN: %q", str(v))
				}
			}
			if _, ok := info(t, m, "server")["shutdown_in_milliseconds"]; ok {
				t.Fatal("shutdown_in_milliseconds after the abort")
			}
			if v := do(t, m, "SHUTDOWN", "ABORT"); !strings.Contains(str(v), "No shutdown in progress.") {
				t.Fatalf("second SHUTDOWN ABORT: %q", str(v))
			}
			if v := do(t, m, "SET", "after-abort", "1"); str(v) != "OK" { // writes resumed
				t.Fatalf("SET after the abort: %q", str(v))
			}

			do(t, m, "CONFIG", "SET", "shutdown-timeout", "30")
			testutil.NoErr(t, m.Cmd.Process.Signal(syscall.SIGTERM))
			testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				if ms, _ := strconv.Atoi(info(t, m, "server")["shutdown_in_milliseconds"]); ms <= 0 {
					return fmt.Errorf("shutdown_in_milliseconds %d after SIGTERM", ms)
				}
				return nil
			})
			testutil.NoErr(t, r.Cmd.Process.Signal(syscall.SIGCONT))
			stopped = false
			testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
				if m.Running() {
					return fmt.Errorf("master still running")
				}
				return nil
			})
			if v := do(t, r, "GET", "k"); str(v) != "2" {
				t.Fatalf("replica's k after the master's shutdown: %q", str(v))
			}
			log, _ := os.ReadFile(m.Log)
			for _, want := range []string{"Waiting for replicas before shutting down.", "Shutdown manually aborted.", "1 of 1 replicas are in sync when shutting down."} {
				if !strings.Contains(string(log), want) {
					t.Fatalf("no %q in the master's log", want)
				}
			}
			if strings.Contains(string(log), "Lagging replica") {
				t.Fatal("a lagging replica logged although it caught up")
			}
		})
	}
}
