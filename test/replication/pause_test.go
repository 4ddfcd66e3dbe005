package replication

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestPausedReplicaHoldsMasterWrites: a replica under CLIENT PAUSE WRITE
// reads its master's stream on (slave_read_repl_offset reaches the
// master's offset) but applies none of it (slave_repl_offset stays, the
// key is not there) until CLIENT UNPAUSE, as Redis postpones its master
// client (unit/pause "Test when replica paused, offset would not grow").
func TestPausedReplicaHoldsMasterWrites(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			do(t, m, "CONFIG", "SET", "repl-ping-replica-period", "3600")
			follow(t, r, m)
			do(t, m, "SET", "foo", "bar")
			caughtUp(t, m, r)
			old := infoInt(t, m, "replication", "master_repl_offset")
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if got := infoInt(t, r, "replication", "slave_repl_offset"); got != old {
					return fmt.Errorf("slave_repl_offset %d, master %d", got, old)
				}
				return nil
			})

			do(t, r, "CLIENT", "PAUSE", "100000", "WRITE")
			do(t, m, "SET", "foo2", "bar2")
			// The master's offset is read afresh: its first replication
			// cron tick PINGs the replica (replication_cron_loops 0 is a
			// multiple of any repl-ping-replica-period), which can fall
			// after the SET.
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				want := infoInt(t, m, "replication", "master_repl_offset")
				if got := infoInt(t, r, "replication", "slave_read_repl_offset"); got != want {
					return fmt.Errorf("slave_read_repl_offset %d, master %d", got, want)
				}
				return nil
			})
			testutil.Equal(t, infoInt(t, r, "replication", "slave_repl_offset"), old)
			testutil.Equal(t, str(do(t, r, "GET", "foo2")), "")

			do(t, r, "CLIENT", "UNPAUSE")
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				want := infoInt(t, m, "replication", "master_repl_offset")
				if got := infoInt(t, r, "replication", "slave_repl_offset"); got != want {
					return fmt.Errorf("slave_repl_offset %d after unpause, master %d", got, want)
				}
				return nil
			})
			testutil.Equal(t, str(do(t, r, "GET", "foo2")), "bar2")
		})
	}
}
