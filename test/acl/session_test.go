package acl

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// both runs fn against a fresh redis-server and a fresh shoal-server
// (started with the same extra args) and returns what each produced.
func both[T any](t *testing.T, args []string, fn func(t *testing.T, n *testutil.Node) T) (redisOut, shoalOut T) {
	t.Helper()
	rn := testutil.StartRedis(t, args...)
	sn := testutil.StartShoal(t, args...)
	return fn(t, rn), fn(t, sn)
}

func withPassword(pass string) func(*redis.Options) {
	return func(o *redis.Options) { o.Password = pass }
}

func userClient(t *testing.T, addr, user, pass string, proto int) *redis.Client {
	return client(t, addr, func(o *redis.Options) {
		o.Username, o.Password, o.Protocol, o.PoolSize = user, pass, proto, 1
	})
}

// logView is an ACL LOG entry without its age and client info, plus the
// user= and cmd= fields of the client info.
func logView(t *testing.T, c *redis.Client) []string {
	t.Helper()
	v, err := c.Do(context.Background(), "ACL", "LOG").Result()
	testutil.NoErr(t, err)
	var out []string
	for _, e := range v.([]any) {
		m := map[string]any{}
		switch e := e.(type) {
		case []any: // RESP2: a flat list
			for i := 0; i+1 < len(e); i += 2 {
				m[e[i].(string)] = e[i+1]
			}
		case map[any]any: // RESP3
			for k, v := range e {
				m[k.(string)] = v
			}
		}
		if len(m) != 7 {
			t.Fatalf("entry with %d fields: %v", len(m), m)
		}
		info := fmt.Sprint(m["client-info"])
		var user string
		for _, f := range strings.Fields(info) {
			if strings.HasPrefix(f, "user=") || strings.HasPrefix(f, "cmd=") {
				user += f + " "
			}
		}
		out = append(out, fmt.Sprintf("count=%v reason=%v context=%v object=%v username=%v %s",
			m["count"], m["reason"], m["context"], m["object"], m["username"], user))
	}
	return out
}

// TestACLLog: the same refusals leave the same ACL LOG entries (count,
// reason, context, object, username) in RESP2 and RESP3.
func TestACLLog(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := context.Background()
			r, s := both(t, nil, func(t *testing.T, n *testutil.Node) []string {
				admin := client(t, n.Addr, func(o *redis.Options) { o.Protocol = proto })
				testutil.NoErr(t, admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">pw", "~app:*", "&app:*", "+@read", "+@write", "+@connection", "+multi", "+exec", "+eval", "-@dangerous").Err())
				app := userClient(t, n.Addr, "app", "pw", proto)
				_ = app.Get(ctx, "other").Err()         // key
				_ = app.Get(ctx, "other").Err()         // grouped: count 2
				_ = app.FlushAll(ctx).Err()             // command
				_ = app.Publish(ctx, "news", "m").Err() // channel
				_ = app.Do(ctx, "AUTH", "app", "wrong").Err()
				_ = app.Do(ctx, "AUTH", "nosuch", "pw").Err()
				pipe := app.TxPipeline()
				pipe.Set(ctx, "app:1", "v", 0)
				pipe.Get(ctx, "elsewhere")
				_, _ = pipe.Exec(ctx)
				pipe = app.TxPipeline()
				pipe.Do(ctx, "AUTH", "app", "bad") // fails inside EXEC: context multi
				_, _ = pipe.Exec(ctx)
				_ = app.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"app:1"}).Err()
				_ = app.Eval(ctx, "return redis.call('get', 'zzz')", []string{"app:1"}).Err()
				_ = app.Eval(ctx, "return redis.call('flushdb')", nil).Err()
				out := logView(t, admin)
				// LOG count and RESET.
				v, err := admin.Do(ctx, "ACL", "LOG", "2").Slice()
				testutil.NoErr(t, err)
				out = append(out, fmt.Sprintf("log 2: %d", len(v)))
				testutil.NoErr(t, admin.Do(ctx, "ACL", "LOG", "RESET").Err())
				out = append(out, fmt.Sprintf("after reset: %d", len(logView(t, admin))))
				return out
			})
			testutil.DeepEqual(t, s, r)
			if len(r) < 8 {
				t.Fatalf("too few entries: %v", r)
			}
		})
	}
}

