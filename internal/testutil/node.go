package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for process control. They bound every wait in this file.
const (
	StartTimeout = 10 * time.Second // until PING answers PONG
	StopTimeout  = 10 * time.Second // after SIGTERM, before SIGKILL
	bindRetries  = 5                // fresh ports tried when a port is taken
)

// Node is one running redis-server or shoal-server process.
type Node struct {
	Addr string    // "127.0.0.1:port"
	Port int       // TCP port, on 127.0.0.1
	Dir  string    // working directory (--dir), a t.TempDir
	Pid  int       // process id of the current incarnation
	Cmd  *exec.Cmd // the current incarnation
	Log  string    // path of the file receiving stdout and stderr

	t    testing.TB
	name string   // "redis" or "shoal", for messages
	bin  string   // binary path
	args []string // extra args given by the test

	mu      sync.Mutex
	done    chan struct{} // closed when Cmd has been waited for
	waitErr error
	stopped bool // a deliberate Stop or Kill is in progress or done
}

// StartRedis starts redis-server on a free loopback port and waits until it
// answers PING. args are appended to the harness's own
// "--port N --bind 127.0.0.1 --save "" --appendonly no --dir D --enable-debug-command yes"; a first
// arg not starting with "--" is taken as a config file and passed first.
func StartRedis(t testing.TB, args ...string) *Node {
	t.Helper()
	SkipIfNoRedis(t)
	return startNode(t, "redis", RedisBinary(), args)
}

// StartShoal is StartRedis for shoal-server, built by BuildBinaries (and
// skipped while cmd/shoal-server does not exist).
func StartShoal(t testing.TB, args ...string) *Node {
	t.Helper()
	return startNode(t, "shoal", ShoalServerPath(t), args)
}

// StartShoalRace is StartShoal for the race-enabled build
// (BuildRaceBinaries); check Node.RaceReports before the test ends.
func StartShoalRace(t testing.TB, args ...string) *Node {
	t.Helper()
	return startNode(t, "shoal", ShoalServerRacePath(t), args)
}

// StartShoalRaceAt is StartShoalAt for the race-enabled build.
func StartShoalRaceAt(t testing.TB, port int, args ...string) *Node {
	t.Helper()
	return startNodeAt(t, "shoal", ShoalServerRacePath(t), port, args)
}

// raceMark starts every report of Go's race detector.
const raceMark = "WARNING: DATA RACE"

// RaceReports returns the race detector's reports in the node's log (all
// incarnations), or "" when there are none. Only a race-enabled build
// (StartShoalRace) writes them.
func (n *Node) RaceReports() string {
	b := n.readLog()
	i := bytes.Index(b, []byte(raceMark))
	if i < 0 {
		return ""
	}
	return string(b[i:])
}

func startNode(t testing.TB, name, bin string, args []string) *Node {
	t.Helper()
	n := &Node{t: t, name: name, bin: bin, args: args, Dir: t.TempDir()}
	n.Log = filepath.Join(n.Dir, name+".log")
	t.Cleanup(n.cleanup)
	var err error
	for range bindRetries {
		var port int
		if port, err = FreePort(); err != nil {
			break
		}
		if err = n.start(port); !errors.Is(err, errAddrInUse) {
			break
		}
	}
	if err != nil {
		t.Fatalf("start %s: %v\n%s", name, err, n.logTail())
	}
	return n
}

// StartShoalAt is StartShoal on a fixed port, for tests that need known
// ports (a cluster node's bus port is port+10000, which must fall in the
// test's own range too). A busy port fails the test; there is no retry.
func StartShoalAt(t testing.TB, port int, args ...string) *Node {
	t.Helper()
	return startNodeAt(t, "shoal", ShoalServerPath(t), port, args)
}

// StartRedisAt is StartRedis on a fixed port; see StartShoalAt.
func StartRedisAt(t testing.TB, port int, args ...string) *Node {
	t.Helper()
	SkipIfNoRedis(t)
	return startNodeAt(t, "redis", RedisBinary(), port, args)
}

// StartKindAt is StartShoalAt or StartRedisAt by kind, "shoal" or "redis":
// for tests that build clusters of either or both.
func StartKindAt(t testing.TB, kind string, port int, args ...string) *Node {
	t.Helper()
	switch kind {
	case "shoal":
		return StartShoalAt(t, port, args...)
	case "redis":
		return StartRedisAt(t, port, args...)
	}
	t.Fatalf("unknown node kind %q", kind)
	return nil
}

// StartKind is StartShoal or StartRedis by kind, "shoal" or "redis": for
// tests that run the same steps on both and compare.
func StartKind(t testing.TB, kind string, args ...string) *Node {
	t.Helper()
	switch kind {
	case "shoal":
		return StartShoal(t, args...)
	case "redis":
		return StartRedis(t, args...)
	}
	t.Fatalf("unknown node kind %q", kind)
	return nil
}

