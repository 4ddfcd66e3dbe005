package script

import (
	"runtime"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/resp"
)

func TestLrand48(t *testing.T) {
	// A fresh redis-server answers 40 to EVAL "return math.random(100)" 0.
	r := newLrand48()
	if got := int(float64(r.next()%lrand48Max)/float64(lrand48Max)*100) + 1; got != 40 {
		t.Fatalf("first math.random(100) = %d, want 40", got)
	}
}

func TestParseShebang(t *testing.T) {
	for _, tc := range []struct {
		body  string
		flags Flags
		skip  int
		err   string
	}{
		{"return 1", FlagEvalCompat, 0, ""},
		{"#!lua\nreturn 1", 0, 5, ""},
		{"#!lua flags=no-writes,allow-oom\nx", FlagNoWrites | FlagAllowOOM, 31, ""},
		{"#!lua flags=\nx", 0, 12, ""},
		{"#!lua", 0, 0, "Invalid script shebang"},
		{"#!py\nx", 0, 0, "Unexpected engine in script shebang: #!py"},
		{"#!lua flags=no-writes,,x\nx", 0, 0, "Unexpected flag in script shebang: "},
		{"#!lua name=x\nx", 0, 0, "Unknown lua shebang option: name=x"},
	} {
		f, skip, err := ParseShebang([]byte(tc.body))
		if f != tc.flags || skip != tc.skip || err != tc.err {
			t.Errorf("%q: got (%v, %d, %q), want (%v, %d, %q)", tc.body, f, skip, err, tc.flags, tc.skip, tc.err)
		}
	}
}

// fakeHost answers every command with its own name as a status reply.
type fakeHost struct{ calls []string }

func (h *fakeHost) Exec(_ *Run, spec *command.Spec, args [][]byte, w *resp.Writer) string {
	h.calls = append(h.calls, string(args[0]))
	w.Simple(spec.Name)
	return ""
}

func runEval(t *testing.T, e *Engine, body string, proto int) string {
	t.Helper()
	s, msg := e.Load([]byte(body))
	if msg != "" {
		return "-" + msg
	}
	var w resp.Writer
	w.Proto = proto
	run := &Run{Host: &fakeHost{}, Name: s.SHA, Flags: s.Flags}
	e.RunScript(run, s, nil, nil, &w)
	return string(w.Buf)
}

func TestEngineConversions(t *testing.T) {
	table := command.NewTable()
	table.Handle("get", func(*command.Ctx) {})
	e := NewEngine(table)
	for _, tc := range []struct{ body, want string }{
		{"return 3.9", ":3\r\n"},
		{"return {1, 'a', nil, 2}", "*2\r\n:1\r\n$1\r\na\r\n"},
		{"return false", "$-1\r\n"},
		{"return redis.call('get', 'k')", "+get\r\n"},
		{"return redis.call('nosuch')", "-ERR Unknown Redis command called from script script: "},
		{"return redis.call('set', 'k', 'v')", "-ERR Unknown Redis command called from script script: "},
		{"x = 1", "-ERR user_script:1: Attempt to modify a readonly table script: "},
		{"return {double=1.5}", "$3\r\n1.5\r\n"},
	} {
		if got := runEval(t, e, tc.body, 2); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q: got %q, want prefix %q", tc.body, got, tc.want)
		}
	}
}

// FuzzDecoders: cjson.decode, cmsgpack.unpack, struct.unpack and the RESP
// to Lua conversion never panic or hang on any input.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"\u00e9"}`, "\x93\x01\xa1a\xc3", "*2\r\n$1\r\na\r\n%1\r\n+k\r\n,1.5\r\n", "[1,2"} {
		f.Add([]byte(s))
	}
	e := NewEngine(command.NewTable())
	v := newVM(e)
	f.Fuzz(func(t *testing.T, data []byte) {
		L := v.L
		for _, src := range []string{"return cjson.decode(ARGV[1])", "return cmsgpack.unpack(ARGV[1])", "return struct.unpack('>i2 s c2 d', ARGV[1])"} {
			fn, err := L.LoadString(src)
			if err != nil {
				t.Fatal(err)
			}
			fn.Env = v.evalEnv
			v.real.RawSetString("ARGV", v.array([][]byte{data}))
			L.Push(fn)
			_ = L.PCall(0, lua.MultRet, nil)
			L.SetTop(0)
		}
		respToLua(L, data)
	})
}

