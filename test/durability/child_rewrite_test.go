package durability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestBgrewriteaofChildKilled: BGREWRITEAOF has a child process as soon as
// it replies (Redis: the fork child; Shoal: the base file's writer child),
// counted in total_forks; killing it fails the rewrite
// (aof_last_bgrewrite_status:err), leaves one more incremental file in
// the manifest, and loses nothing: the next rewrite
// succeeds and a restart loads every key (integration/aof-multi-part's
// rewrite-failure tests); compared with redis-server.
func TestBgrewriteaofChildKilled(t *testing.T) {
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep")
	}
	manifests := map[string][]string{}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--appendonly", "yes", "--save", "")
			c := n.Dial(t)
			defer c.Close()
			for i := 0; i < 200; i++ {
				do(t, c, "SET", "k"+strconv.Itoa(i), strconv.Itoa(i))
			}
			forks := func() int {
				for _, l := range strings.Split(str(do(t, c, "INFO", "stats")), "\r\n") {
					if v, ok := strings.CutPrefix(l, "total_forks:"); ok {
						n, _ := strconv.Atoi(v)
						return n
					}
				}
				t.Fatal("no total_forks")
				return 0
			}
			before := forks()
			do(t, c, "CONFIG", "SET", "rdb-key-save-delay", "100000") // 0.1 s a key
			for round := 1; round <= 2; round++ {
				if v := str(do(t, c, "BGREWRITEAOF")); v != "Background append only file rewriting started" {
					t.Fatalf("BGREWRITEAOF: %q", v)
				}
				out, _ := exec.Command("pgrep", "-P", strconv.Itoa(n.Pid)).Output()
				kids := strings.Fields(string(out))
				if len(kids) != 1 {
					t.Fatalf("children right after BGREWRITEAOF: %q", kids)
				}
				if got := forks(); got != before+round {
					t.Fatalf("total_forks %d, want %d", got, before+round)
				}
				child, _ := strconv.Atoi(kids[0])
				if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
					if persistenceField(t, c, "aof_rewrite_in_progress") != "0" {
						return fmt.Errorf("rewrite running")
					}
					return nil
				})
				if v := persistenceField(t, c, "aof_last_bgrewrite_status"); v != "err" {
					t.Fatalf("aof_last_bgrewrite_status after the kill: %s", v)
				}
			}
			manifests[kind] = []string{readFile(t, filepath.Join(n.Dir, "appendonlydir", "appendonly.aof.manifest"))}
			do(t, c, "SET", "after", "kill")
			do(t, c, "CONFIG", "SET", "rdb-key-save-delay", "0")
			do(t, c, "BGREWRITEAOF")
			testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				if persistenceField(t, c, "aof_rewrite_in_progress") != "0" || persistenceField(t, c, "aof_last_bgrewrite_status") != "ok" {
					return fmt.Errorf("rewrite not done")
				}
				return nil
			})
			manifests[kind] = append(manifests[kind], readFile(t, filepath.Join(n.Dir, "appendonlydir", "appendonly.aof.manifest")))
			if tmps, _ := filepath.Glob(filepath.Join(n.Dir, "temp-*")); len(tmps) != 0 {
				t.Fatalf("temp files left: %v", tmps)
			}
			want := digest(t, n)
			n.Restart()
			if got := digest(t, n); got != want {
				t.Fatalf("digest after restart %s, want %s", got, want)
			}
			if _, err := os.Stat(filepath.Join(n.Dir, "appendonlydir")); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Each failed rewrite leaves one more incremental file; the good one
	// replaces them all.
	testutil.Equal(t, strings.Join(manifests["shoal"], "--\n"), strings.Join(manifests["redis"], "--\n"))
}

