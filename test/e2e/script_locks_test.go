package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// Scripts for TestScriptUndeclaredKeysNoDeadlock. Every pair of keys (hi,
// lo) keeps hi == lo (a missing key counts as 0) under every command the
// test sends, so a script or transaction that sees them differ saw another
// one's partial effects.
var (
	// writeThenUndeclared declares hi (a high stripe), writes it, then
	// reaches lo (a lower stripe) undeclared: the case that waited for
	// lo's stripe while holding hi's, and deadlocked with a multi-stripe
	// command holding lo and waiting for hi.
	writeThenUndeclared = redis.NewScript(`
local a = redis.call('incr', KEYS[1])
local b = redis.call('incr', ARGV[1])
if a ~= b then return redis.error_reply('TORN ' .. a .. ' ' .. b) end
return a`)
	// closedBoth declares both keys and writes them: a closed script
	// (every key it can reach is declared), which runs without the
	// exclusive token beside the exclusive ones.
	closedBoth = redis.NewScript(`
local a = redis.call('incr', KEYS[1])
local b = redis.call('incr', KEYS[2])
if a ~= b then return redis.error_reply('TORN ' .. a .. ' ' .. b) end
return a`)
	// readOnlyUndeclared reads both, one of them undeclared.
	readOnlyUndeclared = redis.NewScript(`#!lua flags=no-writes
local a = tonumber(redis.call('get', KEYS[1]) or '0')
local b = tonumber(redis.call('get', ARGV[1]) or '0')
if a ~= b then return redis.error_reply('TORN ' .. a .. ' ' .. b) end
return a`)
)

// keyInStripe returns a key whose slot's lock stripe is st.
func keyInStripe(t *testing.T, prefix string, st int) string {
	t.Helper()
	for i := 0; i < 1<<20; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		if keyspace.StripeOf(slot.Of([]byte(k))) == st {
			return k
		}
	}
	t.Fatalf("no key for stripe %d", st)
	return ""
}

