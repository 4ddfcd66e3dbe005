package command

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file run the same commands against redis-server 7.0.15
// and the in-process handlers and compare the replies: byte for byte where
// Redis's order is deterministic, as multisets where it is a hash order, by
// shape where it is random. They skip when redis-server is not installed.

// node is a parsed reply.
type node struct {
	typ  byte
	str  string
	kids []node
}

func parseReply(s string) (node, string) {
	i := strings.Index(s, "\r\n")
	head, rest := s[:i], s[i+2:]
	n := node{typ: head[0], str: head[1:]}
	cnt, _ := strconv.Atoi(head[1:])
	switch n.typ {
	case '$', '=', '!':
		if cnt >= 0 {
			n.str, rest = rest[:cnt], rest[cnt+2:]
		} else {
			n.typ, n.str = '_', "" // RESP2 and RESP3 nulls compare equal
		}
	case '_':
		n.str = ""
	case '*', '~', '>', '%', '|':
		if n.typ == '%' || n.typ == '|' {
			cnt *= 2
		}
		for range max(cnt, 0) {
			var k node
			k, rest = parseReply(rest)
			n.kids = append(n.kids, k)
		}
	}
	return n, rest
}

func (n node) String() string {
	if n.kids == nil {
		return string(n.typ) + n.str
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = k.String()
	}
	return string(n.typ) + "[" + strings.Join(parts, " ") + "]"
}

// unordered sorts a collection's elements (map pairs as units, and the
// element list of a SCAN reply) so hash orders compare equal.
func unordered(n node) string {
	switch {
	case n.typ == '%' || (n.typ == '*' && len(n.kids) == 2 && n.kids[1].typ == '*' && n.kids[0].typ == '$'):
		// a map, or a scan reply [cursor, items] — only items are compared
		if n.typ != '%' {
			return "scan:" + unordered(n.kids[1])
		}
		var pairs []string
		for i := 0; i+1 < len(n.kids); i += 2 {
			pairs = append(pairs, n.kids[i].String()+"="+n.kids[i+1].String())
		}
		slices.Sort(pairs)
		return "%" + strings.Join(pairs, ",")
	case n.kids != nil:
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			parts[i] = k.String()
		}
		slices.Sort(parts)
		return string(n.typ) + strings.Join(parts, ",")
	}
	return n.String()
}

// shape is the reply's type and length, for random replies.
func shape(n node) string {
	if n.typ == '$' {
		return "$bulk"
	}
	if n.kids == nil {
		return n.String()
	}
	return fmt.Sprintf("%c%d", n.typ, len(n.kids))
}

type diffEnv struct {
	t  *testing.T
	rc *liveRedis
	e  *testEnv
}

func newDiffEnv(t *testing.T, rc *liveRedis, proto int) *diffEnv {
	e := newTestEnv(t)
	e.proto = proto
	rc.do(t, "HELLO", strconv.Itoa(proto))
	rc.do(t, "FLUSHALL")
	return &diffEnv{t: t, rc: rc, e: e}
}

// run sends one command to both; mode '=' exact, '~' unordered, '#' shape.
func (d *diffEnv) run(mode byte, args ...string) {
	d.t.Helper()
	if mode == 'E' {
		_, found := d.e.ks.DB(0).Lookup([]byte(args[0]))
		if want := d.rc.do(d.t, "EXISTS", args[0]); (want == ":1\r\n") != found {
			d.t.Errorf("EXISTS %s: redis %q, shoal %v", args[0], want, found)
		}
		return
	}
	want := d.rc.do(d.t, args...)
	got := d.e.do(args...)
	if mode == '=' {
		if got != want {
			d.t.Errorf("proto %d %q:\n redis %q\n shoal %q", d.e.proto, args, want, got)
		}
		return
	}
	wn, _ := parseReply(want)
	gn, _ := parseReply(got)
	f := unordered
	if mode == '#' {
		f = shape
	}
	if f(wn) != f(gn) {
		d.t.Errorf("proto %d %q (%c):\n redis %s\n shoal %s", d.e.proto, args, mode, wn, gn)
	}
}

// encoding compares OBJECT ENCODING with the in-process object's.
func (d *diffEnv) encoding(key string) {
	d.t.Helper()
	want, _ := parseReply(d.rc.do(d.t, "OBJECT", "ENCODING", key))
	got := ""
	if v, ok := d.e.ks.DB(0).Lookup([]byte(key)); ok && v.Obj != nil {
		got = v.Obj.Encoding()
	}
	if want.str != got {
		d.t.Errorf("OBJECT ENCODING %s: redis %s, shoal %s", key, want.str, got)
	}
}

