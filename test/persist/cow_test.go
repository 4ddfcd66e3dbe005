package persist

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// infoInt reads one integer field of INFO persistence.
func infoInt(t *testing.T, info, field string) int64 {
	t.Helper()
	v := strings.TrimPrefix(grep(info, field), field+":")
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v in\n%s", field, err, info)
	}
	return n
}

// TestCowInfoDuringBgsave: while a BGSAVE runs, writes raise
// current_cow_size (Redis: the fork child's copied pages; Shoal: what
// writers serialized ahead of the snapshot's walk) and current_fork_perc
// tells the progress; both are 0 before and after, and rdb_last_cow_size
// keeps the last save's figure (integration/rdb "Test child sending info").
func TestCowInfoDuringBgsave(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--save", "")
			c := client(t, n)
			const keys = 3000
			val := strings.Repeat("A", 500)
			pipe := c.Pipeline()
			for i := 0; i < keys; i++ {
				pipe.Set(ctx, "key"+strconv.Itoa(i), val, 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			info := c.Info(ctx, "persistence").Val()
			if grep(info, "current_cow_size") != "current_cow_size:0" || grep(info, "current_fork_perc") != "current_fork_perc:0.00" {
				t.Fatalf("before BGSAVE:\n%s", info)
			}
			c.ConfigSet(ctx, "rdb-key-save-delay", "2000") // ~6 s for 3000 keys
			if err := c.BgSave(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			// Rewrite keys from the end (the walk has not reached most of
			// them) until the figures show it; Redis reports them once a
			// second.
			next := keys - 1
			testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
				for i := 0; i < 16 && next >= 0; i++ {
					c.SetRange(ctx, "key"+strconv.Itoa(next), 0, strings.Repeat("B", 500))
					next--
				}
				info := c.Info(ctx, "persistence").Val()
				if grep(info, "rdb_bgsave_in_progress") != "rdb_bgsave_in_progress:1" {
					t.Fatalf("BGSAVE ended before the figures moved:\n%s", info)
				}
				perc, _ := strconv.ParseFloat(strings.TrimPrefix(grep(info, "current_fork_perc"), "current_fork_perc:"), 64)
				if infoInt(t, info, "current_cow_size") < 4096 || perc <= 0 || perc > 100 ||
					infoInt(t, info, "current_save_keys_processed") == 0 || infoInt(t, info, "current_save_keys_total") != keys {
					return fmt.Errorf("not reported yet:\n%s", info)
				}
				return nil
			})
			c.ConfigSet(ctx, "rdb-key-save-delay", "0")
			testutil.CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
				if !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0") {
					return fmt.Errorf("bgsave running")
				}
				return nil
			})
			info = c.Info(ctx, "persistence").Val()
			if grep(info, "current_cow_size") != "current_cow_size:0" || grep(info, "current_fork_perc") != "current_fork_perc:0.00" ||
				infoInt(t, info, "rdb_last_cow_size") == 0 || grep(info, "rdb_last_bgsave_status") != "rdb_last_bgsave_status:ok" {
				t.Fatalf("after BGSAVE:\n%s", info)
			}
		})
	}
}
