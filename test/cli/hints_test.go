package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/shoal-db/shoal/internal/testutil"
)

// replTranscript types steps into bin's REPL in a pseudo-terminal, one
// step after the other (each ends with Enter and waits for the next
// prompt), and returns every byte the terminal was sent.
func replTranscript(t *testing.T, bin string, port int, rc string, steps []string) string {
	t.Helper()
	return replTranscriptPrompt(t, bin, port, "127.0.0.1:"+strconv.Itoa(port)+"> ", rc, steps)
}

// slowLineTime is the time both CLIs print after a command that took over
// half a second ("(0.62s)"): on a loaded machine a long HELP listing or a
// redirected SET can, in one CLI and not the other, so transcripts drop it.
var slowLineTime = regexp.MustCompile(`\(\d+\.\d\ds\)\r\n`)

// replTranscriptPrompt is replTranscript with the prompt to wait for
// ("not connected> " when nothing listens on port).
func replTranscriptPrompt(t *testing.T, bin string, port int, prompt, rc string, steps []string) string {
	t.Helper()
	return replTranscriptArgs(t, bin, []string{"-p", strconv.Itoa(port)}, regexp.MustCompile(regexp.QuoteMeta(prompt)+"$"), rc, steps)
}

// replTranscriptArgs runs bin with args and waits after each step for a
// fresh prompt matching promptRE (anchored at the end of the output).
func replTranscriptArgs(t *testing.T, bin string, args []string, promptRE *regexp.Regexp, rc string, steps []string) string {
	t.Helper()
	home := t.TempDir()
	if rc != "" {
		testutil.NoErr(t, os.WriteFile(filepath.Join(home, ".redisclirc"), []byte(rc), 0o644))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TERM=xterm", "HOME="+home, "REDISCLI_RCFILE=", "REDISCLI_HISTFILE="+filepath.Join(home, "hist"))
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 100})
	testutil.NoErr(t, err)
	t.Cleanup(func() { f.Close(); cmd.Process.Kill(); cmd.Wait() })
	var mu sync.Mutex
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	text := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }
	waitPrompt := func(from int, what string) {
		testutil.CheckFor(t, 15*time.Second, 10*time.Millisecond, func() error {
			txt := text()
			if len(txt) > from {
				if loc := promptRE.FindStringIndex(txt[from:]); loc != nil && (loc[0] == 0 && from == 0 || loc[0] > 0 && txt[from+loc[0]-1] == '\n') {
					return nil
				}
			}
			return &expectErr{"a fresh prompt after " + strconv.Quote(what), text()[from:]}
		})
	}
	waitPrompt(0, "start")
	for _, st := range steps {
		n := len(text())
		f.WriteString(st)
		waitPrompt(n, st)
	}
	f.WriteString("quit\r")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		testutil.NoErr(t, err)
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: quit did not end the REPL:\n%q", bin, text())
	}
	// The reader drains the pty: its Read fails once the CLI has exited
	// and every byte it wrote was read (a fixed 20 ms wait lost the last
	// line on a loaded machine).
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
	}
	return slowLineTime.ReplaceAllString(text(), "")
}

// TestREPLHintsCompletionHelp types the same keys into redis-cli 7.0.15's
// REPL and shoal-cli's, each in a pseudo-terminal, against redis-server and
// against shoal-server, and compares every byte drawn: the grey argument
// hints redrawn at each key (from COMMAND DOCS), Tab completion of command
// names and help topics (cycling, the bell after the last one), line
// editing and history keys, HELP <command>, HELP <command> <subcommand>,
// HELP @group, :set nohints / hints and ~/.redisclirc.
func TestREPLHintsCompletionHelp(t *testing.T) {
	t.Parallel()
	steps := []string{
		"set greeting hello ex 100\r",
		"get greetinx\x7fg\r", // backspace
		"hset h f v\r",        // multiple [field value ...]
		"client kill \x03",    // subcommand hints; Ctrl-C is not sent (ends the REPL)
		"dbsi\t\r",            // completion accepted by Enter
		"zadd z 1 a\r",
		"sl\t\t\t\x1b",  // cycle SLAVEOF, SLOWLOG...; Esc restores
		"help sl\t\t\r", // help topics complete too
		"help get\r",
		"help client kill\r",
		"help @hyperloglog\r",
		"help nosuch\r",
		"\x1b[A\x1b[A\r",                 // history: two lines back
		"gte\x02\x14 greeting\x01\x05\r", // Ctrl-B, Ctrl-T, Ctrl-A, Ctrl-E
		":set nohints\r",
		"get greeting\r",
		":set hints\r",
		":set fancy\r",
		":nope\r",
		"lpush l a b c\x17\x17d\r", // Ctrl-W
		"xyzzy\t\r",                // no completion: bell
	}
	// "client kill \x03" would end the REPL: replace Ctrl-C by Ctrl-U + Enter.
	steps[3] = "client kill \x15\r"
	// The Esc step leaves a line to finish.
	steps[6] = "sl\t\t\t\x1b[C\x15\r"
	for _, kind := range []string{"redis", "shoal"} {
		kind := kind
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var srv *testutil.Node
			if kind == "redis" {
				srv = testutil.StartRedis(t)
			} else {
				srv = testutil.StartShoal(t)
			}
			rc := ":set hints\n:set bogus\n"
			want := replTranscript(t, testutil.RedisCLI(), srv.Port, rc, steps)
			do(t, srv.Addr, "FLUSHALL")
			got := replTranscript(t, shoalCLI(t), srv.Port, rc, steps)
			t.Logf("%d bytes", len(want))
			if want != got {
				t.Errorf("shoal-cli's terminal output differs from redis-cli's\n%s", firstDiff(want, got))
			}
			// The hints are there at all (a test of the test).
			testutil.True(t, strings.Contains(want, "\x1b[0;90;49m key value [NX|XX]"), "redis-cli showed no SET hint:\n"+strconv.Quote(want))
		})
	}
}

