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

// infoField reads one INFO field from a raw INFO reply.
func infoField(info, name string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

// During a client pause keys past their TTL are hidden but not deleted
// (neither lazily nor actively): expired_keys and DBSIZE stay; after
// UNPAUSE a read expires them. Compared with redis-server.
func TestPauseKeepsExpiredKeys(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		c := s.node.Dial(t)
		var out []string
		before := infoField(rawReply(t, c, "INFO", "stats"), "expired_keys")
		rawReply(t, c, "SET", "foo", "bar", "PX", "20")
		out = append(out, rawReply(t, c, "CLIENT", "PAUSE", "60000", "WRITE"))
		testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			if rawReply(t, c, "GET", "foo") != "$-1\r\n" {
				return errors.New("foo not logically expired yet")
			}
			return nil
		})
		time.Sleep(300 * time.Millisecond) // active expiry would run meanwhile
		out = append(out, rawReply(t, c, "DBSIZE"), "expired "+infoField(rawReply(t, c, "INFO", "stats"), "expired_keys")+" was "+before)
		out = append(out, rawReply(t, c, "CLIENT", "UNPAUSE"), rawReply(t, c, "GET", "foo"))
		out = append(out, rawReply(t, c, "DBSIZE"))
		got[s.name] = out
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}
