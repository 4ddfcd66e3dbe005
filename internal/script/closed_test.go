package script

import (
	"testing"

	"github.com/shoal-db/shoal/internal/command"
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
