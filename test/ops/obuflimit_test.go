package ops

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// readAllUntilClosed reads what the server sends on nc until it closes the
// connection (or 10 s pass, a failure) and returns the bytes read.
func readAllUntilClosed(t *testing.T, nc net.Conn) []byte {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after 10 s (%d bytes read)", len(b))
	}
	return b
}

func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	testutil.NoErr(t, err)
	t.Cleanup(func() { nc.Close() })
	return nc
}

// TestObufLimitBeforeReplyLeaves: a reply (or a batch of pipelined
// replies, or an EXEC's) that passes the client's hard output-buffer limit
// closes the client before any of it is written, and the rest of its
// pipeline is not run; a transaction's commands all run. A HRANDFIELD
// with a huge negative count stops when the limit is reached instead of
// building the whole reply. As redis-server 7.0 (unit/obuf-limits).
func TestObufLimitBeforeReplyLeaves(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			c := s.node.Dial(t)
			c.MustDo(t, "CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0")
			item := strings.Repeat("x", 1000)
			for i := 0; i < 150; i++ {
				c.MustDo(t, "LPUSH", "mylist", item)
			}

			// One command whose reply passes the limit: nothing is sent.
			nc := rawConn(t, s.node.Addr)
			nc.Write(testutil.AppendCommand(nil, "LRANGE", "mylist", "0", "-1"))
			if b := readAllUntilClosed(t, nc); len(b) != 0 {
				t.Errorf("LRANGE over the limit: %d bytes sent before the close", len(b))
			}

			// A pipeline in one write: closed once the replies pass the
			// limit; nothing sent, and the commands after it not run.
			c.MustDo(t, "SET", "bigkey", strings.Repeat("y", 10000))
			var buf []byte
			for i := 0; i < 15; i++ {
				buf = testutil.AppendCommand(buf, "GET", "bigkey")
			}
			buf = testutil.AppendCommand(buf, "SET", "after", "1")
			nc = rawConn(t, s.node.Addr)
			nc.Write(buf)
			if b := readAllUntilClosed(t, nc); len(b) != 0 {
				t.Errorf("pipeline over the limit: %d bytes sent before the close", len(b))
			}
			testutil.Equal(t, c.MustDo(t, "EXISTS", "after").Int, 0)

			// A transaction runs completely; its reply is not sent.
			c.MustDo(t, "SET", "k1", "v1")
			buf = testutil.AppendCommand(nil, "MULTI")
			for _, cmd := range [][]string{{"SET", "k2", "v2"}, {"GET", "k2"}, {"LRANGE", "mylist", "0", "-1"}, {"SET", "k3", "v3"}, {"DEL", "k1"}, {"EXEC"}} {
				buf = testutil.AppendCommand(buf, cmd...)
			}
			nc = rawConn(t, s.node.Addr)
			nc.Write(buf)
			// (In one write, its +OK and +QUEUED replies wait with EXEC's.)
			if b := readAllUntilClosed(t, nc); len(b) != 0 {
				t.Errorf("transaction over the limit: %q sent before the close", b)
			}
			testutil.Equal(t, c.MustDo(t, "EXISTS", "k1").Int, 0)
			testutil.Equal(t, string(c.MustDo(t, "GET", "k2").Str), "v2")
			testutil.Equal(t, string(c.MustDo(t, "GET", "k3").Str), "v3")

			// A huge reply stops at the limit.
			c.MustDo(t, "CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0")
			c.MustDo(t, "HSET", "myhash", "a", "b")
			c.MustDo(t, "SADD", "myset", "a")
			c.MustDo(t, "ZADD", "myzset", "1", "a")
			for _, cmd := range [][]string{{"HRANDFIELD", "myhash", "-999999999"}, {"SRANDMEMBER", "myset", "-999999999"}, {"ZRANDMEMBER", "myzset", "-999999999"}} {
				nc = rawConn(t, s.node.Addr)
				nc.Write(testutil.AppendCommand(nil, cmd...))
				readAllUntilClosed(t, nc)
			}
			if kb := procKB(t, s.node.Pid, "VmHWM"); kb > 1<<20 {
				t.Errorf("peak RSS %d KB: the huge replies were built", kb)
			}
			testutil.Equal(t, string(c.MustDo(t, "PING").Str), "PONG")
			if !logHas(s.node, "scheduled to be closed ASAP for overcoming of output buffer limits") {
				t.Error("no log line for the closed clients")
			}
		})
	}
}

// TestObufSoftLimitWithoutTraffic: a subscriber left over its soft limit
// is closed once the soft seconds pass, though nothing more is published
// to it (Redis's clientsCron checks the limits).
func TestObufSoftLimitWithoutTraffic(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			c := s.node.Dial(t)
			c.MustDo(t, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 100000 1")
			sub := s.node.Dial(t)
			sub.MustDo(t, "CLIENT", "SETNAME", "sub")
			sub.MustDo(t, "SUBSCRIBE", "foo")
			sub.C.(*net.TCPConn).SetReadBuffer(4096)
			msg := strings.Repeat("x", 1000)
			omem := func() (int64, bool) {
				for _, line := range strings.Split(string(c.MustDo(t, "CLIENT", "LIST").Str), "\n") {
					if strings.Contains(line, "name=sub ") {
						var n int64
						for _, f := range strings.Fields(line) {
							if v, ok := strings.CutPrefix(f, "omem="); ok {
								fmt.Sscan(v, &n)
							}
						}
						return n, true
					}
				}
				return 0, false
			}
			// Publish until it owes over the soft limit, then stop.
			for i := 0; ; i++ {
				c.MustDo(t, "PUBLISH", "foo", msg)
				if n, ok := omem(); !ok || n > 100000 {
					break
				}
				if i > 100000 {
					t.Fatal("the subscriber never owed 100000 bytes")
				}
			}
			testutil.CheckFor(t, 6*time.Second, 50*time.Millisecond, func() error {
				if n, ok := omem(); ok {
					return fmt.Errorf("subscriber still connected, omem=%d", n)
				}
				return nil
			})
		})
	}
}
