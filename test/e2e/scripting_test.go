package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// lockScript and unlockScript are the usual single-instance Redlock pair.
var (
	lockScript = redis.NewScript(`
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`)
	unlockScript = redis.NewScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`)
	// bucketScript is a token bucket with the clock passed in (so the
	// outcome is deterministic): capacity ARGV[1], refill ARGV[2] tokens
	// per second, now ARGV[3] (ms), cost ARGV[4]. Returns {allowed, tokens left}.
	bucketScript = redis.NewScript(`
local cap, rate, now, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local st = redis.call('hmget', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(st[1]) or cap, tonumber(st[2]) or now
tokens = math.min(cap, tokens + (now - ts) * rate / 1000)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('hset', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('pexpire', KEYS[1], 60000)
return {allowed, tostring(tokens)}`)
)

// scriptWorkload runs the lock and the rate limiter from many goroutines
// and returns a summary that must be the same on any correct server.
func scriptWorkload(t *testing.T, ctx context.Context, c redis.UniversalClient) string {
	t.Helper()
	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	acquired, allowed := 0, 0
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			token := fmt.Sprintf("owner-%d", w)
			for r := 0; r < rounds; r++ {
				got, err := lockScript.Run(ctx, c, []string{"{app}:lock"}, token, 10000).Int()
				if err != nil {
					errs <- err
					return
				}
				if got == 1 {
					// A non-atomic read-modify-write, safe only under the lock.
					n, _ := c.Get(ctx, "{app}:counter").Int()
					if err := c.Set(ctx, "{app}:counter", n+1, 0).Err(); err != nil {
						errs <- err
						return
					}
					if del, err := unlockScript.Run(ctx, c, []string{"{app}:lock"}, token).Int(); err != nil || del != 1 {
						errs <- fmt.Errorf("unlock: %d %v", del, err)
						return
					}
					mu.Lock()
					acquired++
					mu.Unlock()
				}
				res, err := bucketScript.Run(ctx, c, []string{"bucket"}, 50, 0, 1000, 1).Slice()
				if err != nil {
					errs <- err
					return
				}
				if res[0].(int64) == 1 {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	counter := val(t, c.Get(ctx, "{app}:counter"))
	if counter != fmt.Sprint(acquired) {
		t.Fatalf("lost updates under the script lock: counter %s, acquisitions %d", counter, acquired)
	}
	left := val(t, c.HGet(ctx, "bucket", "tokens"))
	return fmt.Sprintf("allowed=%d tokens=%s lockfree=%v", allowed, left, c.Exists(ctx, "{app}:lock").Val() == 0)
}

// TestScriptsGoRedis: go-redis's Script helper (EVALSHA, falling back to
// EVAL on NOSCRIPT) with a lock and a rate limiter under concurrent
// clients gives the same outcome on shoal-server as on redis-server.
func TestScriptsGoRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	var got []string
	for _, n := range []*testutil.Node{testutil.StartShoal(t), testutil.StartRedis(t)} {
		c := newClient(t, n, 3)
		ctx := ctxT(t, 60*time.Second)
		val(t, c.ScriptFlush(ctx))
		got = append(got, scriptWorkload(t, ctx, c))
		// EVALSHA fallback again after a flush.
		val(t, c.ScriptFlush(ctx))
		if v := must(redis.NewScript("return ARGV[1] .. '!'").Run(ctx, c, nil, "hi").Text())(t); v != "hi!" {
			t.Fatalf("script after flush: %q", v)
		}
	}
	if got[0] != got[1] {
		t.Fatalf("shoal %q, redis %q", got[0], got[1])
	}
	if !strings.HasPrefix(got[0], "allowed=50 ") {
		t.Fatalf("rate limiter allowed %s, want 50", got[0])
	}
}

// TestScriptKill: a looping script makes the server answer BUSY once it
// passes busy-reply-threshold; SCRIPT KILL stops it, the caller gets the
// kill error and the script's reads left nothing behind. A script that
// wrote cannot be killed.
func TestScriptKill(t *testing.T) {
	n := startTarget(t, "--busy-reply-threshold", "200")
	ctx := ctxT(t, 60*time.Second)
	c := newClient(t, n, 2)
	runner := newClient(t, n, 2)
	val(t, c.Set(ctx, "k", "v", 0))

	done := make(chan error, 1)
	go func() { done <- runner.Eval(ctx, "redis.call('get', KEYS[1]); while true do end", []string{"k"}).Err() }()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		err := c.Ping(ctx).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
			return fmt.Errorf("ping: %v", err)
		}
		return nil
	})
	wantRedisErr(t, c.Get(ctx, "k").Err(), "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	wantRedisErr(t, c.FunctionKill(ctx).Err(), "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	val(t, c.ScriptKill(ctx))
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
			t.Fatalf("killed script returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("script not stopped by SCRIPT KILL")
	}
	if v := val(t, c.Get(ctx, "k")); v != "v" {
		t.Fatalf("k = %q", v)
	}
	wantRedisErr(t, c.ScriptKill(ctx).Err(), "NOTBUSY No scripts in execution right now.")

	// A script that wrote is unkillable; it ends on its own here.
	go func() {
		done <- runner.Eval(ctx, "redis.call('set', KEYS[1], 'w'); local t0 = redis.call('time')[1]; while tonumber(redis.call('time')[1]) - t0 < 2 do end; return 1", []string{"k"}).Err()
	}()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		err := c.ScriptKill(ctx).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE") {
			return fmt.Errorf("script kill: %v", err)
		}
		return nil
	})
	wantRedisErr(t, c.ScriptKill(ctx).Err(), "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("writing script: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("writing script did not end")
	}
	if v := val(t, c.Get(ctx, "k")); v != "w" {
		t.Fatalf("k = %q after the writing script", v)
	}

	// FUNCTION KILL stops a function; SCRIPT KILL refuses to.
	val(t, c.FunctionLoad(ctx, "#!lua name=loop\nredis.register_function('spin', function() while true do end end)"))
	go func() { done <- runner.FCall(ctx, "spin", nil).Err() }()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		err := c.Ping(ctx).Err()
		if err == nil || err.Error() != "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE." {
			return fmt.Errorf("ping: %v", err)
		}
		return nil
	})
	wantRedisErr(t, c.ScriptKill(ctx).Err(), "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
	val(t, c.FunctionKill(ctx))
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
			t.Fatalf("killed function returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("function not stopped by FUNCTION KILL")
	}
	val(t, c.Ping(ctx))
}

// TestFunctionDumpRestoreInterop: FUNCTION DUMP's payload of either server
// restores on the other.
func TestFunctionDumpRestoreInterop(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	ctx := ctxT(t, 30*time.Second)
	shoal := newClient(t, testutil.StartShoal(t), 2)
	red := newClient(t, testutil.StartRedis(t), 2)
	libs := []string{
		"#!lua name=alpha\nredis.register_function('a1', function(keys, args) return 'alpha:' .. (args[1] or '') end)\n-- padding so that Redis compresses this library's code with LZF: " + strings.Repeat("abcabcabc ", 20),
		"#!lua name=beta\nredis.register_function{function_name='b1', callback=function() return 2 end, flags={'no-writes'}, description='two'}",
	}
	for _, l := range libs {
		val(t, red.FunctionLoad(ctx, l))
	}
	payload := val(t, red.FunctionDump(ctx))
	val(t, shoal.FunctionRestore(ctx, payload))
	if v := must(shoal.FCall(ctx, "a1", nil, "x").Text())(t); v != "alpha:x" {
		t.Fatalf("a1 on shoal: %q", v)
	}
	if v := must(shoal.FCallRO(ctx, "b1", nil).Int())(t); v != 2 {
		t.Fatalf("b1 on shoal: %d", v)
	}
	// Which library is named depends on the order of a hash table in Redis.
	if err := shoal.FunctionRestore(ctx, payload).Err(); err == nil || (err.Error() != "ERR Library alpha already exists" && err.Error() != "ERR Library beta already exists") {
		t.Fatalf("restoring twice: %v", err)
	}
	val(t, red.FunctionFlush(ctx))
	val(t, red.FunctionRestore(ctx, val(t, shoal.FunctionDump(ctx))))
	if v := must(red.FCall(ctx, "a1", nil, "y").Text())(t); v != "alpha:y" {
		t.Fatalf("a1 on redis after shoal's dump: %q", v)
	}
	bad := []byte(payload)
	bad[len(bad)-1] ^= 1
	wantRedisErr(t, shoal.FunctionRestore(ctx, string(bad)).Err(), "ERR DUMP payload version or checksum are wrong")
}

// TestScriptEffectsAOF: a script's writes reach the AOF as the commands it
// ran (MULTI/EXEC around more than one, nothing for REPL_NONE), never as
// the EVAL; functions come back after a restart and after BGREWRITEAOF.
func TestScriptEffectsAOF(t *testing.T) {
	n := startTarget(t, "--appendonly", "yes")
	ctx := ctxT(t, 60*time.Second)
	c := newClient(t, n, 2)
	val(t, c.Eval(ctx, "redis.call('set', KEYS[1], 'a'); redis.call('incr', 'cnt'); return 1", []string{"k"}))
	val(t, c.Eval(ctx, "return redis.call('set', 'one', 1)", nil))
	val(t, c.Eval(ctx, "return redis.call('get', 'one')", nil))
	val(t, c.Eval(ctx, "redis.set_repl(redis.REPL_NONE); return redis.call('set', 'hidden', 1)", nil))
	val(t, c.FunctionLoad(ctx, "#!lua name=lib\nredis.register_function('push', function(k) return redis.call('lpush', k[1], 'x') end)"))
	val(t, c.FCall(ctx, "push", []string{"lst"}))
	var incr []byte
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		files, _ := filepath.Glob(filepath.Join(n.Dir, "appendonlydir", "*.incr.aof"))
		if len(files) != 1 {
			return fmt.Errorf("incr files: %v", files)
		}
		incr, _ = os.ReadFile(files[0])
		if !bytes.Contains(incr, []byte("lpush")) {
			return fmt.Errorf("AOF so far: %q", incr)
		}
		return nil
	})
	want := "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\na\r\n*2\r\n$4\r\nincr\r\n$3\r\ncnt\r\n*1\r\n$4\r\nEXEC\r\n*3\r\n$3\r\nset\r\n$3\r\none\r\n$1\r\n1\r\n"
	if !bytes.Contains(incr, []byte(want)) {
		t.Fatalf("AOF lacks the script's effects %q:\n%q", want, incr)
	}
	for _, no := range []string{"EVAL", "eval", "hidden", "fcall", "FCALL"} {
		if bytes.Contains(incr, []byte(no)) {
			t.Fatalf("AOF has %q:\n%q", no, incr)
		}
	}
	n.Restart()
	c = newClient(t, n, 2)
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error { return c.Ping(ctx).Err() })
	if v := must(c.FCall(ctx, "push", []string{"lst"}).Int())(t); v != 2 {
		t.Fatalf("push after restart: %d", v)
	}
	val(t, c.BgRewriteAOF(ctx))
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		info := val(t, c.Info(ctx, "persistence"))
		if !strings.Contains(info, "aof_rewrite_in_progress:0") || !strings.Contains(info, "aof_rewrites:1") && !againstRedis() {
			return fmt.Errorf("rewrite not done")
		}
		return nil
	})
	n.Restart()
	c = newClient(t, n, 2)
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error { return c.Ping(ctx).Err() })
	if v := must(c.FCall(ctx, "push", []string{"lst"}).Int())(t); v != 3 {
		t.Fatalf("push after rewrite and restart: %d", v)
	}
}

// TestFunctionsRDB: libraries are saved in the RDB functions section and
// loaded back, and each server loads the other's dump.rdb with them.
func TestFunctionsRDB(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	ctx := ctxT(t, 60*time.Second)
	sn, rn := testutil.StartShoal(t), testutil.StartRedis(t)
	sc, rc := newClient(t, sn, 2), newClient(t, rn, 2)
	val(t, sc.FunctionLoad(ctx, "#!lua name=fromshoal\nredis.register_function('sf', function() return 'shoal made me, long enough to be compressed' end)"))
	val(t, rc.FunctionLoad(ctx, "#!lua name=fromredis\nredis.register_function('rf', function() return 'redis made me' end)"))
	val(t, sc.Save(ctx))
	val(t, rc.Save(ctx))
	sdump, err := os.ReadFile(filepath.Join(sn.Dir, "dump.rdb"))
	testutil.NoErr(t, err)
	rdump, err := os.ReadFile(filepath.Join(rn.Dir, "dump.rdb"))
	testutil.NoErr(t, err)
	testutil.NoErr(t, os.WriteFile(filepath.Join(sn.Dir, "dump.rdb"), append(sdump[:0:0], rdump...), 0o644))
	testutil.NoErr(t, os.WriteFile(filepath.Join(rn.Dir, "dump.rdb"), sdump, 0o644))
	for _, tc := range []struct {
		n        *testutil.Node
		fn, want string
	}{{sn, "rf", "redis made me"}, {rn, "sf", "shoal made me, long enough to be compressed"}} {
		tc.n.Restart()
		c := newClient(t, tc.n, 2)
		testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error { return c.Ping(ctx).Err() })
		if v := must(c.FCall(ctx, tc.fn, nil).Text())(t); v != tc.want {
			t.Fatalf("%s after loading the other's RDB: %q", tc.fn, v)
		}
	}
}
