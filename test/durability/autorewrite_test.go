package durability

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestAutoRewrite: with auto-aof-rewrite-min-size 1mb and percentage 100,
// overwriting the same 100 keys past the minimum starts a rewrite on its
// own (Redis's log line, aof_rewrites:1), and the rewrite's new base holds about
// the dataset, not its history; below the minimum nothing starts.
func TestAutoRewrite(t *testing.T) {
	n := testutil.StartShoal(t, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "1mb",
		"--auto-aof-rewrite-percentage", "100")
	c := n.Dial(t)
	defer c.Close()
	val := strings.Repeat("v", 1000)
	write := func(rounds int) {
		for r := 0; r < rounds; r++ {
			for k := 0; k < 100; k++ {
				do(t, c, "SET", fmt.Sprintf("key:%d", k), val)
			}
		}
	}
	infoField := func(name string) string {
		for _, l := range strings.Split(str(do(t, c, "INFO", "persistence")), "\r\n") {
			if v, ok := strings.CutPrefix(l, name+":"); ok {
				return v
			}
		}
		t.Fatalf("INFO persistence has no %s", name)
		return ""
	}
	write(5) // ~0.5 MB: under the minimum
	time.Sleep(300 * time.Millisecond)
	if got := infoField("aof_rewrites"); got != "0" {
		t.Fatalf("aof_rewrites = %s under auto-aof-rewrite-min-size", got)
	}
	write(10) // ~1.5 MB, all overwrites of 100 keys
	testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if infoField("aof_rewrites") != "1" || infoField("aof_rewrite_in_progress") != "0" {
			return fmt.Errorf("no automatic rewrite yet: aof_current_size %s", infoField("aof_current_size"))
		}
		return nil
	})
	log, _ := os.ReadFile(n.Log)
	if !strings.Contains(string(log), "Starting automatic rewriting of AOF on") {
		t.Fatalf("log lacks Redis's automatic rewrite line")
	}
	// The new base holds the dataset (100 keys of 1 KB, LZF-compressed in
	// the RDB preamble), not the 1.5 MB history;
	// writes that went on meanwhile are in the incremental file.
	var base int
	fmt.Sscan(infoField("aof_base_size"), &base)
	if base <= 0 || base > 200_000 {
		t.Fatalf("aof_base_size %d after the rewrite of 100 keys of 1 KB", base)
	}
}
