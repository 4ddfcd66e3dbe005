package command

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/stream"
	"github.com/shoal-db/shoal/internal/types"
)

// strTestList stands in for a collection, for WRONGTYPE checks.
type strTestList struct{}

func (strTestList) Kind() types.Kind { return types.KindList }
func (strTestList) Encoding() string { return "listpack" }
func (strTestList) Len() int         { return 1 }
func putList(e *testEnv, key string) { e.ks.DB(e.db).SetObject([]byte(key), strTestList{}, false) }

const wrongTypeReply = "-" + wrongType + "\r\n"

func TestStringsWrongType(t *testing.T) {
	cases := [][]string{
		{"get", "l"}, {"set", "l", "v", "get"}, {"getset", "l", "v"}, {"getdel", "l"}, {"getex", "l"},
		{"getex", "l", "ex", "10"}, {"append", "l", "x"}, {"strlen", "l"}, {"incr", "l"}, {"decr", "l"},
		{"incrby", "l", "2"}, {"decrby", "l", "2"}, {"incrbyfloat", "l", "1.5"}, {"getrange", "l", "0", "1"},
		{"substr", "l", "0", "1"}, {"setrange", "l", "0", "x"}, {"setrange", "l", "0", ""}, {"setbit", "l", "0", "1"},
		{"getbit", "l", "0"}, {"bitcount", "l"}, {"bitcount", "l", "0", "1"}, {"bitpos", "l", "1"},
		{"bitop", "and", "d", "l"}, {"bitop", "or", "d", "x", "l"}, {"bitfield", "l", "get", "u8", "0"},
		{"bitfield", "l", "set", "u8", "0", "1"}, {"bitfield_ro", "l", "get", "u8", "0"},
	}
	for _, args := range cases {
		e := newTestEnv(t)
		putList(e, "l")
		e.expect(wrongTypeReply, args...)
		if v, ok := e.ks.DB(0).Lookup([]byte("l")); !ok || v.Obj == nil {
			t.Errorf("%q changed the list", args)
		}
	}
	e := newTestEnv(t)
	putList(e, "l")
	// no type check at all: SET overwrites, MGET answers null, LCS has its own text
	e.expect("*2\r\n$-1\r\n$-1\r\n", "mget", "l", "nokey")
	e.expect("-ERR The specified keys must contain string values\r\n", "lcs", "l", "x")
	e.expect("-ERR BITFIELD_RO only supports the GET subcommand\r\n", "bitfield_ro", "l", "set", "u8", "0", "1")
	e.expect("+OK\r\n", "set", "l", "v")
	e.expect("$1\r\nv\r\n", "get", "l")
	putList(e, "l")
	e.expect("+OK\r\n", "mset", "l", "v")
	e.expect("$1\r\nv\r\n", "get", "l")
}

func (e *testEnv) ttl(key string) int64 {
	db := e.ks.DB(e.db)
	if _, ok := db.Lookup([]byte(key)); !ok {
		return -2
	}
	return db.Expire([]byte(key))
}

