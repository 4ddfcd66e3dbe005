package command

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

// step is one command and its raw reply.
type step struct {
	args string // split on spaces
	want string
}

func runSteps(t *testing.T, e *testEnv, steps []step) {
	t.Helper()
	for _, s := range steps {
		e.expect(s.want, strings.Fields(s.args)...)
	}
}

// testConfig is a ServerConfig for the tests, passed as Ctx.Client.
type testConfig struct {
	cluster   bool
	policy    string
	maxmemory int64
}

func (c testConfig) ClusterEnabled() bool    { return c.cluster }
func (c testConfig) MaxmemoryPolicy() string { return c.policy }
func (c testConfig) Maxmemory() int64        { return c.maxmemory }

// doCfg is e.do with a server configuration attached as Ctx.Client.
func doCfg(e *testEnv, cfg ServerConfig, args ...string) string {
	e.t.Helper()
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	spec := e.table.Lookup(bargs[0]).LookupSub(bargs)
	w := &resp.Writer{Proto: e.proto}
	ctx := &Ctx{Args: bargs, W: w, DB: e.ks.DB(e.db), KS: e.ks, Cmd: spec, Client: cfg}
	e.ks.LockAll()
	defer e.ks.UnlockAll()
	spec.Handler(ctx)
	return string(w.Buf)
}

// testList is a minimal collection for the generic commands' tests.
type testList struct{ items []string }

func (l *testList) Kind() types.Kind   { return types.KindList }
func (l *testList) Encoding() string   { return "listpack" }
func (l *testList) Len() int           { return len(l.items) }
func (l *testList) Copy() types.Object { return &testList{items: append([]string(nil), l.items...)} }

// testSet is a collection that does not implement types.Copier.
type testSet struct{}

func (testSet) Kind() types.Kind { return types.KindSet }
func (testSet) Encoding() string { return "intset" }
func (testSet) Len() int         { return 1 }

func putObject(e *testEnv, db int, key string, o types.Object) {
	e.ks.LockAll()
	e.ks.DB(db).SetObject([]byte(key), o, false)
	e.ks.UnlockAll()
}

func getObject(e *testEnv, db int, key string) types.Object {
	e.ks.LockAll()
	defer e.ks.UnlockAll()
	v, _ := e.ks.DB(db).Lookup([]byte(key))
	return v.Obj
}

func TestDelExistsTouchType(t *testing.T) {
	e := newTestEnv(t)
	putObject(e, 0, "l", &testList{items: []string{"x"}})
	runSteps(t, e, []step{
		{"set a 1", "+OK\r\n"},
		{"set b 2", "+OK\r\n"},
		{"exists a a b zz", ":3\r\n"},
		{"touch a a zz", ":2\r\n"},
		{"type a", "+string\r\n"},
		{"type l", "+list\r\n"},
		{"type zz", "+none\r\n"},
		{"del a a zz", ":1\r\n"},
		{"unlink b l zz", ":2\r\n"},
		{"exists a b l", ":0\r\n"},
		{"del", "-ERR wrong number of arguments for 'del' command\r\n"},
		{"exists", "-ERR wrong number of arguments for 'exists' command\r\n"},
	})
}

func TestExpireErrors(t *testing.T) {
	e := newTestEnv(t)
	e.expect("+OK\r\n", "set", "a", "1")
	for _, tc := range []struct {
		args, want string
	}{
		{"expire a abc nx xx", "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"},
		{"expire a 5 nx gt", "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"},
		{"expire a 5 NX lt", "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"},
		{"expire a 5 gt lt", "-ERR GT and LT options at the same time are not compatible\r\n"},
		{"expire a 5 xx GT LT", "-ERR GT and LT options at the same time are not compatible\r\n"},
		{"expire a abc foo", "-ERR Unsupported option foo\r\n"},
		{"expire a abc", "-ERR value is not an integer or out of range\r\n"},
		{"expire a 007", "-ERR value is not an integer or out of range\r\n"},
		{"expire a +7", "-ERR value is not an integer or out of range\r\n"},
		{"expire a 1.5", "-ERR value is not an integer or out of range\r\n"},
		{"expire a 9223372036854775807", "-ERR invalid expire time in 'expire' command\r\n"},
		{"expire a 9223372036854775", "-ERR invalid expire time in 'expire' command\r\n"},
		{"expire a -9223372036854776", "-ERR invalid expire time in 'expire' command\r\n"},
		{"pexpire a 9223372036854775807", "-ERR invalid expire time in 'pexpire' command\r\n"},
		{"expireat a 9223372036854776", "-ERR invalid expire time in 'expireat' command\r\n"},
		{"expire a", "-ERR wrong number of arguments for 'expire' command\r\n"},
		{"ttl", "-ERR wrong number of arguments for 'ttl' command\r\n"},
		{"ttl a b", "-ERR wrong number of arguments for 'ttl' command\r\n"},
	} {
		e.expect(tc.want, strings.Fields(tc.args)...)
	}
	// none of the errors touched the key
	e.expect(":-1\r\n", "ttl", "a")
}

func TestExpireOptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ttl    string // existing TTL in seconds, "" for none
		args   string // the EXPIRE command
		want   string
		ttlNow string // TTL afterwards
	}{
		{"nx no ttl", "", "expire k 100 nx", ":1\r\n", ":100\r\n"},
		{"nx has ttl", "50", "expire k 100 nx", ":0\r\n", ":50\r\n"},
		{"xx no ttl", "", "expire k 100 xx", ":0\r\n", ":-1\r\n"},
		{"xx has ttl", "50", "expire k 100 xx", ":1\r\n", ":100\r\n"},
		{"gt no ttl", "", "expire k 100 gt", ":0\r\n", ":-1\r\n"},
		{"gt greater", "50", "expire k 100 gt", ":1\r\n", ":100\r\n"},
		{"gt equal", "50", "expire k 50 gt", ":0\r\n", ":50\r\n"},
		{"gt less", "50", "expire k 10 gt", ":0\r\n", ":50\r\n"},
		{"lt no ttl", "", "expire k 100 lt", ":1\r\n", ":100\r\n"},
		{"lt less", "50", "expire k 10 lt", ":1\r\n", ":10\r\n"},
		{"lt equal", "50", "expire k 50 lt", ":0\r\n", ":50\r\n"},
		{"lt greater", "50", "expire k 100 lt", ":0\r\n", ":50\r\n"},
		{"xx gt", "50", "expire k 100 xx gt", ":1\r\n", ":100\r\n"},
		{"xx lt no ttl", "", "expire k 10 xx lt", ":0\r\n", ":-1\r\n"},
		{"repeated nx", "", "expire k 100 nx NX", ":1\r\n", ":100\r\n"},
		{"lt negative no ttl deletes", "", "expire k -1 lt", ":1\r\n", ":-2\r\n"},
		{"gt negative keeps", "50", "expire k -1 gt", ":0\r\n", ":50\r\n"},
		{"xx negative deletes", "50", "expire k -1 xx", ":1\r\n", ":-2\r\n"},
		{"nx negative has ttl", "50", "expire k -1 nx", ":0\r\n", ":50\r\n"},
		{"missing key", "-", "expire k 100", ":0\r\n", ":-2\r\n"},
		{"missing key xx", "-", "expire k 100 xx", ":0\r\n", ":-2\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tc.ttl != "-" {
				e.expect("+OK\r\n", "set", "k", "v")
			}
			if tc.ttl != "" && tc.ttl != "-" {
				e.expect(":1\r\n", "expire", "k", tc.ttl)
			}
			e.expect(tc.want, strings.Fields(tc.args)...)
			e.expect(tc.ttlNow, "ttl", "k")
		})
	}
}

