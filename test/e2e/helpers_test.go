package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// EnvAgainstRedis, when set, points the tests that drive one server at
// redis-server instead of shoal-server. That validates the tests' own
// expectations against the reference: SHOAL_E2E_REDIS=1 go test ./test/e2e
const EnvAgainstRedis = "SHOAL_E2E_REDIS"

func againstRedis() bool { return os.Getenv(EnvAgainstRedis) != "" }

// startTarget starts the server under test: shoal-server, or redis-server
// under EnvAgainstRedis.
func startTarget(t testing.TB, args ...string) *testutil.Node {
	t.Helper()
	if againstRedis() {
		return testutil.StartRedis(t, args...)
	}
	return testutil.StartShoal(t, args...)
}

// toolTimeout bounds every run of an external client tool.
const toolTimeout = 60 * time.Second

// newClient returns a go-redis client for n speaking protocol proto (2 or
// 3), closed in t.Cleanup. Timeouts are bounded so that a hung server fails
// the test instead of hanging it.
func newClient(t testing.TB, n *testutil.Node, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         n.Addr,
		Protocol:     proto,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxRetries:   -1, // a retried command would hide a dropped connection
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// ownConn returns a connection of its own client, for state that must not
// leak back into a shared pool (SELECT, CLIENT SETNAME, SUBSCRIBE, MULTI).
func ownConn(t testing.TB, n *testutil.Node, proto int) *redis.Conn {
	t.Helper()
	conn := newClient(t, n, proto).Conn()
	t.Cleanup(func() { conn.Close() })
	return conn
}

// ctxT returns a context cancelled after d or at the end of the test.
func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// wantRedisErr fails the test unless err is a server error reply whose
// text is exactly want.
func wantRedisErr(t testing.TB, err error, want string) {
	t.Helper()
	var re redis.Error
	if !errors.As(err, &re) {
		t.Fatalf("got error %v (%T), want server error %q", err, err, want)
	}
	if re.Error() != want {
		t.Fatalf("got server error %q, want %q", re.Error(), want)
	}
}

// cmd is a go-redis command with a typed result.
type cmd[T any] interface {
	Result() (T, error)
	Args() []any
}

// val returns c's value, failing the test if c returned an error
// (redis.Nil included).
func val[T any](t testing.TB, c cmd[T]) T {
	t.Helper()
	v, err := c.Result()
	if err != nil {
		t.Fatalf("%v: %v", c.Args(), err)
	}
	return v
}

// must is for calls that are not commands: must(f())(t) returns f's value,
// failing the test if f returned an error. (Go passes a multi-value call
// only as the sole argument, hence the second call.)
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// skipIfUnknown skips the test when err is Redis's "unknown command" error,
// for command families not merged into shoal-server yet.
func skipIfUnknown(t testing.TB, err error) {
	t.Helper()
	if err != nil && strings.HasPrefix(err.Error(), "ERR unknown command") {
		t.Skipf("not implemented in this tree yet: %v", err)
	}
}

// toolResult is what one run of an external tool did.
type toolResult struct {
	Stdout, Stderr string
	Code           int
}

// runTool runs bin with args and stdin (may be nil) under toolTimeout and
// returns its output and exit code. A timeout or a failure to start fails
// the test; a non-zero exit does not.
func runTool(t testing.TB, stdin io.Reader, bin string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q: still running after %v\nstdout:\n%s\nstderr:\n%s", bin, args, toolTimeout, out.String(), errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	return toolResult{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
}

// cli runs redis-cli against port with args.
func cli(t testing.TB, stdin io.Reader, port int, args ...string) toolResult {
	t.Helper()
	bin := testutil.RedisCLI()
	if bin == "" {
		testutil.SkipIfNoRedis(t)
	}
	return runTool(t, stdin, bin, append([]string{"-p", strconv.Itoa(port)}, args...)...)
}

// rawOutcome is what a server did with some raw bytes: everything it wrote
// back and whether it then closed the connection.
type rawOutcome struct {
	Reply  string
	Closed bool
}

// rawExchange dials addr, writes data (then half-closes when halfClose is
// set) and reads until the server closes the connection or has been silent
// for quiet.
func rawExchange(t testing.TB, addr string, data []byte, halfClose bool, quiet time.Duration) rawOutcome {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(data); err != nil {
		t.Fatalf("write to %s: %v", addr, err)
	}
	if halfClose {
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
	}
	var out rawOutcome
	buf := make([]byte, 64<<10)
	for {
		if err := c.SetReadDeadline(time.Now().Add(quiet)); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		out.Reply += string(buf[:n])
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &ne) && ne.Timeout():
			return out
		default: // EOF or reset: the server closed the connection
			out.Closed = true
			return out
		}
	}
}

// wantNil fails the test unless err is redis.Nil (a nil reply).
func wantNil(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("got %v, want redis.Nil", err)
	}
}