// BenchmarkRunScript is EVALSHA's engine part for a 3-command script,
// with a host that answers like INCR / SET / GET.
func BenchmarkRunScript(b *testing.B) {
	table := command.NewTable()
	for _, n := range []string{"incr", "set", "get"} {
		table.Handle(n, func(*command.Ctx) {})
	}
	e := NewEngine(table)
	s, _ := e.Load([]byte("local v = redis.call('incr', KEYS[1]); redis.call('set', KEYS[1], v); return redis.call('get', KEYS[1])"))
	h := benchHost{}
	keys := [][]byte{[]byte("key:000000012345")}
	var w resp.Writer
	w.Proto = 2
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		run := Run{Host: h, Name: s.SHA, Flags: s.Flags}
		e.RunScript(&run, s, keys, nil, &w)
	}
}

type benchHost struct{}

func (benchHost) Exec(_ *Run, spec *command.Spec, _ [][]byte, w *resp.Writer) string {
	switch spec.Name {
	case "incr":
		w.Int(7)
	case "set":
		w.OK()
	default:
		w.BulkString("7")
	}
	return ""
}

// TestKillConcurrent: scripts looping on several Lua states at once are all
// stopped by Kill, Running sees them, and states are reusable afterwards.
func TestKillConcurrent(t *testing.T) {
	e := NewEngine(command.NewTable())
	s, _ := e.Load([]byte("local n = 0; while true do n = n + 1 end"))
	const n = 4
	out := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			var w resp.Writer
			w.Proto = 2
			run := &Run{Host: &fakeHost{}, Name: s.SHA, Flags: s.Flags}
			e.RunScript(run, s, nil, nil, &w)
			out <- string(w.Buf)
		}()
	}
	for len(e.runs(false)) < n {
		runtime.Gosched()
	}
	if _, ok := e.Running(0, false); !ok {
		t.Fatal("Running found nothing")
	}
	if msg := e.Kill(false); !strings.HasPrefix(msg, "BUSY ") {
		t.Fatalf("FUNCTION KILL of scripts: %q", msg)
	}
	if msg := e.Kill(true); msg != "" {
		t.Fatalf("kill: %q", msg)
	}
	for i := 0; i < n; i++ {
		if got := <-out; !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: ") {
			t.Fatalf("killed script replied %q", got)
		}
	}
	if msg := e.Kill(true); !strings.HasPrefix(msg, "NOTBUSY") {
		t.Fatalf("kill with nothing running: %q", msg)
	}
	if got := runEval(t, e, "return 5", 2); got != ":5\r\n" {
		t.Fatalf("after kill: %q", got)
	}
}

// Tables encode in the order pairs() gives (insertion order), the same on
// every call: cjson, cmsgpack and RESP3 map replies (Go's map order is
// random, so a run of 20 finds any reliance on it).
func TestTableEncodingOrder(t *testing.T) {
	e := NewEngine(command.NewTable())
	for _, tc := range []struct {
		body  string
		proto int
		want  string
	}{
		{"return cjson.encode({e=1, d=2, c=3, b=4, a=5})", 2, `$31` + "\r\n" + `{"e":1,"d":2,"c":3,"b":4,"a":5}` + "\r\n"},
		{"local t = {z=1, y=2, x=3} local s = '' for _, c in ipairs({string.byte(cmsgpack.pack(t), 1, -1)}) do s = s .. string.format('%02x', c) end return s",
			2, "$20\r\n83a17a01a17902a17803\r\n"},
		{"return {map={q=1, p=2, o=3}}", 3, "%3\r\n$1\r\nq\r\n:1\r\n$1\r\np\r\n:2\r\n$1\r\no\r\n:3\r\n"},
	} {
		for i := 0; i < 20; i++ {
			if got := runEval(t, e, tc.body, tc.proto); got != tc.want {
				t.Fatalf("%q (run %d): got %q, want %q", tc.body, i, got, tc.want)
			}
		}
	}
}