// TestRemovedUserDisconnected: ACL DELUSER closes the connections of the
// user, including the caller's own after its reply; ACL SETUSER does not.
func TestRemovedUserDisconnected(t *testing.T) {
	ctx := context.Background()
	r, s := both(t, nil, func(t *testing.T, n *testutil.Node) []string {
		admin := client(t, n.Addr)
		testutil.NoErr(t, admin.Do(ctx, "ACL", "SETUSER", "bob", "on", ">pw", "~*", "+@all").Err())
		bob := testutil.Dial(t, n.Addr)
		var out []string
		do := func(c *testutil.Conn, args ...string) {
			v, err := c.Do(args...)
			if err != nil {
				out = append(out, "conn error")
				return
			}
			out = append(out, fmt.Sprint(v))
		}
		do(bob, "AUTH", "bob", "pw")
		do(admin2(t, n), "ACL", "SETUSER", "bob", "-get")
		do(bob, "GET", "x")
		do(bob, "PING")
		do(admin2(t, n), "ACL", "DELUSER", "bob")
		do(bob, "PING")
		// A user deleting itself gets its reply, then the connection closes.
		testutil.NoErr(t, admin.Do(ctx, "ACL", "SETUSER", "carol", "on", ">pw", "+@all").Err())
		carol := testutil.Dial(t, n.Addr)
		do(carol, "AUTH", "carol", "pw")
		do(carol, "ACL", "DELUSER", "carol")
		do(carol, "PING")
		// CLIENT KILL USER.
		testutil.NoErr(t, admin.Do(ctx, "ACL", "SETUSER", "dave", "on", ">pw", "+@all").Err())
		dave := testutil.Dial(t, n.Addr)
		do(dave, "AUTH", "dave", "pw")
		do(admin2(t, n), "CLIENT", "KILL", "USER", "dave")
		do(dave, "PING")
		return out
	})
	testutil.DeepEqual(t, s, r)
}

func admin2(t *testing.T, n *testutil.Node) *testutil.Conn { return testutil.Dial(t, n.Addr) }

// TestRevokedChannelsCloseSubscribers: narrowing a user's channels closes
// its subscribers whose channels are no longer allowed, at once (the next
// CLIENT LIST does not show them).
func TestRevokedChannelsCloseSubscribers(t *testing.T) {
	r, s := both(t, nil, func(t *testing.T, n *testutil.Node) []string {
		admin := testutil.Dial(t, n.Addr)
		admin.MustDo(t, "ACL", "SETUSER", "sub", "on", ">pw", "&news:*", "&sports", "+@all")
		keep, drop := testutil.Dial(t, n.Addr), testutil.Dial(t, n.Addr)
		var out []string
		for _, c := range []*testutil.Conn{keep, drop} {
			c.MustDo(t, "AUTH", "sub", "pw")
		}
		keep.MustDo(t, "SUBSCRIBE", "news:1")
		drop.MustDo(t, "CLIENT", "SETNAME", "deathrow")
		drop.MustDo(t, "SUBSCRIBE", "sports")
		admin.MustDo(t, "ACL", "SETUSER", "sub", "resetchannels", "&news:*")
		// Gone at once: the next CLIENT LIST does not show it.
		if strings.Contains(admin.MustDo(t, "CLIENT", "LIST").String(), "deathrow") {
			out = append(out, "still listed")
		}
		for _, c := range []*testutil.Conn{keep, drop} {
			if _, err := c.Do("PING"); err != nil {
				out = append(out, "closed")
			} else {
				out = append(out, "open")
			}
		}
		return out
	})
	testutil.DeepEqual(t, s, r)
	testutil.DeepEqual(t, r, []string{"open", "closed"})
}

