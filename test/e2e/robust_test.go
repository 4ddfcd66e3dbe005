package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// quietWait is how long a connection must stay silent to count as "the
// server is waiting for more input".
const quietWait = 300 * time.Millisecond

// badInputs are broken or hostile byte streams. Each one's outcome (the
// bytes sent back, and whether the connection was then closed) must be
// exactly redis-server's.
var badInputs = []struct {
	name      string
	data      string
	halfClose bool   // shut down our write side after sending
	wantErr   string // a reply redis is known to give, checked on both
	closed    bool   // redis closes the connection
}{
	{name: "garbage bytes", data: "\xff\xfe\xfd garbage\r\n"},
	{name: "garbage with NUL waits", data: "\x00\x01\x02\r\n"},
	{name: "multibulk count not a number", data: "*abc\r\n", wantErr: "-ERR Protocol error: invalid multibulk length\r\n", closed: true},
	{name: "oversized multibulk count", data: "*2147483648\r\n", wantErr: "-ERR Protocol error: invalid multibulk length\r\n", closed: true},
	{name: "multibulk count too long", data: "*" + strings.Repeat("1", 70000), wantErr: "-ERR Protocol error: too big mbulk count string\r\n", closed: true},
	{name: "bulk length not a number", data: "*1\r\n$x\r\n", wantErr: "-ERR Protocol error: invalid bulk length\r\n", closed: true},
	{name: "negative bulk length", data: "*1\r\n$-1\r\n", wantErr: "-ERR Protocol error: invalid bulk length\r\n", closed: true},
	{name: "oversized bulk length", data: "*1\r\n$536870913\r\n", wantErr: "-ERR Protocol error: invalid bulk length\r\n", closed: true},
	{name: "bulk length too long", data: "*1\r\n$" + strings.Repeat("1", 70000), wantErr: "-ERR Protocol error: too big bulk count string\r\n", closed: true},
	{name: "expected dollar", data: "*1\r\n+PING\r\n", wantErr: "-ERR Protocol error: expected '$', got '+'\r\n", closed: true},
	{name: "unbalanced double quote", data: "SET \"a b\r\n", wantErr: "-ERR Protocol error: unbalanced quotes in request\r\n", closed: true},
	{name: "unbalanced single quote", data: "SET 'a\r\n", wantErr: "-ERR Protocol error: unbalanced quotes in request\r\n", closed: true},
	{name: "nothing runs after a protocol error", data: "PING\r\nSET \"a\r\nSET after 1\r\n", wantErr: "+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n", closed: true},
	{name: "too big inline request", data: strings.Repeat("A", 70000), wantErr: "-ERR Protocol error: too big inline request\r\n", closed: true},
	{name: "truncated bulk then close", data: "*2\r\n$3\r\nGET\r\n$5\r\nab", halfClose: true, closed: true},
	{name: "truncated multibulk then close", data: "*3\r\n$3\r\nSET\r\n", halfClose: true, closed: true},
	{name: "bulk longer than declared", data: "*1\r\n$4\r\nPINGXX\r\n"},
	{name: "empty lines and bare LF", data: "\r\n\r\nPING\nECHO x\r\n", wantErr: "+PONG\r\n$1\r\nx\r\n"},
	{name: "empty multibulk", data: "*0\r\n*-1\r\nPING\r\n", wantErr: "+PONG\r\n"},
}

// TestRobustness sends each bad input to redis-server and to shoal-server
// and compares what happens, while a second client on shoal runs SET/GET in
// a loop and must never see an error or a wrong value. Afterwards the shoal
// process is alive and answers PING.
func TestRobustness(t *testing.T) {
	t.Parallel()
	robustness(t, startTarget(t))
}

// TestRobustnessGoroutineIO is TestRobustness with the goroutine transport.
func TestRobustnessGoroutineIO(t *testing.T) { robustness(t, startGoroutineIO(t)) }

