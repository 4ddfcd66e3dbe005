package replication

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// clientFields parses one CLIENT LIST line.
func clientFields(line string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

// masterLines returns the lines of CLIENT LIST TYPE master on r.
func masterLines(t *testing.T, r *testutil.Node) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(str(do(t, r, "CLIENT", "LIST", "TYPE", "master"))), "\n") {
		if l != "" {
			out = append(out, clientFields(l))
		}
	}
	return out
}

// TestMasterClientInClientList: on a replica, CLIENT LIST shows the link
// to the master as Redis 7.0 does (flags=M, the master's address, its
// database and last command, user (superuser)), INFO counts it in
// connected_clients, and CLIENT KILL by ID, ADDR or TYPE master cuts it
// (USER does not match it); after a partial resync it is the same client.
func TestMasterClientInClientList(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m, r := start(t, pair[0]), start(t, pair[1])
			follow(t, r, m)
			mc := m.Dial(t)
			defer mc.Close()
			mc.MustDo(t, "SELECT", "2")
			var f map[string]string
			// The master's replication cron PINGs its replicas at its first
			// tick and every repl-ping-replica-period after (10 s), so a
			// PING may land after the SET once; a second SET comes after it.
			for try := 0; try < 2; try++ {
				mc.MustDo(t, "SET", "k", "v")
				caughtUp(t, m, r)
				lines := masterLines(t, r)
				if len(lines) != 1 {
					t.Fatalf("CLIENT LIST TYPE master: %d lines", len(lines))
				}
				if f = lines[0]; f["cmd"] != "ping" {
					break
				}
			}
			want := map[string]string{"addr": m.Addr, "flags": "M", "db": "2", "cmd": "set", "user": "(superuser)", "name": "", "multi": "-1"}
			for k, v := range want {
				if f[k] != v {
					t.Fatalf("master client %s=%q, want %q (%v)", k, f[k], v, f)
				}
			}
			all := str(do(t, r, "CLIENT", "LIST"))
			if !strings.Contains(all, "id="+f["id"]+" addr="+m.Addr) {
				t.Fatalf("CLIENT LIST does not show the master client:\n%s", all)
			}
			// The master and INFO's own connection (the helpers' earlier
			// connections may take a moment to be gone).
			testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
				if n := info(t, r, "clients")["connected_clients"]; n != "2" {
					return fmt.Errorf("connected_clients %s with the master client and one connection", n)
				}
				return nil
			})
			// Neither USER nor TYPE normal matches the master client.
			do(t, r, "CLIENT", "KILL", "USER", "default")
			do(t, r, "CLIENT", "KILL", "TYPE", "normal")
			if l := masterLines(t, r); len(l) != 1 || l[0]["laddr"] != f["laddr"] {
				t.Fatalf("CLIENT KILL USER/TYPE normal cut the master link: %v", l)
			}
			for i, kill := range [][]string{{"ID", f["id"]}, {"ADDR", m.Addr}, {"TYPE", "master"}} {
				if v := str(do(t, r, append([]string{"CLIENT", "KILL"}, kill...)...)); v != "1" {
					t.Fatalf("CLIENT KILL %v: %s", kill, v)
				}
				mc.MustDo(t, "SET", "k"+strconv.Itoa(i), "v")
				linkUp(t, r)
				caughtUp(t, m, r)
				var again map[string]string
				testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
					if l := masterLines(t, r); len(l) == 1 {
						again = l[0]
						return nil
					}
					return fmt.Errorf("no master client after the link came back")
				})
				if again["id"] != f["id"] || again["db"] != "2" {
					t.Fatalf("after a partial resync the master client is id %s db %s, was id %s db 2", again["id"], again["db"], f["id"])
				}
			}
			if st := info(t, m, "stats"); st["sync_full"] != "1" || st["sync_partial_ok"] != "3" {
				t.Fatalf("master: sync_full %s sync_partial_ok %s", st["sync_full"], st["sync_partial_ok"])
			}
		})
	}
}
