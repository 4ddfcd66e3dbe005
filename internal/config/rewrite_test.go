package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestRewriteLikeRedis replays what produced testdata/rewrite-redis.conf on
// redis-server 7.0.15: start on rewrite-orig.conf, CONFIG SET maxmemory 1gb
// save "60 5" maxmemory-policy allkeys-lru requirepass 'a b"c', CONFIG
// REWRITE. The appended section is compared as a set (Redis appends in hash
// order) and Redis's ACL "user default" line is left out (ACLs are not ours).
func TestRewriteLikeRedis(t *testing.T) {
	orig, err := os.ReadFile("testdata/rewrite-orig.conf")
	if err != nil {
		t.Fatal(err)
	}
	wantRaw, err := os.ReadFile("testdata/rewrite-redis.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(string(orig))
	if err != nil {
		t.Fatal(err)
	}
	c.Dir = "/tmp/cfgx"
	if err := c.Set([][2]string{{"maxmemory", "1gb"}, {"save", "60 5"}, {"maxmemory-policy", "allkeys-lru"}, {"requirepass", `a b"c`}}); err != nil {
		t.Fatal(err)
	}
	got := c.rewriteFrom(string(orig), false)
	split := func(s string) (head string, tail []string) {
		h, tl, _ := strings.Cut(s, rewriteSignature+"\n")
		for _, l := range strings.Split(strings.TrimRight(tl, "\n"), "\n") {
			if l != "" && !strings.HasPrefix(l, "user ") {
				tail = append(tail, l)
			}
		}
		sort.Strings(tail)
		return h, tail
	}
	gh, gt := split(got)
	wh, wt := split(string(wantRaw))
	if gh != wh {
		t.Errorf("kept part differs:\n--- got\n%s\n--- redis\n%s", gh, wh)
	}
	if !reflect.DeepEqual(gt, wt) {
		t.Errorf("appended part differs:\n got %q\nwant %q", gt, wt)
	}
}

// TestRewriteRoundTrip: a rewritten file loads back to the same values.
func TestRewriteRoundTrip(t *testing.T) {
	p := writeConf(t, "# keep me\nport 7001\nsave 900 1\nsave 300 10\nslaveof 10.0.0.1 6379\nunknown-thing 1\n")
	if _, err := Load(p, nil); err == nil {
		t.Fatal("unknown directive accepted")
	}
	os.WriteFile(p, []byte("# keep me\nport 7001\nsave 900 1\nsave 300 10\nslaveof 10.0.0.1 6379\n"), 0o644)
	c, err := Load(p, []string{"--dir", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Set([][2]string{{"maxmemory", "3mb"}, {"notify-keyspace-events", "Ex"}, {"bind", "127.0.0.1"},
		{"client-output-buffer-limit", "pubsub 1mb 1000 5"}, {"cluster-announce-hostname", "node-1.example"},
		{"maxmemory-clients", "5%"}, {"save", ""}, {"shutdown-on-sigint", "nosave now"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	text := string(data)
	for _, want := range []string{"# keep me\n", "port 7001\n", "replicaof 10.0.0.1 6379\n", "save \"\"\n", rewriteSignature + "\n",
		"maxmemory 3mb\n", "notify-keyspace-events \"xE\"\n", "bind 127.0.0.1\n", "client-output-buffer-limit pubsub 1mb 1000 5\n",
		"maxmemory-clients 5%\n", "shutdown-on-sigint nosave now\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	c2, err := Load(p, nil)
	if err != nil {
		t.Fatalf("rewritten file does not load: %v\n%s", err, text)
	}
	a, b := c.Get("*"), c2.Get("*")
	if !reflect.DeepEqual(a, b) {
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("after reload %s = %q, before %q", b[i][0], b[i][1], a[i][1])
			}
		}
	}
	// A second rewrite need not be byte-identical (Redis reuses the first
	// old client-output-buffer-limit line for the "normal" class, and so do
	// we), but it must load back to the same values.
	if err := c2.Rewrite(); err != nil {
		t.Fatal(err)
	}
	c3, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c3.Get("*"), a) {
		t.Errorf("second rewrite changed values")
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestRewriteWithoutFile(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); !errors.Is(err, ErrNoConfigFile) || err.Error() != "ERR The server is running without a config file" {
		t.Errorf("got %v", err)
	}
}