// startGoroutineIO starts shoal-server with its portable transport, a
// goroutine per connection (SHOAL_IO=goroutine), instead of the default
// epoll event loops. The test cannot be parallel: the variable reaches the
// child through this process's environment.
func startGoroutineIO(t *testing.T) *testutil.Node {
	t.Helper()
	if againstRedis() {
		t.Skip("SHOAL_IO is a shoal-server switch")
	}
	t.Setenv("SHOAL_IO", "goroutine")
	return testutil.StartShoal(t)
}

func robustness(t *testing.T, sh *testutil.Node) {
	rd := testutil.StartRedis(t)
	stop := make(chan struct{})
	var ops atomic.Int64
	loopErr := make(chan error, 1)
	go func() { loopErr <- setGetLoop(sh.Addr, stop, &ops) }()

	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			want := rawExchange(t, rd.Addr, []byte(tc.data), tc.halfClose, quietWait)
			got := rawExchange(t, sh.Addr, []byte(tc.data), tc.halfClose, quietWait)
			if got != want {
				t.Fatalf("shoal and redis differ on %q\nshoal: %q closed=%v\nredis: %q closed=%v",
					clip(tc.data), got.Reply, got.Closed, want.Reply, want.Closed)
			}
			if tc.wantErr != "" {
				testutil.Equal(t, got.Reply, tc.wantErr)
			}
			testutil.Equal(t, got.Closed, tc.closed)
		})
	}
	// The command after the protocol error did not run.
	c := sh.Dial(t)
	testutil.Equal(t, c.MustDo(t, "EXISTS", "after").String(), "(integer) 0")

	close(stop)
	testutil.NoErr(t, <-loopErr)
	testutil.True(t, ops.Load() > 0, "the SET/GET loop made no progress")
	t.Logf("SET/GET loop: %d round trips, no errors", ops.Load())
	testutil.True(t, sh.Running(), "shoal-server exited")
	testutil.NoErr(t, testutil.Ping(sh.Addr, 5*time.Second))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// setGetLoop writes and reads back a counter over one connection until stop
// is closed, returning the first error or wrong value.
func setGetLoop(addr string, stop <-chan struct{}, ops *atomic.Int64) error {
	c, err := testutil.DialTimeout(addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		v := strconv.Itoa(i)
		if r, err := c.Do("SET", "loop", v); err != nil || r.String() != "OK" {
			return fmt.Errorf("SET loop %s: %v %v", v, r, err)
		}
		if r, err := c.Do("GET", "loop"); err != nil || string(r.Str) != v {
			return fmt.Errorf("GET loop: %v %v, want %s", r, err, v)
		}
		ops.Add(1)
	}
}

// TestConnectionChurn closes a few connections and at once opens a new one
// that must be served, many times over: closing a connection must never
// affect another one that happens to reuse its file descriptor.
func TestConnectionChurn(t *testing.T) {
	t.Parallel()
	connectionChurn(t, startTarget(t))
}

// TestConnectionChurnGoroutineIO is TestConnectionChurn with the goroutine
// transport.
func TestConnectionChurnGoroutineIO(t *testing.T) { connectionChurn(t, startGoroutineIO(t)) }

func connectionChurn(t *testing.T, n *testutil.Node) {
	const rounds, batch = 300, 5
	for round := range rounds {
		for range batch {
			c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
			testutil.NoErr(t, err)
			v, err := c.Do("PING")
			testutil.NoErr(t, err)
			testutil.Equal(t, v.String(), "PONG")
			c.Close()
		}
		c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
		testutil.NoErr(t, err)
		v, err := c.Do("PING")
		c.Close()
		if err != nil || v.String() != "PONG" {
			t.Fatalf("round %d: a fresh connection's PING got %v, %v", round, v, err)
		}
	}
}

// TestManyConnections opens 1000 connections at once, each doing a PING,
// closes them all, and checks that the server forgets every one: CLIENT
// LIST and connected_clients are back to the observer alone.
func TestManyConnections(t *testing.T) {
	t.Parallel()
	manyConnections(t, startTarget(t))
}

