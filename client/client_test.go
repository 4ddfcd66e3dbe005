package client_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/testutil"
)

func TestParseRedirect(t *testing.T) {
	cases := []struct {
		msg        string
		slot       int
		addr, kind string
		ok         bool
	}{
		{"MOVED 3999 127.0.0.1:6381", 3999, "127.0.0.1:6381", "MOVED", true},
		{"ASK 1 ::1:7000", 1, "::1:7000", "ASK", true},
		{"MOVED x 1:2", 0, "", "", false},
		{"MOVED 12", 0, "", "", false},
		{"ERR MOVED 1 a:1", 0, "", "", false},
	}
	for _, c := range cases {
		slot, addr, kind, ok := client.ParseRedirect(c.msg)
		if slot != c.slot || addr != c.addr || kind != c.kind || ok != c.ok {
			t.Errorf("%q: %d %q %q %v", c.msg, slot, addr, kind, ok)
		}
	}
	var m *client.MovedError
	err := client.ReplyError(client.Value{Kind: '-', Str: []byte("MOVED 7 h:1")})
	if !errors.As(err, &m) || m.Slot != 7 || m.Addr != "h:1" || !client.IsRedirect(err) {
		t.Fatalf("typed MOVED: %v", err)
	}
}

func FuzzParseRedirect(f *testing.F) {
	for _, s := range []string{"MOVED 3999 127.0.0.1:6381", "ASK 0 a", "MOVED  ", "ASK -1 x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slot, addr, _, ok := client.ParseRedirect(s)
		if ok && !strings.HasSuffix(s, addr) {
			t.Fatalf("%q: addr %q", s, addr)
		}
		_ = slot
	})
}

// TestClusterRedirects: a 3-node Redis cluster built by hand; the cluster
// client writes and reads keys of every slot range from one seed (MOVED
// followed, map reloaded), and follows ASK during a migration without
// touching its map.
func TestClusterRedirects(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	var nodes []*testutil.Node
	for i := 0; i < 3; i++ {
		p := 21590 + i
		conf := filepath.Join(t.TempDir(), "redis.conf")
		testutil.NoErr(t, os.WriteFile(conf, []byte(fmt.Sprintf("port %d\ncluster-enabled yes\ncluster-config-file nodes.conf\n", p)), 0o644))
		nodes = append(nodes, testutil.StartRedisAt(t, p, conf))
	}
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	for i, n := range nodes {
		c := n.Dial(t)
		args := []string{"CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(ranges[i][0]), strconv.Itoa(ranges[i][1])}
		c.MustDo(t, args...)
		if i > 0 {
			c.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(nodes[0].Port))
		}
		c.Close()
	}
	testutil.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		for _, n := range nodes {
			c := n.Dial(t)
			v := c.MustDo(t, "CLUSTER", "INFO")
			c.Close()
			if !strings.Contains(string(v.Str), "cluster_state:ok") {
				return fmt.Errorf("%s not ok", n.Addr)
			}
		}
		return nil
	})
	cl := client.NewCluster([]string{nodes[2].Addr}, client.ClusterOptions{})
	defer cl.Close()
	for i := 0; i < 300; i++ {
		k := "k" + strconv.Itoa(i)
		v, err := cl.Do("SET", k, strconv.Itoa(i))
		testutil.NoErr(t, err)
		testutil.Equal(t, string(v.Str), "OK")
	}
	m, err := cl.Slots()
	testutil.NoErr(t, err)
	testutil.Equal(t, m.Owner[0], nodes[0].Addr)
	testutil.Equal(t, m.Owner[16383], nodes[2].Addr)
	for i := 0; i < 300; i++ {
		v, err := cl.Do("GET", "k"+strconv.Itoa(i))
		testutil.NoErr(t, err)
		testutil.Equal(t, string(v.Str), strconv.Itoa(i))
	}
	// ASK: a slot migrating from node 0 to node 1, its key already moved.
	key := "k0"
	slot := strconv.Itoa(client.KeySlot(key))
	var owner, target *testutil.Node
	for i, r := range ranges {
		if s := client.KeySlot(key); s >= r[0] && s <= r[1] {
			owner, target = nodes[i], nodes[(i+1)%3]
		}
	}
	id := func(n *testutil.Node) string {
		c := n.Dial(t)
		defer c.Close()
		return string(c.MustDo(t, "CLUSTER", "MYID").Str)
	}
	tc, oc := target.Dial(t), owner.Dial(t)
	defer tc.Close()
	defer oc.Close()
	tc.MustDo(t, "CLUSTER", "SETSLOT", slot, "IMPORTING", id(owner))
	oc.MustDo(t, "CLUSTER", "SETSLOT", slot, "MIGRATING", id(target))
	oc.MustDo(t, "MIGRATE", "127.0.0.1", strconv.Itoa(target.Port), key, "0", "5000")
	gen := m.Generation
	v, err := cl.Do("GET", key)
	testutil.NoErr(t, err)
	testutil.Equal(t, string(v.Str), "0")
	m2, _ := cl.Slots()
	testutil.Equal(t, m2.Generation, gen) // ASK leaves the map alone
}
