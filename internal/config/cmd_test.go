package config

import (
	"reflect"
	"testing"
)

// TestSetErrors: expected texts are redis-server 7.0.15's replies.
func TestSetErrors(t *testing.T) {
	const f = "ERR CONFIG SET failed (possibly related to argument '"
	cases := []struct {
		pairs [][2]string
		want  string
	}{
		{[][2]string{{"foo", "bar"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[][2]string{{"port", "abc"}}, f + "port') - argument couldn't be parsed into an integer"},
		{[][2]string{{"PORT", "abc"}}, f + "port') - argument couldn't be parsed into an integer"},
		{[][2]string{{"port", "70000"}}, f + "port') - argument must be between 0 and 65535 inclusive"},
		{[][2]string{{"port", "+5"}}, f + "port') - argument couldn't be parsed into an integer"},
		{[][2]string{{"appendonly", "maybe"}}, f + "appendonly') - argument must be 'yes' or 'no'"},
		{[][2]string{{"loglevel", "loud"}}, f + "loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"},
		{[][2]string{{"daemonize", "yes"}}, f + "daemonize') - can't set immutable config"},
		{[][2]string{{"slaveof", "1 2"}}, f + "slaveof') - can't set immutable config"},
		{[][2]string{{"dir", "/tmp"}}, f + "dir') - can't set protected config"},
		{[][2]string{{"dbfilename", "x.rdb"}}, f + "dbfilename') - can't set protected config"},
		{[][2]string{{"maxmemory", "1x"}}, f + "maxmemory') - argument must be a memory value"},
		{[][2]string{{"maxmemory", "1.5gb"}}, f + "maxmemory') - argument must be a memory value"},
		{[][2]string{{"maxmemory", "10mb"}, {"maxmemory", "5"}}, f + "maxmemory') - duplicate parameter"},
		{[][2]string{{"maxmemory", "10mb"}, {"foo", "5"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[][2]string{{"maxmemory", "10mb"}, {"port", "abc"}}, f + "port') - argument couldn't be parsed into an integer"},
		{[][2]string{{"save", "1"}}, f + "save') - Invalid save parameters"},
		{[][2]string{{"save", " 10 5"}}, f + "save') - Invalid save parameters"},
		{[][2]string{{"list-max-ziplist-entries", "5"}}, "ERR Unknown option or number of arguments for CONFIG SET - 'list-max-ziplist-entries'"},
		{[][2]string{{"repl-backlog-size", "99999999999999999999"}}, f + "repl-backlog-size') - argument must be between 1 and 9223372036854775807 inclusive"},
		{[][2]string{{"hash-max-listpack-entries", "-1"}}, f + "hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[][2]string{{"maxclients", "-1"}}, f + "maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[][2]string{{"maxmemory-clients", "101%"}}, f + "maxmemory-clients') - percentage argument must be less or equal to 100"},
		{[][2]string{{"maxmemory-clients", "-5%"}}, f + "maxmemory-clients') - argument must be a memory or percent value"},
		{[][2]string{{"proto-max-bulk-len", "1k"}}, f + "proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
		{[][2]string{{"oom-score-adj-values", "1 2"}}, f + "oom-score-adj-values') - wrong number of arguments"},
		{[][2]string{{"oom-score-adj-values", "a 2 3"}}, f + "oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
		{[][2]string{{"latency-tracking-info-percentiles", "50 200"}}, f + "latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
		{[][2]string{{"client-output-buffer-limit", "master 1 2 3"}}, f + "client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
		{[][2]string{{"client-output-buffer-limit", "Normal 1 2 x"}}, f + "client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{[][2]string{{"proc-title-template", "{bad}"}}, f + "proc-title-template') - template format is invalid or contains unknown variables"},
		{[][2]string{{"cluster-announce-hostname", "a_b"}}, f + "cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"},
		{[][2]string{{"cluster-preferred-endpoint-type", "x"}}, f + "cluster-preferred-endpoint-type') - argument(s) must be one of the following: ip, hostname, unknown-endpoint"},
		{[][2]string{{"shutdown-on-sigint", "save nosave"}}, f + "shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"},
		{[][2]string{{"enable-protected-configs", "yes"}}, f + "enable-protected-configs') - can't set immutable config"},
	}
	for _, tc := range cases {
		c := Default()
		before := c.Get("*")
		err := c.Set(tc.pairs)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Set(%q) = %v\nwant %s", tc.pairs, err, tc.want)
		}
		if after := c.Get("*"); !reflect.DeepEqual(before, after) {
			t.Errorf("Set(%q) failed but changed the config", tc.pairs)
		}
	}
}

func TestSetValues(t *testing.T) {
	c := Default()
	var called []string
	c.OnSet(func(name string) { called = append(called, name) })
	err := c.Set([][2]string{
		{"maxmemory", "1GB"}, {"maxmemory-policy", "ALLKEYS-LRU"}, {"save", "100 10 20 5"},
		{"hz", "1000"}, {"slave-read-only", "no"}, {"notify-keyspace-events", "KEA"},
		{"client-output-buffer-limit", "normal 1 2 3 slave 1mb 2mb 3"}, {"maxmemory-clients", "10%"},
		{"latency-tracking-info-percentiles", "50.5000 99"}, {"bind", "127.0.0.1 ::1"}, {"timeout", "0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"maxmemory": "1073741824", "maxmemory-policy": "allkeys-lru", "save": "100 10 20 5", "hz": "500",
		"replica-read-only": "no", "notify-keyspace-events": "AKE",
		"client-output-buffer-limit": "normal 1 2 3 slave 1048576 2097152 3 pubsub 33554432 8388608 60",
		"maxmemory-clients":          "10%", "latency-tracking-info-percentiles": "50.5 99", "bind": "127.0.0.1 ::1",
	}
	for name, w := range want {
		if got := c.Get(name)[0][1]; got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	// timeout did not change, so no callback for it.
	wantCalled := []string{"maxmemory", "maxmemory-policy", "save", "hz", "replica-read-only", "notify-keyspace-events",
		"client-output-buffer-limit", "maxmemory-clients", "latency-tracking-info-percentiles", "bind"}
	if !reflect.DeepEqual(called, wantCalled) {
		t.Errorf("callbacks %q, want %q", called, wantCalled)
	}
	if err := c.Set([][2]string{{"save", ""}, {"bind", ""}}); err != nil {
		t.Fatal(err)
	}
	if len(c.Save) != 0 || len(c.Bind) != 0 {
		t.Errorf("empty save/bind: %v %v", c.Save, c.Bind)
	}
	if err := c.Set([][2]string{{"maxmemory", "99999999999999999999"}}); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("maxmemory")[0][1]; got != "18446744073709551615" {
		t.Errorf("saturated maxmemory = %s", got)
	}
}

// TestSetReplBacklogFloor: CONFIG SET raises a backlog under 16 KB to
// 16 KB, as Redis's resizeReplicationBacklog does (redis-server 7.0.15:
// CONFIG SET repl-backlog-size 1, then CONFIG GET, answers 16384); a
// config file's smaller value is kept as written, as in Redis.
func TestSetReplBacklogFloor(t *testing.T) {
	for _, tc := range []struct{ set, want string }{{"1", "16384"}, {"16383", "16384"}, {"16385", "16385"}, {"1mb", "1048576"}} {
		c := Default()
		if err := c.Set([][2]string{{"repl-backlog-size", tc.set}}); err != nil {
			t.Fatal(err)
		}
		if got := c.Get("repl-backlog-size")[0][1]; got != tc.want {
			t.Errorf("CONFIG SET repl-backlog-size %s: CONFIG GET %s, want %s", tc.set, got, tc.want)
		}
	}
	c, err := Load("", []string{"--repl-backlog-size", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Get("repl-backlog-size")[0][1]; got != "1" {
		t.Errorf("repl-backlog-size 1 in the config file: CONFIG GET %s, want 1", got)
	}
}

func TestGetPatterns(t *testing.T) {
	c := Default()
	got := map[string]string{}
	for _, kv := range c.Get("*max*entries*") {
		got[kv[0]] = kv[1]
	}
	want := map[string]string{"zset-max-ziplist-entries": "128", "hash-max-listpack-entries": "512", "zset-max-listpack-entries": "128",
		"set-max-intset-entries": "512", "stream-node-max-entries": "100", "hash-max-ziplist-entries": "512"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if g := c.Get("CLUSTER-ENABLED"); len(g) != 1 || g[0] != [2]string{"CLUSTER-ENABLED", "no"} {
		t.Errorf("exact name echoes as typed: %v", g)
	}
	if g := c.Get("CLUSTER-EN*"); len(g) != 1 || g[0] != [2]string{"cluster-enabled", "no"} {
		t.Errorf("glob reports lowercase: %v", g)
	}
	if g := c.Get("watchdog*"); len(g) != 0 {
		t.Errorf("hidden matched: %v", g)
	}
	if g := c.Get("watchdog-period"); len(g) != 1 {
		t.Errorf("hidden by name: %v", g)
	}
	if g := c.Get("port", "port", "p*rt"); len(g) != 1 {
		t.Errorf("duplicates: %v", g)
	}
	if g := c.Get("save", "bind", "appendonly", "maxmemory"); !reflect.DeepEqual(g, [][2]string{
		{"save", "3600 1 300 100 60 10000"}, {"bind", "* -::*"}, {"appendonly", "no"}, {"maxmemory", "0"}}) {
		t.Errorf("got %v", g)
	}
}

// TestSetDenyLoading: while a dataset loads, deny-loading directives are
// refused with -LOADING (before any other error, as Redis gives it
// precedence); the others still change.
func TestSetDenyLoading(t *testing.T) {
	c := Default()
	loading := true
	c.SetLoadingCheck(func() bool { return loading })
	want := "LOADING Redis is loading the dataset in memory"
	for _, pairs := range [][][2]string{
		{{"appendonly", "yes"}},
		{{"repl-diskless-load", "swapdb"}},
		{{"nosuch", "1"}, {"appendonly", "yes"}},
	} {
		if err := c.Set(pairs); err == nil || err.Error() != want {
			t.Fatalf("Set %v while loading: %v", pairs, err)
		}
	}
	if err := c.Set([][2]string{{"maxmemory", "10mb"}}); err != nil {
		t.Fatalf("maxmemory while loading: %v", err)
	}
	loading = false
	if err := c.Set([][2]string{{"repl-diskless-load", "swapdb"}}); err != nil {
		t.Fatalf("after the load: %v", err)
	}
}