func TestStringsExpiry(t *testing.T) {
	e := newTestEnv(t)
	now := e.now
	type step struct {
		args []string
		want string
		key  string
		ttl  int64 // absolute ms, -1 none, -2 missing
	}
	steps := []step{
		{[]string{"set", "k", "v", "ex", "10"}, "+OK\r\n", "k", now + 10_000},
		{[]string{"set", "k", "v", "px", "1500"}, "+OK\r\n", "k", now + 1500},
		{[]string{"set", "k", "v", "exat", "1800000000"}, "+OK\r\n", "k", 1_800_000_000_000},
		{[]string{"set", "k", "v", "pxat", "1800000000123"}, "+OK\r\n", "k", 1_800_000_000_123},
		{[]string{"set", "k", "w", "keepttl"}, "+OK\r\n", "k", 1_800_000_000_123},
		{[]string{"set", "k", "w"}, "+OK\r\n", "k", -1},
		{[]string{"setex", "k", "5", "1"}, "+OK\r\n", "k", now + 5000},
		{[]string{"incr", "k"}, ":2\r\n", "k", now + 5000},
		{[]string{"incrby", "k", "10"}, ":12\r\n", "k", now + 5000},
		{[]string{"decr", "k"}, ":11\r\n", "k", now + 5000},
		{[]string{"incrbyfloat", "k", "0.5"}, "$4\r\n11.5\r\n", "k", now + 5000},
		{[]string{"append", "k", "x"}, ":5\r\n", "k", now + 5000},
		{[]string{"setrange", "k", "0", "ab"}, ":5\r\n", "k", now + 5000},
		{[]string{"setbit", "k", "100", "1"}, ":0\r\n", "k", now + 5000},
		{[]string{"bitfield", "k", "set", "u8", "0", "1"}, "*1\r\n:97\r\n", "k", now + 5000},
		{[]string{"getset", "k", "v"}, "$13\r\n\x01b.5x\x00\x00\x00\x00\x00\x00\x00\x08\r\n", "k", -1},
		{[]string{"psetex", "k", "300", "v"}, "+OK\r\n", "k", now + 300},
		{[]string{"getex", "k"}, "$1\r\nv\r\n", "k", now + 300},
		{[]string{"getex", "k", "persist"}, "$1\r\nv\r\n", "k", -1},
		{[]string{"getex", "k", "px", "700"}, "$1\r\nv\r\n", "k", now + 700},
		{[]string{"getex", "k", "exat", "1800000000"}, "$1\r\nv\r\n", "k", 1_800_000_000_000},
		{[]string{"getex", "k", "pxat", strconv.FormatInt(now, 10)}, "$1\r\nv\r\n", "k", -2},
		{[]string{"set", "k", "v", "exat", "1"}, "+OK\r\n", "k", -2},
		{[]string{"set", "k", "v", "ex", "10"}, "+OK\r\n", "k", now + 10_000},
		{[]string{"mset", "k", "v"}, "+OK\r\n", "k", -1},
		{[]string{"set", "k", "v", "px", "10"}, "+OK\r\n", "k", now + 10},
		{[]string{"bitop", "not", "k", "k"}, ":1\r\n", "k", -1},
		{[]string{"set", "k", "v", "px", "10"}, "+OK\r\n", "k", now + 10},
		{[]string{"set", "k", "v2", "nx", "ex", "100"}, "$-1\r\n", "k", now + 10},
		{[]string{"set", "k", "v2", "xx", "ex", "100", "get"}, "$1\r\nv\r\n", "k", now + 100_000},
	}
	for _, s := range steps {
		e.expect(s.want, s.args...)
		if got := e.ttl(s.key); got != s.ttl {
			t.Errorf("%q: ttl %d, want %d", s.args, got, s.ttl)
		}
	}
	// an expired key is missing for every command
	e.expect("+OK\r\n", "set", "k", "5", "px", "10")
	e.now += 10
	e.expect("$-1\r\n", "get", "k")
	e.expect("+OK\r\n", "set", "k", "5", "px", "10")
	e.now += 10
	e.expect(":1\r\n", "incr", "k")
	if got := e.ttl("k"); got != -1 {
		t.Errorf("incr of an expired key kept ttl %d", got)
	}
	e.expect(":1\r\n", "setnx", "j", "5")
	e.expect("+OK\r\n", "set", "k", "5", "px", "10")
	e.now += 10
	e.expect(":1\r\n", "msetnx", "k", "1")
}

