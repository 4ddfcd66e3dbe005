package clusternode

import (
	"bufio"
	"errors"
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

// conn is a raw RESP connection: Do sends one command and returns the raw
// bytes of one reply.
type conn struct {
	t  testing.TB
	c  net.Conn
	rd *bufio.Reader
}

func dial(t testing.TB, port int) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c, rd: bufio.NewReader(c)}
}

func (c *conn) Do(args ...string) string {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.c.Write([]byte(b.String())); err != nil {
		c.t.Fatal(err)
	}
	var out strings.Builder
	if err := readReply(c.rd, &out); err != nil {
		c.t.Fatalf("%q: %v", args, err)
	}
	return out.String()
}

// readReply copies one whole RESP2/RESP3 reply from r to out.
func readReply(r *bufio.Reader, out *strings.Builder) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	out.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return err
		}
		out.Write(buf)
		return nil
	case '*', '~', '>', '%', '|':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, out); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("bad reply line %q", line)
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// proc is a server process (redis-server or shoal-server) on a loopback port.
type proc struct {
	cmd    *exec.Cmd
	port   int
	dir    string
	exited chan struct{}
}

// startProc starts bin in dir with the usual cluster flags plus extra;
// it is stopped by pid when the test ends.
func startProc(t testing.TB, bin, dir string, port int, extra ...string) *proc {
	t.Helper()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	logf, _ := os.Create(filepath.Join(dir, "log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, port: port, dir: dir, exited: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			b, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("%s on %d exited:\n%s", bin, port, b)
		default:
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s on %d did not start", bin, port)
	return nil
}

func (p *proc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// checkFor polls fn every poll until it returns "" or total elapses; the
// test fails with fn's last message.
func checkFor(t testing.TB, total, poll time.Duration, fn func() string) {
	t.Helper()
	testutil.CheckFor(t, total, poll, func() error {
		if msg := fn(); msg != "" {
			return errors.New(msg)
		}
		return nil
	})
}

func needRedis(t testing.TB) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil || testing.Short() {
		t.Skip("needs redis-server and no -short")
	}
	return bin
}
