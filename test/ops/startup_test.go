package ops

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// --version names Shoal and the Redis version it speaks, in redis-server's
// field layout.
func TestVersionNamesShoal(t *testing.T) {
	out, err := exec.Command(testutil.ShoalServerPath(t), "--version").Output()
	testutil.NoErr(t, err)
	line := strings.TrimSpace(string(out))
	testutil.True(t, strings.HasPrefix(line, "Shoal server v=7.0.15 sha="), line)
	testutil.True(t, strings.HasSuffix(line, " bits=64 build=shoal"), line)
}

// With always-show-logo the banner carries the Port and PID lines; without
// it (and no terminal) Redis's "Running mode" line is logged instead.
func TestStartupLogo(t *testing.T) {
	n := testutil.StartShoal(t, "--always-show-logo", "yes")
	testutil.True(t, logHas(n, fmt.Sprintf("Port: %d\n", n.Port)), "no Port line")
	testutil.True(t, logHas(n, fmt.Sprintf("PID: %d\n", n.Pid)), "no PID line")
	testutil.True(t, !logHas(n, "Running mode="), "Running mode line beside the logo")
	plain := testutil.StartShoal(t)
	testutil.True(t, logHas(plain, fmt.Sprintf("Running mode=standalone, port=%d.", plain.Port)), "no Running mode line")
	testutil.True(t, !logHas(plain, "PID: "), "logo without always-show-logo")
}

// DEBUG SLEEP stalls only its own connection: every other client (on any
// event loop) is answered meanwhile (issue #13: half of them stalled).
func TestDebugSleepStallsOnlyItsClient(t *testing.T) {
	n := testutil.StartShoal(t, "--enable-debug-command", "yes")
	sleeper := n.Dial(t)
	testutil.NoErr(t, sleeper.Send("DEBUG", "SLEEP", "6"))
	// Enough clients to land on every loop; each must be answered well
	// before the sleep ends.
	for i := 0; i < 8; i++ {
		c := n.Dial(t)
		c.Timeout = 3 * time.Second
		v, err := c.Do("PING")
		testutil.NoErr(t, err)
		testutil.Equal(t, string(v.Str), "PONG")
	}
	v, _, err := sleeper.ReadWithin(10 * time.Second)
	testutil.NoErr(t, err)
	testutil.Equal(t, string(v.Str), "OK")
}

// DEBUG PANIC leaves a crash report in the log and the process ends, as
// Redis's does.
func TestDebugPanicCrashReport(t *testing.T) {
	n := testutil.StartShoal(t, "--enable-debug-command", "yes")
	c := n.Dial(t)
	c.Send("DEBUG", "PANIC")
	waitExited(t, n)
	testutil.True(t, logHas(n, "Guru Meditation: DEBUG PANIC called at Unix time "), "no crash line")
	testutil.True(t, logHas(n, "------ STACK TRACE ------"), "no stack trace")
}

// waitExited waits (bounded) until the node's process has ended.
func waitExited(t *testing.T, n *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if n.Running() {
			return fmt.Errorf("still running")
		}
		return nil
	})
}

// A busy cluster bus port ends the start-up with Redis's two lines, the
// second of which ("Failed listening on port N (cluster), aborting.") makes
// Redis's test suite retry on another port; compared with redis-server.
func TestBusyBusPortMessage(t *testing.T) {
	var port int
	var hold net.Listener
	for i := 0; hold == nil && i < 20; i++ {
		p, err := testutil.FreePort()
		testutil.NoErr(t, err)
		if p+10000 > 65535 {
			continue
		}
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+10000)); err == nil {
			port, hold = p, l
		}
	}
	if hold == nil {
		t.Skip("no free port pair")
	}
	defer hold.Close()
	tails := map[string]string{}
	for name, bin := range map[string]string{"redis": testutil.RedisBinary(), "shoal": testutil.ShoalServerPath(t)} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--dir", t.TempDir(), "--save", "")
		out, err := cmd.Output()
		cancel()
		testutil.True(t, err != nil, name+" did not fail")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		testutil.True(t, len(lines) >= 2, name+": "+string(out))
		for _, l := range lines[len(lines)-2:] {
			if i := strings.Index(l, " # "); i >= 0 { // drop "pid:M date time"
				l = l[i+3:]
			}
			tails[name] += l + "\n"
		}
	}
	testutil.Equal(t, tails["shoal"], tails["redis"])
	testutil.True(t, strings.Contains(tails["shoal"], fmt.Sprintf("Failed listening on port %d (cluster), aborting.", port+10000)), tails["shoal"])
}

// A dataset that cannot be loaded ends the process with the loader's error
// as the log's last line, as redis-server (an AOF with a format error).
func TestLoadErrorIsLastLine(t *testing.T) {
	last := map[string]string{}
	for name, bin := range map[string]string{"redis": testutil.RedisBinary(), "shoal": testutil.ShoalServerPath(t)} {
		dir := t.TempDir()
		aofDir := filepath.Join(dir, "appendonlydir")
		testutil.NoErr(t, os.MkdirAll(aofDir, 0o755))
		testutil.NoErr(t, os.WriteFile(filepath.Join(aofDir, "appendonly.aof.manifest"),
			[]byte("file appendonly.aof.1.incr.aof seq 1 type i\n"), 0o644))
		testutil.NoErr(t, os.WriteFile(filepath.Join(aofDir, "appendonly.aof.1.incr.aof"),
			[]byte("*3\r\n$3\r\nset\r\n$3\r\nfoo\r\n$5\r\nhello\r\n!!!"), 0o644))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, "--port", "0", "--unixsocket", filepath.Join(dir, "s.sock"),
			"--dir", dir, "--appendonly", "yes")
		out, err := cmd.Output()
		cancel()
		testutil.True(t, err != nil, name+" did not fail")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		l := lines[len(lines)-1]
		if i := strings.Index(l, " # "); i >= 0 {
			l = l[i+3:]
		}
		last[name] = l
	}
	testutil.Equal(t, last["shoal"], last["redis"])
	testutil.True(t, strings.HasPrefix(last["shoal"], "Bad file format reading the append only file"), last["shoal"])
}

// A relative logfile lands in dir, not in the directory the server was
// started from: Redis opens it after the config's dir took effect (Redis's
// cluster suite starts every instance from one directory with "dir
// ./redis_N" and "logfile log.txt", and reads each instance's own log).
func TestRelativeLogfileIsInDir(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			n := testutil.StartKind(t, kind, "--dir", dir, "--logfile", "log.txt")
			testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
				b, err := os.ReadFile(filepath.Join(dir, "log.txt"))
				if err != nil {
					return err
				}
				if !strings.Contains(string(b), "Ready to accept connections") {
					return fmt.Errorf("no ready line in dir/log.txt: %q", b)
				}
				return nil
			})
			_, err := os.Stat(filepath.Join(n.Dir, "log.txt"))
			testutil.True(t, os.IsNotExist(err), "log.txt in the start directory")
		})
	}
}