func TestStringsDirty(t *testing.T) {
	e := newTestEnv(t)
	run := func(args ...string) int {
		bargs := make([][]byte, len(args))
		for i, a := range args {
			bargs[i] = []byte(a)
		}
		spec := e.table.Lookup(bargs[0])
		c := &Ctx{Args: bargs, W: &resp.Writer{Proto: 2}, DB: e.ks.DB(0), KS: e.ks, Cmd: spec}
		spec.Handler(c)
		return c.Dirty
	}
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"set", "k", "v"}, 1},
		{[]string{"set", "k", "v", "nx"}, 0},
		{[]string{"mset", "a", "1", "b", "2"}, 2},
		{[]string{"msetnx", "a", "1", "c", "2"}, 0},
		{[]string{"get", "k"}, 0},
		{[]string{"getex", "k", "persist"}, 0},
		{[]string{"getex", "k", "ex", "10"}, 1},
		{[]string{"getex", "k", "persist"}, 1},
		{[]string{"append", "k", "x"}, 1},
		{[]string{"setrange", "k", "0", ""}, 0},
		{[]string{"setbit", "k", "0", "0"}, 0},
		{[]string{"setbit", "k", "1", "0"}, 1},
		{[]string{"bitfield", "k", "get", "u8", "0", "set", "u8", "0", "1", "incrby", "u8", "0", "1"}, 2},
		{[]string{"getdel", "k"}, 1},
		{[]string{"getdel", "k"}, 0},
		{[]string{"bitop", "and", "d", "nokey"}, 0},
		{[]string{"incrbyfloat", "f", "1.5"}, 1},
	}
	for _, tc := range cases {
		if got := run(tc.args...); got != tc.want {
			t.Errorf("%q: dirty %d, want %d", tc.args, got, tc.want)
		}
	}
}

func TestParseLL(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", math.MaxInt64, true}, {"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"00", 0, false}, {"01", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1.0", 0, false}, {"1e3", 0, false},
		{"0x10", 0, false}, {"000000000000000000001", 0, false}, {"1\x00", 0, false},
	}
	for _, tc := range cases {
		got, ok := rnum.ParseInt(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("rnum.ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if got2, ok2 := rnum.ParseInt([]byte(tc.in)); got2 != got || ok2 != ok {
			t.Errorf("rnum.ParseInt([]byte %q) differs from string form", tc.in)
		}
	}
	// round trip against strconv for random values
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 10000; i++ {
		v := r.Int63() >> uint(r.Intn(63))
		if r.Intn(2) == 0 {
			v = -v
		}
		if got, ok := rnum.ParseInt(strconv.FormatInt(v, 10)); !ok || got != v {
			t.Fatalf("rnum.ParseInt(%d) = %d, %v", v, got, ok)
		}
	}
}

