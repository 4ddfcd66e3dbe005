package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/testutil"
)

// startServer runs an in-process server on an ephemeral loopback port.
// waitFor polls cond every millisecond for up to 3 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testutil.Until(t, 3*time.Second, time.Millisecond, what, cond)
}

// block sends a blocking command and waits until the server has queued the
// client on key.
func block(t testing.TB, s *Server, tc *conn, key string, want int, args ...string) {
	t.Helper()
	tc.send(args...)
	waitFor(t, fmt.Sprintf("%d waiters on %q", want, key), func() bool { return s.blocking.waiters(0, key) == want })
}

func bulkArr(elems ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(elems))
	for _, e := range elems {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(e), e)
	}
	return b.String()
}

func TestBlockFairnessInArrivalOrder(t *testing.T) {
	s := startServer(t)
	var cs []*conn
	for i := 0; i < 3; i++ {
		c := dial(t, s)
		block(t, s, c, "k", i+1, "BLPOP", "k", "0")
		cs = append(cs, c)
	}
	p := dial(t, s)
	// The pusher's next command runs after every waiter had its turn.
	p.send("LPUSH", "k", "a", "b", "c")
	p.send("LLEN", "k")
	if got := p.reply(time.Second); got != ":3\r\n" {
		t.Fatalf("LPUSH: %q", got)
	}
	if got := p.reply(time.Second); got != ":0\r\n" {
		t.Fatalf("LLEN after serving: %q", got)
	}
	for i, want := range []string{"c", "b", "a"} {
		if got := cs[i].reply(time.Second); got != bulkArr("k", want) {
			t.Errorf("client %d: got %q, want %q", i, got, bulkArr("k", want))
		}
	}
	if n := s.BlockedClients(); n != 0 {
		t.Fatalf("%d clients still blocked", n)
	}
}

func TestBlockTimeouts(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "k", "0.1"}, "*-1\r\n"},
		{[]string{"BRPOP", "k", "j", "0.05"}, "*-1\r\n"},
		{[]string{"BLMOVE", "k", "j", "LEFT", "RIGHT", "0.1"}, "*-1\r\n"},
		{[]string{"BRPOPLPUSH", "k", "j", ".1"}, "*-1\r\n"},
		{[]string{"BLMPOP", "0.1", "2", "k", "j", "LEFT"}, "*-1\r\n"},
		{[]string{"BLPOP", "k", "0.0001"}, "*-1\r\n"}, // rounds up to 1 ms
	} {
		start := time.Now()
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("%v took %v", tc.args, el)
		}
	}
	c.do("HELLO", "3")
	if got := c.do("BLPOP", "k", "0.05"); got != "_\r\n" {
		t.Errorf("RESP3 timeout: %q", got)
	}
	if got := c.do("BLMOVE", "k", "j", "LEFT", "RIGHT", "0.05"); got != "_\r\n" {
		t.Errorf("RESP3 BLMOVE timeout: %q", got)
	}
	if n := s.BlockedClients(); n != 0 {
		t.Fatalf("%d clients still blocked", n)
	}
}

func TestBlockServedByMultiExec(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	block(t, s, b, "k", 1, "BLPOP", "k", "0")
	p := dial(t, s)
	p.do("MULTI")
	p.do("LPUSH", "k", "x")
	p.do("LPUSH", "k", "y")
	if got := p.do("EXEC"); got != "*2\r\n:1\r\n:2\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
	if got := b.reply(time.Second); got != bulkArr("k", "y") {
		t.Fatalf("blocked client got %q", got)
	}
	if got := p.do("LRANGE", "k", "0", "-1"); got != bulkArr("x") {
		t.Fatalf("list after: %q", got)
	}
}

func TestBlockInsideMultiRepliesAtOnce(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.do("MULTI")
	c.do("BLPOP", "k", "0")
	c.do("BLMOVE", "k", "j", "LEFT", "LEFT", "0")
	if got := c.do("EXEC"); got != "*2\r\n*-1\r\n$-1\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
}

func TestBlockServedByMoveIntoKey(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	block(t, s, b, "k", 1, "BRPOP", "k", "0")
	p := dial(t, s)
	p.do("RPUSH", "src", "1", "2")
	if got := p.do("LMOVE", "src", "k", "LEFT", "LEFT"); got != "$1\r\n1\r\n" {
		t.Fatalf("LMOVE: %q", got)
	}
	if got := b.reply(time.Second); got != bulkArr("k", "1") {
		t.Fatalf("blocked client got %q", got)
	}
}

