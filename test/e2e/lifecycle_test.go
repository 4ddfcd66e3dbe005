package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
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

// exitTimeout is how long a server may take to exit after SIGTERM or
// SHUTDOWN.
const exitTimeout = 5 * time.Second

// servers are the two kinds of node the lifecycle tests run against, so
// that each expectation is shown to hold for redis-server too.
var servers = []struct {
	name  string
	start func(testing.TB, ...string) *testutil.Node
}{
	{"redis", testutil.StartRedis},
	{"shoal", testutil.StartShoal},
}

// writeConf writes a redis.conf with lines into a temp dir and returns its
// path.
func writeConf(t testing.TB, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.conf")
	testutil.NoErr(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return path
}

// waitExit waits up to exitTimeout for n to exit and returns its exit code.
// It then marks the node stopped, so that cleanup does not report it.
func waitExit(t *testing.T, n *testutil.Node) int {
	t.Helper()
	start := time.Now()
	testutil.CheckFor(t, exitTimeout, 10*time.Millisecond, func() error {
		if n.Running() {
			return fmt.Errorf("pid %d still running %v later", n.Pid, time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
	n.Stop() // already gone: only records that the exit was expected
	return n.Cmd.ProcessState.ExitCode()
}

// logHas waits until n's log contains s.
func logHas(t *testing.T, n *testutil.Node, s string) {
	t.Helper()
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		b, err := os.ReadFile(n.Log)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte(s)) {
			return fmt.Errorf("log %s has no %q", n.Log, s)
		}
		return nil
	})
}

// TestConfigFileAndSignals starts a node from a five-line redis.conf. The
// harness's --port overrides the file's port. The node logs that it is
// ready, and exits 0 soon after SIGTERM or SIGINT.
func TestConfigFileAndSignals(t *testing.T) {
	t.Parallel()
	for _, srv := range servers {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(srv.name+"/"+sigName(sig), func(t *testing.T) {
				t.Parallel()
				filePort := must(testutil.FreePort())(t)
				conf := writeConf(t,
					"port "+strconv.Itoa(filePort),
					"bind 127.0.0.1",
					`save ""`,
					"appendonly no",
					"loglevel notice")
				n := srv.start(t, conf)
				logHas(t, n, "Ready to accept connections")

				c := n.Dial(t)
				testutil.Equal(t, c.MustDo(t, "CONFIG", "GET", "port").String(), fmt.Sprintf(`["port", "%d"]`, n.Port))
				testutil.Equal(t, c.MustDo(t, "CONFIG", "GET", "loglevel").String(), `["loglevel", "notice"]`)
				testutil.Equal(t, c.MustDo(t, "CONFIG", "GET", "bind").String(), `["bind", "127.0.0.1"]`)
				info := string(c.MustDo(t, "INFO", "server").Str)
				testutil.True(t, strings.Contains(info, "\r\nconfig_file:"+conf+"\r\n"), "INFO server has no config_file:"+conf+"\n"+info)
				testutil.True(t, strings.Contains(info, fmt.Sprintf("\r\ntcp_port:%d\r\n", n.Port)), "INFO server tcp_port is not the --port value")
				if nc, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(filePort)), time.Second); err == nil {
					nc.Close()
					t.Fatalf("something listens on the config file's port %d; --port %d should have replaced it", filePort, n.Port)
				}
				c.Close()

				testutil.NoErr(t, syscall.Kill(n.Pid, sig))
				testutil.Equal(t, waitExit(t, n), 0)
				logHas(t, n, "Received "+sigName(sig)+" scheduling shutdown...")
				logHas(t, n, "ready to exit, bye bye...")
			})
		}
	}
}

func sigName(s syscall.Signal) string {
	if s == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

// TestShutdownCommand stops a node with redis-cli SHUTDOWN (and SHUTDOWN
// NOSAVE); redis-cli's output and exit code match redis-server's, and the
// server exits 0.
func TestShutdownCommand(t *testing.T) {
	t.Parallel()
	var outs []toolResult
	for _, srv := range servers {
		for _, args := range [][]string{{"shutdown"}, {"shutdown", "nosave"}} {
			n := srv.start(t)
			cli(t, nil, n.Port, "set", "k", "v")
			res := cli(t, nil, n.Port, args...)
			testutil.Equal(t, waitExit(t, n), 0)
			logHas(t, n, "User requested shutdown...")
			outs = append(outs, res)
		}
	}
	// redis: shutdown, shutdown nosave; shoal: the same.
	sameTool(t, outs[2], outs[0])
	sameTool(t, outs[3], outs[1])
}

// badConfigs are config files redis-server refuses to start with.
var badConfigs = []struct {
	name  string
	lines []string
	want  string // part of the FATAL block
}{
	{"bad directive", []string{"port 7777", "bogus-directive yes"}, "Reading the configuration file, at line 2\n>>> 'bogus-directive yes'\nBad directive or wrong number of arguments\n"},
	{"bad integer", []string{"port abc"}, ">>> 'port abc'\nargument couldn't be parsed into an integer\n"},
	{"bad enum", []string{"loglevel loud"}, ">>> 'loglevel loud'\nargument(s) must be one of the following: debug, verbose, notice, warning\n"},
	{"bad bool", []string{`save ""`, "appendonly maybe"}, "at line 2\n>>> 'appendonly maybe'\nargument must be 'yes' or 'no'\n"},
	{"missing argument", []string{"port"}, ">>> 'port'\nwrong number of arguments\n"},
}

// TestBadConfigFile: a config file error stops the server at once with a
// non-zero status and Redis's "*** FATAL CONFIG FILE ERROR" block on
// stderr. The server is run directly (it must exit by itself; the context
// kills it if it does not), with a free loopback port in case it starts.
func TestBadConfigFile(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	shoal := testutil.ShoalServerPath(t)
	for _, tc := range badConfigs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := writeConf(t, tc.lines...)
			var res [2]toolResult
			for i, bin := range []string{testutil.RedisBinary(), shoal} {
				res[i] = runServer(t, bin, conf)
				r := res[i]
				testutil.True(t, r.Code != 0, fmt.Sprintf("%s exited 0 with a bad config", bin))
				testutil.True(t, strings.HasPrefix(r.Stderr, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"), fmt.Sprintf("%s stderr: %q", bin, r.Stderr))
				testutil.True(t, strings.Contains(r.Stderr, tc.want), fmt.Sprintf("%s stderr %q does not contain %q", bin, r.Stderr, tc.want))
			}
			testutil.Equal(t, res[1].Code, res[0].Code)
			t.Run("byte-exact", func(t *testing.T) {
				testutil.Equal(t, res[1].Stdout, res[0].Stdout)
				testutil.Equal(t, res[1].Stderr, res[0].Stderr)
			})
		})
	}
}

// runServer runs a server binary with conf, expecting it to exit by itself
// within exitTimeout.
func runServer(t *testing.T, bin, conf string) toolResult {
	t.Helper()
	port := must(testutil.FreePort())(t)
	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, conf, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not exit within %v (it should refuse the config)\nstdout:\n%s\nstderr:\n%s", bin, conf, exitTimeout, out.String(), errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return toolResult{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
}
