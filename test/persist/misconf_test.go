package persist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// failedSaveSession makes a background save fail (its directory removed
// under it) and records what a client sees then, and after the directory
// is back and a save succeeds.
func failedSaveSession(t *testing.T, n *testutil.Node) []string {
	c := client(t, n)
	sub := filepath.Join(n.Dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	var out []string
	rec := func(cmd ...any) {
		v, err := c.Do(ctx, cmd...).Result()
		var line string
		if err != nil && err != redis.Nil {
			line = fmt.Sprintf("%v -> err %v", cmd, err)
		} else {
			line = fmt.Sprintf("%v -> %v", cmd, v)
		}
		out = append(out, strings.ReplaceAll(line, n.Dir, "DIR"))
	}
	waitBg := func() {
		testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			if strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
				return fmt.Errorf("bgsave running")
			}
			return nil
		})
	}
	status := func() {
		info := c.Info(ctx, "persistence").Val()
		out = append(out, grep(info, "rdb_last_bgsave_status"))
	}
	rec("set", "k", "v")
	rec("config", "set", "dir", sub)
	os.RemoveAll(sub)
	rec("bgsave")
	waitBg()
	status()
	rec("set", "k", "v2")
	rec("get", "k")
	rec("ping")
	rec("incr", "n")
	rec("multi")
	rec("set", "k", "v3")
	rec("exec")
	rec("config", "set", "stop-writes-on-bgsave-error", "no")
	rec("set", "k", "v4")
	rec("config", "set", "stop-writes-on-bgsave-error", "yes")
	rec("set", "k", "v5")
	rec("config", "set", "save", "")
	rec("set", "k", "v6")
	rec("config", "set", "save", "3600 1")
	rec("set", "k", "v7")
	rec("save")
	rec("config", "set", "dir", n.Dir)
	rec("bgsave")
	waitBg()
	status()
	rec("set", "k", "v8")
	rec("get", "k")
	return out
}

// TestMisconfAfterFailedSave: Shoal answers exactly as redis-server does.
func TestMisconfAfterFailedSave(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	want := failedSaveSession(t, testutil.StartRedis(t, "--save", "3600 1", "--enable-protected-configs", "yes"))
	got := failedSaveSession(t, testutil.StartShoal(t, "--save", "3600 1", "--enable-protected-configs", "yes"))
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			g := ""
			if i < len(got) {
				g = got[i]
			}
			t.Errorf("step %d:\n got  %s\n want %s", i, g, want[i])
		}
	}
	if !strings.Contains(strings.Join(want, "\n"), "MISCONF") {
		t.Fatal("the reference session never saw MISCONF; the test proves nothing")
	}
}
