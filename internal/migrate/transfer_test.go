package migrate

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
)

// fakeTarget is a scripted RESP server: every command it reads is logged
// and answered by reply (conn is the connection's number, from 0).
type fakeTarget struct {
	ln      net.Listener
	accepts atomic.Int32
	mu      sync.Mutex
	log     []string
	reply   func(conn int, cmd []string) string // "" closes the connection; "hang" answers nothing
}

const hang = "hang"

func newTarget(t *testing.T, reply func(conn int, cmd []string) string) *fakeTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ft := &fakeTarget{ln: ln, reply: reply}
	var wg sync.WaitGroup
	var connsMu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		connsMu.Lock()
		for _, c := range conns {
			c.Close()
		}
		connsMu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			n := int(ft.accepts.Add(1)) - 1
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					v, _, err := resp.ReadReply(br)
					if err != nil {
						return
					}
					var cmd []string
					for _, e := range v.Elems {
						cmd = append(cmd, string(e.Str))
					}
					ft.mu.Lock()
					ft.log = append(ft.log, fmt.Sprintf("%d: %s", n, strings.Join(cmd, " ")))
					ft.mu.Unlock()
					r := ft.reply(n, cmd)
					switch r {
					case "":
						return
					case hang:
						continue
					}
					if _, err := c.Write([]byte(r)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ft
}

func (ft *fakeTarget) port() string { return strconv.Itoa(ft.ln.Addr().(*net.TCPAddr).Port) }

// takeLog returns and clears the commands seen so far.
func (ft *fakeTarget) takeLog() []string {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	l := ft.log
	ft.log = nil
	return l
}

func okAll(int, []string) string { return "+OK\r\n" }

func request(t *testing.T, ft *fakeTarget, extra string) Request {
	t.Helper()
	r, err := Parse(args("MIGRATE 127.0.0.1 " + ft.port() + ` "" 0 2000 ` + extra))
	if err != "" {
		t.Fatal(err)
	}
	return r
}

// batch builds RESTORE-ASKING commands for keys with payload "p:key".
func batch(keys ...string) []byte {
	var b []byte
	for _, k := range keys {
		b = AppendRestore(b, true, []byte(k), 0, []byte("p:"+k), false)
	}
	return b
}