func TestExpireVariantsAndClock(t *testing.T) {
	e := newTestEnv(t)
	now := e.now
	runSteps(t, e, []step{
		{"set k v", "+OK\r\n"},
		{"ttl k", ":-1\r\n"},
		{"pttl k", ":-1\r\n"},
		{"expiretime k", ":-1\r\n"},
		{"pexpiretime k", ":-1\r\n"},
		{"ttl nokey", ":-2\r\n"},
		{"pttl nokey", ":-2\r\n"},
		{"expiretime nokey", ":-2\r\n"},
		{"pexpiretime nokey", ":-2\r\n"},
		{"pexpire k 1499", ":1\r\n"},
		{"ttl k", ":1\r\n"}, // rounded to the nearest second
		{"pttl k", ":1499\r\n"},
		{"pexpire k 1500", ":1\r\n"},
		{"ttl k", ":2\r\n"},
		{"expire k 10", ":1\r\n"},
		{"pttl k", ":10000\r\n"},
		{"expiretime k", fmt.Sprintf(":%d\r\n", (now+10000+500)/1000)},
		{"pexpiretime k", fmt.Sprintf(":%d\r\n", now+10000)},
		{fmt.Sprintf("expireat k %d", now/1000+100), ":1\r\n"},
		{"pexpiretime k", fmt.Sprintf(":%d\r\n", (now/1000+100)*1000)},
		{fmt.Sprintf("pexpireat k %d", now+250), ":1\r\n"},
		{"pttl k", ":250\r\n"},
		// a second EXPIRE on a volatile key must keep the expires map sound
		{fmt.Sprintf("pexpireat k %d", now+300), ":1\r\n"},
		{"pttl k", ":300\r\n"},
	})
	e.now += 299
	e.expect(":1\r\n", "pttl", "k")
	e.expect(":0\r\n", "ttl", "k")
	e.now++
	runSteps(t, e, []step{
		{"pttl k", ":-2\r\n"},
		{"exists k", ":0\r\n"},
	})
	if n := e.ks.DB(0).Len(); n != 0 {
		t.Fatalf("expired key still counted: %d", n)
	}
	// a time at or before now deletes the key
	for _, c := range []string{"expire k 0", "expire k -5", "pexpire k 0", "expireat k 1", fmt.Sprintf("pexpireat k %d", e.now)} {
		e.expect("+OK\r\n", "set", "k", "v")
		e.expect(":1\r\n", strings.Fields(c)...)
		e.expect(":0\r\n", "exists", "k")
	}
	// one ms in the future keeps it
	e.expect("+OK\r\n", "set", "k", "v")
	e.expect(":1\r\n", "pexpireat", "k", fmt.Sprint(e.now+1))
	e.expect(":1\r\n", "exists", "k")
	// extreme but valid absolute times
	e.expect(":1\r\n", "pexpireat", "k", "9223372036854775807")
	e.expect(":9223372036854775807\r\n", "pexpiretime", "k")
	e.expect(":1\r\n", "expireat", "k", "9223372036854775")
	e.expect(":9223372036854775000\r\n", "pexpiretime", "k")
}

func TestPersist(t *testing.T) {
	e := newTestEnv(t)
	runSteps(t, e, []step{
		{"persist k", ":0\r\n"},
		{"set k v", "+OK\r\n"},
		{"persist k", ":0\r\n"},
		{"expire k 100", ":1\r\n"},
		{"persist k", ":1\r\n"},
		{"ttl k", ":-1\r\n"},
		{"persist k", ":0\r\n"},
		{"expire k 100", ":1\r\n"},
		{"set k w", "+OK\r\n"}, // SET clears the TTL
		{"ttl k", ":-1\r\n"},
	})
	e.expect(":1\r\n", "pexpire", "k", "10")
	e.now += 10
	e.expect(":0\r\n", "persist", "k") // expired: gone
}

func TestRename(t *testing.T) {
	e := newTestEnv(t)
	runSteps(t, e, []step{
		{"rename a b", "-ERR no such key\r\n"},
		{"renamenx a b", "-ERR no such key\r\n"},
		{"rename a a", "-ERR no such key\r\n"},
		{"set a 1", "+OK\r\n"},
		{"rename a a", "+OK\r\n"},
		{"renamenx a a", ":0\r\n"},
		{"get a", "$1\r\n1\r\n"},
		{"expire a 100", ":1\r\n"},
		{"rename a b", "+OK\r\n"},
		{"exists a", ":0\r\n"},
		{"ttl b", ":100\r\n"},
		{"get b", "$1\r\n1\r\n"},
		{"set c 2", "+OK\r\n"},
		{"renamenx b c", ":0\r\n"},
		{"get c", "$1\r\n2\r\n"},
		{"rename b c", "+OK\r\n"}, // overwrites c, keeps b's TTL
		{"ttl c", ":100\r\n"},
		{"get c", "$1\r\n1\r\n"},
		{"renamenx c d", ":1\r\n"},
		{"ttl d", ":100\r\n"},
		{"set e x", "+OK\r\n"},
		{"expire e 50", ":1\r\n"},
		{"rename d e", "+OK\r\n"},
		{"ttl e", ":100\r\n"},
		{"set p v", "+OK\r\n"},
		{"rename p e", "+OK\r\n"}, // a persistent source clears the target's TTL
		{"ttl e", ":-1\r\n"},
		{"rename {x}a {y}b", "-ERR no such key\r\n"},
	})
	putObject(e, 0, "l", &testList{items: []string{"x", "y"}})
	runSteps(t, e, []step{
		{"rename l e", "+OK\r\n"},
		{"type e", "+list\r\n"},
		{"exists l", ":0\r\n"},
	})
	// an expired source is gone
	e.expect("+OK\r\n", "set", "s", "v")
	e.expect(":1\r\n", "pexpire", "s", "5")
	e.now += 5
	e.expect("-ERR no such key\r\n", "rename", "s", "t")
}

