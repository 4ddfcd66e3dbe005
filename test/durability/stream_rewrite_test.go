package durability

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestStreamFailsRewrite: neither form of AOF rewrite can hold a stream
// yet, so BGREWRITEAOF fails (aof_last_bgrewrite_status:err, the key in the
// log) instead of writing a base without it, and the stream still comes
// back after a restart from the incremental file the failed rewrite left.
func TestStreamFailsRewrite(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble-"+preamble, func(t *testing.T) {
			n := testutil.StartShoal(t, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
			c := n.Dial(t)
			do(t, c, "XADD", "events", "1-1", "a", "1")
			do(t, c, "SET", "plain", "v")
			if v := str(do(t, c, "BGREWRITEAOF")); v != "Background append only file rewriting started" {
				t.Fatalf("BGREWRITEAOF: %s", v)
			}
			testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
				info := str(do(t, c, "INFO", "persistence"))
				if !strings.Contains(info, "aof_rewrite_in_progress:0") || !strings.Contains(info, "aof_last_bgrewrite_status:err") {
					return fmt.Errorf("rewrite not failed yet")
				}
				return nil
			})
			log, _ := os.ReadFile(n.Log)
			if !strings.Contains(string(log), "'events' is a stream") {
				t.Fatalf("the log does not name the stream key")
			}
			c.Close()
			n.Restart()
			c = n.Dial(t)
			defer c.Close()
			if v := str(do(t, c, "XLEN", "events")); v != "1" {
				t.Fatalf("XLEN after restart: %s", v)
			}
			if v := str(do(t, c, "GET", "plain")); v != "v" {
				t.Fatalf("GET after restart: %s", v)
			}
		})
	}
}
