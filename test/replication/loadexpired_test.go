package replication

import (
	"strconv"
	"testing"
	"time"
)

// A master restarted from its RDB deletes the keys whose TTL passed while
// it was down and sends the deletions to its stream (Redis 7.0's rdbLoad):
// its offset grows by them, its replica continues partially and deletes
// them too; with more deletions than the backlog holds, the replica cannot
// continue and does a full sync. On redis-server and Shoal alike (Shoal
// used to send every deletion to database 0).
func TestRestartPropagatesExpiredKeys(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind, "--save", "3600 1", "--repl-ping-replica-period", "3600"), start(t, kind)
			follow(t, r, m)
			restart := func(n int) (offBefore int64) {
				t.Helper()
				do(t, m, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
				// In four databases: each deletion must reach its key's.
				c := m.Dial(t)
				for i := 0; i < n; i++ {
					c.MustDo(t, "SELECT", strconv.Itoa(i%4))
					c.MustDo(t, "SET", "e"+strconv.Itoa(i), "v", "PX", "50")
				}
				c.Close()
				time.Sleep(100 * time.Millisecond)
				caughtUp(t, m, r)
				offBefore = infoInt(t, m, "replication", "master_repl_offset")
				do(t, r, "CONFIG", "RESETSTAT")
				m.Restart()
				linkUp(t, r)
				return offBefore
			}

			off := restart(100)
			if n := infoInt(t, m, "persistence", "rdb_last_load_keys_expired"); n != 100 {
				t.Fatalf("rdb_last_load_keys_expired %d", n)
			}
			if got := infoInt(t, m, "replication", "master_repl_offset"); got <= off {
				t.Fatalf("master_repl_offset %d after deleting 100 keys at load, %d before", got, off)
			}
			caughtUp(t, m, r)
			if st := info(t, m, "stats"); st["sync_partial_ok"] != "1" || st["sync_full"] != "0" {
				t.Fatalf("after the restart: sync_partial_ok %s sync_full %s", st["sync_partial_ok"], st["sync_full"])
			}
			if n := str(do(t, r, "DBSIZE")); n != "0" {
				t.Fatalf("the replica holds %s keys after the master's deletions", n)
			}

			sameData(t, m, r)
		})
	}
}
