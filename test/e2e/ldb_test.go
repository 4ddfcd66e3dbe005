package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// The Lua debugger (SCRIPT DEBUG SYNC, docs/scripting.md): the same
// sessions against redis-server 7.0.15 and shoal-server give the same
// bytes.

// ldbScript avoids what may differ (the order of a table's string keys,
// function addresses).
const ldbScript = `local a = 1
local t = {1,2,'x'}
redis.call('set', KEYS[1], ARGV[1])
local v = redis.call('get', KEYS[1])
redis.debug('dbg', a, t, 3.5)
for i=1,2 do
  a = a + i
end
redis.breakpoint()
local function f(x)
  return x * 2
end
a = f(a)
local r = redis.pcall('incr', KEYS[1])
return a
`

var ldbAddr = regexp.MustCompile(`function@0x[0-9a-f]+`)

const ldbLocals = `local n = 0
for i = 1, 2 do
  local w = i * 10
  n = n + w
end
local q = 1
for k, v in ipairs({10, 20}) do
  local z = v
  n = n + z
end
local r = n + q
return r
`

// ldbLocalsCmds steps through ldbLocals printing every local at each
// stop (by name inside the generic for, whose hidden generator is a
// function printed with its address).
func ldbLocalsCmds() []string {
	var cmds []string
	for i := 0; i < 8; i++ {
		cmds = append(cmds, "s", "p")
	}
	for i := 0; i < 12; i++ {
		cmds = append(cmds, "s", "p n", "p q", "p k", "p v", "p z", "p r", "p (for control)")
	}
	return cmds
}

func ldbStepPrint(n int) []string {
	var cmds []string
	for i := 0; i < n; i++ {
		cmds = append(cmds, "s", "p")
	}
	return cmds
}

// ldbSession runs SCRIPT DEBUG SYNC, an EVAL, then each command (words
// split on spaces, or raw RESP when it starts with '*'), and returns every
// reply's bytes, then whether the server closed the connection.
func ldbSession(t *testing.T, addr, script string, evalArgs []string, cmds []string) []string {
	t.Helper()
	c := testutil.Dial(t, addr)
	var out []string
	read := func() {
		_, raw, err := c.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				out = append(out, "<closed>")
				return
			}
			t.Fatalf("read: %v (so far %q)", err, out)
		}
		out = append(out, string(raw))
	}
	if err := c.Send("SCRIPT", "DEBUG", "SYNC"); err != nil {
		t.Fatal(err)
	}
	read()
	if err := c.Send(append([]string{"EVAL", script}, evalArgs...)...); err != nil {
		t.Fatal(err)
	}
	read()
	ended := func() bool {
		if !strings.HasSuffix(out[len(out)-1], "+<endsession>\r\n") {
			return false
		}
		read() // the EVAL's reply
		read() // then the server closes the connection
		return true
	}
	if ended() {
		return out
	}
	for _, cmd := range cmds {
		var err error
		if strings.HasPrefix(cmd, "*") {
			err = c.SendRaw([]byte(cmd))
		} else {
			err = c.Send(strings.Split(cmd, " ")...)
		}
		if err != nil {
			t.Fatal(err)
		}
		read()
		if ended() {
			break
		}
	}
	return out
}

func TestLDBSessionLikeRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	long := "*101\r\n$5\r\nredis\r\n" + strings.Repeat("$4\r\ntest\r\n", 100)
	sessions := []struct {
		name   string
		script string
		args   []string
		cmds   []string
		config []string // CONFIG SET pairs before the session
	}{
		{"walk", ldbScript, []string{"1", "k1", "hello"}, []string{
			"p", "p KEYS", "p ARGV", "p nope", "n", "p", "p a", "l", "l 1 1", "l 3 0", "w",
			"b 7", "b", "b 99", "b x", "b 0", "b 7 8", "b -8", "b -8", "t",
			"e a+1", "e local z = 5", "e error('boom')", "e syntax (", "e redis.call('ping')",
			"r set x 1", "r get x", "r nosuchcmd", "r get", "r incr x", "r incr k1",
			"m", "m 10", "m 0", "h", "bogus", "eval return 'hello' 0",
			"s", "s", "s", "p", "c", "p i", "b 0", "c", "s", "s", "s", "p a", "p x", "s", "s", "s",
		}, nil},
		{"abort", "local x = 1\nredis.call('set', KEYS[1], 'y')\nreturn x\n", []string{"1", "ab"}, []string{"s", "s", "a"}, nil},
		{"error", "local x = 1\nlocal y = redis.call('nosuch')\nreturn x\n", []string{"0"}, []string{"s", "s"}, nil},
		{"compile error", "local x = 1 +\n", []string{"0"}, nil, nil},
		{"numkeys", "return 1", []string{"5", "a"}, nil, nil},
		{"parsing", "return 'hello'", []string{"0"}, []string{"'hello\x00world'", "'hello\x00'", "'\x00hello'", "'\x00hello\x00'", long, "c"}, nil},
		{"maxlen", "local s = string.rep('x', 300)\nlocal n = 3.14159265\nreturn #s\n", []string{"0"}, []string{"s", "s", "p", "m 70", "p s", "c"}, nil},
		// A script that runs past lua-time-limit without stopping stops
		// itself ("timeout reached").
		{"timeout", "local i = 0\nwhile true do\n  i = i + 1\nend\n", []string{"0"}, []string{"c", "a"}, []string{"lua-time-limit", "200"}},
		// Locals as Lua 5.1 scopes them, in and after loops (gopher-lua's
		// own local ranges are off; ldb.go localRanges).
		{"locals", ldbLocals, []string{"0"}, ldbLocalsCmds(), nil},
		{"locals 2", "local a = 1\nlocal t = {1,2}\nfor i=1,2 do\n  a = a + i\nend\nif a > 1 then\n  local y = 5\n  a = a + y\nend\nlocal function f(x)\n  return x * 2\nend\nlocal p, q = f(a), 3\nreturn a + p + q\n", []string{"0"}, ldbStepPrint(20), nil},
		{"loop breakpoint", "local n = 0\nfor i = 1, 3 do\n  n = n + i\nend\nreturn n\n", []string{"0"}, []string{"b 3", "c", "p", "c", "p", "c", "p", "c"}, nil},
	}
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			var got [2][]string
			for i, kind := range []string{"redis", "shoal"} {
				n := testutil.StartKind(t, kind)
				for j := 0; j+1 < len(s.config); j += 2 {
					testutil.Dial(t, n.Addr).MustDo(t, "CONFIG", "SET", s.config[j], s.config[j+1])
				}
				got[i] = ldbSession(t, n.Addr, s.script, s.args, s.cmds)
				// SYNC mode keeps the script's writes.
				if s.name == "walk" {
					if v := testutil.Dial(t, n.Addr).MustDo(t, "GET", "x"); string(v.Str) != "2" {
						t.Fatalf("%s: GET x after the session = %q, want 2", kind, v.Str)
					}
				}
			}
			if len(got[0]) != len(got[1]) {
				t.Fatalf("redis gave %d replies, shoal %d:\nredis %q\nshoal %q", len(got[0]), len(got[1]), got[0], got[1])
			}
			for i := range got[0] {
				// Function values print with their addresses.
				got[0][i] = ldbAddr.ReplaceAllString(got[0][i], "function@ADDR")
				got[1][i] = ldbAddr.ReplaceAllString(got[1][i], "function@ADDR")
				if got[0][i] != got[1][i] {
					t.Errorf("reply %d:\nredis %q\nshoal %q", i, got[0][i], got[1][i])
				}
			}
			if last := got[1][len(got[1])-1]; last != "<closed>" {
				t.Errorf("shoal left the connection open after the session (last %q)", last)
			}
		})
	}
}

// TestLDBRedisCLI drives a session with the real redis-cli
// --ldb-sync-mode --eval, commands piped on stdin, against both servers.
func TestLDBRedisCLI(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "s.lua")
	if err := os.WriteFile(file, []byte(ldbScript), 0o644); err != nil {
		t.Fatal(err)
	}
	input := "s\np\nr get k1\nn\nb 13\nc\np a\ne a * 10\nw\nt\nc\nc\n"
	var outs [2]string
	for i, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind)
		cmd := exec.Command(testutil.RedisCLI(), "-p", strconv.Itoa(n.Port), "--ldb-sync-mode", "--eval", file, "k1", ",", "hello")
		cmd.Stdin = strings.NewReader(input)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%s: redis-cli did not end; output so far:\n%s", kind, out.String())
		}
		outs[i] = out.String()
	}
	if outs[0] != outs[1] {
		t.Fatalf("redis-cli output differs\nredis:\n%s\nshoal:\n%s", outs[0], outs[1])
	}
	for _, want := range []string{"* Stopped at 1, stop reason = step over", "<redis> get k1", "(Lua debugging session ended)"} {
		if !strings.Contains(outs[1], want) {
			t.Errorf("output lacks %q:\n%s", want, outs[1])
		}
	}
}

