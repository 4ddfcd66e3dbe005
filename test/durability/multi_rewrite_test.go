package durability

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// BGREWRITEAOF inside MULTI/EXEC answers "… rewriting scheduled", and the
// rewrite does happen (INFO's aof_rewrites counts it); compared with redis-server.
func TestBgrewriteaofInExec(t *testing.T) {
	got := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind, "--appendonly", "yes")
		c := n.Dial(t)
		rewrites := func() string {
			return regexp.MustCompile(`aof_rewrites:\d+`).FindString(c.MustDo(t, "INFO", "persistence").String())
		}
		before := rewrites()
		testutil.True(t, before != "", kind+": no aof_rewrites field")
		c.MustDo(t, "MULTI")
		c.MustDo(t, "SET", "foo", "bar")
		c.MustDo(t, "BGREWRITEAOF")
		got[kind] = c.MustDo(t, "EXEC").String()
		testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			info := c.MustDo(t, "INFO", "persistence").String()
			if !strings.Contains(info, "aof_rewrite_in_progress:0") || !strings.Contains(info, "aof_rewrite_scheduled:0") {
				return fmt.Errorf("%s: rewrite not done", kind)
			}
			if rewrites() == before {
				return fmt.Errorf("%s: no rewrite counted", kind)
			}
			return nil
		})
	}
	testutil.Equal(t, got["shoal"], got["redis"])
}

// CONFIG SET appendonly yes inside MULTI/EXEC: the transaction completes,
// the AOF starts after it ("AOF was enabled during a transaction …" in the
// log) and keys stay usable (Shoal's rewrite used to wait for the stripes
// the transaction held, forever); compared with redis-server.
func TestAppendonlyInExec(t *testing.T) {
	got := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind)
		c := n.Dial(t)
		c.Timeout = 10 * time.Second
		c.MustDo(t, "MULTI")
		c.MustDo(t, "SET", "foo", "bar")
		c.MustDo(t, "CONFIG", "SET", "appendonly", "yes")
		got[kind] = c.MustDo(t, "EXEC").String() + " " + c.MustDo(t, "GET", "foo").String()
		testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			info := c.MustDo(t, "INFO", "persistence").String()
			if !strings.Contains(info, "aof_enabled:1") || !strings.Contains(info, "aof_rewrite_in_progress:0") ||
				!strings.Contains(info, "aof_rewrite_scheduled:0") {
				return fmt.Errorf("%s: AOF not started", kind)
			}
			return nil
		})
		b, _ := os.ReadFile(n.Log)
		testutil.True(t, strings.Contains(string(b), "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."), kind+": no log line")
	}
	testutil.Equal(t, got["shoal"], got["redis"])
}

// DEBUG AOF-FLUSH-SLEEP delays AOF writes without losing any: with it set,
// a SET still reaches the incremental file; replies compared with
// redis-server.
func TestDebugAOFFlushSleep(t *testing.T) {
	got := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind, "--appendonly", "yes")
		c := n.Dial(t)
		got[kind] = c.MustDo(t, "DEBUG", "AOF-FLUSH-SLEEP", "100000").String()
		c.MustDo(t, "SET", "k", strings.Repeat("v", 1000))
		testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
			files, _ := filepath.Glob(filepath.Join(n.Dir, "appendonlydir", "*.incr.aof"))
			for _, f := range files {
				if b, _ := os.ReadFile(f); strings.Contains(string(b), strings.Repeat("v", 1000)) {
					return nil
				}
			}
			return fmt.Errorf("%s: SET not in the AOF yet", kind)
		})
		got[kind] += " " + c.MustDo(t, "DEBUG", "AOF-FLUSH-SLEEP", "0").String()
	}
	testutil.Equal(t, got["shoal"], got["redis"])
}
