package command

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestZSetRandomDifferential drives random operation sequences (ZADD
// variants, ZREM, ZINCRBY, ranks, ranges by score/lex/rank, pops, removals,
// stores) through both redis-server and Shoal, crossing the listpack →
// skiplist threshold, and compares every reply byte for byte.
func TestZSetRandomDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	rr := startLiveRedis(t)
	for seed := uint64(1); seed <= 6; seed++ {
		proto := 2 + int(seed%2)
		t.Run(fmt.Sprintf("seed%d-RESP%d", seed, proto), func(t *testing.T) {
			rr.do(t, "HELLO", fmt.Sprint(proto))
			rr.do(t, "FLUSHALL")
			e := newTestEnv(t)
			e.proto = proto
			r := rand.New(rand.NewPCG(seed, 99))
			universe := 40 + int(seed)*40 // some seeds stay small, others pass 128
			mem := func() string {
				if r.IntN(40) == 0 {
					return strings.Repeat("L", 60+r.IntN(10)) // around the 64-byte threshold
				}
				return fmt.Sprintf("m%d", r.IntN(universe))
			}
			score := func() string {
				switch r.IntN(8) {
				case 0:
					return "-inf"
				case 1:
					return "+inf"
				case 2:
					return fmt.Sprintf("%.3f", r.Float64()*20-10)
				case 3:
					return fmt.Sprint(r.Int64N(1<<40) - 1<<39)
				}
				return fmt.Sprint(r.IntN(10))
			}
			rangeItem := func() string {
				s := score()
				if r.IntN(3) == 0 && s[0] != '-' && s[0] != '+' {
					return "(" + s
				}
				return s
			}
			lexItem := func() string {
				switch r.IntN(8) {
				case 0:
					return "-"
				case 1:
					return "+"
				}
				return string("[("[r.IntN(2)]) + mem()
			}
			keys := []string{"k1", "k2", "lex"}
			encodings := map[string]int{}
			for step := 0; step < 1500; step++ {
				k := keys[r.IntN(2)]
				var cmd []string
				switch r.IntN(16) {
				case 0, 1, 2, 3:
					cmd = []string{"zadd", k}
					for _, f := range []string{"nx", "xx", "gt", "lt", "ch"} {
						if r.IntN(6) == 0 {
							cmd = append(cmd, f)
						}
					}
					n := 1 + r.IntN(8)
					if r.IntN(10) == 0 {
						n = 60
					}
					for i := 0; i < n; i++ {
						cmd = append(cmd, score(), mem())
					}
				case 4:
					cmd = []string{"zadd", "lex", "0", mem(), "0", mem()}
				case 5:
					cmd = []string{"zrem", k, mem(), mem()}
				case 6:
					cmd = []string{"zincrby", k, score(), mem()}
				case 7:
					cmd = []string{[]string{"zrank", "zrevrank", "zscore"}[r.IntN(3)], k, mem()}
				case 8:
					cmd = []string{"zrange", k, fmt.Sprint(r.IntN(60) - 30), fmt.Sprint(r.IntN(60) - 30)}
					if r.IntN(2) == 0 {
						cmd = append(cmd, "rev")
					}
					cmd = append(cmd, "withscores")
				case 9:
					cmd = []string{[]string{"zrangebyscore", "zrevrangebyscore"}[r.IntN(2)], k, rangeItem(), rangeItem(), "withscores"}
					if r.IntN(2) == 0 {
						cmd = append(cmd, "limit", fmt.Sprint(r.IntN(10)-1), fmt.Sprint(r.IntN(10)-1))
					}
				case 10:
					cmd = []string{[]string{"zrangebylex", "zrevrangebylex", "zlexcount"}[r.IntN(3)], "lex", lexItem(), lexItem()}
				case 11:
					cmd = []string{"zcount", k, rangeItem(), rangeItem()}
				case 12:
					cmd = []string{[]string{"zpopmin", "zpopmax"}[r.IntN(2)], k, fmt.Sprint(r.IntN(4))}
				case 13:
					switch r.IntN(3) {
					case 0:
						cmd = []string{"zremrangebyrank", k, fmt.Sprint(r.IntN(20) - 10), fmt.Sprint(r.IntN(20) - 10)}
					case 1:
						cmd = []string{"zremrangebyscore", k, rangeItem(), rangeItem()}
					default:
						cmd = []string{"zremrangebylex", "lex", lexItem(), lexItem()}
					}
				case 14:
					op := []string{"zunionstore", "zinterstore", "zdiffstore"}[r.IntN(3)]
					cmd = []string{op, "k3", "2", "k1", "k2"}
					if op != "zdiffstore" && r.IntN(2) == 0 {
						cmd = append(cmd, "weights", fmt.Sprint(r.IntN(5)-2), "1.5", "aggregate", []string{"sum", "min", "max"}[r.IntN(3)])
					}
				case 15:
					cmd = []string{"zrangestore", "k3", k, rangeItem(), rangeItem(), "byscore"}
				}
				want := rr.do(t, cmd...)
				got := e.do(cmd...)
				if got != want {
					t.Fatalf("step %d: %q\n got %q\nwant %q", step, cmd, got, want)
				}
				if step%50 == 0 {
					for _, key := range []string{"k1", "k2", "k3", "lex"} {
						w := rr.do(t, "OBJECT", "ENCODING", key)
						g := zTestEncoding(e, key, proto)
						encodings[strings.TrimSpace(g[strings.IndexByte(g, '\n')+1:])]++
						if w != g {
							t.Fatalf("step %d: encoding of %s: got %q want %q", step, key, g, w)
						}
						if w, g := rr.do(t, "zrange", key, "0", "-1", "withscores"), e.do("zrange", key, "0", "-1", "withscores"); w != g {
							t.Fatalf("step %d: contents of %s differ", step, key)
						}
					}
				}
			}
			t.Logf("encodings seen at checkpoints: %v", encodings)
			if universe > 200 && encodings["skiplist"] == 0 {
				t.Errorf("never crossed to skiplist")
			}
		})
	}
}
