package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// blockOrderCase is one blocking command raced by a second client, the way
// Redis's own suite drives it (tests/unit/type/stream-cgroups.tcl "Blocking
// XREAD: key deleted"): a fresh client sends the blocking command and,
// without waiting for it to block, the main client sends its commands.
// Redis runs commands in the order they arrive and serves a client woken by
// a command right after that command, so the replies are the same every
// time: the blocking command saw the state before the main client's
// commands, and the main client's next command sees it served.
type blockOrderCase struct {
	name  string
	setup [][]string // by the main client, before the blocking command
	block []string   // by the fresh client
	then  [][]string // by the main client, right after block was sent
}

var blockOrderCases = []blockOrderCase{
	{"XREAD key deleted", [][]string{{"DEL", "s"}, {"XADD", "s", "666", "f", "v"}},
		[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
		[][]string{{"DEL", "s"}, {"XADD", "s", "667", "f", "v"}}},
	{"XREAD type changed", [][]string{{"DEL", "s"}, {"XADD", "s", "666", "f", "v"}},
		[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
		[][]string{{"SET", "s", "val1"}, {"DEL", "s"}, {"XADD", "s", "668", "f", "v"}}},
	{"XREADGROUP key deleted", [][]string{{"DEL", "s"}, {"XADD", "s", "666", "f", "v"}, {"XGROUP", "CREATE", "s", "g", "$"}},
		[]string{"XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "s", ">"},
		[][]string{{"DEL", "s"}}},
	{"XREADGROUP type changed", [][]string{{"DEL", "s"}, {"XADD", "s", "666", "f", "v"}, {"XGROUP", "CREATE", "s", "g", "$"}},
		[]string{"XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "s", ">"},
		[][]string{{"SET", "s", "val1"}}},
	{"XREADGROUP served", [][]string{{"DEL", "s"}, {"XADD", "s", "666", "f", "v"}, {"XGROUP", "CREATE", "s", "g", "$"}},
		[]string{"XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "s", ">"},
		[][]string{{"XADD", "s", "667", "f", "v"}, {"XPENDING", "s", "g"}}},
	{"BLPOP", [][]string{{"DEL", "l"}},
		[]string{"BLPOP", "l", "0"},
		[][]string{{"RPUSH", "l", "x"}, {"LLEN", "l"}}},
	{"BRPOP", [][]string{{"DEL", "l"}},
		[]string{"BRPOP", "l", "0"},
		[][]string{{"RPUSH", "l", "x", "y"}, {"LRANGE", "l", "0", "-1"}}},
	{"BLMOVE", [][]string{{"DEL", "l", "d"}},
		[]string{"BLMOVE", "l", "d", "LEFT", "RIGHT", "0"},
		[][]string{{"RPUSH", "l", "x"}, {"LRANGE", "d", "0", "-1"}}},
	{"BRPOPLPUSH", [][]string{{"DEL", "l", "d"}},
		[]string{"BRPOPLPUSH", "l", "d", "0"},
		[][]string{{"RPUSH", "l", "x"}, {"LRANGE", "d", "0", "-1"}}},
	{"BLMPOP", [][]string{{"DEL", "l"}},
		[]string{"BLMPOP", "0", "1", "l", "LEFT", "COUNT", "2"},
		[][]string{{"RPUSH", "l", "x", "y", "z"}, {"LRANGE", "l", "0", "-1"}}},
	{"BZPOPMIN", [][]string{{"DEL", "z"}},
		[]string{"BZPOPMIN", "z", "0"},
		[][]string{{"ZADD", "z", "1", "a", "2", "b"}, {"ZRANGE", "z", "0", "-1"}}},
	{"BZPOPMAX", [][]string{{"DEL", "z"}},
		[]string{"BZPOPMAX", "z", "0"},
		[][]string{{"ZADD", "z", "1", "a", "2", "b"}, {"ZRANGE", "z", "0", "-1"}}},
	{"BZMPOP", [][]string{{"DEL", "z"}},
		[]string{"BZMPOP", "0", "1", "z", "MIN"},
		[][]string{{"ZADD", "z", "1", "a", "2", "b"}, {"ZCARD", "z"}}},
	{"BLPOP key type changed", [][]string{{"DEL", "l"}},
		[]string{"BLPOP", "l", "0"},
		[][]string{{"SET", "l", "v"}, {"DEL", "l"}, {"RPUSH", "l", "after"}}},
}

// blockOrderRun plays c once and returns the transcript: the main client's
// replies, then the blocked client's.
func blockOrderRun(t *testing.T, n *testutil.Node, main *testutil.Conn, c blockOrderCase) string {
	t.Helper()
	for _, cmd := range c.setup {
		main.MustDo(t, cmd...)
	}
	a := n.Dial(t)
	defer a.Close()
	a.MustDo(t, "PING") // connected and registered before the race starts
	if err := a.Send(c.block...); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, cmd := range c.then {
		if err := main.Send(cmd...); err != nil {
			t.Fatal(err)
		}
		_, raw, err := main.Read()
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		fmt.Fprintf(&b, "%q -> %q\n", cmd, raw)
	}
	// Every case wakes the blocked client; a client left waiting (it ran
	// after the commands that should have woken it) shows as a timeout.
	_, raw, err := a.ReadWithin(2 * time.Second)
	if err != nil {
		fmt.Fprintf(&b, "blocked client: %v\n", err)
	} else {
		fmt.Fprintf(&b, "blocked client -> %q\n", raw)
	}
	return b.String()
}

// TestBlockedClientOrder checks that a blocking command runs in its turn
// among other clients' commands, and a client it woke is served before the
// waking client's next command, for every blocking command, against
// redis-server's transcript of the same exchange.
//
// The server runs one event loop: between clients on different loops the
// order in which two sockets' bytes are taken is the loops' race (as with
// any multi-threaded server), while within one loop it is the arrival
// order, as in Redis. Before the fix the blocking command was handed to a
// goroutine before it ran, so the main client's commands overtook it.
func TestBlockedClientOrder(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	rounds := 10
	if testing.Short() {
		rounds = 5
	}
	want := map[string]string{}
	red := testutil.StartRedis(t)
	rm := red.Dial(t)
	for _, c := range blockOrderCases {
		want[c.name] = blockOrderRun(t, red, rm, c)
		if strings.Contains(want[c.name], "blocked client: ") {
			t.Fatalf("%s: redis-server left the client blocked:\n%s", c.name, want[c.name])
		}
	}

	t.Setenv("SHOAL_LOOPS", "1")
	n := testutil.StartShoal(t)
	m := n.Dial(t)
	for _, c := range blockOrderCases {
		t.Run(c.name, func(t *testing.T) {
			for i := 0; i < rounds; i++ {
				if got := blockOrderRun(t, n, m, c); got != want[c.name] {
					t.Fatalf("round %d:\nshoal:\n%sredis:\n%s", i, got, want[c.name])
				}
			}
		})
	}
}

// TestBlockedClientListFlag: a client blocked on a key shows flags=b in
// CLIENT LIST as soon as blocked_clients counts it, and loses it when
// served, as in redis-server.
func TestBlockedClientListFlag(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			var n *testutil.Node
			if kind == "redis" {
				testutil.SkipIfNoRedis(t)
				n = testutil.StartRedis(t)
			} else {
				n = testutil.StartShoal(t)
			}
			m := n.Dial(t)
			a := n.Dial(t)
			id := a.MustDo(t, "CLIENT", "ID").Int
			if err := a.Send("BLPOP", "l", "0"); err != nil {
				t.Fatal(err)
			}
			testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
				if info := string(m.MustDo(t, "INFO", "clients").Str); !strings.Contains(info, "blocked_clients:1") {
					return fmt.Errorf("not blocked yet: %s", info)
				}
				return nil
			})
			flags := func() string {
				line := string(m.MustDo(t, "CLIENT", "LIST", "ID", fmt.Sprint(id)).Str)
				for _, f := range strings.Fields(line) {
					if strings.HasPrefix(f, "flags=") {
						return f
					}
				}
				return line
			}
			if f := flags(); f != "flags=b" {
				t.Fatalf("blocked: %s, want flags=b", f)
			}
			m.MustDo(t, "RPUSH", "l", "x")
			if _, _, err := a.Read(); err != nil {
				t.Fatal(err)
			}
			if f := flags(); f != "flags=N" {
				t.Fatalf("served: %s, want flags=N", f)
			}
		})
	}
}
