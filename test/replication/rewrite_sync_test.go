package replication

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestRewriteDuringFullSync: BGREWRITEAOF while a replica's full sync is
// being produced (slowed by rdb-key-save-delay) is scheduled, as Redis
// schedules it behind its replication child, and runs once the sync is
// done; the sync and the rewrite both succeed.
func TestRewriteDuringFullSync(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind, "--appendonly", "yes", "--repl-diskless-sync", "no")
			preload(t, m, 2000)
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "1000") // ~2 s of walk
			r := start(t, kind)
			do(t, r, "REPLICAOF", "127.0.0.1", fmt.Sprint(m.Port))
			testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
				if v := info(t, m, "persistence")["rdb_bgsave_in_progress"]; v != "1" {
					return fmt.Errorf("rdb_bgsave_in_progress %s", v)
				}
				return nil
			})
			if got := str(do(t, m, "BGREWRITEAOF")); got != "Background append only file rewriting scheduled" {
				t.Fatalf("BGREWRITEAOF during the sync: %q", got)
			}
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "0")
			testutil.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
				p := info(t, m, "persistence")
				for _, f := range []string{"aof_rewrite_scheduled:0", "aof_rewrite_in_progress:0", "aof_last_bgrewrite_status:ok", "rdb_bgsave_in_progress:0"} {
					k, v, _ := strings.Cut(f, ":")
					if p[k] != v {
						return fmt.Errorf("%s is %s", k, p[k])
					}
				}
				if p["aof_rewrites"] != "1" {
					return fmt.Errorf("aof_rewrites %s: the scheduled rewrite has not run", p["aof_rewrites"])
				}
				return nil
			})
			linkUp(t, r)
			caughtUp(t, m, r)
		})
	}
}
