package command

import (
	"bufio"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/types"
)

// zDiffScript is run against both servers; "ENC key" compares OBJECT ENCODING.
var zDiffScript = []string{
	// ZADD and its options
	"zadd z 1 a 2 b 3 c", "zadd z nx 5 a 6 d", "zadd z xx ch 7 a 8 e", "zadd z gt ch 1 a 9 b",
	"zadd z lt ch 1 a 9 b", "zadd z incr 2 a", "zadd z incr nx 2 a", "zadd z incr xx 2 zz",
	"zadd z xx nx 1 a", "zadd z gt nx 1 a", "zadd z gt lt 1 a", "zadd z lt nx 1 a", "zadd z xx gt 10 a",
	"zadd z incr 1 a 2 b", "zadd z nan a", "zadd z abc a", "zadd z 1", "zadd z nx 1", "zadd z 1 a 2",
	"zadd z -inf ninf +inf pinf inf pinf2", "zadd z 1e-310 tiny", "zadd z 1e-400 under", "zadd z 1e400 over",
	"zadd z 0x10 hex", "zadd z ' 1' sp", "zadd z -0 negzero", "zadd z 0.1 pt1 1.5 f 1e20 big",
	"zadd z 3.0000000000000004 ulp 123456789012345678 huge",
	"zincrby z 1 a", "zincrby z -inf pinf", "zincrby z inf ninf", "zincrby z abc a", "zincrby z 1.5 newm",
	"zadd z INCR -1.5 newm", "zscore z a", "zscore z nope", "zscore nokey a",
	"zmscore z a nope b", "zmscore nokey a b", "zcard z", "zcard nokey",
	"zrank z a", "zrevrank z a", "zrank z nope", "zrank nokey a", "ENC z",
	// ranges by rank
	"zrange z 0 -1", "zrange z 0 -1 withscores", "zrange z 2 4 withscores", "zrange z -3 -1",
	"zrange z 5 2", "zrange z 100 200", "zrange z -100 100", "zrange z 0 -1 rev withscores",
	"zrevrange z 0 2 withscores", "zrevrange z -2 -1", "zrange z a 1", "zrange z 0 -1 limit 0 1",
	"zrange z 0 1 rev rev", "zrevrange z 0 1 rev", "zrange nokey 0 -1", "zrange z 0 -1 withscores extra",
	// by score
	"zrange z -inf +inf byscore withscores", "zrange z (1 3 byscore", "zrange z 3 (1 byscore rev withscores",
	"zrangebyscore z -inf +inf limit 1 2 withscores", "zrangebyscore z -inf +inf limit -1 2",
	"zrangebyscore z -inf +inf limit 0 -1", "zrangebyscore z -inf +inf limit 100 1", "zrangebyscore z -inf +inf limit 0 0",
	"zrevrangebyscore z +inf -inf limit 1 3 withscores", "zrevrangebyscore z 1 3", "zrangebyscore z (1 (1",
	"zrangebyscore z 1 1", "zrangebyscore z a b", "zrangebyscore z ( (5", "zrangebyscore z '' 100",
	"zrangebyscore z 0 1 byscore", "zrangebyscore z 1e400 -1e400", "zrangebyscore z -1e400 1e400",
	"zrangebyscore z 0 10 limit 1", "zrangebyscore z 0 10 limit a 1",
	"zcount z -inf +inf", "zcount z (1 3", "zcount z 3 1", "zcount z a 1", "zcount nokey 0 1",
	// by lex (equal scores)
	"zadd l 0 a 0 b 0 c 0 d 0 e 0 ff 0 g", "zrangebylex l - +", "zrangebylex l [b (e", "zrangebylex l (b [e limit 1 2",
	"zrevrangebylex l + - limit 0 3", "zrevrangebylex l [e (b", "zrange l [a [c bylex", "zrange l [c [a bylex rev",
	"zrange l - + bylex withscores", "zrangebylex l a b", "zrangebylex l - -", "zrangebylex l + +", "zrangebylex l + -",
	"zrangebylex l [f +", "zrangebylex l -x +", "zlexcount l - +", "zlexcount l [b [d", "zlexcount l a b", "zlexcount l (b (b",
	// store
	"zrangestore d z 0 -1", "ENC d", "zrange d 0 -1 withscores", "zrangestore d z -inf +inf byscore limit 1 2",
	"zrange d 0 -1 withscores", "zrangestore d l [a [c bylex", "ENC d", "zrangestore d z 0 -1 withscores",
	"zrangestore d nokey 0 -1", "exists d", "zrangestore d z 10 20", "exists d",
	// removals
	"zrem z a nope b", "zrem nokey a", "zremrangebyrank z 0 1", "zremrangebyrank z a 1", "zremrangebyrank nokey 0 1",
	"zremrangebyscore z (5 +inf", "zremrangebyscore z a 1", "zremrangebylex l [a [b", "zremrangebylex l x y",
	"zrange z 0 -1 withscores", "zremrangebyrank z 0 -1", "exists z",
	// pops
	"zadd p 1 a 2 b 3 c 4 d 5 e", "zpopmin p", "zpopmax p", "zpopmin p 2", "zpopmax p 0", "zpopmin p -1", "zpopmin p abc",
	"zpopmin p 1 2", "zpopmax p 10", "exists p", "zpopmin p", "zpopmin nokey 0", "zpopmax nokey 3",
	"zadd p 1 a 2 b 3 c", "zmpop 1 p min", "zmpop 2 nokey p max count 10", "zmpop 1 p min", "zmpop 0 p min", "zmpop abc p min",
	"zmpop 1 p", "zmpop 1 p left", "zmpop 1 p min count 0", "zmpop 1 p min count 1 count 1", "zmpop 5 p min",
	"zadd p 1 a 2 b", "bzpopmin nokey p 0", "bzpopmax p 0.5", "bzpopmin p -1", "bzpopmin p abc",
	"zadd p 1 a 2 b", "bzmpop 0 1 p max count 5", "bzmpop -1 1 p max", "bzmpop 0 0 p max",
	// scores at the edges
	"zadd e 1 a", "zadd e incr inf a", "zadd e incr -inf a", "zadd e gt ch 1 new", "zadd e lt incr 5 a",
	"zadd e xx incr 1 nope", "zadd e nx incr 1 a", "zscore e a", "zadd f 1 a 2 b", "zadd g 1 a -1 b",
	"zunion 2 e e withscores", "zunionstore o 2 e f weights 0 1", "zrange o 0 -1 withscores",
	"zadd h inf a -inf b", "zunion 2 h h weights 1 -1 withscores", "zinter 2 h h weights 0 1 withscores",
	"zunion 2 f g aggregate min withscores", "zunion 2 f g aggregate max withscores", "zinter 2 f g withscores",
	"bzpopmin f inf", "bzpopmin f 1e400", "bzpopmin f -0.0001", "bzpopmin f ' 1'", "bzpopmin nokey 0.01",
	// random members over whole sets are deterministic
	"zadd r 1 a 2 b 3 c", "zrandmember r 3", "zrandmember r 5 withscores", "zrandmember r 0", "zrandmember nokey 5",
	"zrandmember nokey", "zrandmember r abc", "zrandmember r -9223372036854775808", "zrandmember r 1 withscores x",
	"zrandmember r 1 foo", "zrandmember r 4611686018427387904 withscores", "zrandmember r -4611686018427387904 withscores",
	"zrandmember r -3 withscores", // random with repeats: compared by reply length below
	// scan of small sets
	"zadd s 1 a 2.5 b -0 c 0.1 d 1e20 e inf f", "zscan s 0", "zscan s 0 match [ab]* count 1", "zscan s abc", "zscan nokey abc",
	"zscan s 0 count 0", "zscan s 0 type string", "zscan s -1", "zscan s 0 count", "zscan nokey 0",
	// set operations
	"zadd u1 1 a 2 b 3 c", "zadd u2 10 b 20 c 30 d", "zadd u3 0.1 c 0.2 a",
	"zunionstore o 2 u1 u2", "zrange o 0 -1 withscores", "ENC o", "zunionstore o 2 u1 u2 weights 2 0.5 aggregate max",
	"zrange o 0 -1 withscores", "zinterstore o 3 u1 u2 u3 aggregate min", "zrange o 0 -1 withscores",
	"zinterstore o 2 u1 u2 weights inf -inf", "zrange o 0 -1 withscores", "zdiffstore o 2 u1 u2", "zrange o 0 -1 withscores",
	"zdiffstore o 2 u1 u1", "exists o", "zunion 3 u1 u2 u3 withscores", "zinter 2 u1 u2 withscores", "zdiff 2 u2 u1 withscores",
	"zunion 2 u1 nokey", "zinter 2 u1 nokey", "zdiff 1 nokey", "zintercard 2 u1 u2", "zintercard 2 u1 u2 limit 1",
	"zintercard 2 u1 u2 limit -1", "zintercard 0 u1", "zunionstore o 0 u1", "zunion 0 u1", "zunion 3 u1 u2",
	"zunion 2 u1 u2 weights 1", "zunion 2 u1 u2 weights 1 a", "zunion 2 u1 u2 aggregate avg", "zdiff 2 u1 u2 weights 1 1",
	"zunionstore o 2 u1 u2 withscores", "zintercard 1 u1 withscores", "zunion abc u1", "zunion 1 u1 withscores withscores",
	"zunion 2 u1 u2 aggregate sum aggregate min withscores", "zinterstore o 2 u1 nokey", "exists o",
	"zunionstore u1 2 u1 u2", "zrange u1 0 -1 withscores",
	// wrong types
	"set str x", "zadd str 1 a", "zscore str a", "zrange str 0 -1", "zrangestore d str 0 -1", "zunion 2 u2 str",
	"zpopmin str", "zpopmin str 0", "zpopmax str 0", "zrandmember str 0", "zmpop 2 nokey str min", "zrandmember str", "zscan str 0", "zrem str a", "zcard str",
	"zremrangebyrank str 0 1", "zcount str 0 1", "zincrby str 1 a", "zmscore str a", "zrank str a", "bzpopmin str 0",
}