// TestManyConnectionsGoroutineIO is TestManyConnections with the goroutine
// transport.
func TestManyConnectionsGoroutineIO(t *testing.T) { manyConnections(t, startGoroutineIO(t)) }

func manyConnections(t *testing.T, n *testutil.Node) {
	const conns = 1000
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	ready := make(chan struct{})
	held := make([]net.Conn, conns)
	for i := range conns {
		wg.Go(func() {
			c, err := testutil.DialTimeout(n.Addr, 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			held[i] = c.C
			c.Timeout = 10 * time.Second
			if v, err := c.Do("PING"); err != nil || v.String() != "PONG" {
				errs <- fmt.Errorf("PING on connection %d: %v %v", i, v, err)
			}
			<-ready // keep all of them open at the same time
		})
	}
	obs := n.Dial(t)
	testutil.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if got := clientCount(t, obs); got < conns+1 {
			return fmt.Errorf("%d clients connected, want %d", got, conns+1)
		}
		return nil
	})
	close(ready)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Close in random order, some with unread replies pending.
	rand.Shuffle(len(held), func(i, j int) { held[i], held[j] = held[j], held[i] })
	for i, c := range held {
		if i%3 == 0 {
			_, _ = c.Write([]byte("PING\r\n"))
		}
		c.Close()
	}
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if got := clientCount(t, obs); got != 1 {
			return fmt.Errorf("CLIENT LIST has %d clients after closing all, want 1", got)
		}
		return nil
	})
	info := obs.MustDo(t, "INFO", "clients")
	testutil.True(t, bytes.Contains(info.Str, []byte("connected_clients:1\r\n")), "INFO clients: "+string(info.Str))
}

// clientCount is the number of lines of CLIENT LIST.
func clientCount(t testing.TB, c *testutil.Conn) int {
	t.Helper()
	v := c.MustDo(t, "CLIENT", "LIST")
	testutil.Equal(t, v.Kind, resp.KindBulk)
	return len(strings.Split(strings.TrimSpace(string(v.Str)), "\n"))
}

// TestLargeValue stores a 10 MB value and reads it back intact, with
// go-redis and with a raw connection.
func TestLargeValue(t *testing.T) {
	t.Parallel()
	largeValue(t, startTarget(t))
}

// TestLargeValueGoroutineIO is TestLargeValue with the goroutine transport.
func TestLargeValueGoroutineIO(t *testing.T) { largeValue(t, startGoroutineIO(t)) }

func largeValue(t *testing.T, n *testutil.Node) {
	const size = 10 << 20
	val := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range val {
		val[i] = byte(r.UintN(256))
	}
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := ctxT(t, 30*time.Second)
			c := newClient(t, n, proto)
			key := fmt.Sprintf("big%d", proto)
			testutil.Equal(t, must(c.Set(ctx, key, val, 0).Result())(t), "OK")
			got := must(c.Get(ctx, key).Bytes())(t)
			testutil.True(t, bytes.Equal(got, val), fmt.Sprintf("GET returned %d bytes, not the %d stored", len(got), size))
			testutil.Equal(t, must(c.StrLen(ctx, key).Result())(t), int64(size))
			testutil.Equal(t, must(c.GetRange(ctx, key, size-3, -1).Result())(t), string(val[size-3:]))
			testutil.Equal(t, must(c.Append(ctx, key, "tail").Result())(t), int64(size+4))
		})
	}
	// The same value over a raw connection, in a frame written in pieces.
	c := n.Dial(t)
	c.Timeout = 30 * time.Second
	frame := testutil.AppendCommand(nil, "SET", "raw", string(val))
	for len(frame) > 0 {
		k := min(len(frame), 1<<20+7)
		testutil.NoErr(t, c.SendRaw(frame[:k]))
		frame = frame[k:]
	}
	v, _, err := c.Read()
	testutil.NoErr(t, err)
	testutil.Equal(t, v.String(), "OK")
	v = c.MustDo(t, "GET", "raw")
	testutil.True(t, bytes.Equal(v.Str, val), fmt.Sprintf("raw GET returned %d bytes", len(v.Str)))
}