// TestACLFile: users from an aclfile, ACL SAVE writing it, ACL LOAD
// reading it back and refusing a broken one with Redis's message.
func TestACLFile(t *testing.T) {
	ctx := context.Background()
	run := func(t *testing.T, start func(t testing.TB, args ...string) *testutil.Node) []string {
		dir := t.TempDir()
		file := filepath.Join(dir, "users.acl")
		testutil.NoErr(t, os.WriteFile(file, []byte("user alice on >pw ~a:* +@read\nuser default on nopass ~* &* +@all\n"), 0o644))
		n := start(t, "--aclfile", file)
		c := client(t, n.Addr)
		var out []string
		add := func(v any, err error) {
			if err != nil {
				out = append(out, "err: "+err.Error())
			} else {
				out = append(out, fmt.Sprint(v))
			}
		}
		add(c.Do(ctx, "ACL", "LIST").Result())
		alice := userClient(t, n.Addr, "alice", "pw", 2)
		add(alice.Get(ctx, "a:1").Result())
		add(alice.Get(ctx, "b:1").Result())
		add(c.Do(ctx, "ACL", "SETUSER", "bob", "on", "#"+strings.Repeat("ab", 32), "%R~b:*").Result())
		add(c.Do(ctx, "ACL", "SAVE").Result())
		data, err := os.ReadFile(file)
		testutil.NoErr(t, err)
		out = append(out, string(data))
		testutil.NoErr(t, os.WriteFile(file, []byte("user carol on nopass +@all\nuser bad +nosuch\nnot a user\n"), 0o644))
		add(c.Do(ctx, "ACL", "LOAD").Result())
		add(c.Do(ctx, "ACL", "USERS").Result())
		testutil.NoErr(t, os.WriteFile(file, []byte("user carol on nopass +@all ~*\n"), 0o644))
		add(c.Do(ctx, "ACL", "LOAD").Result())
		add(c.Do(ctx, "ACL", "USERS").Result())
		// alice is gone: her connection was closed. The first command may
		// meet the closed socket or a fresh connection's refused AUTH
		// (depending on when the close is seen); the next one is refused.
		if _, err := alice.Get(ctx, "a:1").Result(); err == nil {
			out = append(out, "alice still served")
		}
		add(alice.Get(ctx, "a:1").Result())
		return out
	}
	rOut := run(t, testutil.StartRedis)
	sOut := run(t, testutil.StartShoal)
	// The file path appears in LOAD's errors: compare with it replaced.
	for i := range rOut {
		rOut[i] = strings.ReplaceAll(rOut[i], "/tmp/", "")
	}
	for i := range sOut {
		sOut[i] = strings.ReplaceAll(sOut[i], "/tmp/", "")
	}
	if len(rOut) != len(sOut) {
		t.Fatalf("redis %q\nshoal %q", rOut, sOut)
	}
	for i := range rOut {
		if stripDirs(rOut[i]) != stripDirs(sOut[i]) {
			t.Errorf("step %d:\nredis %q\nshoal %q", i, rOut[i], sOut[i])
		}
	}
}

