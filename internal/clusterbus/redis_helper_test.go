package clusterbus

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// redisNode is one redis-server started in cluster mode by a test. Ports
// come from the caller, inside the range the project reserves for bus tests
// (client 17000-17099, bus 27000-27099); testutil's ephemeral ports would
// put bus ports past 65535.
type redisNode struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	id   string
}

// startClusterRedis starts redis-server with cluster-enabled on 127.0.0.1:port
// in a temp dir, waits (bounded) until it answers PING and reads its id.
// It is stopped by pid in t.Cleanup.
func startClusterRedis(t testing.TB, port int, extra ...string) *redisNode {
	t.Helper()
	testutil.SkipIfNoRedis(t)
	n := &redisNode{t: t, port: port, dir: t.TempDir(), done: make(chan struct{})}
	args := []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", n.dir,
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--logfile", "redis.log",
	}
	n.cmd = exec.Command(testutil.RedisBinary(), append(args, extra...)...)
	n.cmd.Dir = n.dir
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start redis on %d: %v", port, err)
	}
	go func() { n.cmd.Wait(); close(n.done) }()
	t.Cleanup(n.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out, err := n.cli("PING"); err == nil && out == "PONG" {
			break
		}
		select {
		case <-n.done:
			t.Fatalf("redis on %d exited:\n%s", port, n.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis on %d not ready:\n%s", port, n.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.id = n.mustCLI("CLUSTER", "MYID")
	return n
}

// cli runs one redis-cli command against the node, bounded by 5 s, and
// returns its trimmed output.
func (n *redisNode) cli(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testutil.RedisCLI(), append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(n.port)}, args...)...)
	out, err := cmd.CombinedOutput()
	s := strings.TrimSpace(string(out))
	if err == nil && strings.HasPrefix(s, "ERR") {
		err = errors.New(s)
	}
	return s, err
}

func (n *redisNode) mustCLI(args ...string) string {
	n.t.Helper()
	out, err := n.cli(args...)
	if err != nil {
		n.t.Fatalf("redis %d %q: %v: %s", n.port, args, err, out)
	}
	return out
}

// info returns field from CLUSTER INFO.
func (n *redisNode) clusterInfo(field string) string {
	out, _ := n.cli("CLUSTER", "INFO")
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), field+":"); ok {
			return v
		}
	}
	return ""
}

// signal sends sig to the node's pid.
func (n *redisNode) signal(sig syscall.Signal) {
	if n.cmd.Process != nil {
		syscall.Kill(n.cmd.Process.Pid, sig)
	}
}

// stop resumes a stopped process, sends SIGTERM, waits up to 5 s, then
// SIGKILLs; always by pid.
func (n *redisNode) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	n.signal(syscall.SIGCONT)
	n.signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		n.signal(syscall.SIGKILL)
		<-n.done
	}
	if n.t.Failed() {
		n.t.Logf("redis %d log:\n%s", n.port, n.logTail())
	}
}

func (n *redisNode) logTail() string {
	b, _ := os.ReadFile(n.dir + "/redis.log")
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// checkFor polls fn every 50 ms for up to total.
func checkFor(t testing.TB, total time.Duration, what string, fn func() bool) {
	t.Helper()
	testutil.Until(t, total, 50*time.Millisecond, what, fn)
}

// pickPorts returns n client ports from 17000-17099 whose port and bus port
// (port+10000) are both free on 127.0.0.1 right now. Other test processes
// share the range, so the scan starts at a pid-dependent offset; a lost race
// shows up as a failed start.
func pickPorts(t testing.TB, n int) []int {
	t.Helper()
	var out []int
	start := os.Getpid() % 100
	for i := 0; i < 100 && len(out) < n; i++ {
		p := 17000 + (start+i)%100
		if portFree(p) && portFree(p+10000) {
			out = append(out, p)
		}
	}
	if len(out) < n {
		t.Skipf("only %d free port pairs in 17000-17099", len(out))
	}
	return out
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
