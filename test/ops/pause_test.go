package ops

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Under CLIENT PAUSE WRITE a script that declares no-writes runs (EVAL,
// EVALSHA, FCALL: Redis takes the command's flags from the script's),
// while one without flags waits and counts in blocked_clients until
// UNPAUSE. Replies compared with redis-server.
func TestPauseWriteLetsNoWritesScriptsRun(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		admin, c, w := s.node.Dial(t), s.node.Dial(t), s.node.Dial(t)
		var out []string
		ro := "#!lua flags=no-writes\nreturn 'ro'"
		out = append(out, rawReply(t, admin, "SCRIPT", "LOAD", ro))
		out = append(out, rawReply(t, admin, "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 'fro' end, flags={'no-writes'}}"))
		out = append(out, rawReply(t, admin, "CLIENT", "PAUSE", "60000", "WRITE"))
		out = append(out, rawReply(t, c, "EVAL", ro, "0"))
		out = append(out, rawReply(t, c, "EVALSHA", strings.TrimSpace(strings.Split(out[0], "\r\n")[1]), "0"))
		out = append(out, rawReply(t, c, "FCALL", "f", "0"))
		out = append(out, rawReply(t, c, "EVAL", "#!lua flags=no-writes\nreturn 'fresh'", "0"))
		testutil.NoErr(t, w.Send("EVAL", "return 'rw'", "0"))
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if !strings.Contains(rawReply(t, admin, "INFO", "clients"), "blocked_clients:1\r\n") {
				return errors.New(s.name + ": the script without flags is not waiting")
			}
			return nil
		})
		out = append(out, rawReply(t, admin, "CLIENT", "UNPAUSE"))
		_, raw, err := w.Read()
		testutil.NoErr(t, err)
		out = append(out, string(raw))
		got[s.name] = out
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}
