package ops

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

func oomScore(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid))
	testutil.NoErr(t, err)
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	testutil.NoErr(t, err)
	return v
}

// oom-score-adj is applied as Redis 7.0 applies it: the process's
// oom_score_adj follows the master/replica class of oom-score-adj-values
// (relative to the score it started with, or absolute), a background
// save's child gets the third value, and "no" puts the first score back.
// The scores seen are compared with a live redis-server's.
func TestOOMScoreAdjAsRedis(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		n := s.node
		c := n.Dial(t)
		base := oomScore(t, n.Pid)
		var rec []string
		step := func(args ...string) {
			if len(args) > 0 {
				rec = append(rec, strings.Join(args, " ")+" -> "+strings.TrimSpace(rawReply(t, c, args...)))
			}
			rec = append(rec, "score-base="+strconv.Itoa(oomScore(t, n.Pid)-base))
		}
		step("CONFIG", "SET", "oom-score-adj-values", "10 20 30")
		step("CONFIG", "SET", "oom-score-adj", "yes")
		step("CONFIG", "SET", "oom-score-adj-values", "15 20 30")
		free, err := testutil.FreePort()
		testutil.NoErr(t, err)
		step("REPLICAOF", "127.0.0.1", strconv.Itoa(free))
		rec[len(rec)-2] = strings.Replace(rec[len(rec)-2], strconv.Itoa(free), "PORT", 1)
		step("REPLICAOF", "NO", "ONE")
		c.MustDo(t, "SET", "k", "v")
		c.MustDo(t, "CONFIG", "SET", "rdb-key-save-delay", "1000000")
		step("BGSAVE")
		var child int
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			out, _ := exec.Command("pgrep", "-P", strconv.Itoa(n.Pid)).Output()
			f := strings.Fields(string(out))
			if len(f) == 0 {
				return errors.New("no child yet")
			}
			child, _ = strconv.Atoi(f[0])
			if oomScore(t, child) != base+30 {
				return fmt.Errorf("child score %d", oomScore(t, child))
			}
			return nil
		})
		c.MustDo(t, "CONFIG", "SET", "rdb-key-save-delay", "0")
		step("CONFIG", "SET", "oom-score-adj", "absolute")
		testutil.Equal(t, oomScore(t, n.Pid), 15)
		step("CONFIG", "SET", "oom-score-adj", "no")
		step("CONFIG", "GET", "oom-score-adj")
		got[s.name] = rec
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}