// TestLongDoubleFormat pins INCRBYFLOAT results recorded from redis-server
// 7.0.15 (x86-64, 80-bit long double).
func TestLongDoubleFormat(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"10.5", "0.1", "10.6"},
		{"5.0e3", "2.0e2", "5200"},
		{"5200", "1e20", "100000000000000005200"},
		{"0.1", "0.2", "0.3"},
		{"1.5", "0.000003814697265625", "1.50000381469726562"},
		{"-0.0", "0", "0"},
		{"10", "-10", "0"},
		{"3.0e3", "1", "3001"},
	}
	for _, tc := range cases {
		a, ok1 := parseLongDouble(tc.a)
		b, ok2 := parseLongDouble(tc.b)
		if !ok1 || !ok2 {
			t.Fatalf("parse %q %q failed", tc.a, tc.b)
		}
		s, ok := ldAdd(a, b)
		if !ok {
			t.Fatalf("%s + %s overflowed", tc.a, tc.b)
		}
		if got := string(ldFormatHuman(s)); got != tc.want {
			t.Errorf("%s + %s = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "nan", "-nan", "1e", "e1", ".", "0x", "1p3", "1_0", "1e5000", "abc", "--1", "inf1"} {
		if _, ok := parseLongDouble(bad); ok {
			t.Errorf("parseLongDouble(%q) accepted", bad)
		}
	}
}

// TestBitRangesAgainstNaive checks BITCOUNT and BITPOS over random strings
// and ranges against a bit-by-bit twin.
func TestBitRangesAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	e := newTestEnv(t)
	for iter := 0; iter < 3000; iter++ {
		n := r.Intn(12)
		buf := make([]byte, n)
		for i := range buf {
			switch r.Intn(3) {
			case 0:
				buf[i] = 0
			case 1:
				buf[i] = 0xff
			default:
				buf[i] = byte(r.Intn(256))
			}
		}
		s := string(buf)
		e.ks.DB(0).SetString([]byte("k"), buf, false)
		unit := []string{"byte", "bit"}[r.Intn(2)]
		total := int64(n)
		if unit == "bit" {
			total *= 8
		}
		start, end := int64(r.Intn(2*n*8+3)-n*8-1), int64(r.Intn(2*n*8+3)-n*8-1)
		bit := int64(r.Intn(2))
		bitAt := func(i int64) int64 { return int64(s[i>>3]>>(7-i&7)) & 1 }
		// naive range in bits
		lo, hi := clampRange(start, end, total)
		if start < 0 && end < 0 && start > end {
			lo, hi = 1, 0
		}
		if unit == "byte" {
			lo, hi = lo*8, hi*8+7
		}
		var count int64
		for i := lo; i <= hi && lo <= hi; i++ {
			count += bitAt(i)
		}
		args := []string{"bitcount", "k", strconv.FormatInt(start, 10), strconv.FormatInt(end, 10), unit}
		if n == 0 {
			count = 0
		}
		e.expect(":"+strconv.FormatInt(count, 10)+"\r\n", args...)

		// BITPOS with an explicit end
		lo, hi = clampRange(start, end, total)
		if unit == "byte" {
			lo, hi = lo*8, hi*8+7
		}
		pos := int64(-1)
		for i := lo; i <= hi && n > 0; i++ {
			if bitAt(i) == bit {
				pos = i
				break
			}
		}
		args = []string{"bitpos", "k", strconv.FormatInt(bit, 10), strconv.FormatInt(start, 10), strconv.FormatInt(end, 10), unit}
		e.expect(":"+strconv.FormatInt(pos, 10)+"\r\n", args...)
	}
}

