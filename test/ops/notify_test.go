package ops

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// notifyScript runs every write command family, in the forms whose events
// differ (a key created, changed, emptied and deleted; a store with and
// without a result; no-ops that emit nothing). Pseudo-commands: "@sleep ms"
// pauses; "@dump key" runs DUMP and keeps the payload for "@restore key
// [REPLACE]".
var notifyScript = [][]string{
	// strings
	{"SET", "s", "1"}, {"APPEND", "s", "2"}, {"INCRBY", "s", "3"}, {"SETRANGE", "s", "0", "9"},
	{"EXPIRE", "s", "100"}, {"PERSIST", "s"}, {"RENAME", "s", "s2"}, {"DEL", "s2"},
	{"SET", "s", "v", "EX", "100"}, {"SET", "s", "w", "KEEPTTL"}, {"SET", "s", "x", "NX"}, {"SET", "s", "y", "XX", "GET"},
	{"SET", "nx", "1", "NX"}, {"SETNX", "nx", "2"}, {"SETNX", "nx2", "2"}, {"SETEX", "sx", "100", "v"}, {"PSETEX", "sx", "100000", "v"},
	{"GETSET", "sx", "w"}, {"GETDEL", "sx"}, {"GETDEL", "sx"}, {"SET", "gx", "v"}, {"GETEX", "gx", "EX", "100"}, {"GETEX", "gx", "PERSIST"},
	{"GETEX", "gx", "PERSIST"}, {"GETEX", "gx", "PXAT", "1"}, {"MSET", "m1", "a", "m2", "b"}, {"MSETNX", "m1", "a", "m3", "c"},
	{"MSETNX", "m4", "a", "m5", "c"}, {"APPEND", "ap", "x"}, {"INCR", "n"}, {"DECR", "n"}, {"DECRBY", "n", "5"},
	{"INCRBYFLOAT", "n", "1.5"}, {"INCRBYFLOAT", "nf", "2"}, {"SETRANGE", "sr", "2", "ab"}, {"SETRANGE", "sr", "0", ""},
	{"SETRANGE", "sr0", "0", ""}, {"SETBIT", "b", "7", "1"}, {"SETBIT", "b", "7", "1"}, {"SETBIT", "b", "7", "0"},
	{"BITFIELD", "bf", "SET", "u8", "0", "200"}, {"BITFIELD", "bf", "GET", "u8", "0"},
	{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "100"}, {"BITFIELD", "bf", "INCRBY", "u8", "0", "1"},
	{"BITOP", "AND", "bo", "b", "bf"}, {"BITOP", "OR", "bo", "nokey1", "nokey2"}, {"BITOP", "OR", "bo", "nokey1"},
	{"PFADD", "hll", "a", "b"}, {"PFADD", "hll", "a"}, {"PFADD", "hll2", "c"}, {"PFMERGE", "hll3", "hll", "hll2"}, {"PFCOUNT", "hll"},
	{"SET", "hlld", "x"}, {"DEL", "hlld"}, {"@dense", "hlld"}, {"PFADD", "hlld", "new1", "new2"}, {"PFADD", "hlld", "new1"},
	// generic
	{"DEL", "m1", "m2", "nokey"}, {"UNLINK", "m3"}, {"EXPIRE", "m4", "100"}, {"PEXPIRE", "m4", "200000", "GT"},
	{"EXPIRE", "m4", "10", "GT"}, {"EXPIREAT", "m4", "1"}, {"PERSIST", "m5"}, {"EXPIRE", "nokey", "10"},
	{"SET", "r1", "a"}, {"SET", "r2", "b"}, {"RENAME", "r1", "r2"}, {"RENAMENX", "r2", "r3"}, {"SET", "r4", "x"},
	{"RENAMENX", "r3", "r4"}, {"RENAME", "r4", "r4"},
	{"SET", "c", "v"}, {"COPY", "c", "c2"}, {"COPY", "c", "c2"}, {"COPY", "c", "c2", "REPLACE"}, {"COPY", "c", "c3", "DB", "1"},
	{"MOVE", "c2", "1"}, {"MOVE", "c2", "1"}, {"TOUCH", "c"}, {"@dump", "c"}, {"@restore", "c4"}, {"@restore", "c4", "REPLACE"},
	{"RPUSH", "srt", "3", "1", "2"}, {"SORT", "srt", "STORE", "srtd"}, {"SORT", "srt", "STORE", "srtd"},
	{"SORT", "nokey", "STORE", "srtd"}, {"SORT", "nokey", "STORE", "srtd"}, {"DEL", "c", "c3", "c4"},
	{"SWAPDB", "0", "1"}, {"SWAPDB", "0", "1"}, {"SELECT", "1"}, {"FLUSHDB"}, {"SELECT", "0"},
	// lists
	{"LPUSH", "l", "a", "b"}, {"RPUSH", "l", "c"}, {"LPUSHX", "l", "d"}, {"RPUSHX", "l", "e"}, {"LPUSHX", "nol", "d"},
	{"LINSERT", "l", "BEFORE", "c", "x"}, {"LINSERT", "l", "BEFORE", "nope", "x"}, {"LSET", "l", "0", "z"},
	{"LREM", "l", "0", "x"}, {"LREM", "l", "0", "nope"}, {"RPOP", "l"}, {"LPOP", "l", "2"}, {"LTRIM", "l", "0", "0"},
	{"LTRIM", "l", "0", "-1"}, {"RPUSH", "l", "p", "q", "r"}, {"LMOVE", "l", "l2", "LEFT", "RIGHT"},
	{"RPOPLPUSH", "l", "l2"}, {"LMOVE", "l2", "l2", "LEFT", "LEFT"}, {"LMPOP", "2", "nol", "l", "RIGHT", "COUNT", "5"},
	{"BLPOP", "l2", "1"}, {"BRPOP", "l2", "1"}, {"RPUSH", "l3", "a", "b", "c"}, {"BLMOVE", "l3", "l4", "RIGHT", "LEFT", "1"},
	{"BRPOPLPUSH", "l3", "l4", "1"}, {"BLMPOP", "1", "2", "l3", "l4", "LEFT", "COUNT", "10"}, {"LTRIM", "l4", "1", "0"},
	// hashes
	{"HSET", "h", "f", "v", "g", "w"}, {"HSET", "h", "f", "v"}, {"HMSET", "h", "k", "v"}, {"HSETNX", "h", "f", "v"},
	{"HSETNX", "h", "n", "v"}, {"HINCRBY", "h", "i", "1"}, {"HINCRBYFLOAT", "h", "j", "1.5"}, {"HDEL", "h", "nope"},
	{"HDEL", "h", "f", "g"}, {"HDEL", "h", "k", "n", "i", "j"}, {"HSETNX", "h2", "f", "v"}, {"HINCRBY", "h3", "f", "1"},
	// sets
	{"SADD", "st", "a", "b", "c"}, {"SADD", "st", "a"}, {"SREM", "st", "a"}, {"SREM", "st", "nope"}, {"SPOP", "st"},
	{"SADD", "st", "x", "y", "z"}, {"SPOP", "st", "2"}, {"SPOP", "st", "0"}, {"SPOP", "st", "10"}, {"SPOP", "st", "1"},
	{"SADD", "sa", "1", "2", "3"}, {"SADD", "sb", "2", "3", "4"}, {"SINTERSTORE", "sd", "sa", "sb"},
	{"SUNIONSTORE", "sd", "sa", "sb"}, {"SDIFFSTORE", "sd", "sa", "sb"}, {"SINTERSTORE", "sd", "sa", "nokey"},
	{"SDIFFSTORE", "sd", "sa", "sa"}, {"SMOVE", "sa", "sb", "1"}, {"SMOVE", "sa", "sb", "2"}, {"SMOVE", "sa", "se", "3"},
	{"SMOVE", "sa", "se", "3"},
	// sorted sets and geo
	{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, {"ZADD", "z", "1", "a"}, {"ZADD", "z", "INCR", "1", "a"},
	{"ZINCRBY", "z", "1", "a"}, {"ZADD", "z", "XX", "1", "nope"}, {"ZREM", "z", "a"}, {"ZREM", "z", "nope"},
	{"ZADD", "z", "5", "e", "6", "f", "0", "g"}, {"ZREMRANGEBYRANK", "z", "0", "0"}, {"ZREMRANGEBYSCORE", "z", "4", "4"},
	{"ZREMRANGEBYLEX", "z", "[b", "[b"}, {"ZREMRANGEBYLEX", "z", "[x", "[y"}, {"ZPOPMIN", "z"}, {"ZPOPMAX", "z", "0"},
	{"ZPOPMAX", "z"}, {"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"BZPOPMIN", "z", "1"}, {"BZPOPMAX", "z", "1"},
	{"ZMPOP", "1", "z", "MIN"}, {"ZADD", "z", "1", "a", "2", "b", "3", "c"}, {"BZMPOP", "1", "1", "z", "MAX", "COUNT", "1"},
	{"ZADD", "z2", "1", "b", "5", "x"}, {"ZRANGESTORE", "zd", "z", "0", "-1"}, {"ZRANGESTORE", "zd", "z", "5", "6"},
	{"ZUNIONSTORE", "zd", "2", "z", "z2"}, {"ZINTERSTORE", "zd", "2", "z", "z2"}, {"ZDIFFSTORE", "zd", "2", "z", "z2"},
	{"ZINTERSTORE", "zd", "2", "z", "nokey"}, {"ZINTERSTORE", "zd", "2", "z", "nokey"},
	{"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
	{"GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"},
	{"GEOSEARCHSTORE", "gd", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"},
	{"GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gd2"}, {"GEORADIUSBYMEMBER", "g", "Palermo", "1", "km", "STOREDIST", "gd3"},
	{"GEOSEARCHSTORE", "gd", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"},
	// streams
	{"XADD", "x", "1-1", "f", "v"}, {"XADD", "x", "MAXLEN", "1", "2-1", "f", "v"}, {"XADD", "x", "MAXLEN", "5", "3-1", "f", "v"},
	{"XADD", "nox", "NOMKSTREAM", "*", "f", "v"}, {"XTRIM", "x", "MAXLEN", "0"}, {"XTRIM", "x", "MAXLEN", "0"},
	{"XADD", "x", "4-1", "f", "v"}, {"XADD", "x", "5-1", "f", "v"}, {"XDEL", "x", "4-1", "9-9"}, {"XDEL", "x", "9-9"},
	{"XSETID", "x", "10-1"}, {"XGROUP", "CREATE", "x", "g1", "0"}, {"XGROUP", "CREATE", "x2", "g1", "$", "MKSTREAM"},
	{"XGROUP", "CREATECONSUMER", "x", "g1", "c1"}, {"XGROUP", "CREATECONSUMER", "x", "g1", "c1"},
	{"XREADGROUP", "GROUP", "g1", "c2", "STREAMS", "x", ">"}, {"XREADGROUP", "GROUP", "g1", "c2", "STREAMS", "x", ">"},
	{"XCLAIM", "x", "g1", "c3", "0", "5-1"}, {"XAUTOCLAIM", "x", "g1", "c4", "0", "0"}, {"XACK", "x", "g1", "5-1"},
	{"XGROUP", "SETID", "x", "g1", "0"}, {"XGROUP", "DELCONSUMER", "x", "g1", "c1"}, {"XGROUP", "DELCONSUMER", "x", "g1", "c9"},
	{"XGROUP", "DESTROY", "x", "g1"}, {"XGROUP", "DESTROY", "x", "g1"}, {"DEL", "x", "x2"},
	// reads of missing keys (keymiss)
	{"GET", "nokey"}, {"MGET", "s", "nokey", "nokey2"}, {"EXISTS", "nokey", "s", "nokey"}, {"TYPE", "nokey"}, {"TTL", "nokey"},
	{"STRLEN", "nokey"}, {"HGET", "nokey", "f"}, {"LRANGE", "nokey", "0", "-1"}, {"SMEMBERS", "nokey"}, {"ZSCORE", "nokey", "a"},
	{"XRANGE", "nokey", "-", "+"}, {"OBJECT", "ENCODING", "nokey"}, {"DUMP", "nokey"}, {"SINTER", "sb", "nokey"},
	{"SUNIONSTORE", "sd", "sb", "nokey"}, {"COPY", "nokey", "c9"}, {"BITCOUNT", "nokey"}, {"PFCOUNT", "nokey"},
	{"GETDEL", "nokey"}, {"GETEX", "nokey"}, {"GETSET", "gs", "v"}, {"SET", "gs2", "v", "GET"}, {"LCS", "nokey", "s"},
	{"ZUNIONSTORE", "zd", "2", "nokey", "z2"}, {"SORT", "nokey"}, {"GEOSEARCH", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"},
	{"DEL", "sd", "zd", "gs", "gs2"},
	// transactions and scripts
	{"MULTI"}, {"SET", "t", "1"}, {"INCR", "t"}, {"LPUSH", "tl", "a"}, {"DEL", "t", "tl"}, {"EXEC"},
	{"EVAL", "redis.call('set', KEYS[1], 'x') redis.call('expire', KEYS[1], 100) return redis.call('del', KEYS[1])", "1", "ev"},
	{"FUNCTION", "LOAD", "REPLACE", "#!lua name=nlib\nredis.register_function('nset', function(keys, args) redis.call('set', keys[1], args[1]) return redis.call('lpush', keys[1] .. 'l', args[1]) end)"},
	{"FCALL", "nset", "1", "fk", "v"}, {"DEL", "fk", "fkl"},
	// expiry: lazy (active expiry off), then active
	{"DEBUG", "SET-ACTIVE-EXPIRE", "0"}, {"SET", "e", "v", "PX", "1"}, {"@sleep", "20"}, {"GET", "e"},
	{"SET", "e", "v", "PX", "1"}, {"@sleep", "20"}, {"SET", "e", "w"}, {"DEL", "e"},
	{"HSET", "eh", "f", "v"}, {"PEXPIRE", "eh", "10"}, {"@sleep", "50"}, {"HSET", "eh", "f", "v"}, {"DEL", "eh"},
	{"SET", "ed", "v"}, {"@dump", "ed"}, {"SET", "er", "w", "PX", "1"}, {"@sleep", "20"}, {"@restore", "er", "REPLACE"},
	{"RPUSH", "erl", "a"}, {"@restore", "erl", "REPLACE"}, {"RPUSH", "erl2", "a"}, {"@dump", "erl2"},
	{"@restore", "erl2", "REPLACE"}, {"@restore", "er", "REPLACE"}, {"DEL", "ed", "er", "erl", "erl2"},
	{"DEBUG", "SET-ACTIVE-EXPIRE", "1"}, {"SET", "ea", "v", "PX", "1"}, {"@sleep", "500"},
}

// notifyEnd is published last: the pattern subscriber sees it whatever
// classes are on, and stops reading there.
const notifyEnd = "__keyspace@0__:__end__"

// runNotify sets notify-keyspace-events to flags with CONFIG SET, runs
// script on node with a pattern subscriber of protocol proto listening,
// and returns the raw bytes of every notification it got, in order, each
// after the command that caused it ("SET k v | <raw>").
func runNotify(t *testing.T, node *testutil.Node, flags string, proto int, script [][]string) []string {
	t.Helper()
	c := node.Dial(t)
	c.MustDo(t, "FLUSHALL")
	c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", flags)
	sub := node.Dial(t)
	if proto == 3 {
		sub.MustDo(t, "HELLO", "3")
	}
	testutil.NoErr(t, sub.Send("PSUBSCRIBE", "__key*__:*"))
	_, _, err := sub.Read()
	testutil.NoErr(t, err)
	var msgs []string
	// drain reads the notifications up to the next end mark.
	drain := func(cmd []string) {
		c.MustDo(t, "PUBLISH", notifyEnd, "end")
		for {
			v, raw, err := sub.ReadWithin(5 * time.Second)
			if err != nil {
				t.Fatalf("%s: %v after %d notifications: %q", node.Addr, err, len(msgs), msgs)
			}
			if len(v.Elems) == 4 && string(v.Elems[2].Str) == notifyEnd {
				return
			}
			msgs = append(msgs, strings.Join(cmd, " ")+" | "+string(raw))
		}
	}
	runScript(t, c, script, drain)
	drain([]string{"(end)"})
	c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", "")
	return msgs
}

// runScript runs script on c; after each command (but inside MULTI) it
// calls after, if given.
func runScript(t *testing.T, c *testutil.Conn, script [][]string, after func(cmd []string)) {
	t.Helper()
	var dump string
	multi := false
	for _, cmd := range script {
		switch cmd[0] {
		case "@sleep":
			ms, _ := strconv.Atoi(cmd[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			continue
		case "@dump":
			dump = string(c.MustDo(t, "DUMP", cmd[1]).Str)
			continue
		case "@dense": // a dense HyperLogLog: enough elements to leave the sparse form
			args := []string{"PFADD", cmd[1]}
			for i := 0; i < 3000; i++ {
				args = append(args, "e"+strconv.Itoa(i))
			}
			c.MustDo(t, args...)
			cmd = []string{"PFADD", cmd[1], "dense"}
		case "@restore":
			cmd = append([]string{"RESTORE", cmd[1], "0", dump}, cmd[2:]...)
		}
		if v := c.MustDo(t, cmd...); v.IsError() && !strings.HasPrefix(v.String(), "(error) BUSYGROUP") {
			t.Fatalf("%q: %s", cmd, v.String())
		}
		switch strings.ToUpper(cmd[0]) {
		case "MULTI":
			multi = true
		case "EXEC":
			multi = false
		}
		if after != nil && !multi {
			after(cmd)
		}
	}
}

// compareNotify runs script on redis-server and shoal-server alike and
// compares the notifications byte for byte.
func compareNotify(t *testing.T, flags string, proto int, script [][]string, extra ...string) []string {
	t.Helper()
	got := map[string][]string{}
	for _, s := range both(t, extra...) {
		got[s.name] = runNotify(t, s.node, flags, proto, script)
	}
	if strings.Join(got["shoal"], "") != strings.Join(got["redis"], "") {
		diffLines(t, got["redis"], got["shoal"])
	}
	return got["shoal"]
}

// diffLines reports the first notifications where shoal differs from redis.
func diffLines(t *testing.T, redis, shoal []string) {
	t.Helper()
	n := max(len(redis), len(shoal))
	shown := 0
	for i := 0; i < n && shown < 8; i++ {
		var r, s string
		if i < len(redis) {
			r = redis[i]
		}
		if i < len(shoal) {
			s = shoal[i]
		}
		if r != s {
			t.Errorf("notification %d: redis %q, shoal %q", i, r, s)
			shown++
		}
	}
	t.Errorf("redis sent %d notifications, shoal %d", len(redis), len(shoal))
}

// Keyspace and keyevent notifications for every class and every write
// command family, including expired (lazy and active), are the ones Redis
// sends, in Redis's order, byte for byte.
func TestKeyspaceNotificationsAsRedis(t *testing.T) {
	got := compareNotify(t, "KEA", 2, notifyScript)
	t.Logf("%d notifications alike", len(got))
	if len(got) < 400 {
		t.Errorf("only %d notifications", len(got))
	}
	all := strings.Join(got, "")
	for _, want := range []string{"__keyevent@0__:expired\r\n$1\r\ne", "__keyevent@0__:expired\r\n$2\r\nea",
		"__keyevent@1__:move_to", "__keyevent@1__:copy_to", "xgroup-createconsumer", "georadiusstore", "sortstore"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q among the notifications", want)
		}
	}
}

// RESP3 subscribers get the same events as push messages; the "new" class
// (n, not part of A) reports every key added.
func TestKeyspaceNotificationsRESP3AndNew(t *testing.T) {
	got := compareNotify(t, "AKEn", 3, notifyScript)
	if !strings.Contains(strings.Join(got, ""), ">4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@0__:new\r\n") {
		t.Errorf("no RESP3 push of a new event in %q", got[:min(len(got), 4)])
	}
}

// Each class alone publishes only its own events, on the channels asked for.
func TestKeyspaceNotificationClasses(t *testing.T) {
	for _, flags := range []string{"Kg", "E$", "Kl", "Eh", "Ks", "Ez", "Kt", "Ex", "Kn", "KEgx", "Em", "AKEm"} {
		t.Run(flags, func(t *testing.T) {
			got := compareNotify(t, flags, 2, notifyScript)
			if len(got) == 0 {
				t.Errorf("%s: no notifications", flags)
			}
		})
	}
}

// CONFIG GET answers Redis's canonical flag string; bad flags get Redis's error.
func TestNotifyKeyspaceEventsConfig(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		c := s.node.Dial(t)
		var out []string
		for _, f := range []string{"KEA", "Kx", "AKEmn", "gE$", "", "KA", "Elshz", "xeKE", "g$lshzxetdKE", "KEAmnd", "Q", "A"} {
			v := c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", f)
			g := c.MustDo(t, "CONFIG", "GET", "notify-keyspace-events")
			out = append(out, f+" => "+v.String()+" "+g.String())
		}
		got[s.name] = out
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}

// A client blocked in BLPOP/BZPOPMIN/XREADGROUP that a push serves emits
// its pop events after the push's; a RESP3 client subscribed on its own
// connection gets each push before its command's reply.
func TestKeyspaceNotificationsBlockingAndSameClient(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t, "--notify-keyspace-events", "KEA") {
		sub := s.node.Dial(t)
		testutil.NoErr(t, sub.Send("PSUBSCRIBE", "__keyevent@0__:*"))
		_, _, err := sub.Read()
		testutil.NoErr(t, err)
		c := s.node.Dial(t)
		c.MustDo(t, "XGROUP", "CREATE", "bx", "g", "$", "MKSTREAM")
		for _, step := range []struct{ block, push []string }{
			{[]string{"BLPOP", "bl", "5"}, []string{"RPUSH", "bl", "a", "b"}},
			{[]string{"BZPOPMIN", "bz", "5"}, []string{"ZADD", "bz", "1", "a"}},
			{[]string{"BLMOVE", "bm", "bm2", "LEFT", "RIGHT", "5"}, []string{"LPUSH", "bm", "a"}},
			{[]string{"BLMPOP", "5", "1", "bp", "RIGHT", "COUNT", "2"}, []string{"LPUSH", "bp", "a", "b", "c"}},
			{[]string{"XREADGROUP", "GROUP", "g", "cc", "BLOCK", "5000", "STREAMS", "bx", ">"}, []string{"XADD", "bx", "1-1", "f", "v"}},
		} {
			b := s.node.Dial(t)
			testutil.NoErr(t, b.Send(step.block...))
			waitBlocked(t, c, 1)
			c.MustDo(t, step.push...)
			_, _, err := b.Read()
			testutil.NoErr(t, err)
		}
		// One RESP3 connection, subscribed and writing.
		r3 := s.node.Dial(t)
		r3.MustDo(t, "HELLO", "3")
		testutil.NoErr(t, r3.Send("SUBSCRIBE", "__keyspace@0__:own"))
		_, _, err = r3.Read()
		testutil.NoErr(t, err)
		var own []string
		for _, cmd := range [][]string{{"SET", "own", "1"}, {"LPUSH", "x", "1"}, {"DEL", "own"}} {
			testutil.NoErr(t, r3.Send(cmd...))
			for {
				v, raw, err := r3.Read()
				testutil.NoErr(t, err)
				own = append(own, string(raw))
				if len(v.Elems) == 0 {
					break // the reply
				}
			}
		}
		c.MustDo(t, "PUBLISH", "__keyevent@0__:end", "x")
		var msgs []string
		for {
			v, _, err := sub.ReadWithin(5 * time.Second)
			testutil.NoErr(t, err)
			ch, data := string(v.Elems[2].Str), string(v.Elems[3].Str)
			if ch == "__keyevent@0__:end" {
				break
			}
			msgs = append(msgs, ch+" "+data)
		}
		got[s.name] = append(msgs, own...)
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}

func waitBlocked(t *testing.T, c *testutil.Conn, n int) {
	t.Helper()
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		info := string(c.MustDo(t, "INFO", "clients").Str)
		if !strings.Contains(info, fmt.Sprintf("blocked_clients:%d\r\n", n)) {
			return fmt.Errorf("not blocked yet")
		}
		return nil
	})
}

// A replica publishes the events of the commands it applies from its
// master's stream (in their propagated forms: SPOP as SREM, expiry as DEL).
func TestKeyspaceNotificationsOnReplica(t *testing.T) {
	script := [][]string{
		{"SET", "a", "1", "EX", "100"}, {"INCRBYFLOAT", "a", "1"}, {"LPUSH", "l", "x", "y"}, {"BLPOP", "l", "1"},
		{"SADD", "s", "a", "b"}, {"SPOP", "s"}, {"HSET", "h", "f", "v"}, {"ZADD", "z", "1", "a"}, {"ZPOPMIN", "z"},
		{"XADD", "x", "1-1", "f", "v"}, {"XGROUP", "CREATE", "x", "g", "0"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"},
		{"MULTI"}, {"SET", "t", "1"}, {"DEL", "t"}, {"EXEC"}, {"RENAME", "a", "b"}, {"SET", "e", "v", "PX", "1"}, {"@sleep", "300"},
	}
	got := map[string][]string{}
	for _, s := range both(t) {
		replica := testutil.StartRedis(t, "--notify-keyspace-events", "KEA")
		if s.name == "shoal" {
			replica = testutil.StartShoal(t, "--notify-keyspace-events", "KEA")
		}
		rc := replica.Dial(t)
		host, port, _ := strings.Cut(s.node.Addr, ":")
		rc.MustDo(t, "REPLICAOF", host, port)
		testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
			if !strings.Contains(string(rc.MustDo(t, "INFO", "replication").Str), "master_link_status:up") {
				return fmt.Errorf("link not up")
			}
			return nil
		})
		sub := replica.Dial(t)
		testutil.NoErr(t, sub.Send("PSUBSCRIBE", "__keyevent@*"))
		_, _, err := sub.Read()
		testutil.NoErr(t, err)
		m := s.node.Dial(t)
		runScript(t, m, script, nil)
		m.MustDo(t, "SET", "end", "1")
		var msgs []string
		readTo := func(end string) {
			for {
				v, raw, err := sub.ReadWithin(5 * time.Second)
				if err != nil {
					t.Fatalf("%s: %v after %q", s.name, err, msgs)
				}
				if string(v.Elems[3].Str) == end {
					return
				}
				msgs = append(msgs, string(raw))
			}
		}
		readTo("end")
		// A writable replica expires the keys its own clients gave a TTL.
		rc.MustDo(t, "CONFIG", "SET", "replica-read-only", "no")
		before := rc.MustDo(t, "DBSIZE").Int
		rc.MustDo(t, "SET", "local", "v", "PX", "50")
		// Shoal sweeps them once a second, Redis ten times: wait until the
		// key is gone (DBSIZE counts it until then; a read on a replica
		// does not delete it).
		testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
			if v, err := rc.Do("DBSIZE"); err != nil || v.Int != before {
				return fmt.Errorf("%s: DBSIZE %d, %d before the key: %v", s.name, v.Int, before, err)
			}
			return nil
		})
		rc.MustDo(t, "PUBLISH", "__keyevent@0__:mark", "end2")
		readTo("end2")
		got[s.name] = msgs
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
	if !strings.Contains(strings.Join(got["shoal"], ""), "__keyevent@0__:expired\r\n$5\r\nlocal") {
		t.Errorf("the writable replica did not publish the expiry of its own key: %q", got["shoal"])
	}
	if !strings.Contains(strings.Join(got["shoal"], ""), "__keyevent@0__:srem") {
		t.Errorf("the replica did not publish SPOP's propagated SREM: %q", got["shoal"])
	}
}

// Eviction publishes "evicted" for each key evicted, and nothing else.
func TestKeyspaceNotificationsEvicted(t *testing.T) {
	n := testutil.StartShoal(t, "--notify-keyspace-events", "Ee")
	sub := n.Dial(t)
	testutil.NoErr(t, sub.Send("SUBSCRIBE", "__keyevent@0__:evicted"))
	_, _, err := sub.Read()
	testutil.NoErr(t, err)
	c := n.Dial(t)
	val := strings.Repeat("v", 1000)
	for i := 0; i < 3000; i++ {
		c.MustDo(t, "SET", fmt.Sprint("k", i), val)
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	used := 0
	for _, line := range strings.Split(string(c.MustDo(t, "INFO", "memory").Str), "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			used, _ = strconv.Atoi(v)
		}
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory", fmt.Sprint(used/2))
	c.MustDo(t, "SET", "last", "1")
	c.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
	// Eviction may go on in the background for a moment (tenacity).
	var keys []string
	for {
		v, _, err := sub.ReadWithin(time.Second)
		if err != nil {
			break
		}
		keys = append(keys, string(v.Elems[2].Str))
	}
	evicted := 0
	for _, line := range strings.Split(string(c.MustDo(t, "INFO", "stats").Str), "\r\n") {
		if v, ok := strings.CutPrefix(line, "evicted_keys:"); ok {
			evicted, _ = strconv.Atoi(v)
		}
	}
	if evicted == 0 || len(keys) != evicted {
		t.Fatalf("evicted_keys %d, %d evicted events", evicted, len(keys))
	}
	for _, key := range keys {
		if got := c.MustDo(t, "EXISTS", key); got.Int != 0 {
			t.Errorf("evicted %q still exists", key)
		}
	}
}

// In cluster mode events are published on the node that holds the key,
// to its own subscribers, as Redis does.
func TestKeyspaceNotificationsCluster(t *testing.T) {
	script := [][]string{
		{"SET", "{t}a", "1"}, {"RENAME", "{t}a", "{t}b"}, {"LPUSH", "{t}l", "x"}, {"LMOVE", "{t}l", "{t}m", "LEFT", "LEFT"},
		{"SADD", "{t}s", "a"}, {"SUNIONSTORE", "{t}d", "{t}s", "{t}m2"}, {"ZADD", "{t}z", "1", "a"}, {"XADD", "{t}x", "1-1", "f", "v"},
		{"COPY", "{t}b", "{t}c"}, {"DEL", "{t}b", "{t}c", "{t}m", "{t}d", "{t}s"}, {"SET", "{t}e", "v", "PX", "1"}, {"@sleep", "300"},
	}
	got := map[string][]string{}
	for _, s := range both(t, "--cluster-enabled", "yes") {
		c := s.node.Dial(t)
		c.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
		testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
			if !strings.Contains(string(c.MustDo(t, "CLUSTER", "INFO").Str), "cluster_state:ok") {
				return fmt.Errorf("cluster not ok")
			}
			return nil
		})
		got[s.name] = runNotify(t, s.node, "KEA", 2, script)
	}
	if strings.Join(got["shoal"], "") != strings.Join(got["redis"], "") {
		diffLines(t, got["redis"], got["shoal"])
	}
	if len(got["shoal"]) < 20 {
		t.Errorf("only %d notifications", len(got["shoal"]))
	}
}

// MIGRATE deletes the keys it moved from the source with "del" events
// (none with COPY), as Redis does.
func TestKeyspaceNotificationsMigrate(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t, "--notify-keyspace-events", "KEA") {
		dst := testutil.StartRedis(t)
		if s.name == "shoal" {
			dst = testutil.StartShoal(t)
		}
		host, port, _ := strings.Cut(dst.Addr, ":")
		sub := s.node.Dial(t)
		testutil.NoErr(t, sub.Send("PSUBSCRIBE", "__key*__:*"))
		_, _, err := sub.Read()
		testutil.NoErr(t, err)
		c := s.node.Dial(t)
		c.MustDo(t, "MSET", "m1", "a", "m2", "b", "m3", "c")
		for _, cmd := range [][]string{{"MIGRATE", host, port, "m1", "0", "5000"}, {"MIGRATE", host, port, "m2", "0", "5000", "COPY"},
			{"MIGRATE", host, port, "", "0", "5000", "REPLACE", "KEYS", "m2", "m3", "nokey"}} {
			if v := c.MustDo(t, cmd...); v.IsError() {
				t.Fatalf("%s %q: %s", s.name, cmd, v.String())
			}
		}
		c.MustDo(t, "PUBLISH", notifyEnd, "end")
		var msgs []string
		for {
			v, raw, err := sub.ReadWithin(5 * time.Second)
			testutil.NoErr(t, err)
			if string(v.Elems[2].Str) == notifyEnd {
				break
			}
			msgs = append(msgs, string(raw))
		}
		got[s.name] = msgs
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
	if n := strings.Count(strings.Join(got["shoal"], ""), "__keyevent@0__:del"); n != 3 {
		t.Errorf("%d del events, want 3: %q", n, got["shoal"])
	}
}
