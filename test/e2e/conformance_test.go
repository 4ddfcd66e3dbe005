package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Deviations issue #17 found with Redis's own test suite, each driven the
// same way against redis-server 7.0.15 and shoal-server, transcripts
// compared.

// bothTranscripts runs scenario against a fresh redis-server and a fresh
// shoal-server and fails when their transcripts differ.
func bothTranscripts(t *testing.T, scenario func(t *testing.T, n *testutil.Node) []string) {
	t.Helper()
	want := scenario(t, testutil.StartRedis(t))
	got := scenario(t, testutil.StartShoal(t))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("transcripts differ\nredis:\n  %s\nshoal:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
	t.Logf("transcript:\n  %s", strings.Join(want, "\n  "))
}

// clientsFields returns INFO clients' blocked_clients, tracking_clients and
// clients_in_timeout_table.
func clientsFields(t *testing.T, c *testutil.Conn) string {
	t.Helper()
	v := c.MustDo(t, "INFO", "clients")
	var out []string
	for _, line := range strings.Split(string(v.Str), "\r\n") {
		for _, f := range []string{"blocked_clients:", "tracking_clients:", "clients_in_timeout_table:"} {
			if strings.HasPrefix(line, f) {
				out = append(out, line)
			}
		}
	}
	return strings.Join(out, " ")
}

// waitClients waits (bounded) until INFO clients' fields read want.
func waitClients(t *testing.T, c *testutil.Conn, want string) string {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got := clientsFields(t, c); got != want {
			return fmt.Errorf("INFO clients: %s, want %s", got, want)
		}
		return nil
	})
	return want
}

// TestInfoBlockedClients: INFO clients counts clients waiting in blocking
// commands (blocked_clients) and those waiting with a timeout
// (clients_in_timeout_table), as the list and zset units of Redis's suite
// wait for; a command waiting for CLIENT PAUSE counts as blocked (unit/pause).
func TestInfoBlockedClients(t *testing.T) {
	bothTranscripts(t, func(t *testing.T, n *testutil.Node) []string {
		c := n.Dial(t)
		var tr []string
		tr = append(tr, clientsFields(t, c))
		a, b, z := n.Dial(t), n.Dial(t), n.Dial(t)
		a.Send("BLPOP", "bk", "0")
		tr = append(tr, waitClients(t, c, "blocked_clients:1 tracking_clients:0 clients_in_timeout_table:0"))
		b.Send("BRPOP", "bk2", "100")
		z.Send("BZPOPMIN", "bz", "100")
		tr = append(tr, waitClients(t, c, "blocked_clients:3 tracking_clients:0 clients_in_timeout_table:2"))
		c.MustDo(t, "LPUSH", "bk", "x")
		v, _, err := a.Read()
		testutil.NoErr(t, err)
		tr = append(tr, v.String())
		tr = append(tr, waitClients(t, c, "blocked_clients:2 tracking_clients:0 clients_in_timeout_table:2"))
		c.MustDo(t, "ZADD", "bz", "1", "m")
		v, _, err = z.Read()
		testutil.NoErr(t, err)
		tr = append(tr, v.String())
		b.Close() // abandoned: the server notices and forgets it
		tr = append(tr, waitClients(t, c, "blocked_clients:0 tracking_clients:0 clients_in_timeout_table:0"))
		// Inside MULTI a blocking command does not block.
		c.MustDo(t, "MULTI")
		c.MustDo(t, "BLPOP", "none", "0")
		v = c.MustDo(t, "EXEC")
		tr = append(tr, v.String(), clientsFields(t, c))
		// A command waiting for CLIENT PAUSE counts as blocked.
		c.MustDo(t, "CLIENT", "PAUSE", "60000", "WRITE")
		p := n.Dial(t)
		p.Send("SET", "pk", "v")
		tr = append(tr, waitClients(t, c, "blocked_clients:1 tracking_clients:0 clients_in_timeout_table:0"))
		c.MustDo(t, "CLIENT", "UNPAUSE")
		v, _, err = p.Read()
		testutil.NoErr(t, err)
		tr = append(tr, v.String(), waitClients(t, c, "blocked_clients:0 tracking_clients:0 clients_in_timeout_table:0"))
		return tr
	})
}

// TestZPopCountZeroWrongType: ZPOPMIN/ZPOPMAX key 0 look the key up before
// the count, so a key of another type answers WRONGTYPE, like the other
// pops with a count.
func TestZPopCountZeroWrongType(t *testing.T) {
	bothTranscripts(t, func(t *testing.T, n *testutil.Node) []string {
		c := n.Dial(t)
		c.MustDo(t, "SET", "str", "x")
		c.MustDo(t, "ZADD", "z", "1", "a")
		var tr []string
		for _, cmd := range [][]string{
			{"ZPOPMIN", "str", "0"}, {"ZPOPMAX", "str", "0"}, {"ZPOPMIN", "z", "0"}, {"ZPOPMAX", "nokey", "0"},
			{"LPOP", "str", "0"}, {"RPOP", "str", "0"}, {"SPOP", "str", "0"}, {"SRANDMEMBER", "str", "0"},
			{"ZRANDMEMBER", "str", "0"}, {"HRANDFIELD", "str", "0"}, {"ZPOPMIN", "str", "-1"},
		} {
			tr = append(tr, strings.Join(cmd, " ")+" → "+c.MustDo(t, cmd...).String())
		}
		return tr
	})
}

