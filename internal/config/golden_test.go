package config

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// goldenArgs are the arguments redis-server was started with when
// testdata/redis-7.0.15-config-get.txt was captured.
var goldenArgs = []string{"--port", "16304", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/redis-7.0.15-config-get.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		name, value, _ := strings.Cut(line, "\t")
		m[name] = value
	}
	return m
}

// TestGoldenConfigGet checks every directive, alias and value against what
// redis-server 7.0.15 answered to CONFIG GET with the same arguments.
func TestGoldenConfigGet(t *testing.T) {
	want := readGolden(t)
	c, err := Load("", goldenArgs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range c.Get("*") {
		got[kv[0]] = kv[1]
	}
	for _, h := range []string{"use-exit-on-panic", "rdb-key-save-delay", "key-load-delay", "watchdog-period", "loading-process-events-interval-bytes"} {
		if _, ok := got[h]; ok {
			t.Errorf("hidden directive %s matched a pattern", h)
		}
		for _, kv := range c.Get(h) {
			got[kv[0]] = kv[1]
		}
	}
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("missing directive %q (redis: %q)", name, w)
		case name == "dir":
			if g != "/tmp" {
				t.Errorf("dir = %q, want /tmp", g)
			}
		case g != w:
			t.Errorf("%s = %q, redis says %q", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("directive %q is not in redis 7.0.15", name)
		}
	}
}

// TestDefaultsMatchGolden checks Default() against the golden file for every
// directive the golden arguments did not override.
func TestDefaultsMatchGolden(t *testing.T) {
	want := readGolden(t)
	c := Default()
	overridden := map[string]string{"port": "6379", "bind": "* -::*", "save": "3600 1 300 100 60 10000", "dir": ""}
	for name, w := range want {
		if o, ok := overridden[name]; ok {
			w = o
			if name == "dir" {
				continue
			}
		}
		got, ok := c.Value(name)
		if !ok || got != w {
			t.Errorf("default %s = %q, want %q", name, got, w)
		}
	}
	if c.Port != 6379 || c.Maxclients != 10000 || c.ClusterNodeTimeout != 15000 || !c.ProtectedMode ||
		c.Databases != 16 || c.Hz != 10 || c.ProtoMaxBulkLen != 512<<20 || c.ClientQueryBufferLimit != 1<<30 ||
		c.ClusterConfigFile != "nodes.conf" || c.Appendfsync != "everysec" || c.MaxmemoryPolicy != "noeviction" ||
		c.HashMaxListpackEntries != 512 || c.ListMaxListpackSize != -2 || c.SetMaxIntsetEntries != 512 ||
		c.ZsetMaxListpackEntries != 128 || c.ZsetMaxListpackValue != 64 || len(c.Save) != 3 {
		t.Errorf("typed defaults wrong: %+v", c)
	}
}