// TestLDBShoal: what is Shoal's own (no redis-server to compare with).
func TestLDBShoal(t *testing.T) {
	n := testutil.StartShoal(t)
	c := testutil.Dial(t, n.Addr)
	c.MustDo(t, "SET", "k", "orig")
	// YES (forked, rolled back) is refused, and so is EVAL until NO/SYNC:
	// the script must not run for real when a rollback was asked for.
	if v := c.MustDo(t, "SCRIPT", "DEBUG", "YES"); !strings.Contains(string(v.Str), "SCRIPT DEBUG YES") {
		t.Fatalf("SCRIPT DEBUG YES = %+v", v)
	}
	if v := c.MustDo(t, "EVAL", "redis.call('set', 'k', 'changed')", "0"); !strings.Contains(string(v.Str), "SCRIPT DEBUG YES") {
		t.Fatalf("EVAL after YES = %+v", v)
	}
	if v := c.MustDo(t, "GET", "k"); string(v.Str) != "orig" {
		t.Fatalf("GET k = %q, the refused EVAL ran", v.Str)
	}
	if v := c.MustDo(t, "SCRIPT", "DEBUG", "NO"); string(v.Str) != "OK" {
		t.Fatalf("SCRIPT DEBUG NO = %+v", v)
	}
	if v := c.MustDo(t, "EVAL", "return 7", "0"); v.Int != 7 {
		t.Fatalf("EVAL after NO = %+v", v)
	}
	// EVALSHA is refused in a debugging mode, as Redis does.
	c.MustDo(t, "SCRIPT", "DEBUG", "SYNC")
	if v := c.MustDo(t, "EVALSHA", strings.Repeat("a", 40), "0"); string(v.Str) != "ERR Please use EVAL instead of EVALSHA for debugging" {
		t.Fatalf("EVALSHA = %+v", v)
	}
	// While a session waits for its client, other clients are served
	// (keys the script holds excepted), and the script is not BUSY.
	if err := c.Send("EVAL", "local x = redis.call('incr', KEYS[1])\nreturn x", "1", "cnt"); err != nil {
		t.Fatal(err)
	}
	if _, raw, err := c.Read(); err != nil || !strings.Contains(string(raw), "Stopped at 1") {
		t.Fatalf("session start: %q %v", raw, err)
	}
	other := testutil.Dial(t, n.Addr)
	if v := other.MustDo(t, "SET", "elsewhere", "1"); string(v.Str) != "OK" {
		t.Fatalf("SET from another client during the session = %+v", v)
	}
	if v := other.MustDo(t, "SCRIPT", "KILL"); !strings.HasPrefix(string(v.Str), "NOTBUSY") {
		t.Fatalf("SCRIPT KILL during the session = %+v", v)
	}
	// The client leaves: the script runs to its end without stopping.
	c.Close()
	testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if v := other.MustDo(t, "GET", "cnt"); string(v.Str) != "1" {
			return errors.New("cnt = " + string(v.Str))
		}
		return nil
	})
	if v := other.MustDo(t, "PING"); string(v.Str) != "PONG" {
		t.Fatalf("PING = %+v", v)
	}

	// SIGTERM during a session: the session ends as if the client had
	// left (the script runs to its end and replies), and the server exits.
	d := testutil.Dial(t, n.Addr)
	d.MustDo(t, "SCRIPT", "DEBUG", "SYNC")
	if err := d.Send("EVAL", "redis.call('set', KEYS[1], 'x')\nreturn 5", "1", "sd"); err != nil {
		t.Fatal(err)
	}
	if _, raw, err := d.Read(); err != nil || !strings.Contains(string(raw), "Stopped at 1") {
		t.Fatalf("session start: %q %v", raw, err)
	}
	n.Cmd.Process.Signal(syscall.SIGTERM)
	testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
		if n.Running() {
			return errors.New("shoal-server still running 5 s after SIGTERM during a debugging session")
		}
		return nil
	})
	if _, raw, err := d.Read(); err != nil || string(raw) != "*1\r\n+<endsession>\r\n" {
		t.Fatalf("after SIGTERM: %q %v", raw, err)
	}
	if v, _, err := d.Read(); err != nil || v.Int != 5 {
		t.Fatalf("EVAL reply after SIGTERM: %+v %v", v, err)
	}
}