func TestBlmoveSemantics(t *testing.T) {
	s := startServer(t)
	a := dial(t, s)
	block(t, s, a, "dst", 1, "BLPOP", "dst", "0")
	b := dial(t, s)
	block(t, s, b, "src", 1, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
	p := dial(t, s)
	if got := p.do("RPUSH", "src", "u", "v"); got != ":2\r\n" {
		t.Fatalf("RPUSH: %q", got)
	}
	// BLMOVE takes v from the right of src and pushes it into dst, which
	// in turn serves the BLPOP waiting there.
	if got := b.reply(time.Second); got != "$1\r\nv\r\n" {
		t.Fatalf("BLMOVE got %q", got)
	}
	if got := a.reply(time.Second); got != bulkArr("dst", "v") {
		t.Fatalf("BLPOP on dst got %q", got)
	}
	if got := p.do("LRANGE", "src", "0", "-1"); got != bulkArr("u") {
		t.Fatalf("src: %q", got)
	}
	if got := p.do("LLEN", "dst"); got != ":0\r\n" {
		t.Fatalf("dst: %q", got)
	}
	// BRPOPLPUSH onto an existing list.
	p.do("RPUSH", "d2", "z")
	block(t, s, b, "s2", 1, "BRPOPLPUSH", "s2", "d2", "0")
	p.do("RPUSH", "s2", "q")
	if got := b.reply(time.Second); got != "$1\r\nq\r\n" {
		t.Fatalf("BRPOPLPUSH got %q", got)
	}
	if got := p.do("LRANGE", "d2", "0", "-1"); got != bulkArr("q", "z") {
		t.Fatalf("d2: %q", got)
	}
}

func TestBlmpopServed(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	block(t, s, b, "b", 1, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
	p := dial(t, s)
	p.do("RPUSH", "b", "1", "2", "3")
	if got := b.reply(time.Second); got != "*2\r\n$1\r\nb\r\n"+bulkArr("3", "2") {
		t.Fatalf("BLMPOP got %q", got)
	}
}

// newestClientID is the id of the most recent connection.
func newestClientID(s *Server) int64 {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	var max int64
	for id := range s.clients {
		if id > max {
			max = id
		}
	}
	return max
}

func TestClientUnblock(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	b.do("PING")
	id := strconv.FormatInt(newestClientID(s), 10)
	p := dial(t, s)

	block(t, s, b, "k", 1, "BLPOP", "k", "0")
	if got := p.do("CLIENT", "UNBLOCK", id); got != ":1\r\n" {
		t.Fatalf("CLIENT UNBLOCK: %q", got)
	}
	if got := b.reply(time.Second); got != "*-1\r\n" {
		t.Fatalf("unblocked (timeout) got %q", got)
	}
	if got := p.do("CLIENT", "UNBLOCK", id); got != ":0\r\n" {
		t.Fatalf("CLIENT UNBLOCK of a client not blocked: %q", got)
	}

	block(t, s, b, "k", 1, "BLMOVE", "k", "j", "LEFT", "LEFT", "0")
	if got := p.do("CLIENT", "UNBLOCK", id, "ERROR"); got != ":1\r\n" {
		t.Fatalf("CLIENT UNBLOCK ERROR: %q", got)
	}
	if got := b.reply(time.Second); got != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
		t.Fatalf("unblocked (error) got %q", got)
	}
	// The connection is usable afterwards.
	if got := b.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after unblock: %q", got)
	}
	if n := s.BlockedClients(); n != 0 {
		t.Fatalf("%d clients still blocked", n)
	}
}

func TestDisconnectWhileBlockedLeavesNoWaiter(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	block(t, s, b, "k", 1, "BLPOP", "k", "other", "0")
	b.nc.Close()
	waitFor(t, "waiter removed", func() bool {
		return s.blocking.waiters(0, "k") == 0 && s.blocking.waiters(0, "other") == 0 && s.BlockedClients() == 0
	})
	waitFor(t, "client gone", func() bool {
		s.clientsMu.Lock()
		defer s.clientsMu.Unlock()
		return len(s.clients) == 0
	})
	s.blocking.mu.Lock()
	left := len(s.blocking.keys) + len(s.blocking.byID)
	s.blocking.mu.Unlock()
	if left != 0 {
		t.Fatalf("registry not empty: %d entries", left)
	}
	// A later push is not lost to the departed client.
	p := dial(t, s)
	p.do("RPUSH", "k", "v")
	if got := p.do("LPOP", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("LPOP: %q", got)
	}
}

