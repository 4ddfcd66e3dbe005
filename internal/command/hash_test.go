package command

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// Replies below were captured from redis-server 7.0.15.

type hsCase struct {
	args string // space-separated; '' is an empty argument
	want string // RESP2 reply
	w3   string // RESP3 reply if different
}

func hsSplit(s string) []string {
	f := strings.Fields(s)
	for i, a := range f {
		if a == "''" {
			f[i] = ""
		}
	}
	return f
}

func runHSCases(t *testing.T, cases []hsCase) {
	t.Helper()
	for _, proto := range []int{2, 3} {
		e := newTestEnv(t)
		e.proto = proto
		for _, c := range cases {
			want := c.want
			if proto == 3 && c.w3 != "" {
				want = c.w3
			}
			e.expect(want, hsSplit(c.args)...)
		}
	}
}

func TestHashCommands(t *testing.T) {
	runHSCases(t, []hsCase{
		{"hset h f1 v1 f2 v2", ":2\r\n", ""},
		{"hset h f1 v9", ":0\r\n", ""},
		{"hset h a", "-ERR wrong number of arguments for 'hset' command\r\n", ""},
		{"hset h a b c", "-ERR wrong number of arguments for 'hset' command\r\n", ""},
		{"hmset h a", "-ERR wrong number of arguments for 'hmset' command\r\n", ""},
		{"hmset h a b", "+OK\r\n", ""},
		{"hsetnx h a c", ":0\r\n", ""},
		{"hsetnx h n1 c", ":1\r\n", ""},
		{"hget h a", "$1\r\nb\r\n", ""},
		{"hget h zz", "$-1\r\n", "_\r\n"},
		{"hget nx zz", "$-1\r\n", "_\r\n"},
		{"hmget h a zz", "*2\r\n$1\r\nb\r\n$-1\r\n", "*2\r\n$1\r\nb\r\n_\r\n"},
		{"hmget nx a", "*1\r\n$-1\r\n", "*1\r\n_\r\n"},
		{"hgetall h", "*8\r\n$2\r\nf1\r\n$2\r\nv9\r\n$2\r\nf2\r\n$2\r\nv2\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nn1\r\n$1\r\nc\r\n",
			"%4\r\n$2\r\nf1\r\n$2\r\nv9\r\n$2\r\nf2\r\n$2\r\nv2\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nn1\r\n$1\r\nc\r\n"},
		{"hgetall nx", "*0\r\n", "%0\r\n"},
		{"hkeys h", "*4\r\n$2\r\nf1\r\n$2\r\nf2\r\n$1\r\na\r\n$2\r\nn1\r\n", ""},
		{"hvals h", "*4\r\n$2\r\nv9\r\n$2\r\nv2\r\n$1\r\nb\r\n$1\r\nc\r\n", ""},
		{"hkeys nx", "*0\r\n", ""},
		{"hlen h", ":4\r\n", ""},
		{"hlen nx", ":0\r\n", ""},
		{"hstrlen h f1", ":2\r\n", ""},
		{"hstrlen h zz", ":0\r\n", ""},
		{"hstrlen nx zz", ":0\r\n", ""},
		{"hexists h a", ":1\r\n", ""},
		{"hexists h zz", ":0\r\n", ""},
		{"hdel h a zz a", ":1\r\n", ""},
		{"hdel nx a", ":0\r\n", ""},
		{"hincrby h n 9223372036854775807", ":9223372036854775807\r\n", ""},
		{"hincrby h n 1", "-ERR increment or decrement would overflow\r\n", ""},
		{"hincrby h f1 1", "-ERR hash value is not an integer\r\n", ""},
		{"hincrby h n x", "-ERR value is not an integer or out of range\r\n", ""},
		{"hincrbyfloat h f1 1", "-ERR hash value is not a float\r\n", ""},
		{"hincrbyfloat h fl x", "-ERR value is not a valid float\r\n", ""},
		{"hincrbyfloat h fl inf", "-ERR value is NaN or Infinity\r\n", ""},
		{"hincrbyfloat h fl nan", "-ERR value is not a valid float\r\n", ""},
		{"hincrbyfloat h fl 0.1", "$3\r\n0.1\r\n", ""},
		{"hincrbyfloat h fl 0.2", "$3\r\n0.3\r\n", ""},
		{"hincrbyfloat h fl 3.0e3", "$22\r\n3000.30000000000000004\r\n", ""},
		{"hscan h 0 match f*", "*2\r\n$1\r\n0\r\n*6\r\n$2\r\nf1\r\n$2\r\nv9\r\n$2\r\nf2\r\n$2\r\nv2\r\n$2\r\nfl\r\n$22\r\n3000.30000000000000004\r\n", ""},
		{"hscan h 0 count 0", "-ERR syntax error\r\n", ""},
		{"hscan h 0 count x", "-ERR value is not an integer or out of range\r\n", ""},
		{"hscan h x", "-ERR invalid cursor\r\n", ""},
		{"hscan h 0 match", "-ERR syntax error\r\n", ""},
		{"hscan h 0 type string", "-ERR syntax error\r\n", ""},
		{"hscan nx 0 count 0", "*2\r\n$1\r\n0\r\n*0\r\n", ""},
		{"hrandfield nx", "$-1\r\n", "_\r\n"},
		{"hrandfield nx 1", "*0\r\n", ""},
		{"hrandfield h 0", "*0\r\n", ""},
		{"hrandfield h 1 foo", "-ERR syntax error\r\n", ""},
		{"hrandfield h 1 withvalues x", "-ERR syntax error\r\n", ""},
		{"hrandfield h x", "-ERR value is not an integer or out of range\r\n", ""},
		{"hrandfield h -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n", ""},
		{"hrandfield h -4611686018427387904 withvalues", "-ERR value is out of range\r\n", ""},
		{"set str v", "+OK\r\n", ""},
		{"hget str a", wrongTypeReply, ""},
		{"hset str a b", wrongTypeReply, ""},
		{"hsetnx str a b", wrongTypeReply, ""},
		{"hmget str a", wrongTypeReply, ""},
		{"hgetall str", wrongTypeReply, ""},
		{"hincrby str a 1", wrongTypeReply, ""},
		{"hincrbyfloat str a 1", wrongTypeReply, ""},
		{"hdel str a", wrongTypeReply, ""},
		{"hlen str", wrongTypeReply, ""},
		{"hscan str 0", wrongTypeReply, ""},
		{"hrandfield str", wrongTypeReply, ""},
		{"hrandfield str 1", wrongTypeReply, ""},
	})
}