func TestMove(t *testing.T) {
	e := newTestEnv(t)
	runSteps(t, e, []step{
		{"move nokey 0", "-ERR source and destination objects are the same\r\n"},
		{"set c 1", "+OK\r\n"},
		{"move c 0", "-ERR source and destination objects are the same\r\n"},
		{"move c x", "-ERR value is not an integer or out of range\r\n"},
		{"move c 1.5", "-ERR value is not an integer or out of range\r\n"},
		{"move c 16", "-ERR DB index is out of range\r\n"},
		{"move c -1", "-ERR DB index is out of range\r\n"},
		{"move c 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"},
		{"move nokey 1", ":0\r\n"},
		{"expire c 100", ":1\r\n"},
		{"move c 1", ":1\r\n"},
		{"move c 1", ":0\r\n"},
		{"exists c", ":0\r\n"},
	})
	e.db = 1
	runSteps(t, e, []step{
		{"ttl c", ":100\r\n"},
		{"get c", "$1\r\n1\r\n"},
	})
	e.db = 0
	runSteps(t, e, []step{
		{"set c mine", "+OK\r\n"},
		{"move c 1", ":0\r\n"}, // exists in the target: nothing moves
		{"get c", "$4\r\nmine\r\n"},
	})
	if got := doCfg(e, testConfig{cluster: true}, "move", "c", "1"); got != "-ERR MOVE is not allowed in cluster mode\r\n" {
		t.Errorf("cluster MOVE: %q", got)
	}
}

func TestCopy(t *testing.T) {
	e := newTestEnv(t)
	runSteps(t, e, []step{
		{"copy nokey nokey", "-ERR source and destination objects are the same\r\n"},
		{"copy nokey x", ":0\r\n"},
		{"set c 1", "+OK\r\n"},
		{"copy c d", ":1\r\n"},
		{"copy c d", ":0\r\n"},
		{"copy c d replace", ":1\r\n"},
		{"copy c c", "-ERR source and destination objects are the same\r\n"},
		{"copy c c db 0", "-ERR source and destination objects are the same\r\n"},
		{"copy c c db 1", ":1\r\n"},
		{"copy c c db 1", ":0\r\n"},
		{"copy c c DB 1 REPLACE", ":1\r\n"},
		{"copy c c db 16", "-ERR DB index is out of range\r\n"},
		{"copy c c db -1", "-ERR DB index is out of range\r\n"},
		{"copy c c db x", "-ERR value is not an integer or out of range\r\n"},
		{"copy c c db 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"},
		{"copy c c foo", "-ERR syntax error\r\n"},
		{"copy c c db", "-ERR syntax error\r\n"},
		{"copy c c replace foo", "-ERR syntax error\r\n"},
		{"copy c c replace replace db 2 db 3", ":1\r\n"},
		{"expire c 100", ":1\r\n"},
		{"copy c e", ":1\r\n"},
		{"ttl e", ":100\r\n"},
		{"set d x", "+OK\r\n"},
		{"expire d 50", ":1\r\n"},
		{"persist c", ":1\r\n"},
		{"copy c d replace", ":1\r\n"}, // the copy takes the source's (absent) TTL
		{"ttl d", ":-1\r\n"},
		{"get d", "$1\r\n1\r\n"},
		{"get c", "$1\r\n1\r\n"},
	})
	e.db = 3
	e.expect("$1\r\n1\r\n", "get", "c")
	e.db = 0

	// collections are copied deeply
	src := &testList{items: []string{"a", "b"}}
	putObject(e, 0, "l", src)
	e.expect(":1\r\n", "copy", "l", "l2")
	e.expect(":1\r\n", "copy", "l", "l", "db", "5")
	for _, at := range []struct {
		db  int
		key string
	}{{0, "l2"}, {5, "l"}} {
		got, ok := getObject(e, at.db, at.key).(*testList)
		if !ok || got == src || strings.Join(got.items, ",") != "a,b" {
			t.Fatalf("copy of l in db %d: %#v", at.db, got)
		}
		got.items[0] = "changed"
		if src.items[0] != "a" {
			t.Fatal("copy shares storage with the source")
		}
	}
	putObject(e, 0, "s", testSet{})
	e.expect("-ERR COPY of this value type is not supported\r\n", "copy", "s", "s2")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"copy", "c", "x", "db", "1"}, "-ERR Copying to another database is not allowed in cluster mode\r\n"},
		{[]string{"copy", "c", "x", "db", "0"}, ":1\r\n"},
		{[]string{"copy", "c", "y"}, ":1\r\n"},
	} {
		if got := doCfg(e, testConfig{cluster: true}, tc.args...); got != tc.want {
			t.Errorf("cluster %q: got %q want %q", tc.args, got, tc.want)
		}
	}
}

