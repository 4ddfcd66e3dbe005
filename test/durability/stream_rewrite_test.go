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

// streamScript builds streams with consumer groups: tombstones, an
// emptied stream, pending entries claimed with fixed times, a consumer
// with nothing pending, a NOACK read.
var streamScript = [][]string{
	{"XADD", "events", "1-1", "a", "1"},
	{"XADD", "events", "2-1", "a", "2", "b", "x"},
	{"XADD", "events", "3-1", "c", "3"},
	{"XADD", "events", "4-1", "a", "4"},
	{"XDEL", "events", "2-1"},
	{"XGROUP", "CREATE", "events", "g1", "0"},
	{"XGROUP", "CREATE", "events", "g2", "$", "ENTRIESREAD", "7"},
	{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "events", ">"},
	{"XREADGROUP", "GROUP", "g1", "bob", "NOACK", "STREAMS", "events", ">"},
	{"XCLAIM", "events", "g1", "carol", "0", "3-1", "TIME", "1700000000000", "RETRYCOUNT", "5", "JUSTID"},
	{"XCLAIM", "events", "g1", "alice", "0", "1-1", "TIME", "1700000000001", "RETRYCOUNT", "2", "JUSTID"},
	{"XGROUP", "CREATECONSUMER", "events", "g2", "idle"},
	{"XADD", "gone", "5-5", "a", "b"},
	{"XDEL", "gone", "5-5"},
	{"SET", "plain", "v"},
}

// seenTime masks consumers' seen-time: a consumer an AOF recreates (XCLAIM,
// XGROUP CREATECONSUMER) is seen at load time, in Redis as here.
var seenTime = regexp.MustCompile(`seen-time \d+`)

func streamsOf(t *testing.T, n *testutil.Node) string {
	t.Helper()
	c := n.Dial(t)
	defer c.Close()
	var b strings.Builder
	for _, k := range []string{"events", "gone"} {
		b.WriteString(str(do(t, c, "XINFO", "STREAM", k, "FULL")) + "\n")
		b.WriteString(str(do(t, c, "XINFO", "GROUPS", k)) + "\n")
	}
	b.WriteString(str(do(t, c, "GET", "plain")))
	return seenTime.ReplaceAllString(b.String(), "seen-time *")
}

// TestStreamSurvivesRewrite: both forms of AOF rewrite hold streams with
// their consumer groups; the command form is Redis's rewriteStreamObject
// (XADD, XSETID … ENTRIESADDED … MAXDELETEDID, XGROUP CREATE … ENTRIESREAD,
// XCLAIM … JUSTID FORCE, XGROUP CREATECONSUMER), and redis-server 7.0
// loads that base to the same streams.
func TestStreamSurvivesRewrite(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble-"+preamble, func(t *testing.T) {
			n := testutil.StartShoal(t, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
			c := n.Dial(t)
			for _, cmd := range streamScript {
				if v := do(t, c, cmd...); strings.HasPrefix(str(v), "ERR:") {
					t.Fatalf("%v: %s", cmd, str(v))
				}
			}
			want := streamsOf(t, n)
			if v := str(do(t, c, "BGREWRITEAOF")); v != "Background append only file rewriting started" {
				t.Fatalf("BGREWRITEAOF: %s", v)
			}
			testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
				info := str(do(t, c, "INFO", "persistence"))
				if !strings.Contains(info, "aof_rewrite_in_progress:0") || !strings.Contains(info, "aof_last_bgrewrite_status:ok") {
					return fmt.Errorf("rewrite not done yet")
				}
				return nil
			})
			c.Close()
			bases, _ := filepath.Glob(filepath.Join(n.Dir, "appendonlydir", "*.base.*"))
			if len(bases) != 1 {
				t.Fatalf("base files: %v", bases)
			}
			if preamble == "no" {
				base, _ := os.ReadFile(bases[0])
				for _, cmd := range []string{"XSETID", "ENTRIESADDED", "MAXDELETEDID", "XGROUP", "CREATE", "ENTRIESREAD", "XCLAIM", "CREATECONSUMER", "MAXLEN"} {
					if !strings.Contains(string(base), "\r\n"+cmd+"\r\n") {
						t.Errorf("command-form base lacks %s", cmd)
					}
				}
			}
			n.Restart()
			if got := streamsOf(t, n); got != want {
				t.Fatalf("after rewrite and restart:\n got %s\nwant %s", got, want)
			}
			testutil.SkipIfNoRedis(t)
			r := testutil.StartRedis(t, "--appendonly", "yes")
			r.Stop()
			os.RemoveAll(filepath.Join(r.Dir, "appendonlydir"))
			if err := os.CopyFS(filepath.Join(r.Dir, "appendonlydir"), os.DirFS(filepath.Join(n.Dir, "appendonlydir"))); err != nil {
				t.Fatal(err)
			}
			r.Restart()
			if got := streamsOf(t, r); got != want {
				t.Fatalf("redis-server loading shoal's AOF:\n got %s\nwant %s", got, want)
			}
		})
	}
}
