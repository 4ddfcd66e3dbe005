package ops

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// notifyScript exercises every event class of notify-keyspace-events.
var notifyScript = [][]string{
	{"SET", "s", "1"}, {"APPEND", "s", "2"}, {"INCRBY", "s", "3"}, {"SETRANGE", "s", "0", "9"},
	{"EXPIRE", "s", "100"}, {"PERSIST", "s"}, {"RENAME", "s", "s2"}, {"DEL", "s2"},
	{"LPUSH", "l", "a", "b"}, {"RPOP", "l"}, {"LSET", "l", "0", "z"}, {"LTRIM", "l", "0", "0"}, {"LPOP", "l"},
	{"HSET", "h", "f", "v"}, {"HINCRBY", "h", "n", "1"}, {"HDEL", "h", "f", "n"},
	{"SADD", "st", "a", "b"}, {"SREM", "st", "a"}, {"SPOP", "st"},
	{"ZADD", "z", "1", "a"}, {"ZINCRBY", "z", "1", "a"}, {"ZREM", "z", "a"},
	{"XADD", "x", "1-1", "f", "v"}, {"XTRIM", "x", "MAXLEN", "0"}, {"DEL", "x"},
	{"SET", "c", "v"}, {"COPY", "c", "c2"}, {"MOVE", "c2", "1"}, {"DEL", "c"},
	{"SET", "e", "v", "PX", "1"},
}

// Keyspace and keyevent notifications for every class, including expired,
// are the ones Redis sends, in Redis's order.
func TestKeyspaceNotificationsAsRedis(t *testing.T) {
	// Found by this test: notify-keyspace-events is accepted but nothing
	// is published (no event is emitted by any command or by expiry).
	// Kept ready for whoever implements them.
	if os.Getenv("SHOAL_TEST_NOTIFY") != "1" {
		t.Skip("keyspace notifications are not implemented yet (issue #13); SHOAL_TEST_NOTIFY=1 runs this test")
	}
	got := map[string][]string{}
	for _, s := range both(t, "--notify-keyspace-events", "KEA") {
		sub := s.node.Dial(t)
		testutil.NoErr(t, sub.Send("PSUBSCRIBE", "__key*@0__:*"))
		_, _, err := sub.Read()
		testutil.NoErr(t, err)
		c := s.node.Dial(t)
		for _, cmd := range notifyScript {
			if v := c.MustDo(t, cmd...); v.IsError() {
				t.Fatalf("%s %q: %s", s.name, cmd, v.String())
			}
		}
		// "e" expires (1 ms): active expiry or this GET deletes it.
		time.Sleep(50 * time.Millisecond)
		c.MustDo(t, "GET", "e")
		c.MustDo(t, "SET", "end", "1")
		var msgs []string
		for {
			v, _, err := sub.ReadWithin(5 * time.Second)
			if err != nil {
				t.Errorf("%s: %v after %d notifications", s.name, err, len(msgs))
				break
			}
			ch, data := string(v.Elems[2].Str), string(v.Elems[3].Str)
			msgs = append(msgs, ch+" "+data)
			if strings.HasSuffix(ch, ":end") {
				break
			}
		}
		got[s.name] = msgs
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
	if len(got["shoal"]) < 60 {
		t.Errorf("only %d notifications", len(got["shoal"]))
	}
	want := "__keyevent@0__:expired e"
	if !strings.Contains(strings.Join(got["shoal"], "\n"), want) {
		t.Errorf("no %q in %s", want, fmt.Sprint(got["shoal"]))
	}
}
