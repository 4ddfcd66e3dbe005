package persist

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestAppendonlyNoKillsRewrite: CONFIG SET appendonly no during a slow
// AOF rewrite kills the rewrite's child at once (the log says so), returns
// without waiting for the rewrite, and the killed rewrite does not count
// as a failed one, as on redis-server 7.0 (unit/aofrw "Turning off AOF
// kills the background writing child if any").
func TestAppendonlyNoKillsRewrite(t *testing.T) {
	testutil.EachKind(t, func(t *testing.T, n *testutil.Node) {
		c := n.Dial(t)
		c.MustDo(t, "SET", "k", "v")
		c.MustDo(t, "CONFIG", "SET", "rdb-key-save-delay", "10000000")
		c.MustDo(t, "BGREWRITEAOF")
		testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			if !strings.Contains(string(c.MustDo(t, "INFO", "persistence").Str), "aof_rewrite_in_progress:1") {
				return errors.New("no rewrite in progress")
			}
			return nil
		})
		start := time.Now()
		c.MustDo(t, "CONFIG", "SET", "appendonly", "no")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("CONFIG SET appendonly no took %v", d)
		}
		testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
			b, _ := os.ReadFile(n.Log)
			if !strings.Contains(string(b), "Killing running AOF rewrite child") {
				return errors.New("no kill in the log")
			}
			if strings.Contains(string(c.MustDo(t, "INFO", "persistence").Str), "aof_rewrite_in_progress:1") {
				return errors.New("rewrite still in progress")
			}
			return nil
		})
		c.MustDo(t, "CONFIG", "SET", "rdb-key-save-delay", "0")
		if info := string(c.MustDo(t, "INFO", "persistence").Str); !strings.Contains(info, "aof_last_bgrewrite_status:ok") {
			t.Errorf("after the kill: %s", info)
		}
	}, "--appendonly", "yes")
}
