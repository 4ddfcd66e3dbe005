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

// TestFailoverCommand: the standalone FAILOVER swaps master and replica
// with no write lost, whichever server plays which role: the replica
// becomes the master, the old master its replica (continuing partially),
// and the old master refuses writes afterwards.
func TestFailoverCommand(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"shoal", "redis"}, {"redis", "shoal"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m, r := start(t, pair[0]), start(t, pair[1])
			follow(t, r, m)
			preload(t, m, 2000)
			caughtUp(t, m, r)
			if v := do(t, m, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r.Port), "TIMEOUT", "10000"); str(v) != "OK" {
				t.Fatalf("FAILOVER: %q", str(v))
			}
			testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
				mi, ri := info(t, m, "replication"), info(t, r, "replication")
				if ri["role"] != "master" || mi["role"] != "slave" || mi["master_link_status"] != "up" || mi["master_failover_state"] != "no-failover" {
					return fmt.Errorf("new master role %s; old master role %s link %s failover %s", ri["role"], mi["role"], mi["master_link_status"], mi["master_failover_state"])
				}
				return nil
			})
			do(t, r, "SET", "after-failover", "1")
			caughtUp(t, r, m)
			sameData(t, r, m)
			if v := do(t, m, "SET", "x", "y"); str(v) != "READONLY You can't write against a read only replica." {
				t.Fatalf("write on the old master: %q", str(v))
			}
			if v := do(t, r, "INFO", "stats"); v.IsError() {
				t.Fatal(str(v))
			}
		})
	}
}

// TestFailoverErrors: FAILOVER's refusals, in Redis's words.
func TestFailoverErrors(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind)
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"FAILOVER"}, "ERR FAILOVER requires connected replicas."},
				{[]string{"FAILOVER", "ABORT"}, "ERR No failover in progress."},
				{[]string{"FAILOVER", "TIMEOUT", "-1"}, "ERR FAILOVER timeout must be greater than 0"},
				{[]string{"FAILOVER", "FORCE"}, "ERR FAILOVER requires connected replicas."},
				{[]string{"FAILOVER", "ABORT", "TIMEOUT", "5"}, "ERR syntax error"},
				{[]string{"FAILOVER", "BOGUS"}, "ERR syntax error"},
			} {
				if got := str(do(t, m, c.args...)); got != c.want {
					t.Errorf("%v: %q, want %q", c.args, got, c.want)
				}
			}
			// With a replica attached.
			r := start(t, kind)
			follow(t, r, m)
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"FAILOVER", "FORCE"}, "ERR FAILOVER with force option requires both a timeout and target HOST and IP."},
				{[]string{"FAILOVER", "TO", "127.0.0.1", "1", "TIMEOUT", "100"}, "ERR FAILOVER target HOST and PORT is not a replica."},
			} {
				if got := str(do(t, m, c.args...)); got != c.want {
					t.Errorf("%v: %q, want %q", c.args, got, c.want)
				}
			}
			if got := str(do(t, r, "FAILOVER")); got != "ERR FAILOVER is not valid when server is a replica." {
				t.Errorf("FAILOVER on a replica: %q", got)
			}
		})
	}
}

// FAILOVER … FORCE whose target never acknowledges in time fails over
// anyway, logging Redis's "time out exceeded, failing over." (and not the
// synced line), on redis-server and Shoal alike.
func TestFailoverForceAfterTimeout(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			follow(t, r, m)
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if s0 := info(t, m, "replication")["slave0"]; !strings.Contains(s0, "state=online") {
					return fmt.Errorf("slave0 %q", s0)
				}
				return nil
			})
			testutil.NoErr(t, r.Cmd.Process.Signal(syscall.SIGSTOP))
			stopped := true
			defer func() {
				if stopped {
					r.Cmd.Process.Signal(syscall.SIGCONT)
				}
			}()
			do(t, m, "SET", "case", "2") // the stopped replica never acknowledges it
			if v := do(t, m, "FAILOVER", "TO", "127.0.0.1", strconv.Itoa(r.Port), "TIMEOUT", "100", "FORCE"); str(v) != "OK" {
				t.Fatalf("FAILOVER: %q", str(v))
			}
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if st := info(t, m, "replication")["master_failover_state"]; st != "failover-in-progress" {
					return fmt.Errorf("master_failover_state %s", st)
				}
				return nil
			})
			testutil.NoErr(t, r.Cmd.Process.Signal(syscall.SIGCONT))
			stopped = false
			testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
				if st := info(t, m, "replication")["master_failover_state"]; st != "no-failover" {
					return fmt.Errorf("master_failover_state %s", st)
				}
				return nil
			})
			log, _ := os.ReadFile(m.Log)
			if n := strings.Count(string(log), "time out exceeded, failing over."); n != 1 {
				t.Fatalf("%d \"time out exceeded\" lines in the log", n)
			}
			if strings.Contains(string(log), "is synced, failing over.") {
				t.Fatal("the synced line was logged for a forced failover")
			}
		})
	}
}