// TestSwapDBWatchExpired: SWAPDB touches a watched key only when the swap
// changes it logically; a missing key replaced by a logically expired one
// (or the reverse) is no change (Redis 7.0.15 touchAllWatchedKeysInDb).
func TestSwapDBWatchExpired(t *testing.T) {
	bothTranscripts(t, func(t *testing.T, n *testutil.Node) []string {
		c, w := n.Dial(t), n.Dial(t)
		c.MustDo(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		var tr []string
		exec := func(what string) {
			w.MustDo(t, "MULTI")
			w.MustDo(t, "PING")
			tr = append(tr, what+" → "+w.MustDo(t, "EXEC").String())
		}
		expiredIn := func(db, key string) {
			c.MustDo(t, "SELECT", db)
			c.MustDo(t, "SET", key, "v", "PX", "1")
			time.Sleep(20 * time.Millisecond) // past its TTL; active expiry is off
			c.MustDo(t, "SELECT", "9")
		}
		steps := []struct {
			name  string
			setup func()
		}{
			{"missing in 0, expired in 1", func() { expiredIn("1", "k1") }},
			{"missing in 0, live in 1", func() { c.MustDo(t, "SELECT", "1"); c.MustDo(t, "SET", "k2", "v"); c.MustDo(t, "SELECT", "9") }},
			{"missing in both", func() {}},
			{"expired in 0, missing in 1", func() { expiredIn("0", "k4") }},
			{"expired in 0, expired in 1", func() { expiredIn("0", "k5"); expiredIn("1", "k5") }},
		}
		for i, st := range steps {
			c.MustDo(t, "FLUSHALL")
			key := fmt.Sprintf("k%d", i+1)
			st.setup()
			w.MustDo(t, "SELECT", "0")
			w.MustDo(t, "WATCH", key)
			c.MustDo(t, "SWAPDB", "0", "1")
			exec(st.name)
		}
		// FLUSHALL: a watched live key is touched, a missing one is not.
		c.MustDo(t, "FLUSHALL")
		w.MustDo(t, "WATCH", "nothere")
		c.MustDo(t, "FLUSHALL")
		exec("FLUSHALL, watched key missing")
		c.MustDo(t, "SELECT", "0")
		c.MustDo(t, "SET", "here", "1")
		w.MustDo(t, "WATCH", "here")
		c.MustDo(t, "FLUSHALL")
		exec("FLUSHALL, watched key live")
		return tr
	})
}

// TestBlockedNotServedWrongType: a blocked client whose key is filled and
// then replaced by a value of another type (in one MULTI/EXEC) keeps
// waiting, and is served by the next push, as Redis's suite checks ("ZADD +
// DEL + SET should not awake blocked client").
func TestBlockedNotServedWrongType(t *testing.T) {
	bothTranscripts(t, func(t *testing.T, n *testutil.Node) []string {
		c := n.Dial(t)
		var tr []string
		for _, cmd := range [][]string{
			{"BZPOPMIN", "k", "0"}, {"BZMPOP", "0", "1", "k", "MIN"}, {"BLPOP", "k", "0"},
			{"BRPOPLPUSH", "k", "dst", "0"}, {"BLMPOP", "0", "1", "k", "LEFT"},
		} {
			zset := cmd[0][1] == 'Z'
			c.MustDo(t, "DEL", "k")
			b := n.Dial(t)
			b.Send(cmd...)
			waitClients(t, c, "blocked_clients:1 tracking_clients:0 clients_in_timeout_table:0")
			c.MustDo(t, "MULTI")
			if zset {
				c.MustDo(t, "ZADD", "k", "0", "foo")
			} else {
				c.MustDo(t, "LPUSH", "k", "foo")
			}
			c.MustDo(t, "DEL", "k")
			c.MustDo(t, "SET", "k", "foo")
			c.MustDo(t, "EXEC")
			c.MustDo(t, "DEL", "k")
			if zset {
				c.MustDo(t, "ZADD", "k", "1", "bar")
			} else {
				c.MustDo(t, "LPUSH", "k", "bar")
			}
			v, _, err := b.Read()
			testutil.NoErr(t, err)
			tr = append(tr, strings.Join(cmd, " ")+" → "+v.String())
			b.Close()
		}
		return tr
	})
}

// TestBlockedWokenBySwapDBAndSortStore: SWAPDB and SORT … STORE wake
// clients blocked on keys they fill, as Redis's list unit checks.
func TestBlockedWokenBySwapDBAndSortStore(t *testing.T) {
	bothTranscripts(t, func(t *testing.T, n *testutil.Node) []string {
		c := n.Dial(t)
		var tr []string
		c.MustDo(t, "SELECT", "1")
		c.MustDo(t, "RPUSH", "k", "hello")
		b := n.Dial(t)
		b.MustDo(t, "SELECT", "9")
		b.Send("BLPOP", "k", "0")
		waitClients(t, c, "blocked_clients:1 tracking_clients:0 clients_in_timeout_table:0")
		c.MustDo(t, "SWAPDB", "1", "9")
		v, _, err := b.Read()
		testutil.NoErr(t, err)
		tr = append(tr, "SWAPDB → "+v.String())

		c.MustDo(t, "SELECT", "0")
		c.MustDo(t, "RPUSH", "src", "c", "a", "b")
		b.MustDo(t, "SELECT", "0")
		b.Send("BLMPOP", "0", "1", "dst", "LEFT", "COUNT", "2")
		waitClients(t, c, "blocked_clients:1 tracking_clients:0 clients_in_timeout_table:0")
		tr = append(tr, "SORT STORE → "+c.MustDo(t, "SORT", "src", "ALPHA", "STORE", "dst").String())
		v, _, err = b.Read()
		testutil.NoErr(t, err)
		tr = append(tr, "BLMPOP → "+v.String(), "LRANGE → "+c.MustDo(t, "LRANGE", "dst", "0", "-1").String())
		return tr
	})
}