func startNodeAt(t testing.TB, name, bin string, port int, args []string) *Node {
	t.Helper()
	n := &Node{t: t, name: name, bin: bin, args: args, Dir: t.TempDir()}
	n.Log = filepath.Join(n.Dir, name+".log")
	t.Cleanup(n.cleanup)
	if err := n.start(port); err != nil {
		t.Fatalf("start %s on port %d: %v\n%s", name, port, err, n.logTail())
	}
	return n
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago. The
// caller must cope with losing a race for it (startNode retries).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var errAddrInUse = errors.New("address already in use")

// argv is the command line for port.
func (n *Node) argv(port int) []string {
	var argv []string
	extra := n.args
	if len(extra) > 0 && len(extra[0]) > 0 && extra[0][0] != '-' {
		argv = append(argv, extra[0]) // config file comes first
		extra = extra[1:]
	}
	// DEBUG is allowed, as in Redis's own test suite; a test of the
	// default passes "--enable-debug-command", "no" (the last one wins).
	argv = append(argv,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", n.Dir,
		"--enable-debug-command", "yes")
	return append(argv, extra...)
}

// start launches one incarnation on port and waits until it is ready.
func (n *Node) start(port int) error {
	logf, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	fmt.Fprintf(logf, "=== harness: %s %q\n", n.bin, n.argv(port))
	cmd := exec.Command(n.bin, n.argv(port)...)
	cmd.Dir = n.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	n.mu.Lock()
	n.Cmd, n.Pid, n.Port = cmd, cmd.Process.Pid, port
	n.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	n.done, n.waitErr, n.stopped = done, nil, false
	n.mu.Unlock()
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		n.waitErr = err
		n.mu.Unlock()
		close(done)
	}()

	deadline := time.Now().Add(StartTimeout)
	for {
		select {
		case <-done:
			if bytes.Contains(n.readLog(), []byte("Address already in use")) {
				return errAddrInUse
			}
			return fmt.Errorf("%s exited before it was ready: %v", n.name, n.exitErr())
		default:
		}
		perr := Ping(n.Addr, 500*time.Millisecond)
		if perr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			n.signalAndWait(syscall.SIGKILL, StopTimeout)
			return fmt.Errorf("%s not answering PING on %s after %v: %v", n.name, n.Addr, StartTimeout, perr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *Node) exitErr() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.waitErr
}

// Running reports whether the current incarnation is still alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// signalAndWait sends sig to the process and waits up to d for it to exit.
// It reports whether the process has exited.
func (n *Node) signalAndWait(sig syscall.Signal, d time.Duration) bool {
	n.mu.Lock()
	cmd, done := n.Cmd, n.done
	n.mu.Unlock()
	if cmd == nil || done == nil {
		return true
	}
	select {
	case <-done:
		return true
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// Stop sends SIGTERM and waits up to StopTimeout, then SIGKILLs. It fails
// the test if the process survives even that.
func (n *Node) Stop() {
	n.t.Helper()
	n.setStopped()
	if n.signalAndWait(syscall.SIGTERM, StopTimeout) {
		return
	}
	n.t.Logf("%s pid %d ignored SIGTERM for %v; killing", n.name, n.Pid, StopTimeout)
	n.Kill()
}

// Kill sends SIGKILL and waits (bounded) for the process to go.
func (n *Node) Kill() {
	n.t.Helper()
	n.setStopped()
	if !n.signalAndWait(syscall.SIGKILL, StopTimeout) {
		n.t.Errorf("%s pid %d still alive %v after SIGKILL", n.name, n.Pid, StopTimeout)
	}
}

func (n *Node) setStopped() {
	n.mu.Lock()
	n.stopped = true
	n.mu.Unlock()
}

// Restart stops the node (if running) and starts it again with the same
// port, directory and arguments, waiting until it answers PING.
func (n *Node) Restart() {
	n.t.Helper()
	n.Stop()
	var err error
	// The port was ours a moment ago; another process grabbing it in
	// between is unlikely but possible, so retry briefly.
	for range bindRetries {
		if err = n.start(n.Port); !errors.Is(err, errAddrInUse) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		n.t.Fatalf("restart %s: %v\n%s", n.name, err, n.logTail())
	}
}

func (n *Node) cleanup() {
	n.mu.Lock()
	deliberate := n.stopped
	n.mu.Unlock()
	if n.Cmd != nil && !n.Running() && !deliberate {
		n.t.Logf("%s pid %d (%s) exited on its own: %v", n.name, n.Pid, n.Addr, n.exitErr())
	}
	n.Stop()
	if n.t.Failed() {
		n.t.Logf("%s %s log (%s):\n%s", n.name, n.Addr, n.Log, n.logTail())
	}
}

func (n *Node) readLog() []byte {
	b, _ := os.ReadFile(n.Log)
	return b
}

// logTail returns the last 200 lines of the node's log.
func (n *Node) logTail() string {
	b := n.readLog()
	const maxLines = 200
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > maxLines {
		lines = append([][]byte{[]byte("...")}, lines[len(lines)-maxLines:]...)
	}
	return string(bytes.Join(lines, []byte("\n")))
}