// stripDirs drops temp directory names from a message.
func stripDirs(s string) string {
	var out []string
	for _, w := range strings.Fields(s) {
		if i := strings.LastIndex(w, "users.acl"); i >= 0 {
			w = w[i:]
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// sortCommandRuns sorts each run of single-command rules (+get +set) in
// an ACL description: Redis lists them in its dict's order, which its
// random hash seed changes from one process to the next.
func sortCommandRuns(desc string) string {
	var out, run []string
	flush := func() {
		sort.Strings(run)
		out = append(out, run...)
		run = run[:0]
	}
	for _, tok := range strings.Fields(desc) {
		if len(tok) > 1 && (tok[0] == '+' || tok[0] == '-') && tok[1] != '@' {
			run = append(run, strings.TrimSuffix(tok, "]"))
			if strings.HasSuffix(tok, "]") {
				flush()
				out[len(out)-1] += "]"
			}
			continue
		}
		flush()
		out = append(out, tok)
	}
	flush()
	return strings.Join(out, " ")
}

// TestConfigUsers: `user` lines and requirepass in redis.conf, and both
// an aclfile and users refused at startup.
func TestConfigUsers(t *testing.T) {
	ctx := context.Background()
	conf := "user default on nopass ~* &* +@all\nuser app on >pw ~app:* resetchannels -@all +get +set\nuser off1 off\nacl-pubsub-default allchannels\nuser chans on nopass\n"
	run := func(start func(t testing.TB, args ...string) *testutil.Node) []string {
		dir := t.TempDir()
		path := filepath.Join(dir, "redis.conf")
		testutil.NoErr(t, os.WriteFile(path, []byte(conf), 0o644))
		n := start(t, path, "--requirepass", "ignored-by-user-default")
		c := client(t, n.Addr)
		var out []string
		v, err := c.Do(ctx, "ACL", "LIST").Result()
		testutil.NoErr(t, err)
		out = append(out, sortCommandRuns(fmt.Sprint(v)))
		app := userClient(t, n.Addr, "app", "pw", 2)
		out = append(out, fmt.Sprint(app.Set(ctx, "app:1", "v", 0).Err()), fmt.Sprint(app.Del(ctx, "app:1").Err()))
		// requirepass after the users: the default user's password.
		out = append(out, fmt.Sprint(c.ConfigSet(ctx, "requirepass", "pw2").Err()))
		anon := client(t, n.Addr)
		out = append(out, fmt.Sprint(anon.Ping(ctx).Err()))
		def := client(t, n.Addr, func(o *redis.Options) { o.Password = "pw2" })
		out = append(out, fmt.Sprint(def.Ping(ctx).Err()))
		return out
	}
	rOut, sOut := run(testutil.StartRedis), run(testutil.StartShoal)
	testutil.DeepEqual(t, sOut, rOut)

	// Both an aclfile and users: the server does not start.
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	testutil.NoErr(t, os.WriteFile(path, []byte("user app on\naclfile "+filepath.Join(dir, "x.acl")+"\n"), 0o644))
	testutil.NoErr(t, os.WriteFile(filepath.Join(dir, "x.acl"), nil, 0o644))
	bin := testutil.ShoalServerPath(t)
	cmd := exec.Command(bin, path, "--port", "0")
	done := make(chan error, 1)
	var outb strings.Builder
	cmd.Stdout, cmd.Stderr = &outb, &outb
	testutil.NoErr(t, cmd.Start())
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(outb.String(), "please define either an ACL file or declare users directly in your redis.conf, but not both") {
			t.Fatalf("exit %v, output %q", err, outb.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("shoal-server started with both an aclfile and users")
	}
}

// TestRedisCLI: redis-cli logging in as a user and being refused prints
// the same as against redis-server.
func TestRedisCLI(t *testing.T) {
	run := func(n *testutil.Node) []string {
		cli := testutil.RedisCLI()
		var out []string
		sh := func(args ...string) {
			cmd := exec.Command(cli, append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(n.Port)}, args...)...)
			b, _ := cmd.CombinedOutput()
			out = append(out, string(b))
		}
		sh("ACL", "SETUSER", "cli", "on", ">pw", "~app:*", "+@read", "+@write")
		sh("--user", "cli", "--pass", "pw", "--no-auth-warning", "SET", "app:1", "v")
		sh("--user", "cli", "--pass", "pw", "--no-auth-warning", "GET", "app:1")
		sh("--user", "cli", "--pass", "pw", "--no-auth-warning", "GET", "other")
		sh("--user", "cli", "--pass", "pw", "--no-auth-warning", "CONFIG", "GET", "port")
		sh("--user", "cli", "--pass", "bad", "--no-auth-warning", "PING")
		sh("--user", "cli", "--pass", "pw", "--no-auth-warning", "ACL", "WHOAMI")
		sh("ACL", "GETUSER", "cli")
		sh("ACL", "DRYRUN", "cli", "GET", "other")
		return out
	}
	rn, sn := testutil.StartRedis(t), testutil.StartShoal(t)
	testutil.DeepEqual(t, run(sn), run(rn))
}

// TestConfigRewriteUsers: CONFIG REWRITE writes the users in force as
// `user` lines, which load back at the next start.
func TestConfigRewriteUsers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	testutil.NoErr(t, os.WriteFile(path, []byte("user old on nopass +@all\n"), 0o644))
	n := testutil.StartShoal(t, path)
	c := client(t, n.Addr)
	testutil.NoErr(t, c.Do(ctx, "ACL", "SETUSER", "app", "on", ">pw", "~app:*", "+get").Err())
	testutil.NoErr(t, c.Do(ctx, "ACL", "DELUSER", "old").Err())
	testutil.NoErr(t, c.Do(ctx, "CONFIG", "REWRITE").Err())
	before, err := c.Do(ctx, "ACL", "LIST").Result()
	testutil.NoErr(t, err)
	data, err := os.ReadFile(path)
	testutil.NoErr(t, err)
	if strings.Contains(string(data), "\nuser old") || !strings.Contains(string(data), "\nuser app on #") {
		t.Fatalf("rewritten config:\n%s", data)
	}
	n.Stop()
	n2 := testutil.StartShoal(t, path)
	after, err := client(t, n2.Addr).Do(ctx, "ACL", "LIST").Result()
	testutil.NoErr(t, err)
	// The `user default` line resets the default user first, as Redis's
	// ACLLoadConfiguredUsers does, which adds sanitize-payload.
	want := strings.Replace(fmt.Sprint(before), "user default on nopass", "user default on nopass sanitize-payload", 1)
	testutil.Equal(t, fmt.Sprint(after), want)
}