// script lines: a mode character, a space, then the command (fields split on
// spaces; ” is an empty argument).
const hsScript = `
= hset h f1 v1 f2 v2
= hset h f1 v9
= hmset h a 1 b 2
= hset h a
= hmset h a
= hsetnx h a x
= hsetnx h new x
= hget h a
= hget h zz
= hget nx zz
= hmget h a zz f1
= hmget nx a
= hgetall h
= hgetall nx
= hkeys h
= hvals h
= hlen h
= hlen nx
= hstrlen h f1
= hstrlen h zz
= hexists h a
= hexists h zz
= hdel h a zz a
= hdel nx a
= hincrby h n 5
= hincrby h n -10
= hincrby h f1 1
= hincrby h n x
= hincrby h n 9223372036854775807
= hincrby h n2 -9223372036854775808
= hincrby h n2 -1
= hincrbyfloat h fl 0.1
= hincrbyfloat h fl 0.2
= hincrbyfloat h fl 1e20
= hincrbyfloat h fl -1e20
= hincrbyfloat h fl x
= hincrbyfloat h fl inf
= hincrbyfloat h fl nan
= hincrbyfloat h f1 1
= hincrbyfloat h hex 0x1p4
= hincrbyfloat hb big 1.1e4932
= hincrbyfloat hb big 1.1e4932
~ hgetall hb
E hb
= hget h fl
= hgetall h
= hscan h 0
= hscan h 0 match f*
= hscan h 0 count 0
= hscan h 0 count x
= hscan h x
= hscan h 0 match
= hscan h 0 foo bar
= hscan nx 0 count 0
# hrandfield h
= hrandfield nx
= hrandfield nx 3
= hrandfield h 0
# hrandfield h 2
# hrandfield h -5
# hrandfield h -5 withvalues
~ hrandfield h 100 withvalues
~ hrandfield h 100
= hrandfield h 1 foo
= hrandfield h 1 withvalues x
= hrandfield h -9223372036854775808
= hrandfield h -4611686018427387904 withvalues
= hrandfield h x
= hdel h f1 f2 new n n2 fl hex big
E h
= set str v
= hget str a
= hset str a b
= hgetall str
= hincrby str a 1
= hscan str 0
= hrandfield str
= sadd s 3 1 2
= sadd s 2 5
= smembers s
= sismember s 2
= sismember s x
= smismember s 1 x 5
= smismember nx 1
= scard s
= scard nx
= srem s 1 x
= srem nx 1
= sadd t a 1 2
~ smembers t
= sinter s t
= sinter s nx
= sinter nx str
= sinter str nx
~ sunion s t
= sunion s nx
= sunion s str
= sdiff s t
~ sdiff t s
= sdiff nx s
= sinterstore d s t
= smembers d
= sunionstore d s nx
= smembers d
= sdiffstore d s s
E d
= sintercard 2 s t
= sintercard 2 s t limit 1
= sintercard 2 s t LIMIT 0
= sintercard 1 nx
= sintercard 0 s
= sintercard x s
= sintercard 3 s t
= sintercard 1 s limit -1
= sintercard 1 s limit x
= sintercard 1 s foo
= sintercard 1 s limit
= sintercard 1 str
= smove s t 3
= smove s t 3
= smove nx t 3
= smove s str 5
= smove str s 5
= smove s s 5
= smove s s 99
= smove s fresh 5
E s
= smembers fresh
= sadd big 1 2 3 4 5 6 7 8 9 10
# spop big
# spop big 2
# spop big 6
= spop big 0
= spop nx
= spop nx 3
= spop big -1
= spop big x
= spop big 1 2
# spop big 100
E big
= sadd big 1 2 3
# srandmember big
= srandmember big 0
# srandmember big 2
# srandmember big -7
= srandmember big 3
= srandmember big 50
= srandmember nx
= srandmember nx 3
= srandmember big 1 2
= srandmember big x
= srandmember big -9223372036854775808
= sscan big 0
= sscan big 0 match 1*
= sscan big ''
= sscan big +0
= sscan big ' 0'
= sscan big -
= sscan big 18446744073709551616
= sscan big 0 count 0
= sscan nx 0
= sscan str 0
= sadd str x
= smembers str
= sadd e ''
= smembers e
= sadd neg -5 -9223372036854775808 9223372036854775807 0
= smembers neg
= sadd nonint 01 -0 +1
~ smembers nonint
`

func TestHashSetAgainstRedis(t *testing.T) {
	rc := startLiveRedis(t)
	for _, proto := range []int{2, 3} {
		d := newDiffEnv(t, rc, proto)
		for _, line := range strings.Split(hsScript, "\n") {
			if line == "" {
				continue
			}
			var args []string
			for _, f := range strings.Fields(line[2:]) {
				if f == "''" {
					f = ""
				} else if f == "' 0'" {
					f = " 0"
				}
				args = append(args, f)
			}
			if strings.Contains(line, "' 0'") {
				args = append(args[:len(args)-2], " 0")
			}
			d.run(line[0], args...)
		}
	}
}