func wantLog(t *testing.T, ft *fakeTarget, want ...string) {
	t.Helper()
	// The last reply is read before the target logs nothing more; the log
	// is complete once Transfer returned.
	got := ft.takeLog()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("target saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func wantResult(t *testing.T, got Result, err string, acked ...bool) {
	t.Helper()
	if got.Err != err || fmt.Sprint(got.Acked) != fmt.Sprint(acked) {
		t.Fatalf("result %q %v, want %q %v", got.Err, got.Acked, err, acked)
	}
}

func TestTransferSelectOnceAndReuse(t *testing.T) {
	ft := newTarget(t, okAll)
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS a b")
	wantResult(t, c.Transfer(&r, batch("a", "b"), 2), "", true, true)
	wantLog(t, ft, "0: SELECT 0", "0: RESTORE-ASKING a 0 p:a", "0: RESTORE-ASKING b 0 p:b")
	// Same db: the cached connection, no SELECT.
	wantResult(t, c.Transfer(&r, batch("c"), 1), "", true)
	wantLog(t, ft, "0: RESTORE-ASKING c 0 p:c")
	// Another db: SELECT again.
	r.DB = 3
	wantResult(t, c.Transfer(&r, batch("d"), 1), "", true)
	wantLog(t, ft, "0: SELECT 3", "0: RESTORE-ASKING d 0 p:d")
	if n := ft.accepts.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	if c.Len() != 1 {
		t.Fatalf("cache holds %d, want 1", c.Len())
	}
}

func TestTransferAuth(t *testing.T) {
	ft := newTarget(t, okAll)
	var c Cache
	defer c.Close()
	r := request(t, ft, "AUTH secret KEYS a")
	wantResult(t, c.Transfer(&r, batch("a"), 1), "", true)
	wantLog(t, ft, "0: AUTH secret", "0: SELECT 0", "0: RESTORE-ASKING a 0 p:a")
	r = request(t, ft, "AUTH2 alice secret KEYS a")
	wantResult(t, c.Transfer(&r, batch("a"), 1), "", true)
	wantLog(t, ft, "0: AUTH alice secret", "0: RESTORE-ASKING a 0 p:a")
}

func TestTransferAuthErrorFailsEveryKey(t *testing.T) {
	ft := newTarget(t, func(_ int, cmd []string) string {
		if cmd[0] == "AUTH" {
			return "-" + rediserr.WrongPass + "\r\n"
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	r := request(t, ft, "AUTH bad KEYS a b")
	wantResult(t, c.Transfer(&r, batch("a", "b"), 2), rediserr.MigrateTarget(rediserr.WrongPass), false, false)
	// The error forgets the selected db: SELECT is sent again.
	r = request(t, ft, "KEYS a")
	ft.takeLog()
	wantResult(t, c.Transfer(&r, batch("a"), 1), "", true)
	wantLog(t, ft, "0: SELECT 0", "0: RESTORE-ASKING a 0 p:a")
}

func TestTransferTargetErrorKeepsOthers(t *testing.T) {
	ft := newTarget(t, func(_ int, cmd []string) string {
		if len(cmd) > 1 && cmd[1] == "b" {
			return "-BUSYKEY Target key name already exists.\r\n"
		}
		if len(cmd) > 1 && cmd[1] == "c" {
			return "-ERR Bad data format\r\n"
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS a b c d")
	// The first error is reported; keys acknowledged after it still count.
	wantResult(t, c.Transfer(&r, batch("a", "b", "c", "d"), 4),
		"ERR Target instance replied with error: BUSYKEY Target key name already exists.", true, false, false, true)
	if c.Len() != 1 {
		t.Fatal("an error reply must not drop the connection")
	}
}

func TestTransferRetriesOnceOnStaleConnection(t *testing.T) {
	// The first connection is closed by the target after one exchange (an
	// idle timeout on the target, say): the next MIGRATE finds it dead
	// before any reply, and succeeds on a fresh one.
	ft := newTarget(t, func(conn int, cmd []string) string {
		if conn == 0 && cmd[1] == "second" {
			return ""
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS first")
	wantResult(t, c.Transfer(&r, batch("first"), 1), "", true)
	r = request(t, ft, "KEYS second")
	wantResult(t, c.Transfer(&r, batch("second"), 1), "", true)
	if n := ft.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	// The fresh connection has no db selected yet.
	log := ft.takeLog()
	if log[len(log)-2] != "1: SELECT 0" || log[len(log)-1] != "1: RESTORE-ASKING second 0 p:second" {
		t.Fatalf("after the retry the target saw %q", log)
	}
}

func TestTransferGivesUpAfterOneRetry(t *testing.T) {
	ft := newTarget(t, func(int, []string) string { return "" })
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS a")
	wantResult(t, c.Transfer(&r, batch("a"), 1), rediserr.MigrateIORead, false)
	if n := ft.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (one retry)", n)
	}
	if c.Len() != 0 {
		t.Fatal("a failed connection must leave the cache")
	}
}

func TestTransferTimeoutNoRetry(t *testing.T) {
	ft := newTarget(t, func(int, []string) string { return hang })
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS a")
	r.Timeout = 100 * time.Millisecond
	wantResult(t, c.Transfer(&r, batch("a"), 1), rediserr.MigrateIORead, false)
	if n := ft.accepts.Load(); n != 1 {
		t.Fatalf("%d connections, want 1: a timeout is not retried", n)
	}
}

func TestTransferSocketErrorAfterSomeReplies(t *testing.T) {
	ft := newTarget(t, func(_ int, cmd []string) string {
		if cmd[0] == "RESTORE-ASKING" && cmd[1] == "b" {
			return ""
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS a b c")
	// a was restored: it counts (MIGRATE deletes it); no retry.
	wantResult(t, c.Transfer(&r, batch("a", "b", "c"), 3), rediserr.MigrateIORead, true, false, false)
	if n := ft.accepts.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	if c.Len() != 0 {
		t.Fatal("a failed connection must leave the cache")
	}
}

func TestTransferConnectError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	var c Cache
	// Refused: Redis does not wait for the connect, its write fails.
	r, _ := Parse(args("MIGRATE 127.0.0.1 " + port + " k 0 500"))
	wantResult(t, c.Transfer(&r, batch("k"), 1), rediserr.MigrateIOWrite, false)
	// A port that does not resolve fails the connect itself.
	r, _ = Parse(args("MIGRATE 127.0.0.1 -1 k 0 500"))
	wantResult(t, c.Transfer(&r, batch("k"), 1), rediserr.MigrateConnect, false)
	if c.Len() != 0 {
		t.Fatal("a failed dial must not be cached")
	}
}

func TestTransferLongErrorLine(t *testing.T) {
	long := strings.Repeat("x", 10000)
	ft := newTarget(t, func(_ int, cmd []string) string {
		if cmd[0] == "RESTORE-ASKING" && cmd[1] == "a" {
			return "-ERR " + long + "\r\n"
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	r := request(t, ft, "KEYS a b")
	got := c.Transfer(&r, batch("a", "b"), 2)
	want := rediserr.MigrateTarget(("ERR " + long)[:maxLine-1])
	wantResult(t, got, want, false, true)
}

func TestSweepClosesIdle(t *testing.T) {
	ft := newTarget(t, okAll)
	now := int64(1000)
	c := Cache{NowSec: func() int64 { return atomic.LoadInt64(&now) }}
	defer c.Close()
	r := request(t, ft, "KEYS a")
	wantResult(t, c.Transfer(&r, batch("a"), 1), "", true)
	atomic.StoreInt64(&now, 1000+CacheTTL)
	c.Sweep()
	if c.Len() != 1 {
		t.Fatal("swept a connection idle for exactly the TTL")
	}
	atomic.StoreInt64(&now, 1000+CacheTTL+1)
	c.Sweep()
	if c.Len() != 0 {
		t.Fatal("idle connection not swept")
	}
	// The next MIGRATE dials again.
	wantResult(t, c.Transfer(&r, batch("a"), 1), "", true)
	if n := ft.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestCacheLimit(t *testing.T) {
	var c Cache
	defer c.Close()
	targets := make([]*fakeTarget, MaxCached+1)
	for i := range targets {
		targets[i] = newTarget(t, okAll)
		r := request(t, targets[i], "KEYS a")
		wantResult(t, c.Transfer(&r, batch("a"), 1), "", true)
	}
	if c.Len() != MaxCached {
		t.Fatalf("cache holds %d, want %d", c.Len(), MaxCached)
	}
}

func TestTransferConcurrentSameTarget(t *testing.T) {
	// Replies are numbered per connection, so an interleaving of two
	// batches on one socket would show up as a wrong acknowledgement.
	ft := newTarget(t, func(_ int, cmd []string) string {
		if cmd[0] == "RESTORE-ASKING" && strings.HasPrefix(cmd[1], "bad") {
			return "-ERR no\r\n"
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				r := request(t, ft, "KEYS x")
				keys := []string{"a", "bad", "c"}
				if (g+i)%2 == 0 {
					keys = []string{"a", "b", "c"}
				}
				got := c.Transfer(&r, batch(keys...), 3)
				want := "[true true true]"
				if keys[1] == "bad" {
					want = "[true false true]"
				}
				if fmt.Sprint(got.Acked) != want {
					errs <- fmt.Sprintf("keys %v acked %v", keys, got.Acked)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if n := ft.accepts.Load(); n < 1 || n > MaxPerTarget {
		t.Fatalf("%d connections, want 1 to %d", n, MaxPerTarget)
	}
	if n := c.Len(); n != int(ft.accepts.Load()) {
		t.Fatalf("cache holds %d, want %d", n, ft.accepts.Load())
	}
}

func TestTransferBusyTargetOpensAnother(t *testing.T) {
	// The first connection's RESTORE waits until released; meanwhile
	// MIGRATEs to the same target go on through new connections, no
	// more than MaxPerTarget, and the next after that waits its turn.
	release := make(chan struct{})
	ft := newTarget(t, func(conn int, cmd []string) string {
		if conn == 0 {
			<-release
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	first := make(chan Result)
	go func() {
		r := request(t, ft, "KEYS a")
		first <- c.Transfer(&r, batch("a"), 1)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ft.accepts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		r := request(t, ft, "KEYS b")
		wantResult(t, c.Transfer(&r, batch("b"), 1), "", true)
	}
	// One busy connection and one more for the MIGRATEs one at a time.
	if n := ft.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	close(release)
	wantResult(t, <-first, "", true)
	// Idle again: one at a time reuses what is cached.
	r := request(t, ft, "KEYS c")
	wantResult(t, c.Transfer(&r, batch("c"), 1), "", true)
	if n := ft.accepts.Load(); n != 2 || c.Len() != 2 {
		t.Fatalf("%d connections, %d cached, want 2", n, c.Len())
	}
}

func TestTransferRetryDialsAfresh(t *testing.T) {
	// Two cached connections that the target then closes: the retry after
	// the first one's error dials instead of trying the other stale one,
	// and the MIGRATE succeeds, as in Redis, which retries on a new socket.
	release := make(chan struct{})
	var seen [2]atomic.Int32
	ft := newTarget(t, func(conn int, cmd []string) string {
		if conn < 2 && cmd[0] == "RESTORE-ASKING" {
			if seen[conn].Add(1) > 1 {
				return "" // stale: closed at the next use
			}
			if conn == 0 {
				<-release
			}
		}
		return "+OK\r\n"
	})
	var c Cache
	defer c.Close()
	done := make(chan Result)
	go func() {
		r := request(t, ft, "KEYS a")
		done <- c.Transfer(&r, batch("a"), 1)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ft.accepts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r := request(t, ft, "KEYS b")
	wantResult(t, c.Transfer(&r, batch("b"), 1), "", true)
	close(release)
	wantResult(t, <-done, "", true)
	if c.Len() != 2 {
		t.Fatalf("cache holds %d, want 2", c.Len())
	}
	r = request(t, ft, "KEYS c")
	wantResult(t, c.Transfer(&r, batch("c"), 1), "", true)
	if n := ft.accepts.Load(); n != 3 || c.Len() != 1 {
		t.Fatalf("%d connections, %d cached, want 3 and 1", n, c.Len())
	}
}
