package ops

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// rawReply sends args and returns the reply's bytes as they came.
func rawReply(t *testing.T, c *testutil.Conn, args ...string) string {
	t.Helper()
	testutil.NoErr(t, c.Send(args...))
	_, raw, err := c.Read()
	testutil.NoErr(t, err)
	return string(raw)
}

// rename-command is applied as Redis applies it: the old name is unknown,
// the new one runs the command, "" removes it; CONFIG REWRITE keeps the
// line. Replies are compared with a live redis-server byte for byte.
func TestRenameCommandAsRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	run := func(kind string) []string {
		conf := filepath.Join(t.TempDir(), "node.conf")
		testutil.NoErr(t, os.WriteFile(conf, []byte("rename-command flushdb badger\nrename-command LASTSAVE \"\"\n"), 0o644))
		n := testutil.StartKind(t, kind, conf)
		c := n.Dial(t)
		var out []string
		for _, cmd := range [][]string{
			{"SET", "k", "v"},
			{"FLUSHDB"},
			{"flushdb", "async"},
			{"BADGER"},
			{"badger"},
			{"DBSIZE"},
			{"LASTSAVE"},
			{"COMMAND", "INFO", "badger"},
			{"COMMAND", "INFO", "flushdb"},
			{"CONFIG", "REWRITE"},
		} {
			out = append(out, rawReply(t, c, cmd...))
		}
		text, err := os.ReadFile(conf)
		testutil.NoErr(t, err)
		testutil.True(t, bytes.Contains(text, []byte("rename-command flushdb badger\n")), kind+": CONFIG REWRITE dropped the rename-command line:\n"+string(text))
		// After a restart from the rewritten file the rename still holds.
		n.Restart()
		c = n.Dial(t)
		out = append(out, rawReply(t, c, "FLUSHDB"), rawReply(t, c, "BADGER"))
		return out
	}
	want, got := run("redis"), run("shoal")
	testutil.DeepEqual(t, got, want)
	testutil.True(t, strings.HasPrefix(want[1], "-ERR unknown command 'FLUSHDB'"), want[1])
}

// A rename-command line naming no command, or renaming onto a name that
// exists, stops the server at startup with Redis's fatal config error.
func TestRenameCommandBadLine(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for _, line := range []string{
		"rename-command nosuchcmd foo",
		"rename-command get set",
	} {
		outputs := map[string]string{}
		for kind, bin := range map[string]string{"redis": testutil.RedisBinary(), "shoal": testutil.ShoalServerPath(t)} {
			dir := t.TempDir()
			conf := filepath.Join(dir, "bad.conf")
			testutil.NoErr(t, os.WriteFile(conf, []byte("port 0\n"+line+"\n"), 0o644))
			cmd := exec.Command(bin, conf)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			testutil.True(t, err != nil, kind+" started with "+line)
			outputs[kind] = stderr.String()
		}
		testutil.Equal(t, outputs["shoal"], outputs["redis"])
	}
}