// TestScriptUndeclaredKeysNoDeadlock: many clients run scripts that write
// a declared key and then touch an undeclared key on a lower stripe (and
// the reverse, and a read-only one), beside closed scripts writing both
// keys declared, MSET and DEL over the same keys and MULTI/EXEC
// transactions. Every client must finish its rounds
// (a deadlocked server leaves them waiting: the test fails on the bounded
// read timeout), and no script or transaction may see another's partial
// effects.
func TestScriptUndeclaredKeysNoDeadlock(t *testing.T) {
	n := startTarget(t)
	ctx := ctxT(t, 120*time.Second)
	const pairs, workers, rounds = 3, 24, 150
	type pair struct{ hi, lo string }
	var ps []pair
	for i := 0; i < pairs; i++ {
		ps = append(ps, pair{keyInStripe(t, fmt.Sprintf("hi%d", i), 250-i), keyInStripe(t, fmt.Sprintf("lo%d", i), 3+i)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := newClient(t, n, 2)
			for r := 0; r < rounds; r++ {
				p := ps[(w+r)%pairs]
				var err error
				switch (w + r) % 7 {
				case 0, 1:
					err = writeThenUndeclared.Run(ctx, c, []string{p.hi}, p.lo).Err()
				case 2:
					err = writeThenUndeclared.Run(ctx, c, []string{p.lo}, p.hi).Err()
				case 3:
					v := strconv.Itoa(r)
					if r%4 == 0 {
						err = c.Del(ctx, p.lo, p.hi).Err()
					} else {
						err = c.MSet(ctx, p.lo, v, p.hi, v).Err()
					}
				case 4:
					var a, b *redis.StringCmd
					_, err = c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
						pipe.Incr(ctx, p.lo)
						pipe.Incr(ctx, p.hi)
						a, b = pipe.Get(ctx, p.lo), pipe.Get(ctx, p.hi)
						return nil
					})
					if err == nil && a.Val() != b.Val() {
						err = fmt.Errorf("MULTI/EXEC saw %s=%s %s=%s", p.lo, a.Val(), p.hi, b.Val())
					}
				case 5:
					err = readOnlyUndeclared.Run(ctx, c, []string{p.hi}, p.lo).Err()
				case 6:
					keys := []string{p.hi, p.lo}
					if r%2 == 1 {
						keys = []string{p.lo, p.hi}
					}
					err = closedBoth.Run(ctx, c, keys).Err()
				}
				if err != nil {
					errs <- fmt.Errorf("worker %d round %d: %w", w, r, err)
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("clients did not finish: the server hung")
	}
	close(errs)
	for err := range errs {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the server hung: %v", err)
		}
		t.Error(err)
	}
	c := newClient(t, n, 2)
	for _, p := range ps {
		vals := val(t, c.MGet(ctx, p.hi, p.lo))
		if fmt.Sprint(vals[0]) != fmt.Sprint(vals[1]) {
			t.Errorf("after the run %s=%v %s=%v", p.hi, vals[0], p.lo, vals[1])
		}
	}
}

// TestScriptKillFromNewConnections: while a script loops, connections
// opened after it started all get BUSY and SCRIPT KILL works from any of
// them. (The script runs on its connection's event loop; new connections
// used to be handed to that loop in turn, and those hung unanswered.)
func TestScriptKillFromNewConnections(t *testing.T) {
	n := startTarget(t, "--busy-reply-threshold", "100")
	ctx := ctxT(t, 60*time.Second)
	runner := newClient(t, n, 2)
	done := make(chan error, 1)
	go func() { done <- runner.Eval(ctx, "while true do end", nil).Err() }()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		c := testutil.Dial(t, n.Addr)
		c.Timeout = 2 * time.Second
		v, err := c.Do("PING")
		c.Close()
		if err != nil || !strings.HasPrefix(v.String(), "(error) BUSY") {
			return fmt.Errorf("ping: %v %v", v, err)
		}
		return nil
	})
	const conns = 8
	for i := 0; i < conns; i++ {
		c := testutil.Dial(t, n.Addr)
		c.Timeout = 5 * time.Second
		v, err := c.Do("PING")
		if err != nil {
			t.Fatalf("new connection %d: no reply while the script runs: %v", i, err)
		}
		if want := "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."; v.String() != want {
			t.Fatalf("new connection %d: %q, want %q", i, v.String(), want)
		}
		c.Close()
	}
	c := testutil.Dial(t, n.Addr)
	c.Timeout = 5 * time.Second
	if v, err := c.Do("SCRIPT", "KILL"); err != nil || v.String() != "OK" {
		t.Fatalf("SCRIPT KILL from a new connection: %v %v", v, err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
			t.Fatalf("killed script returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("script not stopped by SCRIPT KILL")
	}
}

// TestClosedScriptBesideExclusive: a closed script (it writes only keys it
// declared) runs while an exclusive one (it may write an undeclared key)
// loops: it does not wait for the exclusive token. Before closed scripts,
// every writing script took the token and waited for the loop to end.
func TestClosedScriptBesideExclusive(t *testing.T) {
	n := startTarget(t, "--busy-reply-threshold", "60000")
	ctx := ctxT(t, 60*time.Second)
	runner := newClient(t, n, 2)
	done := make(chan error, 1)
	go func() {
		done <- runner.Eval(ctx, `
if ARGV[1] == 'write' then redis.call('set', ARGV[1], 1) end
while true do end`, nil, "no").Err()
	}()
	// A connection must get the closed script's reply while the exclusive
	// one loops (on the old code it waited for the exclusive token, so no
	// attempt succeeded), and then stops the loop.
	testutil.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		c := testutil.Dial(t, n.Addr)
		c.Timeout = 2 * time.Second
		defer c.Close()
		if v, err := c.Do("FUNCTION", "STATS"); err != nil || !strings.HasPrefix(v.String(), "(error) BUSY") {
			return fmt.Errorf("function stats (the loop is not running yet?): %v %v", v, err)
		}
		v, err := c.Do("EVAL", "redis.call('incr', KEYS[1]); return redis.call('incr', KEYS[2])", "2", "k1", "k2")
		if err != nil || !strings.HasPrefix(v.String(), "(integer) ") {
			return fmt.Errorf("closed script while the exclusive one loops: %v %v", v, err)
		}
		select {
		case err := <-done:
			t.Fatalf("the looping script ended before SCRIPT KILL: %v", err)
		default:
		}
		if v, err := c.Do("SCRIPT", "KILL"); err != nil || v.String() != "OK" {
			t.Fatalf("SCRIPT KILL: %v %v", v, err)
		}
		return nil
	})
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
			t.Fatalf("killed script returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("script not stopped by SCRIPT KILL")
	}
}