// TestREPLHelpWithoutServer types HELP, hints and completion into both
// REPLs started against a port where nothing listens: redis-cli then uses
// its compiled-in help table (help.h), and so must shoal-cli.
func TestREPLHelpWithoutServer(t *testing.T) {
	t.Parallel()
	port, err := testutil.FreePort()
	testutil.NoErr(t, err)
	steps := []string{
		"help\r",
		"help set\r",
		"help client kill\r",
		"help @hyperloglog\r",
		"help @sorted-set\r",
		"help nosuch\r",
		"help sl\t\t\r", // help topics: groups come first in the table
		"help @g\t\r",
		"zadd z 1 a\x15\r", // hints from the table, Ctrl-U
		"client kill \x15\r",
		"dbsi\t\x15\r",
		"ping\r", // not connected: the error, the prompt again
	}
	const prompt = "not connected> "
	want := replTranscriptPrompt(t, testutil.RedisCLI(), port, prompt, "", steps)
	got := replTranscriptPrompt(t, shoalCLI(t), port, prompt, "", steps)
	// HELP alone names the program, as --version does.
	want = strings.ReplaceAll(want, "\nredis-cli 7.0.15\r\n", "\nshoal-cli 7.0.15\r\n")
	if want != got {
		t.Errorf("shoal-cli's terminal output differs from redis-cli's\n%s", firstDiff(want, got))
	}
	testutil.True(t, strings.Contains(want, "summary:\x1b[0m Set the string value of a key"), "redis-cli showed no HELP SET:\n"+strconv.Quote(want))
}

// TestREPLHelpWithoutCommandDocs: a server that refuses COMMAND DOCS (here
// by ACL) but answers COMMAND. redis-cli then uses its compiled-in table
// and adds the commands it lacks from COMMAND ("Help not available"; none
// on a 7.0 server), and so must shoal-cli, against redis-server and
// shoal-server.
func TestREPLHelpWithoutCommandDocs(t *testing.T) {
	t.Parallel()
	steps := []string{
		"help get\r",
		"help sort_ro\r",
		"help @hyperloglog\r",
		"help client kill\r",
		"sort_r\t\x15\r",
	}
	for _, kind := range []string{"redis", "shoal"} {
		kind := kind
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, kind)
			do(t, srv.Addr, "ACL", "SETUSER", "default", "-command|docs")
			want := replTranscript(t, testutil.RedisCLI(), srv.Port, "", steps)
			got := replTranscript(t, shoalCLI(t), srv.Port, "", steps)
			if want != got {
				t.Errorf("shoal-cli's terminal output differs from redis-cli's\n%s", firstDiff(want, got))
			}
			testutil.True(t, strings.Contains(want, "summary:\x1b[0m Get the value of a key"), "redis-cli showed no HELP GET:\n"+strconv.Quote(want))
		})
	}
}

// firstDiff shows where two transcripts part.
func firstDiff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := i - 200
	if from < 0 {
		from = 0
	}
	end := func(s string) string {
		if i+200 < len(s) {
			return s[from : i+200]
		}
		return s[from:]
	}
	return "at byte " + strconv.Itoa(i) + "\nredis-cli: " + strconv.Quote(end(want)) + "\nshoal-cli: " + strconv.Quote(end(got))
}
