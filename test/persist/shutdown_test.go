package persist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestSigtermSavesEveryAcknowledgedWrite: with save points set, SIGTERM
// writes dump.rdb, and after a restart every write that was acknowledged —
// including those racing the signal — is there.
func TestSigtermSavesEveryAcknowledgedWrite(t *testing.T) {
	sh := testutil.StartShoal(t, "--save", "3600 1")
	var acked sync.Map
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := client(t, sh)
			for i := 0; ; i++ {
				k := fmt.Sprintf("k:%d:%d", w, i)
				var err error
				if i%3 == 0 {
					err = c.HSet(ctx, fmt.Sprintf("h:%d", w), k, i).Err()
				} else {
					err = c.Set(ctx, k, i, 0).Err()
				}
				if err != nil {
					return // the server went away: this write was not acknowledged
				}
				acked.Store(k, i)
				n.Add(1)
			}
		}(w)
	}
	testutil.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if n.Load() < 5000 {
			return fmt.Errorf("%d writes so far", n.Load())
		}
		return nil
	})
	sh.Stop() // SIGTERM while the writers run
	wg.Wait()
	log, _ := os.ReadFile(sh.Log)
	for _, line := range []string{"Received SIGTERM scheduling shutdown...", "User requested shutdown...", "Saving the final RDB snapshot before exiting.", "DB saved on disk"} {
		if !strings.Contains(string(log), line) {
			t.Errorf("log lacks %q", line)
		}
	}
	sh.Restart()
	c := client(t, sh)
	missing := 0
	acked.Range(func(k, v any) bool {
		key := k.(string)
		var w, i int
		fmt.Sscanf(key, "k:%d:%d", &w, &i)
		var got string
		if i%3 == 0 {
			got = c.HGet(ctx, fmt.Sprintf("h:%d", w), key).Val()
		} else {
			got = c.Get(ctx, key).Val()
		}
		if got != fmt.Sprint(v) {
			if missing++; missing <= 5 {
				t.Errorf("acknowledged write %s=%v lost (got %q)", key, v, got)
			}
		}
		return true
	})
	t.Logf("%d acknowledged writes, %d lost", n.Load(), missing)
}

// TestShutdownSaveRules: SIGTERM without save points writes nothing;
// SHUTDOWN SAVE writes even without them; SHUTDOWN NOSAVE writes nothing
// even with them.
func TestShutdownSaveRules(t *testing.T) {
	dump := func(n *testutil.Node) bool {
		_, err := os.Stat(filepath.Join(n.Dir, "dump.rdb"))
		return err == nil
	}
	a := testutil.StartShoal(t)
	client(t, a).Set(ctx, "x", 1, 0)
	a.Stop()
	if dump(a) {
		t.Error("SIGTERM without save points wrote dump.rdb")
	}

	b := testutil.StartShoal(t)
	cb := client(t, b)
	cb.Set(ctx, "x", 1, 0)
	cb.Shutdown(ctx) // SHUTDOWN
	waitExit(t, b)
	if dump(b) {
		t.Error("SHUTDOWN without save points wrote dump.rdb")
	}

	c := testutil.StartShoal(t)
	cc := client(t, c)
	cc.Set(ctx, "x", 1, 0)
	cc.ShutdownSave(ctx)
	waitExit(t, c)
	if !dump(c) {
		t.Error("SHUTDOWN SAVE wrote no dump.rdb")
	}

	d := testutil.StartShoal(t, "--save", "3600 1")
	cd := client(t, d)
	cd.Set(ctx, "x", 1, 0)
	cd.ShutdownNoSave(ctx)
	waitExit(t, d)
	if dump(d) {
		t.Error("SHUTDOWN NOSAVE wrote dump.rdb")
	}
}

// waitExit waits (bounded) for n's process to end.
func waitExit(t *testing.T, n *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n.Running() {
			return fmt.Errorf("still running")
		}
		return nil
	})
}