// TestAOFHistoryAndReload: with aof-disable-auto-gc yes rewrites keep the
// old files as history (newest group first), turning it off deletes them
// at once; a rewrite with the AOF off leaves only a base, and after DEBUG
// LOADAOF (which reloads the manifest from disk) enabling the AOF starts
// again at incremental file 1: the manifests are redis-server's
// (integration/aof-multi-part's auto gc and AOF-off tests).
func TestAOFHistoryAndReload(t *testing.T) {
	got := map[string][]string{}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--appendonly", "yes", "--save", "")
			c := n.Dial(t)
			defer c.Close()
			manifest := func() string {
				return readFile(t, filepath.Join(n.Dir, "appendonlydir", "appendonly.aof.manifest"))
			}
			rewrite := func() {
				t.Helper()
				do(t, c, "BGREWRITEAOF")
				testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
					if persistenceField(t, c, "aof_rewrite_in_progress") != "0" || persistenceField(t, c, "aof_rewrite_scheduled") != "0" {
						return fmt.Errorf("rewrite running")
					}
					return nil
				})
			}
			do(t, c, "SET", "a", "1")
			do(t, c, "CONFIG", "SET", "aof-disable-auto-gc", "yes")
			rewrite()
			do(t, c, "SET", "b", "2")
			rewrite()
			got[kind] = append(got[kind], manifest())
			do(t, c, "CONFIG", "SET", "aof-disable-auto-gc", "no")
			got[kind] = append(got[kind], manifest())
			files, _ := filepath.Glob(filepath.Join(n.Dir, "appendonlydir", "*"))
			got[kind] = append(got[kind], fmt.Sprint(len(files)))
			do(t, c, "CONFIG", "SET", "appendonly", "no")
			rewrite()
			do(t, c, "DEBUG", "LOADAOF")
			got[kind] = append(got[kind], manifest())
			do(t, c, "CONFIG", "SET", "appendonly", "yes")
			testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
				if persistenceField(t, c, "aof_rewrite_in_progress") != "0" || persistenceField(t, c, "aof_enabled") != "1" {
					return fmt.Errorf("AOF not on yet")
				}
				return nil
			})
			got[kind] = append(got[kind], manifest())
			if v := str(do(t, c, "GET", "b")); v != "2" {
				t.Fatalf("GET b = %q", v)
			}
		})
	}
	testutil.Equal(t, strings.Join(got["shoal"], "--\n"), strings.Join(got["redis"], "--\n"))
}

// TestAOFRewriteWaitsForBgsave: while a BGSAVE runs, CONFIG SET appendonly
// yes and BGREWRITEAOF schedule the rewrite (aof_rewrite_scheduled:1,
// "…rewriting scheduled"); it starts once the BGSAVE is over (here: its
// child killed), and the AOF then holds every key (integration/aof-multi-part
// "AOF enable during BGSAVE will not write data util AOFRW finish");
// compared with redis-server.
func TestAOFRewriteWaitsForBgsave(t *testing.T) {
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Skip("no pgrep")
	}
	got := map[string][]string{}
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--save", "")
			c := n.Dial(t)
			defer c.Close()
			do(t, c, "SET", "k1", "v1")
			do(t, c, "CONFIG", "SET", "rdb-key-save-delay", "10000000") // 10 s a key
			do(t, c, "BGSAVE")
			rec := func(s string) { got[kind] = append(got[kind], s) }
			do(t, c, "CONFIG", "SET", "appendonly", "yes")
			rec("scheduled:" + persistenceField(t, c, "aof_rewrite_scheduled"))
			rec("bgrewriteaof: " + str(do(t, c, "BGREWRITEAOF")))
			do(t, c, "SET", "k2", "v2")
			out, _ := exec.Command("pgrep", "-P", strconv.Itoa(n.Pid)).Output()
			kids := strings.Fields(string(out))
			if len(kids) != 1 {
				t.Fatalf("children during the BGSAVE: %q", kids)
			}
			do(t, c, "CONFIG", "SET", "rdb-key-save-delay", "0")
			child, _ := strconv.Atoi(kids[0])
			syscall.Kill(child, syscall.SIGKILL)
			testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
				if persistenceField(t, c, "rdb_bgsave_in_progress") != "0" || persistenceField(t, c, "aof_rewrite_scheduled") != "0" ||
					persistenceField(t, c, "aof_rewrite_in_progress") != "0" || persistenceField(t, c, "aof_rewrites") == "0" {
					return fmt.Errorf("rewrite not done")
				}
				return nil
			})
			rec(readFile(t, filepath.Join(n.Dir, "appendonlydir", "appendonly.aof.manifest")))
			do(t, c, "SET", "k3", "v3")
			do(t, c, "DEBUG", "LOADAOF")
			for _, k := range []string{"k1", "k2", "k3"} {
				rec(k + "=" + str(do(t, c, "GET", k)))
			}
		})
	}
	testutil.Equal(t, strings.Join(got["shoal"], "\n"), strings.Join(got["redis"], "\n"))
}