func TestLcsSmall(t *testing.T) {
	e := newTestEnv(t)
	e.expect("+OK\r\n", "mset", "a", "ohmytext", "b", "mynewtext")
	e.expect("$6\r\nmytext\r\n", "lcs", "a", "b")
	e.expect(":6\r\n", "lcs", "a", "b", "len")
	e.proto = 3
	e.expect("%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
		"lcs", "a", "b", "idx", "withmatchlen")
	e.settings.ProtoMaxBulkLen = 100
	e.expect("-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n", "lcs", "a", "b")
	e.expect("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "setrange", "a", "95", "123456")
	e.expect("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "append", "a", "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890")
	e.expect("-ERR bit offset is not an integer or out of range\r\n", "setbit", "a", "800", "1")
	e.expect(":0\r\n", "setbit", "a", "799", "1")
}

// newBenchCtx builds a reusable Ctx for one command, as the server's
// connection loop does, so the measurement is the handler alone.
func newBenchCtx(tb testing.TB, e *testEnv, args ...string) (*Ctx, Handler) {
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	spec := e.table.Lookup(bargs[0])
	if spec == nil || spec.Handler == nil {
		tb.Fatalf("no handler for %q", args[0])
	}
	w := &resp.Writer{Proto: 2, Buf: make([]byte, 0, 4096)}
	return &Ctx{Args: bargs, W: w, DB: e.ks.DB(0), KS: e.ks, Cmd: spec}, spec.Handler
}

func TestGetDoesNotAllocate(t *testing.T) {
	e := newTestEnv(t)
	e.expect("+OK\r\n", "set", "key:000001", "some value of moderate length")
	for _, args := range [][]string{
		{"get", "key:000001"}, {"get", "missing"}, {"strlen", "key:000001"},
		{"getrange", "key:000001", "0", "3"}, {"getbit", "key:000001", "3"}, {"bitcount", "key:000001"},
		{"mget", "key:000001", "missing"},
	} {
		c, h := newBenchCtx(t, e, args...)
		allocs := testing.AllocsPerRun(1000, func() {
			c.W.Reset()
			h(c)
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations per run, want 0", args, allocs)
		}
	}
}

// SET allocates one record (key and value) for a new key, and nothing when
// it overwrites a string whose record fits the new value (same size class:
// keyspace setString), as Redis's allocator reuses the freed block.
func TestSetAllocatesOnce(t *testing.T) {
	e := newTestEnv(t)
	c, h := newBenchCtx(t, e, "set", "key:000001", "some value of moderate length")
	h(c)
	allocs := testing.AllocsPerRun(1000, func() {
		c.W.Reset()
		h(c)
	})
	if allocs != 0 {
		t.Errorf("SET over a string: %v allocations per run, want 0 (its record reused)", allocs)
	}
	d, dh := newBenchCtx(t, e, "del", "key:000001")
	allocs = testing.AllocsPerRun(1000, func() {
		d.W.Reset()
		dh(d)
		c.W.Reset()
		h(c)
	})
	if allocs != 1 {
		t.Errorf("DEL then SET: %v allocations per run, want 1 (the key+value)", allocs)
	}
	if got := e.do("get", "key:000001"); got != "$29\r\nsome value of moderate length\r\n" {
		t.Errorf("GET after the runs: %q", got)
	}
	c, h = newBenchCtx(t, e, "incr", "counter")
	h(c)
	// The counter's digits keep their size class (up to 8 bytes with the
	// key): the record is reused.
	if allocs := testing.AllocsPerRun(1000, func() { c.W.Reset(); h(c) }); allocs != 0 {
		t.Errorf("INCR: %v allocations per run, want 0", allocs)
	}
}

func BenchmarkGet(b *testing.B) {
	e := newTestEnv(b)
	e.expect("+OK\r\n", "set", "key:000001", "some value of moderate length")
	c, h := newBenchCtx(b, e, "get", "key:000001")
	b.ReportAllocs()
	for b.Loop() {
		c.W.Reset()
		h(c)
	}
}

func BenchmarkSet(b *testing.B) {
	e := newTestEnv(b)
	c, h := newBenchCtx(b, e, "set", "key:000001", "some value of moderate length")
	b.ReportAllocs()
	for b.Loop() {
		c.W.Reset()
		h(c)
	}
}

func BenchmarkSetEX(b *testing.B) {
	e := newTestEnv(b)
	c, h := newBenchCtx(b, e, "set", "key:000001", "some value of moderate length", "EX", "100")
	b.ReportAllocs()
	for b.Loop() {
		c.W.Reset()
		h(c)
	}
}

func BenchmarkIncr(b *testing.B) {
	e := newTestEnv(b)
	c, h := newBenchCtx(b, e, "incr", "counter")
	b.ReportAllocs()
	for b.Loop() {
		c.W.Reset()
		h(c)
	}
}

// TestPropagateDoesNotAllocate: a rewritten effect (SET … EX → SET … PXAT)
// is recorded into the reused batch without allocating.
func TestPropagateDoesNotAllocate(t *testing.T) {
	e := newTestEnv(t)
	c, h := newBenchCtx(t, e, "set", "key:000001", "some value of moderate length", "EX", "100")
	c.Effects = &stream.Batch{}
	c.W.Reset()
	h(c) // the key and the batch's buffer exist from here on
	n := testing.AllocsPerRun(1000, func() {
		c.W.Reset()
		c.Effects.Reset()
		h(c)
	})
	if c.Effects.Len() != 1 || !strings.Contains(string(c.Effects.Bytes()), "PXAT") {
		t.Fatalf("effects: %q", c.Effects.Bytes())
	}
	// SET … EX allocates its new record (as BenchmarkSetEX shows); the
	// effect adds nothing to that.
	c2, h2 := newBenchCtx(t, e, "set", "key:000001", "some value of moderate length", "EX", "100")
	base := testing.AllocsPerRun(1000, func() { c2.W.Reset(); h2(c2) })
	if n > base {
		t.Fatalf("SET EX with effects: %v allocs, without: %v", n, base)
	}
}