// TestHashSetRandomAgainstRedis drives both with random operations on a few
// keys, with lowered thresholds so encodings convert, and compares every
// reply, the encodings, and full SCAN results.
func TestHashSetRandomAgainstRedis(t *testing.T) {
	rc := startLiveRedis(t)
	rc.do(t, "CONFIG", "SET", "hash-max-listpack-entries", "16", "hash-max-listpack-value", "12", "set-max-intset-entries", "20")
	for seed := range uint64(6) {
		proto := 2 + int(seed%2)
		d := newDiffEnv(t, rc, proto)
		lim := &d.e.settings.Limits
		lim.HashMaxListpackEntries, lim.HashMaxListpackValue, lim.SetMaxIntsetEntries = 16, 12, 20
		r := rand.New(rand.NewPCG(seed, 9))
		member := func() string {
			if r.IntN(30) == 0 {
				return "m" + strconv.Itoa(r.IntN(40))
			}
			return strconv.Itoa(r.IntN(60) - 10)
		}
		field := func() string {
			if r.IntN(40) == 0 {
				return "a-rather-long-field-" + strconv.Itoa(r.IntN(5))
			}
			return "f" + strconv.Itoa(r.IntN(30))
		}
		hkeys := []string{"h0", "h1"}
		skeys := []string{"s0", "s1", "s2"}
		for op := range 1500 {
			hk, sk, sk2 := hkeys[r.IntN(2)], skeys[r.IntN(3)], skeys[r.IntN(3)]
			switch r.IntN(16) {
			case 0, 1:
				d.run('=', "hset", hk, field(), strconv.Itoa(r.IntN(1000)), field(), "v")
			case 2:
				d.run('=', "hdel", hk, field(), field(), field())
			case 3:
				d.run('=', "hincrby", hk, field(), strconv.Itoa(r.IntN(100)-50))
			case 4:
				d.run('=', "hget", hk, field())
			case 5:
				d.run('=', "hlen", hk)
			case 6, 7:
				d.run('=', "sadd", sk, member(), member(), member())
			case 8:
				d.run('=', "srem", sk, member(), member(), member(), member())
			case 9:
				d.run('=', "smove", sk, sk2, member())
			case 10:
				d.run('=', "sinterstore", "dst", sk, sk2)
				d.encoding("dst")
			case 11:
				d.run('=', "sunionstore", "dst", sk, sk2)
				d.encoding("dst")
			case 12:
				d.run('=', "sdiffstore", "dst", sk, sk2)
			case 13:
				d.run('=', "scard", sk)
				d.run('=', "sintercard", "2", sk, sk2)
			case 14:
				d.run('#', "spop", sk)
				resync(d, sk)
			case 15:
				d.run('=', "smismember", sk, member(), member())
			}
			if op%25 == 0 {
				for _, k := range hkeys {
					d.encoding(k)
					d.run('~', "hgetall", k)
					compareScan(d, "hscan", k)
				}
				for _, k := range skeys {
					d.encoding(k)
					d.run('~', "smembers", k)
					compareScan(d, "sscan", k)
				}
			}
		}
	}
}

// resync copies Redis's state of a set after a random SPOP into the
// in-process keyspace, so the runs stay comparable.
func resync(d *diffEnv, key string) {
	d.t.Helper()
	n, _ := parseReply(d.rc.do(d.t, "SMEMBERS", key))
	d.e.do("del", key)
	if len(n.kids) == 0 {
		return
	}
	// rebuild with Redis's encoding: an intset only if Redis has one
	enc, _ := parseReply(d.rc.do(d.t, "OBJECT", "ENCODING", key))
	args := []string{"sadd", key}
	for _, k := range n.kids {
		args = append(args, k.str)
	}
	if enc.str == "hashtable" {
		args = append(args[:2], append([]string{"not-an-int"}, args[2:]...)...)
		d.e.do(args...)
		d.e.do("srem", key, "not-an-int")
		return
	}
	d.e.do(args...)
}

// compareScan runs a full SCAN on both with a small COUNT and compares the
// sets of elements returned.
func compareScan(d *diffEnv, cmd, key string) {
	d.t.Helper()
	collect := func(do func(args ...string) string) string {
		seen := map[string]bool{}
		cursor := "0"
		for range 10000 {
			n, _ := parseReply(do(cmd, key, cursor, "COUNT", "3"))
			if n.typ != '*' || len(n.kids) != 2 {
				return n.String()
			}
			items := n.kids[1].kids
			step := 1
			if cmd == "hscan" {
				step = 2
			}
			for i := 0; i < len(items); i += step {
				e := items[i].str
				if step == 2 {
					e += "=" + items[i+1].str
				}
				seen[e] = true
			}
			cursor = n.kids[0].str
			if cursor == "0" {
				break
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return strings.Join(keys, ",")
	}
	want := collect(func(args ...string) string { return d.rc.do(d.t, args...) })
	got := collect(func(args ...string) string { return d.e.do(args...) })
	if want != got {
		d.t.Errorf("%s %s: redis {%s}, shoal {%s}", cmd, key, want, got)
	}
}
