package command

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
)

// latin1 turns a JSON string written from latin-1-decoded bytes back into
// those bytes.
func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

// TestListGoldenRedis replays a session captured from redis-server 7.0.15
// (testdata/list_redis7015.jsonl: every list command, its errors and edge
// cases, a 300-element list, RESP2 and RESP3 replies) and compares replies
// byte for byte.
func TestListGoldenRedis(t *testing.T) {
	type step struct {
		Cmd          []string
		Resp2, Resp3 string
	}
	f, err := os.Open("testdata/list_redis7015.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []step
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, s)
	}
	if len(steps) < 100 {
		t.Fatalf("only %d golden steps", len(steps))
	}
	for _, proto := range []int{2, 3} {
		e := newTestEnv(t)
		e.proto = proto
		for i, s := range steps {
			want := s.Resp2
			if proto == 3 {
				want = s.Resp3
			}
			if got := e.do(s.Cmd...); got != latin1(want) {
				t.Errorf("RESP%d step %d %q:\n got %q\nwant %q", proto, i, s.Cmd, got, latin1(want))
			}
		}
	}
}

func TestListTable(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		want string
		args []string
	}{
		{":3\r\n", []string{"rpush", "l", "a", "b", "c"}},
		{":5\r\n", []string{"lpush", "l", "y", "x"}},
		{"*5\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", []string{"lrange", "l", "0", "-1"}},
		{"$1\r\nc\r\n", []string{"lindex", "l", "-1"}},
		{"-ERR index out of range\r\n", []string{"lset", "l", "5", "z"}},
		{"-ERR no such key\r\n", []string{"lset", "nokey", "0", "z"}},
		{"+OK\r\n", []string{"lset", "l", "-5", "X"}},
		{":6\r\n", []string{"linsert", "l", "AFTER", "X", "x2"}},
		{":-1\r\n", []string{"linsert", "l", "before", "nope", "x2"}},
		{"*2\r\n$1\r\nc\r\n$1\r\nb\r\n", []string{"rpop", "l", "2"}},
		{"$1\r\nX\r\n", []string{"lmove", "l", "m", "left", "right"}},
		{"$1\r\na\r\n", []string{"rpoplpush", "l", "m"}},
		{"*2\r\n$1\r\na\r\n$1\r\nX\r\n", []string{"lrange", "m", "0", "-1"}},
		{":1\r\n", []string{"lrem", "l", "-1", "y"}},
		{":1\r\n", []string{"llen", "l"}},
		{"+OK\r\n", []string{"ltrim", "l", "1", "0"}},
		{":0\r\n", []string{"llen", "l"}},
		{":0\r\n", []string{"lpushx", "l", "a"}},
		{"*2\r\n$1\r\nm\r\n*1\r\n$1\r\na\r\n", []string{"lmpop", "2", "l", "m", "left"}},
		{"*2\r\n$1\r\nm\r\n$1\r\nX\r\n", []string{"blpop", "l", "m", "0"}},
		{"*-1\r\n", []string{"blpop", "l", "m", "0"}}, // cannot block in-process: timeout reply
		{"$-1\r\n", []string{"blmove", "l", "m", "left", "left", "0"}},
		{"-ERR timeout is negative\r\n", []string{"blpop", "l", "1e400"}},
		{"-ERR timeout is negative\r\n", []string{"blpop", "l", "inf"}},
		{"-ERR timeout is not a float or out of range\r\n", []string{"blpop", "l", "nan"}},
		{"-ERR timeout is not a float or out of range\r\n", []string{"blpop", "l", " 1"}},
		{"-ERR wrong number of arguments for 'rpop' command\r\n", []string{"rpop", "l", "1", "2"}},
	} {
		e.expect(tc.want, tc.args...)
	}
}

func TestBlockTimeoutParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"0.1", 100 * time.Millisecond, ""},
		{"1.5e-1", 150 * time.Millisecond, ""},
		{"0.0009", time.Millisecond, ""}, // ceil to 1 ms
		{"1e-300", time.Millisecond, ""},
		{"1e-400", time.Millisecond, ""}, // a long double holds it
		{"-0.0001", 0, ""},               // ceil(-0.1) = -0: forever, as in Redis
		{"0x10", 16 * time.Second, ""},
		{".5", 500 * time.Millisecond, ""},
		{"+2", 2 * time.Second, ""},
		{"-1", 0, "ERR timeout is negative"},
		{"1e16", 0, "ERR timeout is negative"},
		{"inf", 0, "ERR timeout is negative"},
		{"abc", 0, "ERR timeout is not a float or out of range"},
		{"", 0, "ERR timeout is not a float or out of range"},
		{"nan", 0, "ERR timeout is not a float or out of range"},
		{"1 ", 0, "ERR timeout is not a float or out of range"},
	} {
		w := &resp.Writer{Proto: 2}
		c := &Ctx{W: w}
		got, ok := BlockTimeout(c, []byte(tc.in))
		if tc.err != "" {
			if ok || string(w.Buf) != "-"+tc.err+"\r\n" {
				t.Errorf("%q: got %v %q, want error %q", tc.in, got, w.Buf, tc.err)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("%q: got %v ok=%v (%q), want %v", tc.in, got, ok, w.Buf, tc.want)
		}
	}
}

// TestSignalAndBlockHooks checks the Ctx side of the blocking contract.
func TestSignalAndBlockHooks(t *testing.T) {
	e := newTestEnv(t)
	w := &resp.Writer{Proto: 2}
	var waiters atomic.Int64
	c := &Ctx{W: w, DB: e.ks.DB(3), KS: e.ks, Waiters: &waiters}
	c.SignalReady([]byte("k"))
	if len(c.Ready) != 0 {
		t.Fatal("SignalReady recorded a key with no waiters")
	}
	waiters.Store(1)
	c.SignalReady([]byte("k"))
	if len(c.Ready) != 1 || c.Ready[0] != (ReadyKey{DB: 3, Key: "k"}) {
		t.Fatalf("Ready = %v", c.Ready)
	}
	c.CanBlock = true
	c.BlockOn([][]byte{[]byte("k")}, time.Second, true)
	if c.Block == nil || c.Block.Timeout != time.Second || len(w.Buf) != 0 {
		t.Fatalf("BlockOn: %+v, wrote %q", c.Block, w.Buf)
	}
}

func TestListEmptiedKeyIsDeleted(t *testing.T) {
	e := newTestEnv(t)
	e.do("rpush", "l", "a", "b")
	// Popping the last element deletes the key; TYPE-less check via LLEN.
	e.expect("$1\r\na\r\n", "lpop", "l")
	e.expect("$1\r\nb\r\n", "lpop", "l")
	if e.ks.DB(0).Exists([]byte("l")) {
		t.Fatal("empty list key not deleted")
	}
}

func BenchmarkLPUSH(b *testing.B) {
	e := newTestEnv(b)
	args := [][]byte{[]byte("lpush"), []byte("mylist"), []byte("xxx")}
	spec := e.table.Lookup(args[0])
	w := &resp.Writer{Proto: 2}
	c := &Ctx{Args: args, W: w, DB: e.ks.DB(0), KS: e.ks, Cmd: spec}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.Reset()
		spec.Handler(c)
	}
}

func BenchmarkLRANGE100(b *testing.B) {
	e := newTestEnv(b)
	for i := 0; i < 600; i++ {
		e.do("rpush", "mylist", "xxx"+strconv.Itoa(i))
	}
	args := [][]byte{[]byte("lrange"), []byte("mylist"), []byte("0"), []byte("99")}
	spec := e.table.Lookup(args[0])
	w := &resp.Writer{Proto: 2}
	c := &Ctx{Args: args, W: w, DB: e.ks.DB(0), KS: e.ks, Cmd: spec}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w.Reset()
		spec.Handler(c)
	}
}