// zSetupBig adds commands building sets past the listpack thresholds.
func zBigScript() []string {
	var s []string
	var b strings.Builder
	b.WriteString("zadd big")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, " %d m%03d", i%37, i)
	}
	s = append(s, b.String(), "ENC big", "zcard big", "zrange big 0 10 withscores", "zrange big -5 -1 rev withscores",
		"zrangebyscore big 3 (5 withscores limit 2 5", "zrevrangebyscore big 10 (5 limit 3 4", "zcount big 1 (20",
		"zrank big m150", "zrevrank big m150", "zscore big m299", "zremrangebyscore big 36 36", "zcard big",
		"zpopmin big 3", "zpopmax big", "zremrangebyrank big 10 20", "zrange big 0 -1 withscores", "ENC big",
		"zrangestore d big 0 9", "ENC d", "zrangestore d big 0 200", "ENC d", "zunionstore o 2 big u2", "ENC o",
		"zinterstore o 2 big big", "ENC o", "zrange o 0 5 withscores",
		"zadd lv 1 "+strings.Repeat("x", 64), "ENC lv", "zadd lv 1 "+strings.Repeat("y", 65), "ENC lv",
		"zadd big -0 negz 0.1 pt1 1e20 e20 inf pinf 1e300 e300 1e-5 small -2.5 neg 3.0000000000000004 ulp",
		"zscore big negz", "zrange big 0 3 withscores", "zincrby big -0 negz", "SCANALL big", "SCANALL bl",
		"zpopmin big 3", "zunion 2 big big withscores", "zadd bigl 0 a", "zremrangebyrank big 0 -1", "exists big")
	b.Reset()
	b.WriteString("zadd bl")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, " 0 k%03d", i)
	}
	s = append(s, b.String(), "zrangebylex bl [k010 (k020", "zrevrangebylex bl + (k190 limit 1 3", "zlexcount bl - [k100",
		"zremrangebylex bl - (k150", "zcard bl", "zrange bl 0 2", "zrandmember bl 1000", "zpopmin bl 2")
	return s
}

