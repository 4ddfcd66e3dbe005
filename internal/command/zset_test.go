package command

import (
	"fmt"
	"runtime"
	"testing"
)

// TestZSetCommands is a redis-free table of replies (captured from
// redis-server 7.0.15) for every sorted-set command and error.
func TestZSetCommands(t *testing.T) {
	type step struct {
		cmd  string
		want string
	}
	steps := []step{
		{"zadd z 1 a 2 b 3 c", ":3\r\n"},
		{"zadd z xx nx 1 a", "-ERR XX and NX options at the same time are not compatible\r\n"},
		{"zadd z gt lt 1 a", "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"},
		{"zadd z incr 1 a 2 b", "-ERR INCR option supports a single increment-element pair\r\n"},
		{"zadd z nan a", "-ERR value is not a valid float\r\n"},
		{"zadd z nx 1", "-ERR syntax error\r\n"},
		{"zadd z ch gt 5 a 1 b 9 d", ":2\r\n"},
		{"zadd z incr xx 1 nope", "$-1\r\n"},
		{"zadd z incr 0.5 a", "$3\r\n5.5\r\n"},
		{"zadd z 0.1 t", ":1\r\n"},
		{"zscore z t", "$19\r\n0.10000000000000001\r\n"},
		{"zadd inf inf a", ":1\r\n"},
		{"zincrby inf -inf a", "-ERR resulting score is not a number (NaN)\r\n"},
		{"zmscore z a x", "*2\r\n$3\r\n5.5\r\n$-1\r\n"},
		{"zcard z", ":5\r\n"},
		{"zrank z a", ":3\r\n"},
		{"zrevrank z a", ":1\r\n"},
		{"zrange z 0 1 withscores", "*4\r\n$1\r\nt\r\n$19\r\n0.10000000000000001\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"zrange z 0 -1 limit 0 1", "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"},
		{"zrange z - + bylex withscores", "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"},
		{"zrangebyscore z a 1", "-ERR min or max is not a float\r\n"},
		{"zrangebylex z a b", "-ERR min or max not valid string range item\r\n"},
		{"zrevrangebyscore z +inf (3 limit 0 1", "*1\r\n$1\r\nd\r\n"},
		{"zcount z (2 +inf", ":3\r\n"},
		{"zrangestore d z 0 1", ":2\r\n"},
		{"zrangestore d z 0 1 withscores", "-ERR syntax error\r\n"},
		{"zpopmin z abc", "-ERR value is out of range, must be positive\r\n"},
		{"zpopmax z", "*2\r\n$1\r\nd\r\n$1\r\n9\r\n"},
		{"zmpop 0 z min", "-ERR numkeys should be greater than 0\r\n"},
		{"zmpop 1 z min count 0", "-ERR count should be greater than 0\r\n"},
		{"zmpop 2 none z min", "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nt\r\n$19\r\n0.10000000000000001\r\n"},
		{"zmpop 1 none max", "*-1\r\n"},
		{"bzpopmin none z -1", "-ERR timeout is negative\r\n"},
		{"bzpopmin none z 0", "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"zintercard 0 z", "-ERR at least 1 input key is needed for 'zintercard' command\r\n"},
		{"zintercard 1 z limit -1", "-ERR LIMIT can't be negative\r\n"},
		{"zunion 2 z d weights 1 x", "-ERR weight value is not a float\r\n"},
		{"zunion 2 z d withscores", "*8\r\n$1\r\nt\r\n$19\r\n0.10000000000000001\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$3\r\n5.5\r\n"},
		{"zrandmember z -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"},
		{"zrandmember z 4611686018427387904 withscores", "-ERR value is out of range\r\n"},
		{"zscan z abc", "-ERR invalid cursor\r\n"},
		{"zscan z 0 count 0", "-ERR syntax error\r\n"},
		{"zscan z 0", "*2\r\n$1\r\n0\r\n*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$3\r\n5.5\r\n"},
		{"zremrangebyrank z 0 -1", ":2\r\n"},
		{"exists z", ":0\r\n"},
		{"set s x", "+OK\r\n"},
		{"zadd s 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	}
	e := newTestEnv(t)
	for _, s := range steps {
		args := splitCmd(s.cmd)
		var got string
		if args[0] == "set" || args[0] == "exists" {
			got = zTestGeneric(e, args)
		} else {
			got = e.do(args...)
		}
		if got != s.want {
			t.Errorf("%s: got %q want %q", s.cmd, got, s.want)
		}
	}
	// RESP3 shapes
	e.proto = 3
	e.do("zadd", "r", "1", "a", "2", "b")
	e.expect("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n", "zrange", "r", "0", "-1", "withscores")
	e.expect(",2\r\n", "zscore", "r", "b")
	e.expect("_\r\n", "zscore", "r", "x")
	e.expect("*1\r\n*2\r\n$1\r\na\r\n,1\r\n", "zpopmin", "r", "1")
	e.expect("*2\r\n$1\r\nb\r\n,2\r\n", "zpopmin", "r")
	e.expect("*0\r\n", "zpopmin", "r")
	e.expect("_\r\n", "zmpop", "1", "r", "min")
}

// TestZSetKeyspaceMemory reports the live heap per 10-member sorted set,
// key included, to compare with redis-server's used_memory delta for the
// same 100k keys (see the report in the change note).
func TestZSetKeyspaceMemory(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	const n = 100_000
	e := newTestEnv(t)
	args := []string{"zadd", ""}
	for j := 0; j < 10; j++ {
		args = append(args, fmt.Sprint(j), fmt.Sprintf("member:%d", j))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		args[1] = fmt.Sprintf("zkey:%d", i)
		e.do(args...)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("%.1f bytes per 10-member zset with its key", float64(after.HeapAlloc-before.HeapAlloc)/n)
	runtime.KeepAlive(e)
}