func TestHashDeleteEmptyAndWatch(t *testing.T) {
	e := newTestEnv(t)
	db := e.ks.DB(0)
	e.expect(":1\r\n", "hset", "h", "a", "1")
	var w keyspace.Watcher
	db.Watch([]byte("h"), &w)
	e.expect(":0\r\n", "hset", "h", "a", "2") // in-place update
	if !w.Dirty.Load() {
		t.Fatal("HSET in place did not touch the key")
	}
	e.expect(":1\r\n", "hdel", "h", "a")
	if _, ok := db.Lookup([]byte("h")); ok {
		t.Fatal("empty hash not deleted")
	}
	e.expect(":7\r\n", "hincrby", "h2", "f", "7")
	e.expect("$3\r\n1.5\r\n", "hincrbyfloat", "h3", "f", "1.5")
	e.expect(":1\r\n", "hlen", "h2")
}

func TestHrandfieldShapes(t *testing.T) {
	for _, proto := range []int{2, 3} {
		e := newTestEnv(t)
		e.proto = proto
		e.do("hset", "h", "a", "1", "b", "2", "c", "3")
		check := func(args []string, n int, pairs bool) {
			t.Helper()
			r := e.do(args...)
			nd, _ := parseReply(r)
			want := n
			if pairs && proto == 2 {
				want = 2 * n
			}
			if nd.typ != '*' || len(nd.kids) != want {
				t.Fatalf("proto %d %v: %q", proto, args, r)
			}
			if pairs && proto == 3 {
				for _, k := range nd.kids {
					if k.typ != '*' || len(k.kids) != 2 {
						t.Fatalf("proto 3 %v: element %s is not a pair", args, k)
					}
				}
			}
		}
		check([]string{"hrandfield", "h", "2"}, 2, false)
		check([]string{"hrandfield", "h", "-5"}, 5, false)
		check([]string{"hrandfield", "h", "-5", "withvalues"}, 5, true)
		check([]string{"hrandfield", "h", "2", "WITHVALUES"}, 2, true)
		check([]string{"hrandfield", "h", "9", "withvalues"}, 3, true)
		// the whole hash in listpack order when count >= size
		if proto == 2 {
			e.expect("*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n", "hrandfield", "h", "3", "withvalues")
		}
	}
}

// TestHashScanBig: a hashtable hash scanned with a small COUNT while it
// grows returns every original field.
func TestHashScanBig(t *testing.T) {
	e := newTestEnv(t)
	want := map[string]bool{}
	args := []string{"hset", "h"}
	for i := range 1000 {
		f := "f" + itoa(i)
		want[f] = true
		args = append(args, f, "v")
	}
	e.do(args...)
	cursor := "0"
	seen := map[string]bool{}
	for i := 0; ; i++ {
		nd, _ := parseReply(e.do("hscan", "h", cursor, "count", "7"))
		for j := 0; j < len(nd.kids[1].kids); j += 2 {
			seen[nd.kids[1].kids[j].str] = true
		}
		cursor = nd.kids[0].str
		if cursor == "0" {
			break
		}
		e.do("hset", "h", "new"+itoa(i), "x") // grows the table mid-scan
	}
	for f := range want {
		if !seen[f] {
			t.Fatalf("field %s missed", f)
		}
	}
	v, _ := e.ks.DB(0).Lookup([]byte("h"))
	if v.Obj.(*types.Hash).Encoding() != "hashtable" {
		t.Fatal("1000 fields should be a hashtable")
	}
}

func itoa(i int) string { return string(appendInt64(nil, int64(i))) }
