package cli_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/testutil"
)

// TestRedirects: -c on a Shoal cluster created by shoal-cli, compared with
// redis-cli on the same cluster: the "-> Redirected to slot" lines of
// piped (interactive) use, their absence in one-shot use, the MOVED error
// without -c, and an ASK redirection during a slot migration.
func TestRedirects(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	cli := shoalCLI(t)
	_, nodes := startNodes(t, "shoal", 3)
	r := run(t, 2*time.Minute, "", nil, cli, append([]string{"--cluster", "create"}, append(addrs(nodes), "--cluster-yes")...)...)
	testutil.Equal(t, r.code, 0)
	waitClusterOK(t, nodes)
	waitConsistent(t, cli, nodes[0])

	p0 := strconv.Itoa(nodes[0].Port)
	session := "set foo bar\nget foo\nset hello world\nget hello\nget foo\nincrby counter 0\n"
	cases := []struct {
		name  string
		stdin string
		env   []string
		args  []string
	}{
		{"piped raw", session, nil, []string{"-c", "-p", p0}},
		{"piped tty", session, fakeTTY, []string{"-c", "-p", p0}},
		{"one-shot", "", nil, []string{"-c", "-p", p0, "get", "foo"}},
		{"one-shot tty", "", fakeTTY, []string{"-c", "-p", p0, "get", "foo"}},
		{"one-shot repeat", "", nil, []string{"-c", "-p", p0, "-r", "3", "get", "foo"}},
		{"no -c", "", fakeTTY, []string{"-p", p0, "get", "foo"}},
		{"no -c raw", "", nil, []string{"-p", p0, "get", "foo"}},
	}
	for _, tc := range cases {
		want := run(t, 30*time.Second, tc.stdin, tc.env, testutil.RedisCLI(), tc.args...)
		got := run(t, 30*time.Second, tc.stdin, tc.env, cli, tc.args...)
		if want != got {
			t.Errorf("%s: differs\nredis-cli:\n%s\nshoal-cli:\n%s", tc.name, want, got)
		}
		if strings.HasPrefix(tc.name, "piped") && !strings.Contains(got.stdout, "-> Redirected to slot [") {
			t.Errorf("%s: no redirection shown:\n%s", tc.name, got)
		}
	}

	// The REPL in a terminal: the redirect lines, and the prompt follows
	// the node that answered.
	steps := []string{"set foo bar\r", "get foo\r", "set hello world\r", "get hello\r", "get foo\r"}
	promptRE := regexp.MustCompile(`127\.0\.0\.1:\d+> $`)
	wantTTY := replTranscriptArgs(t, testutil.RedisCLI(), []string{"-c", "-p", p0}, promptRE, "", steps)
	gotTTY := replTranscriptArgs(t, cli, []string{"-c", "-p", p0}, promptRE, "", steps)
	if wantTTY != gotTTY {
		t.Errorf("-c in the REPL: shoal-cli's terminal output differs from redis-cli's\n%s", firstDiff(wantTTY, gotTTY))
	}
	moved := false
	for _, m := range regexp.MustCompile(`\n127\.0\.0\.1:(\d+)> `).FindAllStringSubmatch(gotTTY, -1) {
		moved = moved || m[1] != p0
	}
	testutil.True(t, strings.Contains(gotTTY, "-> Redirected to slot [") && moved,
		"no redirect or prompt change in the REPL:\n"+strconv.Quote(gotTTY))

	// ASK: the slot of "askkey" migrating from its owner to another master;
	// the key is on neither, so the owner answers ASK.
	slot := strconv.Itoa(client.KeySlot("askkey"))
	var owner, target *testutil.Node
	m, err := client.NewCluster([]string{nodes[0].Addr}, client.ClusterOptions{}).Slots()
	testutil.NoErr(t, err)
	for _, n := range nodes {
		if m.Owner[client.KeySlot("askkey")] == n.Addr {
			owner = n
		} else if target == nil {
			target = n
		}
	}
	testutil.True(t, owner != nil && target != nil, "slot owner found")
	ownerID, targetID := do(t, owner.Addr, "CLUSTER", "MYID"), do(t, target.Addr, "CLUSTER", "MYID")
	do(t, target.Addr, "CLUSTER", "SETSLOT", slot, "IMPORTING", ownerID)
	do(t, owner.Addr, "CLUSTER", "SETSLOT", slot, "MIGRATING", targetID)
	op := strconv.Itoa(owner.Port)
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"ask piped", "get askkey\nexists askkey\n", []string{"-c", "-p", op}},
		{"ask then set", "set askkey v\nget askkey\n", []string{"-c", "-p", op}},
		{"ask one-shot", "", []string{"-c", "-p", op, "get", "askkey"}},
		{"ask without -c", "", []string{"-p", op, "get", "askkey"}},
	} {
		want := run(t, 30*time.Second, tc.stdin, fakeTTY, testutil.RedisCLI(), tc.args...)
		got := run(t, 30*time.Second, tc.stdin, fakeTTY, cli, tc.args...)
		if want != got {
			t.Errorf("%s: differs\nredis-cli:\n%s\nshoal-cli:\n%s", tc.name, want, got)
		}
	}
}
