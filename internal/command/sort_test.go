package command

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestSortStrtod(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"", 0, true},
		{"1", 1, true},
		{" 1", 1, true},
		{"\t\n7", 7, true},
		{"+.5", 0.5, true},
		{"1.", 1, true},
		{".5e1", 5, true},
		{"1e1", 10, true},
		{"-0", 0, true},
		{"0x10", 16, true},
		{"0X1A", 26, true},
		{"0x1p3", 8, true},
		{"0x.8", 0.5, true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"1\x002", 1, true},
		{"2.2250738585072014e-308", 2.2250738585072014e-308, true},
		{"1 ", 0, false},
		{"  ", 0, false},
		{".", 0, false},
		{"1e", 0, false},
		{"0x", 0, false},
		{"1_000", 0, false},
		{"infx", 0, false},
		{"nan", 0, false},
		{"abc", 0, false},
		{"1e400", 0, false},
		{"1e-400", 0, false},
		{"1e-310", 0, false},
		{"-4.9e-324", 0, false},
		{"++1", 0, false},
	}
	for _, tc := range tests {
		got, ok := sortStrtod([]byte(tc.in))
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("sortStrtod(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSortLimits(t *testing.T) {
	tests := []struct {
		start, count int64
		n            int
		s, e         int
	}{
		{0, -1, 5, 0, 4},
		{1, 2, 5, 1, 2},
		{-3, 2, 5, 0, 1},
		{3, 100, 5, 3, 4},
		{5, 1, 5, 4, 3},
		{0, 0, 5, 0, -1},
		{0, -1, 0, -1, -2},
		{math.MaxInt64, math.MaxInt64, 3, 2, 1},
		{math.MinInt64, math.MinInt64, 3, 0, 2},
	}
	for _, tc := range tests {
		s, e := sortLimits(tc.start, tc.count, tc.n)
		if s != tc.s || e != tc.e {
			t.Errorf("sortLimits(%d, %d, %d) = %d, %d; want %d, %d", tc.start, tc.count, tc.n, s, e, tc.s, tc.e)
		}
	}
}

func TestSortGetKeys(t *testing.T) {
	tests := []struct {
		cmd  string
		want string
	}{
		{"sort k", "[1]"},
		{"sort k store d", "[1 3]"},
		{"sort k store d store e", "[1 5]"},
		{"sort k by store get store limit store store", "[1]"},
		{"sort k STORE", "[1]"},
		{"sort k limit 0 1 STORE d alpha", "[1 6]"},
	}
	for _, tc := range tests {
		var args [][]byte
		for _, f := range strings.Fields(tc.cmd) {
			args = append(args, []byte(f))
		}
		if got := fmt.Sprint(sortGetKeys(args, nil)); got != tc.want {
			t.Errorf("sortGetKeys(%q) = %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

// TestSortCommands: replies captured from redis-server 7.0.15.
func TestSortCommands(t *testing.T) {
	e := newTestEnv(t)
	e.expect(":4\r\n", "rpush", "l", "3", "1", "10", "2")
	e.expect("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n", "sort", "l")
	e.expect("*2\r\n$1\r\n3\r\n$1\r\n2\r\n", "sort", "l", "desc", "limit", "1", "2")
	e.expect("*4\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n", "sort_ro", "l", "alpha")
	e.expect("*2\r\n$1\r\n2\r\n$2\r\n10\r\n", "sort", "l", "by", "nosort", "desc", "limit", "0", "2")
	e.expect("-ERR syntax error\r\n", "sort_ro", "l", "store", "d")
	e.expect("-ERR value is not an integer or out of range\r\n", "sort", "l", "limit", "0", "x")
	e.expect("+OK\r\n", "mset", "w_1", "4", "w_2", "3", "w_3", "x")
	e.expect("-ERR One or more scores can't be converted into double\r\n", "sort", "l", "by", "w_*")
	e.expect(":1\r\n", "hset", "h_3", "f", "9")
	e.expect("*8\r\n$1\r\n1\r\n$1\r\n4\r\n$2\r\n10\r\n$-1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n3\r\n$1\r\nx\r\n",
		"sort", "l", "by", "h_*->f", "get", "#", "get", "w_*")
	e.expect(":4\r\n", "sort", "l", "by", "h_*->f", "get", "h_*->f", "store", "d")
	e.expect("*4\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n$1\r\n9\r\n", "lrange", "d", "0", "-1")
	e.expect(":0\r\n", "sort", "l", "limit", "0", "0", "store", "d")
	e.expect(":0\r\n", "exists", "d")
	e.expect(":2\r\n", "zadd", "z", "1", "b", "2", "a")
	e.expect("$8\r\nlistpack\r\n", "object", "encoding", "z")
	e.expect("*2\r\n$1\r\nb\r\n$1\r\na\r\n", "sort", "z", "by", "nosort")
	e.expect("$8\r\nskiplist\r\n", "object", "encoding", "z")
	e.expect(":2\r\n", "sadd", "s", "b", "a")
	e.expect(":2\r\n", "sort", "s", "by", "nosort", "store", "d")
	e.expect("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "lrange", "d", "0", "-1")
	e.expect("+OK\r\n", "set", "str", "v")
	e.expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "sort", "str")
	e.expect("*0\r\n", "sort", "missing", "by", "w_*", "get", "#")

	cluster := testConfig{cluster: true}
	for _, tc := range []struct{ cmd, want string }{
		{"sort l by nosort", "*4\r\n$1\r\n3\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n"},
		{"sort l by w_*", "-ERR BY option of SORT denied in Cluster mode.\r\n"},
		{"sort l by {l}w_*", "-ERR BY option of SORT denied in Cluster mode.\r\n"},
		{"sort l get #", "-ERR GET option of SORT denied in Cluster mode.\r\n"},
		{"sort_ro l limit 0 1 get x", "-ERR GET option of SORT denied in Cluster mode.\r\n"},
		{"sort l bogus by w_*", "-ERR syntax error\r\n"},
	} {
		if got := doCfg(e, cluster, strings.Fields(tc.cmd)...); got != tc.want {
			t.Errorf("cluster %q: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
