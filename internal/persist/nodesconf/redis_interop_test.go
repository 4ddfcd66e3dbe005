//go:build unix

package nodesconf

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Interop tests against a real redis-server (7.0.15), skipped with -short or
// when it is not installed. They use loopback ports 16420-16429.

type redisProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
	port   int
}

func startRedis(t *testing.T, dir string, port int) *redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil || testing.Short() {
		t.Skip("needs redis-server and no -short")
	}
	p := &redisProc{exited: make(chan struct{}), log: filepath.Join(dir, "redis.log"), port: port}
	p.cmd = exec.Command(bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no", "--logfile", p.log)
	p.cmd.Dir = dir
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// ready waits (bounded) until the server answers PING, or reports its exit.
func (p *redisProc) ready(t *testing.T) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return false
		default:
		}
		if out, err := p.do("PING"); err == nil && out == "+PONG" {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis on %d neither ready nor exited", p.port)
	return false
}

// waitExit waits (bounded) for the server to exit and returns its log.
func (p *redisProc) waitExit(t *testing.T) string {
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("redis on %d did not exit", p.port)
	}
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// do sends an inline command and returns the first reply line.
func (p *redisProc) do(cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.port), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line, err
}

// TestRedisRefusesLockedFile: a redis-server pointed at a nodes.conf we hold
// with Lock exits with its "already used" message.
func TestRedisRefusesLockedFile(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(filepath.Join(dir, "nodes.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	p := startRedis(t, dir, 16420)
	log := p.waitExit(t)
	if !strings.Contains(log, "Sorry, the cluster configuration file nodes.conf is already used by a different Redis Cluster node.") {
		t.Fatalf("redis did not refuse the locked file; log:\n%s", log)
	}
}

// TestRedisLoadsOurFile: redis-server starts on a file we Marshal and
// WriteAtomic, and saves back the same myself state.
func TestRedisLoadsOurFile(t *testing.T) {
	dir := t.TempDir()
	in := idA + " 127.0.0.1:16421@26421 myself,master - 0 0 4 connected 0-99 200 [150-<-" + idB + "] [200->-" + idB + "]\n" +
		idB + " 127.0.0.1:16422@26422,b.example master - 0 0 2 disconnected 100-199\n" +
		"vars currentEpoch 4 lastVoteEpoch 3\n"
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(filepath.Join(dir, "nodes.conf"), f.Marshal()); err != nil {
		t.Fatal(err)
	}
	p := startRedis(t, dir, 16421)
	if !p.ready(t) {
		t.Fatalf("redis refused our file:\n%s", p.waitExit(t))
	}
	if out, err := p.do("CLUSTER SAVECONFIG"); err != nil || out != "+OK" {
		t.Fatalf("SAVECONFIG: %q %v", out, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "nodes.conf"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("redis's rewrite does not parse: %v\n%s", err, data)
	}
	if back.CurrentEpoch != 4 || back.LastVoteEpoch != 3 || len(back.Nodes) != 2 {
		t.Fatalf("redis wrote:\n%s", data)
	}
	for _, n := range back.Nodes {
		var want Node
		for _, w := range f.Nodes {
			if w.ID == n.ID {
				want = w
			}
		}
		// Redis keeps identity, address, flags, epochs, slots and marks; it
		// recomputes ping/pong and link state at runtime.
		n.PingSent, n.PongRecv, n.LinkState = want.PingSent, want.PongRecv, want.LinkState
		if !reflect.DeepEqual(n, want) {
			t.Errorf("redis saved %+v\nwe wrote     %+v", n, want)
		}
	}
}

// TestRedisRejectsWhatWeReject: files both Redis and Parse refuse.
func TestRedisRejectsWhatWeReject(t *testing.T) {
	for i, in := range []string{
		idA + " 127.0.0.1:16423@26423 myself,master - 0 0 0\n",                              // 7 fields
		"not-an-id 127.0.0.1:16423@26423 myself,master - 0 0 0 connected\n",                 // bad ID
		idA + " 127.0.0.1:16423@26423 master - 0 0 0 connected\n",                           // no myself
		idA + " 127.0.0.1:16423@26423 myself,master - 0 0 0 connected 16384\n",              // slot range
		idA + " 127.0.0.1:16423@26423 myself,master - 0 0 0 connected [5->-abc]\n",          // mark target
		idA + " 127.0.0.1:16423@26423 myself,master - 0 0 0 connected\nvars currentEpoch\n", // odd vars
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("case %d: Parse accepted %q", i, in)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "nodes.conf"), []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		p := startRedis(t, dir, 16423+i%5)
		if log := p.waitExit(t); !strings.Contains(log, "Unrecoverable error: corrupted cluster config file.") {
			t.Errorf("case %d: redis log lacks the corrupt-file message:\n%s", i, log)
		}
	}
}
