package replication

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// psyncLine sends a PSYNC on a connection of its own and returns the first
// line of the reply ("+FULLRESYNC …", "+CONTINUE …" or an error).
func psyncLine(t *testing.T, n *testutil.Node, args ...string) string {
	t.Helper()
	c := n.Dial(t)
	defer c.Close()
	if err := c.Send(append([]string{"PSYNC"}, args...)...); err != nil {
		t.Fatal(err)
	}
	c.C.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.R.ReadString('\n')
	if err != nil {
		t.Fatalf("PSYNC %v: %v", args, err)
	}
	return strings.TrimRight(line, "\r\n")
}

// TestPsyncArguments: PSYNC as Redis's syncCommand reads it, on both
// servers. A fourth argument other than FAILOVER is ignored; the offset
// is an integer by string2ll's rules ("+5" and "05" are not); PSYNC …
// FAILOVER is refused by a master and, on a replica, is handled before
// the link's state is looked at, so a replica whose master is gone still
// takes over (Redis's order).
func TestPsyncArguments(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind)
			if got := psyncLine(t, m, "?", "-1", "FOO"); !strings.HasPrefix(got, "+FULLRESYNC ") {
				t.Errorf("PSYNC ? -1 FOO: %q, want +FULLRESYNC", got)
			}
			for _, off := range []string{"+5", "05", "x"} {
				if got := psyncLine(t, m, "?", off); got != "-ERR value is not an integer or out of range" {
					t.Errorf("PSYNC ? %s: %q", off, got)
				}
			}
			if got := psyncLine(t, m, "abc", "5", "FAILOVER"); got != "-ERR PSYNC FAILOVER can't be sent to a master." {
				t.Errorf("PSYNC FAILOVER to a master: %q", got)
			}

			r := start(t, kind)
			follow(t, r, m)
			preload(t, m, 100)
			caughtUp(t, m, r)
			if got := psyncLine(t, r, "abc", "5", "FAILOVER"); got != "-ERR PSYNC FAILOVER replid must match my replid." {
				t.Errorf("PSYNC FAILOVER with another replid: %q", got)
			}
			ri := info(t, r, "replication")
			m.Stop()
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if s := info(t, r, "replication")["master_link_status"]; s != "down" {
					return fmt.Errorf("master_link_status %s", s)
				}
				return nil
			})
			if got := psyncLine(t, r, ri["master_replid"], ri["master_repl_offset"], "FAILOVER"); !strings.HasPrefix(got, "+") {
				t.Fatalf("PSYNC FAILOVER to a replica whose link is down: %q", got)
			}
			if role := info(t, r, "replication")["role"]; role != "master" {
				t.Fatalf("after PSYNC FAILOVER the replica's role is %s", role)
			}
		})
	}
}