func TestSwapDB(t *testing.T) {
	e := newTestEnv(t)
	runSteps(t, e, []step{
		{"set a db0", "+OK\r\n"},
		{"expire a 100", ":1\r\n"},
		{"swapdb x 1", "-ERR invalid first DB index\r\n"},
		{"swapdb 0 x", "-ERR invalid second DB index\r\n"},
		{"swapdb x y", "-ERR invalid first DB index\r\n"},
		{"swapdb 99999999999 0", "-ERR invalid first DB index\r\n"},
		{"swapdb 16 x", "-ERR invalid second DB index\r\n"},
		{"swapdb 0 16", "-ERR DB index is out of range\r\n"},
		{"swapdb -1 0", "-ERR DB index is out of range\r\n"},
		{"swapdb 0 0", "+OK\r\n"},
		{"get a", "$3\r\ndb0\r\n"},
	})
	e.db = 1
	e.expect("+OK\r\n", "set", "b", "db1")
	w0, w1, wOther := &keyspace.Watcher{}, &keyspace.Watcher{}, &keyspace.Watcher{}
	e.ks.DB(0).Watch([]byte("b"), w0) // absent in db 0, present in db 1
	e.ks.DB(1).Watch([]byte("b"), w1)
	e.ks.DB(1).Watch([]byte("nothing"), wOther)
	e.expect("+OK\r\n", "swapdb", "1", "0")
	if !w0.Dirty.Load() || !w1.Dirty.Load() || wOther.Dirty.Load() {
		t.Errorf("watchers after SWAPDB: %v %v %v", w0.Dirty.Load(), w1.Dirty.Load(), wOther.Dirty.Load())
	}
	runSteps(t, e, []step{
		{"get a", "$3\r\ndb0\r\n"},
		{"ttl a", ":100\r\n"},
		{"exists b", ":0\r\n"},
		{"keys *", "*1\r\n$1\r\na\r\n"},
	})
	e.db = 0
	runSteps(t, e, []step{
		{"get b", "$3\r\ndb1\r\n"},
		{"exists a", ":0\r\n"},
		{"scan 0", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n"},
	})
	if e.ks.DB(0).Len() != 1 || e.ks.DB(1).Len() != 1 || e.ks.DB(1).Volatile() != 1 || e.ks.DB(0).Volatile() != 0 {
		t.Errorf("counts after SWAPDB: %d %d %d %d", e.ks.DB(0).Len(), e.ks.DB(1).Len(), e.ks.DB(0).Volatile(), e.ks.DB(1).Volatile())
	}
	if got := doCfg(e, testConfig{cluster: true}, "swapdb", "0", "1"); got != "-ERR SWAPDB is not allowed in cluster mode\r\n" {
		t.Errorf("cluster SWAPDB: %q", got)
	}
}

func TestRandomKey(t *testing.T) {
	e := newTestEnv(t)
	e.expect("$-1\r\n", "randomkey")
	e.proto = 3
	e.expect("_\r\n", "randomkey")
	e.proto = 2
	e.expect("+OK\r\n", "set", "only", "v")
	e.expect("$4\r\nonly\r\n", "randomkey")
	e.expect(":1\r\n", "pexpire", "only", "1")
	e.now++
	e.expect("$-1\r\n", "randomkey")
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		e.expect("+OK\r\n", "set", fmt.Sprint("k", i), "v")
	}
	for i := 0; i < 200; i++ {
		seen[e.do("randomkey")] = true
	}
	if len(seen) < 2 {
		t.Errorf("RANDOMKEY always returns %v", seen)
	}
}

// arrayKeys parses a flat RESP array of bulk strings into sorted keys.
func arrayKeys(t *testing.T, raw string) []string {
	t.Helper()
	parts := strings.Split(raw, "\r\n")
	if !strings.HasPrefix(parts[0], "*") {
		t.Fatalf("not an array: %q", raw)
	}
	var keys []string
	for i := 1; i+1 < len(parts); i += 2 {
		keys = append(keys, parts[i+1])
	}
	sort.Strings(keys)
	return keys
}

