package command

import (
	"testing"

	"github.com/shoal-db/shoal/internal/resp"

	"github.com/shoal-db/shoal/internal/types"
)

// Replies below were captured from redis-server 7.0.15.
func TestSetCommands(t *testing.T) {
	runHSCases(t, []hsCase{
		{"sadd s 3 1 2", ":3\r\n", ""},
		{"sadd s 2 5", ":1\r\n", ""},
		{"smembers s", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n", "~4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n"},
		{"smembers nx", "*0\r\n", "~0\r\n"},
		{"sismember s 2", ":1\r\n", ""},
		{"sismember s x", ":0\r\n", ""},
		{"sismember nx x", ":0\r\n", ""},
		{"smismember s 1 x 5", "*3\r\n:1\r\n:0\r\n:1\r\n", ""},
		{"smismember nx 1", "*1\r\n:0\r\n", ""},
		{"scard s", ":4\r\n", ""},
		{"scard nx", ":0\r\n", ""},
		{"srem s 1 x", ":1\r\n", ""},
		{"srem nx 1", ":0\r\n", ""},
		{"sadd u 9 7 5 3", ":4\r\n", ""},
		{"sinter u s", "*2\r\n$1\r\n3\r\n$1\r\n5\r\n", "~2\r\n$1\r\n3\r\n$1\r\n5\r\n"},
		{"sinter u nx", "*0\r\n", "~0\r\n"},
		{"sunion u s", "*5\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n7\r\n$1\r\n9\r\n", "~5\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n7\r\n$1\r\n9\r\n"},
		{"sdiff u s", "*2\r\n$1\r\n7\r\n$1\r\n9\r\n", "~2\r\n$1\r\n7\r\n$1\r\n9\r\n"},
		{"sdiff nx s", "*0\r\n", "~0\r\n"},
		{"sdiff u u", "*0\r\n", "~0\r\n"},
		{"sinterstore d u s", ":2\r\n", ""},
		{"sunionstore d u nx", ":4\r\n", ""},
		{"sdiffstore d u u", ":0\r\n", ""},
		{"scard d", ":0\r\n", ""},
		{"sintercard 2 u s", ":2\r\n", ""},
		{"sintercard 2 u s limit 1", ":1\r\n", ""},
		{"sintercard 2 u s LIMIT 0", ":2\r\n", ""},
		{"sintercard 1 nx", ":0\r\n", ""},
		{"sintercard 0 s", "-ERR numkeys should be greater than 0\r\n", ""},
		{"sintercard -1 s", "-ERR numkeys should be greater than 0\r\n", ""},
		{"sintercard x s", "-ERR numkeys should be greater than 0\r\n", ""},
		{"sintercard 3 s", "-ERR Number of keys can't be greater than number of args\r\n", ""},
		{"sintercard 1 s limit -1", "-ERR LIMIT can't be negative\r\n", ""},
		{"sintercard 1 s limit x", "-ERR LIMIT can't be negative\r\n", ""},
		{"sintercard 1 s foo", "-ERR syntax error\r\n", ""},
		{"sintercard 1 s limit", "-ERR syntax error\r\n", ""},
		{"smove s u 2", ":1\r\n", ""},
		{"smove s u 2", ":0\r\n", ""},
		{"smove nx u 2", ":0\r\n", ""},
		{"smove s s 3", ":1\r\n", ""},
		{"smove s s 99", ":0\r\n", ""},
		{"smove s fresh 3", ":1\r\n", ""},
		{"smembers fresh", "*1\r\n$1\r\n3\r\n", "~1\r\n$1\r\n3\r\n"},
		{"spop nx", "$-1\r\n", "_\r\n"},
		{"spop nx 3", "*0\r\n", "~0\r\n"},
		{"spop u 0", "*0\r\n", "~0\r\n"},
		{"spop u -1", "-ERR value is out of range, must be positive\r\n", ""},
		{"spop u x", "-ERR value is out of range, must be positive\r\n", ""},
		{"spop u 1 2", "-ERR syntax error\r\n", ""},
		{"srandmember nx", "$-1\r\n", "_\r\n"},
		{"srandmember nx 3", "*0\r\n", ""},
		{"srandmember u 0", "*0\r\n", ""},
		{"srandmember u 50", "*5\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n7\r\n$1\r\n9\r\n", ""},
		{"srandmember u 1 2", "-ERR syntax error\r\n", ""},
		{"srandmember u x", "-ERR value is not an integer or out of range\r\n", ""},
		{"srandmember u -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n", ""},
		{"spop u 100", "*5\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n7\r\n$1\r\n9\r\n", "~5\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n7\r\n$1\r\n9\r\n"},
		{"scard u", ":0\r\n", ""},
		{"sadd i 5 -9223372036854775808 9223372036854775807 0", ":4\r\n", ""},
		{"sscan i 0", "*2\r\n$1\r\n0\r\n*4\r\n$20\r\n-9223372036854775808\r\n$1\r\n0\r\n$1\r\n5\r\n$19\r\n9223372036854775807\r\n", ""},
		{"sscan i 0 match 9*", "*2\r\n$1\r\n0\r\n*1\r\n$19\r\n9223372036854775807\r\n", ""},
		{"sscan i ''", "*2\r\n$1\r\n0\r\n*4\r\n$20\r\n-9223372036854775808\r\n$1\r\n0\r\n$1\r\n5\r\n$19\r\n9223372036854775807\r\n", ""},
		{"sscan i -", "-ERR invalid cursor\r\n", ""},
		{"sscan i 18446744073709551616", "-ERR invalid cursor\r\n", ""},
		{"sscan i 0 count 0", "-ERR syntax error\r\n", ""},
		{"sscan nx 0", "*2\r\n$1\r\n0\r\n*0\r\n", ""},
		{"set str v", "+OK\r\n", ""},
		{"sadd str a", wrongTypeReply, ""},
		{"srem str a", wrongTypeReply, ""},
		{"smembers str", wrongTypeReply, ""},
		{"sismember str a", wrongTypeReply, ""},
		{"smismember str a", wrongTypeReply, ""},
		{"scard str", wrongTypeReply, ""},
		{"spop str", wrongTypeReply, ""},
		{"srandmember str 2", wrongTypeReply, ""},
		{"smove i str 5", wrongTypeReply, ""},
		{"smove str i 5", wrongTypeReply, ""},
		{"smove nx str 5", ":0\r\n", ""},
		{"sinter nx str", wrongTypeReply, ""},
		{"sunion i str", wrongTypeReply, ""},
		{"sdiff nx str", wrongTypeReply, ""},
		{"sintercard 1 str", wrongTypeReply, ""},
		{"sinterstore d str", wrongTypeReply, ""},
		{"sscan str 0", wrongTypeReply, ""},
	})
}

func setEncoding(t *testing.T, e *testEnv, key string) string {
	t.Helper()
	v, ok := e.ks.DB(0).Lookup([]byte(key))
	if !ok {
		return "none"
	}
	return v.Obj.(*types.Set).Encoding()
}

// TestSetEncodings follows Redis 7.0: the first SADD member picks intset or
// hashtable; non-integers and set-max-intset-entries convert; store
// commands build their result from an empty intset; SPOP's rebuild uses the
// first surviving member.
func TestSetEncodings(t *testing.T) {
	e := newTestEnv(t)
	e.settings.Limits.SetMaxIntsetEntries = 4
	cases := []struct {
		cmd  []string
		key  string
		want string
	}{
		{[]string{"sadd", "a", "1", "2"}, "a", "intset"},
		{[]string{"sadd", "b", "x", "1"}, "b", "hashtable"},
		{[]string{"sadd", "c", "1", "x"}, "c", "hashtable"},
		{[]string{"sadd", "d", "01"}, "d", "hashtable"},
		{[]string{"sadd", "e", "-0"}, "e", "hashtable"},
		{[]string{"sadd", "f", "9223372036854775808"}, "f", "hashtable"},
		{[]string{"sadd", "a", "3", "4"}, "a", "intset"},
		{[]string{"sadd", "a", "5"}, "a", "hashtable"},
		{[]string{"srem", "a", "5", "4"}, "a", "hashtable"},
		{[]string{"sunionstore", "u", "a"}, "u", "intset"},
		{[]string{"sinterstore", "i", "c", "c"}, "i", "hashtable"},
		{[]string{"srem", "c", "x"}, "c", "hashtable"},
		{[]string{"sinterstore", "i", "c", "c"}, "i", "intset"},
		{[]string{"smove", "c", "g", "1"}, "g", "intset"},
		{[]string{"smove", "b", "h", "x"}, "h", "hashtable"},
	}
	for _, c := range cases {
		e.do(c.cmd...)
		if got := setEncoding(t, e, c.key); got != c.want {
			t.Errorf("%v: %s is %s, want %s", c.cmd, c.key, got, c.want)
		}
	}
	if setEncoding(t, e, "c") != "none" {
		t.Error("SMOVE of the last member did not delete the source")
	}
}

func TestSpopCountCases(t *testing.T) {
	e := newTestEnv(t)
	// case 2: few popped, removed one by one
	e.do("sadd", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	if nd, _ := parseReply(e.do("spop", "s", "2")); len(nd.kids) != 2 {
		t.Fatalf("spop 2: %v", nd)
	}
	e.expect(":8\r\n", "scard", "s")
	// case 3: most popped, survivors rebuilt
	if nd, _ := parseReply(e.do("spop", "s", "7")); len(nd.kids) != 7 {
		t.Fatalf("spop 7: %v", nd)
	}
	e.expect(":1\r\n", "scard", "s")
	e.expect(":0\r\n", "sismember", "s", "11")
	// case 1: everything popped, key deleted
	e.do("spop", "s", "5")
	e.expect(":0\r\n", "scard", "s")
}

// benchEnv returns a runner that calls a handler directly; callers reuse
// one argument slice, so allocations reported are the handler's own.
func benchEnv(b *testing.B) (*testEnv, func(args [][]byte)) {
	e := newTestEnv(b)
	ctx := &Ctx{W: &resp.Writer{Proto: 2}, DB: e.ks.DB(0), KS: e.ks}
	return e, func(args [][]byte) {
		spec := e.table.Lookup(args[0])
		ctx.Args, ctx.Cmd = args, spec
		ctx.W.Reset()
		spec.Handler(ctx)
	}
}

func BenchmarkHset(b *testing.B) {
	_, run := benchEnv(b)
	fields := make([][]byte, 64)
	for i := range fields {
		fields[i] = []byte("field" + itoa(i))
	}
	cmd, key, val := []byte("hset"), []byte("h"), []byte("value")
	b.ReportAllocs()
	args := [][]byte{cmd, key, nil, val}
	for i := 0; b.Loop(); i++ {
		args[2] = fields[i&63]
		run(args)
	}
}

func BenchmarkHsetBig(b *testing.B) {
	_, run := benchEnv(b)
	fields := make([][]byte, 4096)
	for i := range fields {
		fields[i] = []byte("field" + itoa(i))
	}
	cmd, key, val := []byte("hset"), []byte("h"), []byte("value")
	b.ReportAllocs()
	args := [][]byte{cmd, key, nil, val}
	for i := 0; b.Loop(); i++ {
		args[2] = fields[i&4095]
		run(args)
	}
}

func BenchmarkHget(b *testing.B) {
	_, run := benchEnv(b)
	for i := range 10 {
		run([][]byte{[]byte("hset"), []byte("h"), []byte("field" + itoa(i)), []byte("value")})
	}
	cmd, key, f := []byte("hget"), []byte("h"), []byte("field7")
	b.ReportAllocs()
	args := [][]byte{cmd, key, f}
	for b.Loop() {
		run(args)
	}
}

func BenchmarkSadd(b *testing.B) {
	_, run := benchEnv(b)
	members := make([][]byte, 4096)
	for i := range members {
		members[i] = []byte("m" + itoa(i))
	}
	cmd, key := []byte("sadd"), []byte("s")
	b.ReportAllocs()
	args := [][]byte{cmd, key, nil}
	for i := 0; b.Loop(); i++ {
		args[2] = members[i&4095]
		run(args)
	}
}

func BenchmarkSaddIntset(b *testing.B) {
	_, run := benchEnv(b)
	members := make([][]byte, 256)
	for i := range members {
		members[i] = []byte(itoa(i * 7))
	}
	cmd, key := []byte("sadd"), []byte("s")
	b.ReportAllocs()
	args := [][]byte{cmd, key, nil}
	for i := 0; b.Loop(); i++ {
		args[2] = members[i&255]
		run(args)
	}
}