func splitCmd(s string) []string {
	var out []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		if s[0] == '\'' {
			end := strings.IndexByte(s[1:], '\'') + 1
			out = append(out, s[1:end])
			s = s[end+1:]
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return out
}

func TestZSetDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test starts redis-server")
	}
	rr := startLiveRedis(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			rr.do(t, "HELLO", fmt.Sprint(proto))
			rr.do(t, "FLUSHALL")
			e := newTestEnv(t)
			e.proto = proto
			script := append(append([]string{}, zDiffScript...), zBigScript()...)
			for _, line := range script {
				args := splitCmd(line)
				var want, got string
				if args[0] == "SCANALL" {
					want = zScanAll(t, func(a ...string) string { return rr.do(t, a...) }, args[1])
					got = zScanAll(t, func(a ...string) string { return e.do(a...) }, args[1])
				} else if args[0] == "ENC" {
					want = rr.do(t, "OBJECT", "ENCODING", args[1])
					got = zTestEncoding(e, args[1], proto)
				} else if args[0] == "set" || args[0] == "exists" || args[0] == "FLUSHALL" {
					want = rr.do(t, args...)
					got = zTestGeneric(e, args)
				} else {
					want = rr.do(t, args...)
					got = e.do(args...)
				}
				if strings.HasPrefix(line, "zrandmember r -3") {
					// random with repetition: compare only the reply's size
					want, got = fmt.Sprint(len(want)), fmt.Sprint(len(got))
				}
				if got != want {
					t.Errorf("%s\n got %q\nwant %q", line, got, want)
				}
			}
		})
	}
}