// TestLDBShutdown: a shutdown during a debugging session ends the session
// as a client that left would, and the server exits only once
// "<endsession>" and the EVAL's whole reply are sent: whether the script
// holds stripes the shutdown waits for, none, or needs one it did not
// declare; whatever the reply's size; on a signal or a SHUTDOWN; with
// either transport. (Shoal's own: redis-server 7.0.15 stays blocked until
// the client acts, then exits without the EVAL's reply; docs/scripting.md.)
func TestLDBShutdown(t *testing.T) {
	const big = 32 << 20 // more than a socket takes in one write
	cases := []struct {
		name, script string
		keys         []string
		shutdown     []string // a command from another client, else SIGTERM
		wantInt      int64
		wantLen      int
		saved        string // a key the final save must hold (checked after a restart)
	}{
		{name: "nokeys", script: "return 5", wantInt: 5},
		{name: "bigreply", script: "redis.call('set', KEYS[1], 'x')\nreturn string.rep('x', " + strconv.Itoa(big) + ")", keys: []string{"sd"}, wantLen: big},
		{name: "shutdowncmd", script: "return 6", shutdown: []string{"SHUTDOWN", "NOSAVE"}, wantInt: 6},
		// The script's undeclared key waits for no stripe the shutdown
		// took: the session ends before, and the save holds its write.
		{name: "undeclared", script: "return redis.call('incr', 'zz')", shutdown: []string{"SHUTDOWN", "SAVE"}, wantInt: 1, saved: "zz"},
	}
	for _, transport := range []string{"loop", "goroutine"} {
		for _, tc := range cases {
			t.Run(transport+"/"+tc.name, func(t *testing.T) {
				if transport == "goroutine" {
					t.Setenv("SHOAL_IO", "goroutine")
				}
				n := testutil.StartShoal(t)
				d := testutil.Dial(t, n.Addr)
				d.MustDo(t, "SCRIPT", "DEBUG", "SYNC")
				args := append([]string{"EVAL", tc.script, strconv.Itoa(len(tc.keys))}, tc.keys...)
				if err := d.Send(args...); err != nil {
					t.Fatal(err)
				}
				if _, raw, err := d.Read(); err != nil || !strings.Contains(string(raw), "Stopped at 1") {
					t.Fatalf("session start: %q %v", raw, err)
				}
				if tc.shutdown != nil {
					if err := testutil.Dial(t, n.Addr).Send(tc.shutdown...); err != nil {
						t.Fatal(err)
					}
				} else {
					n.Cmd.Process.Signal(syscall.SIGTERM)
				}
				// Read while the server shuts down: a large reply is sent
				// as the client takes it.
				if _, raw, err := d.ReadWithin(10 * time.Second); err != nil || string(raw) != "*1\r\n+<endsession>\r\n" {
					t.Fatalf("after the shutdown began: %q %v", raw, err)
				}
				v, _, err := d.ReadWithin(10 * time.Second)
				if err != nil {
					t.Fatalf("EVAL reply: %v", err)
				}
				if tc.wantLen > 0 {
					if len(v.Str) != tc.wantLen || strings.Trim(string(v.Str), "x") != "" {
						t.Fatalf("EVAL reply: %d bytes of %d", len(v.Str), tc.wantLen)
					}
				} else if v.Int != tc.wantInt {
					t.Fatalf("EVAL reply: %+v", v)
				}
				testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
					if n.Running() {
						return errors.New("shoal-server still running 5 s after the shutdown began")
					}
					return nil
				})
				if _, raw, err := d.ReadWithin(5 * time.Second); err == nil {
					t.Fatalf("after the reply: %q, want the connection closed", raw)
				}
				if tc.saved != "" {
					n.Restart()
					if v := testutil.Dial(t, n.Addr).MustDo(t, "GET", tc.saved); string(v.Str) != "1" {
						t.Fatalf("GET %s after a restart = %+v, want the script's write", tc.saved, v)
					}
				}
			})
		}
	}
}
