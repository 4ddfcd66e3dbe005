package acl

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/acl"
	"github.com/shoal-db/shoal/internal/testutil"
)

func client(t *testing.T, addr string, opts ...func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{Addr: addr, DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, MaxRetries: -1, Protocol: 2}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// matrixUsers are the rule sets of the matrix: each category allowed
// alone and taken away from +@all, with key and channel patterns.
func matrixUsers() map[string][]string {
	users := map[string][]string{}
	for _, cat := range acl.Categories {
		users["only_"+cat] = []string{"on", "nopass", "~k:*", "&ch:*", "-@all", "+@" + cat}
		users["but_"+cat] = []string{"on", "nopass", "%R~k:*", "%W~w:*", "allchannels", "+@all", "-@" + cat}
	}
	users["sel"] = []string{"on", "nopass", "~k:*", "+@read", "(%W~w:* +@write)", "(&ch:* +@pubsub)"}
	users["firstarg"] = []string{"on", "nopass", "allkeys", "-@all", "+select|0", "+client|id", "+config|get", "+debug|object"}
	return users
}

// invocations builds, for every command and subcommand the server lists,
// calls that satisfy its arity, once with keys and channels matching the
// users' patterns (k:, w:, ch:) and once with ones that do not.
func invocations(t *testing.T, c *redis.Client) [][]any {
	ctx := context.Background()
	infos, err := c.Do(ctx, "COMMAND").Slice()
	testutil.NoErr(t, err)
	var names []string
	var arities []int64
	var add func(v any)
	add = func(v any) {
		e := v.([]any)
		names = append(names, e[0].(string))
		arities = append(arities, e[1].(int64))
		if len(e) > 9 {
			for _, sub := range e[9].([]any) {
				add(sub)
			}
		}
	}
	for _, v := range infos {
		add(v)
	}
	var out [][]any
	for i, name := range names {
		n := arities[i]
		if n < 0 {
			n = -n
		}
		for _, arg := range []string{"k:1", "w:1", "x:1", "ch:1"} {
			call := []any{}
			for _, part := range strings.Split(name, "|") {
				call = append(call, part)
			}
			for int64(len(call)) < n {
				call = append(call, arg)
			}
			out = append(out, call)
		}
	}
	return out
}

func dryrun(t *testing.T, c *redis.Client, users []string, calls [][]any) []string {
	ctx := context.Background()
	p := c.Pipeline()
	var cmds []*redis.Cmd
	for _, u := range users {
		for _, call := range calls {
			cmds = append(cmds, p.Do(ctx, append([]any{"ACL", "DRYRUN", u}, call...)...))
		}
	}
	_, _ = p.Exec(ctx)
	out := make([]string, len(cmds))
	for i, cmd := range cmds {
		v, err := cmd.Result()
		if err != nil {
			out[i] = "ERR " + err.Error()
		} else {
			out[i] = fmt.Sprint(v)
		}
	}
	return out
}

// TestMatrixVsDryrun: for every command, every category rule and the key
// and channel patterns, Shoal's ACL DRYRUN answers as Redis's does — and
// the answers of Shoal's dispatcher agree with its DRYRUN.
func TestMatrixVsDryrun(t *testing.T) {
	rn := testutil.StartRedis(t)
	sn := testutil.StartShoal(t)
	rc, sc := client(t, rn.Addr), client(t, sn.Addr)
	ctx := context.Background()
	users := matrixUsers()
	var names []string
	for name, rules := range users {
		names = append(names, name)
		args := append([]any{"ACL", "SETUSER", name}, toAny(rules)...)
		testutil.NoErr(t, rc.Do(ctx, args...).Err())
		testutil.NoErr(t, sc.Do(ctx, args...).Err())
		// The rules as each server describes them agree too.
		rg, err := rc.Do(ctx, "ACL", "GETUSER", name).Slice()
		testutil.NoErr(t, err)
		sg, err := sc.Do(ctx, "ACL", "GETUSER", name).Slice()
		testutil.NoErr(t, err)
		if fmt.Sprint(rg[4:]) != fmt.Sprint(sg[4:]) && !sameWords(fmt.Sprint(rg), fmt.Sprint(sg)) {
			t.Errorf("GETUSER %s:\nredis %v\nshoal %v", name, rg, sg)
		}
	}
	calls := invocations(t, rc)
	t.Logf("%d users x %d calls", len(names), len(calls))
	want := dryrun(t, rc, names, calls)
	got := dryrun(t, sc, names, calls)
	bad := 0
	for i := range want {
		if want[i] != got[i] {
			u, call := names[i/len(calls)], calls[i%len(calls)]
			if bad < 30 {
				t.Errorf("DRYRUN %s %v:\nredis %s\nshoal %s", u, call, want[i], got[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d DRYRUN answers differ", bad, len(want))
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// sameWords compares two descriptions as multisets of words: Redis lists
// single-command rules in its dict's hash order.
func sameWords(a, b string) bool {
	count := map[string]int{}
	for _, w := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(a)) {
		count[w]++
	}
	for _, w := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(b)) {
		count[w]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
