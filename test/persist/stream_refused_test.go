package persist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestStreamKeyFailsSave: the RDB codec cannot write streams yet, so a
// dataset holding one must not be saved as if it were whole: SAVE answers
// -ERR, BGSAVE ends with rdb_last_bgsave_status:err and the log names the
// key, no dump.rdb appears, and with save points set writes are refused
// with MISCONF (stop-writes-on-bgsave-error) — never a file silently
// lacking the stream.
func TestStreamKeyFailsSave(t *testing.T) {
	n := testutil.StartShoal(t)
	c := client(t, n)
	if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "events", Values: []string{"a", "1"}}).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "plain", "v", 0)
	if err := c.Save(ctx).Err(); err == nil || err.Error() != "ERR" {
		t.Fatalf("SAVE with a stream key: %v, want ERR", err)
	}
	if _, err := os.Stat(filepath.Join(n.Dir, "dump.rdb")); !os.IsNotExist(err) {
		t.Fatalf("dump.rdb written although the stream could not be: %v", err)
	}
	log, _ := os.ReadFile(n.Log)
	if !strings.Contains(string(log), "key 'events' is a stream") {
		t.Fatalf("the log does not name the stream key")
	}
	c.ConfigSet(ctx, "save", "3600 1")
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.CheckFor(t, 10e9, 20e6, func() error {
		if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "rdb_bgsave_in_progress:0") || !strings.Contains(info, "rdb_last_bgsave_status:err") {
			return os.ErrNotExist
		}
		return nil
	})
	if err := c.Set(ctx, "plain", "w", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Fatalf("write after a failed BGSAVE with save points: %v, want MISCONF", err)
	}
	// Redis refuses a SIGTERM shutdown whose save fails; let the test's
	// stop be quick.
	c.ConfigSet(ctx, "save", "")
}