func TestKeys(t *testing.T) {
	e := newTestEnv(t)
	e.expect("*0\r\n", "keys", "*")
	for _, k := range []string{"k1", "k2", "k3", "x1", "{tag}a", "{tag}b", "a{tag}c"} {
		e.expect("+OK\r\n", "set", k, "v")
	}
	putObject(e, 0, "list1", &testList{items: []string{"x"}})
	e.expect(":1\r\n", "pexpire", "k3", "1")
	e.now++
	for _, tc := range []struct{ pattern, want string }{
		{"*", "a{tag}c k1 k2 list1 x1 {tag}a {tag}b"},
		{"k*", "k1 k2"},
		{"k[12]", "k1 k2"},
		{"*1", "k1 list1 x1"},
		{"{tag}*", "{tag}a {tag}b"},
		{"{tag}?", "{tag}a {tag}b"},
		{"{tag}", ""},
		{"a{tag}*", "a{tag}c"},
		{"*{tag}*", "a{tag}c {tag}a {tag}b"},
		{"\\{tag}a", "{tag}a"},
		{"nomatch*", ""},
	} {
		got := strings.Join(arrayKeys(t, e.do("keys", tc.pattern)), " ")
		if got != tc.want {
			t.Errorf("KEYS %s: got %q want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestPatternSlot(t *testing.T) {
	for _, tc := range []struct {
		p    string
		want int
	}{
		{"{tag}*", slot.OfString("tag")},
		{"a{tag}b*", slot.OfString("tag")},
		{"{a{b}*", slot.OfString("{a{b}")},
		{"{}*", -1},
		{"*{tag}", -1},
		{"{ta*g}", -1},
		{"{t?}", -1},
		{"\\{tag}", -1},
		{"[{]tag}", -1},
		{"plain", -1},
		{"{open", -1},
	} {
		if got := patternSlot([]byte(tc.p)); got != tc.want {
			t.Errorf("patternSlot(%q) = %d, want %d", tc.p, got, tc.want)
		}
	}
}

func TestScanErrors(t *testing.T) {
	e := newTestEnv(t)
	e.expect("+OK\r\n", "set", "a", "1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "abc"}, "-ERR invalid cursor\r\n"},
		{[]string{"scan", " 1"}, "-ERR invalid cursor\r\n"},
		{[]string{"scan", "1x"}, "-ERR invalid cursor\r\n"},
		{[]string{"scan", "-"}, "-ERR invalid cursor\r\n"},
		{[]string{"scan", "0x1"}, "-ERR invalid cursor\r\n"},
		{[]string{"scan", "18446744073709551616"}, "-ERR invalid cursor\r\n"},
		{[]string{"scan", "0", "count", "0"}, "-ERR syntax error\r\n"},
		{[]string{"scan", "0", "count", "-1"}, "-ERR syntax error\r\n"},
		{[]string{"scan", "0", "count", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"scan", "0", "count"}, "-ERR syntax error\r\n"},
		{[]string{"scan", "0", "match"}, "-ERR syntax error\r\n"},
		{[]string{"scan", "0", "type"}, "-ERR syntax error\r\n"},
		{[]string{"scan", "0", "foo", "bar"}, "-ERR syntax error\r\n"},
		// cursors Redis accepts
		{[]string{"scan", ""}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
		{[]string{"scan", "00"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
		{[]string{"scan", "-0"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
		{[]string{"scan", "+0"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
		// a cursor past the last slot ends the scan
		{[]string{"scan", "18446744073709551615"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"scan", "-1"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"scan", "16384"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		// unknown TYPE names match nothing (Redis 7.0)
		{[]string{"scan", "0", "type", "foo"}, "*2\r\n$1\r\n0\r\n*0\r\n"},
		{[]string{"scan", "0", "type", "STRING", "match", "a", "count", "5", "count", "99999999999999"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
	} {
		e.expect(tc.want, tc.args...)
	}
	e.proto = 3
	e.expect("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "scan", "0")
}

// scanReply splits a SCAN reply into its cursor and keys.
func scanReply(t *testing.T, raw string) (string, []string) {
	t.Helper()
	// *2 $n cursor *m ($len key)*
	parts := strings.Split(raw, "\r\n")
	if len(parts) < 4 || parts[0] != "*2" {
		t.Fatalf("bad SCAN reply %q", raw)
	}
	var keys []string
	for i := 4; i+1 < len(parts); i += 2 {
		keys = append(keys, parts[i+1])
	}
	return parts[2], keys
}

// scanAll runs a full SCAN iteration, calling between() after each call, and
// returns every key returned (with repeats) and the number of calls.
func scanAll(t *testing.T, e *testEnv, extra []string, between func()) ([]string, int) {
	t.Helper()
	cursor := "0"
	var all []string
	calls := 0
	for {
		var keys []string
		cursor, keys = scanReply(t, e.do(append([]string{"scan", cursor}, extra...)...))
		calls++
		all = append(all, keys...)
		if between != nil {
			between()
		}
		if cursor == "0" {
			return all, calls
		}
		if calls > 20000 {
			t.Fatal("SCAN does not terminate")
		}
	}
}

func TestScanFullIteration(t *testing.T) {
	e := newTestEnv(t)
	const n = 5000
	for i := 0; i < n; i++ {
		e.expect("+OK\r\n", "set", fmt.Sprint("key:", i), "v")
	}
	keys, calls := scanAll(t, e, nil, nil)
	if len(keys) != n {
		t.Fatalf("SCAN returned %d keys, want %d", len(keys), n)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Fatalf("key %s returned twice", k)
		}
		seen[k] = true
	}
	if calls < n/scanDefaultCount/2 {
		t.Errorf("SCAN with default COUNT took only %d calls for %d keys", calls, n)
	}
	_, calls = scanAll(t, e, []string{"count", "100000"}, nil)
	if calls != 1 {
		t.Errorf("SCAN COUNT 100000: %d calls", calls)
	}
	keys, _ = scanAll(t, e, []string{"match", "key:1*", "count", "50"}, nil)
	if want := 1 + 10 + 100 + 1000; len(keys) != want {
		t.Errorf("SCAN MATCH key:1*: %d keys, want %d", len(keys), want)
	}
	keys, _ = scanAll(t, e, []string{"type", "list"}, nil)
	if len(keys) != 0 {
		t.Errorf("SCAN TYPE list: %d keys", len(keys))
	}
}

// Every key present for the whole scan is returned, while other keys come
// and go between the calls.
func TestScanGuarantee(t *testing.T) {
	e := newTestEnv(t)
	const stable = 2000
	for i := 0; i < stable; i++ {
		e.expect("+OK\r\n", "set", fmt.Sprint("stable:", i), "v")
	}
	// many keys in one slot, so a slot is bigger than COUNT
	for i := 0; i < 100; i++ {
		e.expect("+OK\r\n", "set", fmt.Sprint("{hot}stable:", i), "v")
	}
	step := 0
	churn := func() {
		step++
		for j := 0; j < 5; j++ {
			e.do("set", fmt.Sprint("new:", step, ":", j), "v")
			e.do("del", fmt.Sprint("new:", step-3, ":", j))
		}
		e.do("set", fmt.Sprint("{hot}new:", step), "v")
	}
	keys, _ := scanAll(t, e, []string{"count", "7"}, churn)
	seen := map[string]int{}
	for _, k := range keys {
		seen[k]++
	}
	for i := 0; i < stable; i++ {
		if k := fmt.Sprint("stable:", i); seen[k] != 1 {
			t.Fatalf("%s returned %d times", k, seen[k])
		}
	}
	for i := 0; i < 100; i++ {
		if k := fmt.Sprint("{hot}stable:", i); seen[k] != 1 {
			t.Fatalf("%s returned %d times", k, seen[k])
		}
	}
	// the hot slot comes whole in one reply, and MATCH on a hash tag visits only it
	cursor, hot := scanReply(t, e.do("scan", "0", "match", "{hot}*", "count", "1"))
	if cursor != "0" || len(hot) != 100+step {
		t.Errorf("SCAN MATCH {hot}*: cursor %s, %d keys, want 0, %d", cursor, len(hot), 100+step)
	}
}

func TestScanSkipsExpired(t *testing.T) {
	e := newTestEnv(t)
	e.expect("+OK\r\n", "set", "live", "v")
	e.expect("+OK\r\n", "set", "dead", "v")
	e.expect(":1\r\n", "pexpire", "dead", "10")
	e.now += 10
	e.expect("*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlive\r\n", "scan", "0")
	e.expect("*1\r\n$4\r\nlive\r\n", "keys", "*")
}

func TestObject(t *testing.T) {
	e := newTestEnv(t)
	putObject(e, 0, "l", &testList{items: []string{"x"}})
	lfuErr := "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
	runSteps(t, e, []step{
		{"set n 123", "+OK\r\n"},
		{"set big 12345678901", "+OK\r\n"},
		{"set s hello", "+OK\r\n"},
		{"set r " + strings.Repeat("x", 45), "+OK\r\n"},
		{"set e44 " + strings.Repeat("x", 44), "+OK\r\n"},
		{"set neg -5", "+OK\r\n"},
		{"set lead 0123", "+OK\r\n"},
		{"set h 10000", "+OK\r\n"},
		{"set m 9999", "+OK\r\n"},
		{"set z 0", "+OK\r\n"},
		{"object encoding n", "$3\r\nint\r\n"},
		{"object encoding big", "$3\r\nint\r\n"},
		{"object encoding s", "$6\r\nembstr\r\n"},
		{"object encoding e44", "$6\r\nembstr\r\n"},
		{"object encoding r", "$3\r\nraw\r\n"},
		{"object encoding neg", "$3\r\nint\r\n"},
		{"object encoding lead", "$6\r\nembstr\r\n"},
		{"object encoding l", "$8\r\nlistpack\r\n"},
		{"object encoding nokey", "$-1\r\n"},
		{"object refcount n", ":2147483647\r\n"},
		{"object refcount z", ":2147483647\r\n"},
		{"object refcount m", ":2147483647\r\n"},
		{"object refcount h", ":1\r\n"},
		{"object refcount neg", ":1\r\n"},
		{"object refcount big", ":1\r\n"},
		{"object refcount s", ":1\r\n"},
		{"object refcount l", ":1\r\n"},
		{"object refcount nokey", "$-1\r\n"},
		{"object idletime s", ":0\r\n"},
		{"object idletime nokey", "$-1\r\n"},
		{"object freq nokey", "$-1\r\n"},
		{"object freq s", lfuErr},
		{"object encoding", "-ERR wrong number of arguments for 'object|encoding' command\r\n"},
		{"object encoding a b", "-ERR wrong number of arguments for 'object|encoding' command\r\n"},
		{"object help x", "-ERR wrong number of arguments for 'object|help' command\r\n"},
	})
	help := e.do("object", "help")
	if !strings.HasPrefix(help, "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n") ||
		!strings.HasSuffix(help, "+HELP\r\n+    Prints this help.\r\n") {
		t.Errorf("OBJECT HELP: %q", help)
	}
	e.proto = 3
	e.expect("_\r\n", "object", "encoding", "nokey")
	e.expect("_\r\n", "object", "freq", "nokey")

	// A key made while the keyspace keeps LFU counters starts at LFU_INIT_VAL.
	e.ks.SetAccessPolicy(true, 10, 1)
	e.expect("+OK\r\n", "set", "f", "v")
	e.ks.SetAccessPolicy(false, 10, 1)
	lfu := testConfig{policy: "allkeys-lfu"}
	for _, tc := range []struct {
		cfg  testConfig
		args []string
		want string
	}{
		{lfu, []string{"object", "freq", "f"}, ":5\r\n"},
		{lfu, []string{"object", "freq", "nokey"}, "_\r\n"},
		{lfu, []string{"object", "idletime", "s"}, "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"},
		{lfu, []string{"object", "refcount", "n"}, ":2147483647\r\n"}, // maxmemory 0: still shared
		{testConfig{policy: "volatile-lfu", maxmemory: 1 << 20}, []string{"object", "refcount", "n"}, ":1\r\n"},
		{testConfig{policy: "allkeys-lru", maxmemory: 1 << 20}, []string{"object", "refcount", "n"}, ":1\r\n"},
		{testConfig{policy: "allkeys-random", maxmemory: 1 << 20}, []string{"object", "refcount", "n"}, ":2147483647\r\n"},
		{testConfig{policy: "allkeys-lru"}, []string{"object", "freq", "s"}, lfuErr},
		{testConfig{policy: "allkeys-lru"}, []string{"object", "idletime", "s"}, ":0\r\n"},
	} {
		if got := doCfg(e, tc.cfg, tc.args...); got != tc.want {
			t.Errorf("%+v %q: got %q want %q", tc.cfg, tc.args, got, tc.want)
		}
	}
}

func TestGenParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false}, {"", 0, false}, {"-", 0, false},
		{"-0", 0, false}, {"01", 0, false}, {"+1", 0, false}, {" 1", 0, false},
		{"1 ", 0, false}, {"1.0", 0, false}, {"123456789012345678901", 0, false},
	} {
		got, ok := rnum.ParseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("rnum.ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDirtyCounts(t *testing.T) {
	e := newTestEnv(t)
	e.expect("+OK\r\n", "set", "a", "1")
	e.expect("+OK\r\n", "set", "b", "1")
	for _, tc := range []struct {
		args  string
		dirty int
	}{
		{"del a b zz", 2},
		{"expire zz 10", 0},
		{"exists zz", 0},
	} {
		args := strings.Fields(tc.args)
		bargs := make([][]byte, len(args))
		for i, a := range args {
			bargs[i] = []byte(a)
		}
		spec := e.table.Lookup(bargs[0])
		ctx := &Ctx{Args: bargs, W: &resp.Writer{Proto: 2}, DB: e.ks.DB(0), KS: e.ks, Cmd: spec}
		e.ks.LockAll()
		spec.Handler(ctx)
		e.ks.UnlockAll()
		if ctx.Dirty != tc.dirty {
			t.Errorf("%s: dirty %d, want %d", tc.args, ctx.Dirty, tc.dirty)
		}
	}
}
