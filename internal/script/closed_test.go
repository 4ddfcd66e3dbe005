package script

import (
	"testing"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/resp"
)

func TestAnalyzeClosed(t *testing.T) {
	table := command.NewTable()
	command.Register(table)
	e := NewEngine(table)
	for _, tc := range []struct {
		body   string
		closed bool
	}{
		{"return 1", true},
		{"local v = redis.call('incr', KEYS[1]); redis.call('set', KEYS[1], v); return redis.call('get', KEYS[1])", true},
		{"return redis.call('GET', KEYS[1])", true},
		{"return redis['call']('get', KEYS[2])", true},
		{"local k = KEYS[1] local n = redis.call('incrby', k, ARGV[1]) if n == 1 then redis.call('expire', k, 10) end return n", true},
		{"local k = KEYS[1]; local j = k; return redis.pcall('del', j, KEYS[2], KEYS[3])", true},
		{"for i = 1, #KEYS do redis.call('del', KEYS[i]) end", true},
		{"local function f(x) return x end return redis.call('hset', KEYS[1], ARGV[1], f(ARGV[2]))", true},
		{"return redis.call('ping')", true},
		{"return redis.call('object', 'encoding', KEYS[1])", true},
		{"local k; if ARGV[1] then k = KEYS[1] end return redis.call('get', k)", true},
		{"return redis.call('nosuchcommand', ARGV[1])", true},
		{"redis.log(redis.LOG_WARNING, 'x') return redis.sha1hex(ARGV[1])", true},
		{"local KEYS = ARGV return redis.call('get', KEYS[1])", false},
		{"return redis.call('get', ARGV[1])", false},
		{"return redis.call('get', KEYS[1] .. ':x')", false},
		{"return redis.call('get', 'literal')", false},
		{"local k = KEYS[1]; k = ARGV[1]; return redis.call('get', k)", false},
		{"local k = KEYS[1]; local function f() k = ARGV[1] end f() return redis.call('get', k)", false},
		{"local a, b = unpack(KEYS) return redis.call('get', a)", false},
		{"return redis.call('del', unpack(KEYS))", false},
		{"KEYS[1] = ARGV[1] return redis.call('get', KEYS[1])", false},
		{"table.insert(KEYS, ARGV[1]) return redis.call('get', KEYS[2])", false},
		{"local c = redis.call return c('get', ARGV[1])", false},
		{"return pcall(redis.call, 'get', ARGV[1])", false},
		{"local r = redis return r.call('get', ARGV[1])", false},
		{"return redis.call(ARGV[1], KEYS[1])", false},
		{"return redis.call('keys', '*')", false},
		{"return redis.call('sort', KEYS[1], 'by', 'w_*')", false},
		{"return redis.call('set', KEYS[1], ARGV[1], redis.call('get', KEYS[2]))", true},
		{"return redis.call('del', KEYS[1], redis.call('get', KEYS[2]))", false},
		{"return redis.call('mset', KEYS[1], 'v', KEYS[2], 'w')", true},
		{"return redis.call('mset', KEYS[1], 'v', ARGV[1], 'w')", false},
		{"return redis.call('zunionstore', KEYS[1], 2, KEYS[2], KEYS[3])", false},
		{"return redis.call('zunionstore', KEYS[1], KEYS[2], KEYS[3], KEYS[4])", true},
		{"return _G.redis.call('get', ARGV[1])", false},
		{"return getfenv().redis.call('get', ARGV[1])", false},
		{"return loadstring('return 1')()", false},
		{"for _, k in ipairs(KEYS) do redis.call('del', k) end", false},
		{"local t = {KEYS[1]} return redis.call('get', t[1])", false},
		{"return redis.call('object', ARGV[1], KEYS[1])", false},
		{"function redis.call() end", false},
	} {
		s, msg := e.Load([]byte(tc.body))
		if msg != "" {
			t.Fatalf("%q: %s", tc.body, msg)
		}
		if s.Closed != tc.closed {
			t.Errorf("%q: closed = %v, want %v", tc.body, s.Closed, tc.closed)
		}
	}
}

// TestKeysTablesReused: KEYS and ARGV are refilled between calls, and a
// script that changed them (more items, other keys, a metatable) leaves
// the next call the exact arrays it was given.
func TestKeysTablesReused(t *testing.T) {
	e := NewEngine(command.NewTable())
	s, msg := e.Load([]byte(`
local out = {#KEYS, #ARGV}
for _, k in ipairs(KEYS) do out[#out+1] = k end
for _, a in ipairs(ARGV) do out[#out+1] = a end
if KEYS.n ~= nil or ARGV[5] ~= nil or KEYS[10] ~= nil then out[#out+1] = 'leak' end
if ARGV[1] == 'grow' then KEYS[#KEYS+1] = 'extra'; KEYS[10] = 'far' end
if ARGV[1] == 'hash' then KEYS.n = 1 end
if ARGV[1] == 'meta' then setmetatable(ARGV, {__index = function() return 'm' end}) end
if ARGV[1] == 'nil' then KEYS[1] = nil end
return out`))
	if msg != "" {
		t.Fatal(msg)
	}
	b := func(ss ...string) [][]byte {
		var out [][]byte
		for _, x := range ss {
			out = append(out, []byte(x))
		}
		return out
	}
	for i, c := range []struct {
		keys, args []string
		want       string
	}{
		{[]string{"a", "b"}, []string{"grow"}, "*5\r\n:2\r\n:1\r\n$1\r\na\r\n$1\r\nb\r\n$4\r\ngrow\r\n"},
		{[]string{"c"}, []string{"hash"}, "*4\r\n:1\r\n:1\r\n$1\r\nc\r\n$4\r\nhash\r\n"},
		{[]string{"d"}, []string{"meta"}, "*4\r\n:1\r\n:1\r\n$1\r\nd\r\n$4\r\nmeta\r\n"},
		{[]string{"e", "f"}, []string{"nil"}, "*5\r\n:2\r\n:1\r\n$1\r\ne\r\n$1\r\nf\r\n$3\r\nnil\r\n"},
		{[]string{"g"}, nil, "*3\r\n:1\r\n:0\r\n$1\r\ng\r\n"},
		{nil, []string{"x", "y"}, "*4\r\n:0\r\n:2\r\n$1\r\nx\r\n$1\r\ny\r\n"},
	} {
		var w resp.Writer
		w.Proto = 2
		run := &Run{Host: &fakeHost{}, Name: s.SHA, Flags: s.Flags}
		e.RunScript(run, s, b(c.keys...), b(c.args...), &w)
		if got := string(w.Buf); got != c.want {
			t.Errorf("call %d: got %q, want %q", i, got, c.want)
		}
	}
}