// zTestEncoding answers OBJECT ENCODING from the test keyspace (the
// command belongs to another family).
func zTestEncoding(e *testEnv, key string, proto int) string {
	v, ok := e.ks.DB(0).Lookup([]byte(key))
	if !ok {
		if proto == 3 {
			return "_\r\n"
		}
		return "$-1\r\n"
	}
	enc := types.StringEncoding(v.Str)
	if v.Obj != nil {
		enc = v.Obj.Encoding()
	}
	return fmt.Sprintf("$%d\r\n%s\r\n", len(enc), enc)
}

func zTestGeneric(e *testEnv, args []string) string {
	db := e.ks.DB(0)
	switch args[0] {
	case "set":
		db.SetString([]byte(args[1]), []byte(args[2]), false)
		return "+OK\r\n"
	case "exists":
		if db.Exists([]byte(args[1])) {
			return ":1\r\n"
		}
		return ":0\r\n"
	}
	return ""
}

// zScanAll runs ZSCAN to completion with small counts and returns the
// sorted distinct member/score pairs seen.
func zScanAll(t *testing.T, do func(...string) string, key string) string {
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; i < 100000; i++ {
		raw := do("zscan", key, cursor, "count", "3")
		r := bufio.NewReader(strings.NewReader(raw))
		var parts []string
		var collect func() error
		collect = func() error {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			switch line[0] {
			case '*':
				n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
				for k := 0; k < n; k++ {
					if err := collect(); err != nil {
						return err
					}
				}
			case '$':
				v, _ := r.ReadString('\n')
				parts = append(parts, strings.TrimRight(v, "\r\n"))
			default:
				t.Fatalf("zscan %s: %q", key, raw)
			}
			return nil
		}
		if err := collect(); err != nil {
			t.Fatal(err)
		}
		cursor = parts[0]
		for k := 1; k+1 < len(parts); k += 2 {
			seen[parts[k]+"="+parts[k+1]] = true
		}
		if cursor == "0" {
			break
		}
	}
	var all []string
	for k := range seen {
		all = append(all, k)
	}
	sort.Strings(all)
	return strings.Join(all, " ")
}
