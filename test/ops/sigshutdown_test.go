package ops

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// waitLog waits (bounded) until n's log holds want.
func waitLog(t *testing.T, n *testutil.Node, want string) {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		b, _ := os.ReadFile(n.Log)
		if !strings.Contains(string(b), want) {
			return errors.New("no " + want + " in the log yet")
		}
		return nil
	})
}

// SIGTERM only asks for a shutdown, which the cron performs, as in Redis:
// with DEBUG PAUSE-CRON 1 the server goes on serving and SHUTDOWN ABORT
// cancels the request, even one sent just before it; without a request ABORT is an error; a SIGTERM with
// the cron running stops the process. Replies compared with redis-server.
func TestSignalShutdownAbortAsRedis(t *testing.T) {
	for _, s := range both(t) {
		n := s.node
		c := n.Dial(t)
		var out []string
		out = append(out, rawReply(t, c, "SHUTDOWN", "ABORT"))
		out = append(out, rawReply(t, c, "DEBUG", "PAUSE-CRON", "1"))
		testutil.NoErr(t, syscall.Kill(n.Pid, syscall.SIGTERM))
		waitLog(t, n, "Received SIGTERM scheduling shutdown...")
		out = append(out, rawReply(t, c, "PING"))
		out = append(out, rawReply(t, c, "SHUTDOWN", "ABORT"))
		waitLog(t, n, "Shutdown manually aborted")
		out = append(out, rawReply(t, c, "DEBUG", "PAUSE-CRON", "0"))
		out = append(out, rawReply(t, c, "PING"))
		out = append(out, rawReply(t, c, "SHUTDOWN", "ABORT"))
		// A SIGTERM sent just before the ABORT, with no wait between
		// (unit/shutdown waits 10 ms): Redis's handler has always run by
		// the time the command is read.
		out = append(out, rawReply(t, c, "DEBUG", "PAUSE-CRON", "1"))
		testutil.NoErr(t, syscall.Kill(n.Pid, syscall.SIGTERM))
		out = append(out, rawReply(t, c, "SHUTDOWN", "ABORT"))
		out = append(out, rawReply(t, c, "DEBUG", "PAUSE-CRON", "0"))
		testutil.DeepEqual(t, out, []string{
			"-ERR No shutdown in progress.\r\n", "+OK\r\n", "+PONG\r\n", "+OK\r\n",
			"+OK\r\n", "+PONG\r\n", "-ERR No shutdown in progress.\r\n",
			"+OK\r\n", "+OK\r\n", "+OK\r\n",
		})
		testutil.NoErr(t, syscall.Kill(n.Pid, syscall.SIGTERM))
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if n.Running() {
				return errors.New(s.name + " still running after SIGTERM")
			}
			return nil
		})
	}
}
