package replication

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestSyncChildDiesWithMaster: a full sync through a file (repl-diskless-sync
// no) has a child process on the master while it runs (Redis: the fork
// child; Shoal: the file's writer child), and that child ends when the
// master is killed (integration/replication "replication child dies when
// parent is killed - diskless: no").
func TestSyncChildDiesWithMaster(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep")
	}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m := start(t, kind, "--repl-diskless-sync", "no")
			r := start(t, kind)
			preload(t, m, 2000)
			do(t, m, "CONFIG", "SET", "rdb-key-save-delay", "5000") // ~10 s
			do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
			testutil.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
				if info(t, m, "persistence")["rdb_bgsave_in_progress"] != "1" {
					return fmt.Errorf("no sync save yet")
				}
				return nil
			})
			out, _ := exec.Command("pgrep", "-P", strconv.Itoa(m.Pid)).Output()
			kids := strings.Fields(string(out))
			if len(kids) != 1 {
				t.Fatalf("children of the master during the sync: %q", kids)
			}
			child, _ := strconv.Atoi(kids[0])
			m.Kill()
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if err := syscall.Kill(child, 0); err == nil {
					// A zombie is gone too (its parent is dead: init reaps it).
					if st, _ := exec.Command("ps", "-o", "stat=", "-p", kids[0]).Output(); !strings.HasPrefix(strings.TrimSpace(string(st)), "Z") {
						return fmt.Errorf("child %d still alive", child)
					}
				}
				return nil
			})
		})
	}
}
