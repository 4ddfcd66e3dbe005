package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/shoal-db/shoal/internal/testutil"
)

// ptySession drives shoal-cli's REPL in a pseudo-terminal.
type ptySession struct {
	t   *testing.T
	f   *os.File
	mu  sync.Mutex
	out bytes.Buffer
}

func (s *ptySession) text() string { s.mu.Lock(); defer s.mu.Unlock(); return s.out.String() }

// expect waits until the terminal output has shown want since offset from.
func (s *ptySession) expect(from int, want string) int {
	s.t.Helper()
	var at int
	testutil.CheckFor(s.t, 15*time.Second, 20*time.Millisecond, func() error {
		txt := s.text()
		if i := strings.Index(txt[from:], want); i >= 0 {
			at = from + i + len(want)
			return nil
		}
		return &expectErr{want, txt[from:]}
	})
	return at
}

type expectErr struct{ want, got string }

func (e *expectErr) Error() string {
	return "want " + strconv.Quote(e.want) + " in " + strconv.Quote(e.got)
}

func (s *ptySession) send(line string) int {
	n := len(s.text())
	s.f.WriteString(line + "\r")
	return n
}

// TestREPLInTerminal: the prompt (with [db] after SELECT and (TX) in
// MULTI), replies formatted as on a terminal, -c redirections, the history
// file (AUTH kept out of it, as redis-cli does), quit.
func TestREPLInTerminal(t *testing.T) {
	t.Parallel()
	srv := testutil.StartShoal(t)
	hist := filepath.Join(t.TempDir(), "history")
	cmd := exec.Command(shoalCLI(t), "-p", strconv.Itoa(srv.Port))
	cmd.Env = append(os.Environ(), "TERM=xterm", "REDISCLI_HISTFILE="+hist) // liner edits only on a capable terminal
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})     // liner edits only with a known width
	testutil.NoErr(t, err)
	t.Cleanup(func() { f.Close(); cmd.Process.Kill(); cmd.Wait() })
	s := &ptySession{t: t, f: f}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	prompt := "127.0.0.1:" + strconv.Itoa(srv.Port)
	s.expect(0, prompt+"> ")
	s.expect(s.send("set greeting hello"), "OK")
	s.expect(s.send("get greeting"), `"hello"`)
	s.expect(s.send("incr counter"), "(integer) 1")
	s.expect(s.send("rpush l a b"), "(integer) 2")
	at := s.expect(s.send("lrange l 0 -1"), `1) "a"`)
	s.expect(at, `2) "b"`)
	s.expect(s.send("select 2"), prompt+"[2]> ")
	s.expect(s.send("multi"), prompt+"[2](TX)> ")
	s.expect(s.send("discard"), prompt+"[2]> ")
	s.expect(s.send("auth nopass"), "(error)")
	s.expect(s.send("nosuchcmd"), "(error) ERR unknown command")
	at = s.expect(s.send("get missing"), "(nil)")
	s.expect(at, prompt+"[2]> ")
	n := len(s.text())
	s.f.WriteString("dbsi\t") // tab completes the command name
	s.expect(n, "DBSIZE")
	s.expect(s.send(""), "(integer) 0")
	s.send("quit")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		testutil.NoErr(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("quit did not end the REPL")
	}
	h, err := os.ReadFile(hist)
	testutil.NoErr(t, err)
	for _, want := range []string{"set greeting hello", "select 2", "quit"} {
		testutil.True(t, strings.Contains(string(h), want), "history lacks "+want+":\n"+string(h))
	}
	testutil.True(t, !strings.Contains(string(h), "auth"), "AUTH must stay out of the history:\n"+string(h))
}
