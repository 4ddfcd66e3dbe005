package replication

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// readUp waits until the replica has read (not necessarily applied) its
// master's whole stream: slave_read_repl_offset is the master's offset,
// read afresh each time.
func readUp(t *testing.T, m, r *testutil.Node) int64 {
	t.Helper()
	var want int64
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		want = infoInt(t, m, "replication", "master_repl_offset")
		if got := infoInt(t, r, "replication", "slave_read_repl_offset"); got != want {
			return fmt.Errorf("slave_read_repl_offset %d, master %d", got, want)
		}
		return nil
	})
	return want
}

// TestPausedReplicaHoldsMasterWrites: a replica under CLIENT PAUSE WRITE
// reads its master's stream on (slave_read_repl_offset reaches the
// master's offset, also for what comes behind the held write) but applies
// none of it (slave_repl_offset stays, the keys are not there) until
// CLIENT UNPAUSE, as Redis postpones its master client (unit/pause "Test
// when replica paused, offset would not grow"). With
// repl-ping-replica-period 3600 no PING comes for an hour: Redis's first
// replication cron call is at its start, before the replica; Shoal's came
// with its first tick, 100 ms on, and could PING a replica attached by
// then behind the held write, which the replica did not read (CI:
// slave_read_repl_offset 87, master 101).
func TestPausedReplicaHoldsMasterWrites(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			do(t, m, "CONFIG", "SET", "repl-ping-replica-period", "3600")
			follow(t, r, m)
			do(t, m, "SET", "foo", "bar")
			caughtUp(t, m, r)
			old := infoInt(t, m, "replication", "master_repl_offset")
			testutil.Equal(t, infoInt(t, r, "replication", "slave_repl_offset"), old)

			do(t, r, "CLIENT", "PAUSE", "100000", "WRITE")
			do(t, m, "SET", "foo2", "bar2")
			testutil.Equal(t, readUp(t, m, r), old+33) // the SET alone
			testutil.Equal(t, infoInt(t, r, "replication", "slave_repl_offset"), old)
			testutil.Equal(t, str(do(t, r, "GET", "foo2")), "")

			// More behind the held write: read, not applied. (A replica
			// that stopped reading at the held write never gets here.)
			do(t, m, "SET", "foo3", "bar3")
			testutil.Equal(t, readUp(t, m, r), old+66)
			testutil.Equal(t, infoInt(t, r, "replication", "slave_repl_offset"), old)
			testutil.Equal(t, infoInt(t, r, "replication", "master_repl_offset"), old)
			testutil.Equal(t, str(do(t, r, "GET", "foo3")), "")

			do(t, r, "CLIENT", "UNPAUSE")
			caughtUp(t, m, r)
			testutil.Equal(t, infoInt(t, r, "replication", "slave_repl_offset"), old+66)
			testutil.Equal(t, str(do(t, r, "GET", "foo2")), "bar2")
			testutil.Equal(t, str(do(t, r, "GET", "foo3")), "bar3")
		})
	}
}

// ackedOffset is the offset the master's INFO shows for its one replica
// (slave0: ...,offset=N,...): the replica's last REPLCONF ACK.
func ackedOffset(t *testing.T, m *testutil.Node) int64 {
	t.Helper()
	for _, f := range strings.Split(info(t, m, "replication")["slave0"], ",") {
		if v, ok := strings.CutPrefix(f, "offset="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			testutil.NoErr(t, err)
			return n
		}
	}
	t.Fatalf("%s: no slave0 offset in INFO replication", m.Addr)
	return 0
}

// TestPausedReplicaReadsOn: while CLIENT PAUSE WRITE holds a write of its
// master, a replica keeps reading the stream behind it as Redis's does
// (its master client's query buffer has no limit): 1 MB of writes and the
// master's PINGs (every second) are read, slave_read_repl_offset follows
// the master and master_last_io_seconds_ago stays low, so the link
// outlives a repl-timeout of 2 s with no resync; the applied offset
// (slave_repl_offset, the replica's own master_repl_offset) stays where the
// held write is, and that is what its ACKs report (the master's slave0
// offset; WAIT counts no replica). UNPAUSE applies all of it in order.
func TestPausedReplicaReadsOn(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			do(t, m, "CONFIG", "SET", "repl-ping-replica-period", "3600")
			do(t, r, "CONFIG", "SET", "repl-timeout", "2")
			follow(t, r, m)
			do(t, m, "SET", "foo", "bar")
			caughtUp(t, m, r)
			old := infoInt(t, m, "replication", "master_repl_offset")

			do(t, r, "CLIENT", "PAUSE", "100000", "WRITE")
			c := m.Dial(t)
			defer c.Close()
			c.MustDo(t, "SET", "held", "1")
			// 1 MB behind it, more than the replica's read buffer.
			val := strings.Repeat("v", 1000)
			var batch []byte
			for i := 0; i < 1000; i++ {
				batch = testutil.AppendCommand(batch, "SET", "k"+strconv.Itoa(i), val)
			}
			testutil.NoErr(t, c.SendRaw(batch))
			for i := 0; i < 1000; i++ {
				if _, _, err := c.Read(); err != nil {
					t.Fatal(err)
				}
			}
			writes := readUp(t, m, r)
			if writes < old+1000*1000 {
				t.Fatalf("master offset %d after 1 MB of writes from %d", writes, old)
			}
			// The master's PINGs, behind the held write too.
			c.MustDo(t, "CONFIG", "SET", "repl-ping-replica-period", "1")
			since := time.Now()
			for time.Since(since) < 3500*time.Millisecond {
				st := info(t, r, "replication")
				if st["master_link_status"] != "up" {
					t.Fatalf("master_link_status %s %.1f s into the pause", st["master_link_status"], time.Since(since).Seconds())
				}
				if io, _ := strconv.Atoi(st["master_last_io_seconds_ago"]); io > 2 {
					t.Fatalf("master_last_io_seconds_ago %d %.1f s into the pause (the master PINGs every second)", io, time.Since(since).Seconds())
				}
				time.Sleep(100 * time.Millisecond)
			}
			if got := readUp(t, m, r); got < writes+14 {
				t.Fatalf("master offset %d, %d after the writes: no PING in 3.5 s", got, writes)
			}
			testutil.Equal(t, infoInt(t, r, "replication", "slave_repl_offset"), old)
			testutil.Equal(t, infoInt(t, r, "replication", "master_repl_offset"), old)
			testutil.Equal(t, str(do(t, r, "GET", "held")), "")
			testutil.Equal(t, str(do(t, r, "DBSIZE")), "1")
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if got := ackedOffset(t, m); got != old {
					return fmt.Errorf("the replica acknowledged %d, applied %d", got, old)
				}
				return nil
			})
			testutil.Equal(t, str(c.MustDo(t, "WAIT", "1", "200")), "0")
			testutil.Equal(t, infoInt(t, m, "stats", "sync_partial_ok"), int64(0))

			do(t, r, "CLIENT", "UNPAUSE")
			c.MustDo(t, "CONFIG", "SET", "repl-ping-replica-period", "3600")
			caughtUp(t, m, r)
			testutil.Equal(t, str(do(t, r, "GET", "held")), "1")
			testutil.Equal(t, str(c.MustDo(t, "WAIT", "1", "5000")), "1")
			testutil.Equal(t, infoInt(t, m, "stats", "sync_partial_ok"), int64(0))
			testutil.Equal(t, infoInt(t, m, "stats", "sync_full"), int64(1))
			sameData(t, m, r)
		})
	}
}