func TestPipelinedCommandsRunAfterBlockedOne(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	// One write: the blocking command and a PING behind it.
	b.nc.Write(append(encode("BLPOP", "k", "0"), encode("PING")...))
	waitFor(t, "blocked", func() bool { return s.blocking.waiters(0, "k") == 1 })
	// Bytes sent while blocked are read by the watcher and kept.
	b.send("ECHO", "later")
	b.noReply(100 * time.Millisecond)
	p := dial(t, s)
	p.do("RPUSH", "k", "v")
	for _, want := range []string{bulkArr("k", "v"), "+PONG\r\n", "$5\r\nlater\r\n"} {
		if got := b.reply(time.Second); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestBlockSelectedDB(t *testing.T) {
	s := startServer(t)
	b := dial(t, s)
	b.do("SELECT", "1")
	b.send("BLPOP", "k", "0")
	waitFor(t, "blocked in db 1", func() bool { return s.blocking.waiters(1, "k") == 1 })
	p := dial(t, s)
	p.do("RPUSH", "k", "db0")
	b.noReply(50 * time.Millisecond)
	p.do("SELECT", "1")
	p.do("RPUSH", "k", "db1")
	if got := b.reply(time.Second); got != bulkArr("k", "db1") {
		t.Fatalf("got %q", got)
	}
}

// TestBlockStress: poppers block while pushers push; every element is
// delivered exactly once and nobody is left waiting.
func TestBlockStress(t *testing.T) {
	s := startServer(t)
	const poppers, pushers, per = 8, 4, 50
	total := pushers * per
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < poppers; i++ {
		c := dial(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c.send("BLPOP", "q1", "q2", "1")
				r := c.reply(5 * time.Second)
				if r == "*-1\r\n" {
					return
				}
				parts := strings.Split(r, "\r\n")
				mu.Lock()
				got[parts[4]]++
				mu.Unlock()
			}
		}()
	}
	var pw sync.WaitGroup
	for i := 0; i < pushers; i++ {
		c := dial(t, s)
		pw.Add(1)
		go func(i int) {
			defer pw.Done()
			for j := 0; j < per; j++ {
				key := "q1"
				if j%2 == 1 {
					key = "q2"
				}
				c.send("RPUSH", key, fmt.Sprintf("%d-%d", i, j))
				c.reply(5 * time.Second)
			}
		}(i)
	}
	pw.Wait()
	wg.Wait()
	if len(got) != total {
		t.Fatalf("delivered %d distinct elements, want %d", len(got), total)
	}
	for k, n := range got {
		if n != 1 {
			t.Fatalf("%s delivered %d times", k, n)
		}
	}
	if n := s.BlockedClients(); n != 0 {
		t.Fatalf("%d clients still blocked", n)
	}
}

func TestBlockServedByRename(t *testing.T) {
	s := startServer(t)
	a, b := dial(t, s), dial(t, s)
	block(t, s, a, "dst", 1, "BLPOP", "dst", "0")
	b.do("RPUSH", "src", "x")
	if got := b.do("RENAME", "src", "dst"); got != "+OK\r\n" {
		t.Fatalf("RENAME: %q", got)
	}
	if got := a.reply(2 * time.Second); got != bulkArr("dst", "x") {
		t.Fatalf("BLPOP after RENAME: %q", got)
	}
}

func TestBZPopServedByZAdd(t *testing.T) {
	s := startServer(t)
	a, b, c := dial(t, s), dial(t, s), dial(t, s)
	block(t, s, a, "z", 1, "BZPOPMIN", "z", "0")
	block(t, s, b, "z", 2, "BZMPOP", "0", "1", "z", "MAX")
	c.do("ZADD", "z", "1", "one", "2", "two")
	if got := a.reply(2 * time.Second); got != bulkArr("z", "one", "1") {
		t.Fatalf("BZPOPMIN: %q", got)
	}
	if got := b.reply(2 * time.Second); got != "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$3\r\ntwo\r\n$1\r\n2\r\n" {
		t.Fatalf("BZMPOP: %q", got)
	}
	if got := c.do("BZPOPMAX", "z", "0.05"); got != "*-1\r\n" {
		t.Fatalf("BZPOPMAX timeout: %q", got)
	}
}

// A client closed between its blocking command's registration and the
// detach (closed from another goroutine, which can land in that window)
// leaves neither blocked_clients nor its keys' queues: cleanup
// deregisters it.
func TestCleanupDeregistersAParkedWaiter(t *testing.T) {
	s := startServer(t)
	a, p := net.Pipe()
	defer p.Close()
	c := s.newClient(a)
	s.blocking.register(c, &command.BlockRequest{Keys: [][]byte{[]byte("k")}})
	c.parked = &parkedCmd{args: [][]byte{[]byte("BLPOP"), []byte("k"), []byte("0")}}
	if n := s.BlockedClients(); n != 1 {
		t.Fatalf("blocked_clients %d after register, want 1", n)
	}
	c.cleanup()
	if n := s.BlockedClients(); n != 0 {
		t.Errorf("blocked_clients %d after cleanup, want 0", n)
	}
	if n := s.blocking.waiters(0, "k"); n != 0 {
		t.Errorf("%d waiters on k after cleanup, want 0", n)
	}
}
