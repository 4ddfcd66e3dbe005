package replication

import (
	"strconv"
	"strings"
	"testing"
)

// TestScriptSelectiveReplication: redis.set_repl sends a script's commands
// to the AOF only, the replicas only, both or neither, as Redis does. A
// Shoal replica and a Shoal AOF (restarted from after a kill) see exactly
// what they see behind a Redis master, and the master's offset counts only
// what its replicas received (the replica catches up to it, WAIT counts
// it).
func TestScriptSelectiveReplication(t *testing.T) {
	script := `
redis.call('set','a','1')
redis.set_repl(redis.REPL_NONE)
redis.call('set','b','2')
redis.set_repl(redis.REPL_AOF)
redis.call('set','c','3')
redis.call('set','t','x','ex','100')
redis.set_repl(redis.REPL_REPLICA)
redis.call('set','r','5')
redis.call('incrbyfloat','f','1.5')
redis.set_repl(redis.REPL_ALL)
redis.call('set','d','4')
return 1`
	keys := []string{"a", "b", "c", "d", "r", "f", "t", "solo"}
	run := func(kind string) map[string]string {
		m := start(t, kind, "--appendonly", "yes", "--appendfsync", "always")
		r := start(t, "shoal")
		follow(t, r, m)
		do(t, m, "EVAL", script, "0")
		// One command alone for the AOF only: no MULTI, no offset.
		do(t, m, "EVAL", "redis.set_repl(redis.REPL_AOF) redis.call('set','solo','1') return 1", "0")
		do(t, m, "SET", "after", "1") // lands in db 0 on every side
		caughtUp(t, m, r)
		if v := str(do(t, m, "WAIT", "1", "2000")); v != "1" {
			t.Fatalf("%s: WAIT 1: %s", kind, v)
		}
		got := map[string]string{"replica f": str(do(t, r, "GET", "f"))}
		for _, k := range keys {
			got["replica "+k] = str(do(t, r, "EXISTS", k))
		}
		m.Kill()
		m.Restart() // from its AOF
		for _, k := range keys {
			got["aof "+k] = str(do(t, m, "EXISTS", k))
		}
		if ttl, _ := strconv.Atoi(str(do(t, m, "TTL", "t"))); ttl < 90 || ttl > 100 {
			t.Fatalf("%s: the AOF-only SET ... EX 100 came back with TTL %d", kind, ttl)
		}
		return got
	}
	want, got := run("redis"), run("shoal")
	if want["replica c"] != "0" || want["aof c"] != "1" || want["replica r"] != "1" || want["aof r"] != "0" || want["aof b"] != "0" {
		t.Fatalf("redis-server does not behave as this test expects: %v", want)
	}
	var diff []string
	for k, v := range want {
		if got[k] != v {
			diff = append(diff, k+": shoal "+got[k]+", redis "+v)
		}
	}
	if len(diff) > 0 {
		t.Fatalf("differs from redis-server:\n%s", strings.Join(diff, "\n"))
	}
}
