package clusternode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCaptureGoldens regenerates testdata/golden from a real redis-server
// 7.0.15. It runs only with SHOAL_CAPTURE=1:
//
//	SHOAL_CAPTURE=1 go test ./internal/clusternode -run TestCaptureGoldens
//
// Each case directory holds state.conf (the node's CLUSTER NODES text plus
// the vars line of its nodes.conf: what golden_test.go loads) and the raw
// replies to CLUSTER NODES/INFO/SLOTS/SHARDS in RESP2 (*.resp2) and RESP3
// (*.resp3). Ports 16741-16743 (bus ports +10000).
func TestCaptureGoldens(t *testing.T) {
	if os.Getenv("SHOAL_CAPTURE") != "1" {
		t.Skip("set SHOAL_CAPTURE=1 to capture goldens from redis-server")
	}
	bin := needRedis(t)
	out := filepath.Join("testdata", "golden")

	// single: one node with an announced hostname and a few slot ranges.
	single := startProc(t, bin, t.TempDir(), 16741, "--cluster-announce-hostname", "node-a.example")
	s := dial(t, 16741)
	mustOK(t, s.Do("CLUSTER", "ADDSLOTSRANGE", "0", "5460", "7002", "7005"))
	mustOK(t, s.Do("CLUSTER", "ADDSLOTS", "7000"))
	time.Sleep(2500 * time.Millisecond) // past the writable delay: cluster_size is computed
	capture(t, single, filepath.Join(out, "single"))

	// two: a and b meet; a migrates slot 100 to b and imports 9000 from b.
	a := startProc(t, bin, t.TempDir(), 16742)
	b := startProc(t, bin, t.TempDir(), 16743)
	ca, cb := dial(t, 16742), dial(t, 16743)
	mustOK(t, ca.Do("CLUSTER", "MEET", "127.0.0.1", "16743"))
	mustOK(t, ca.Do("CLUSTER", "ADDSLOTSRANGE", "0", "8191"))
	mustOK(t, cb.Do("CLUSTER", "ADDSLOTSRANGE", "8192", "16383"))
	idOf := func(c *conn) string { r := c.Do("CLUSTER", "MYID"); return strings.Split(r, "\r\n")[1] }
	checkFor(t, 30*time.Second, 100*time.Millisecond, func() string {
		for _, c := range []*conn{ca, cb} {
			info, nodes := c.Do("CLUSTER", "INFO"), c.Do("CLUSTER", "NODES")
			if !strings.Contains(info, "cluster_state:ok") || strings.Count(nodes, " connected") != 2 || strings.Contains(nodes, "handshake") {
				return "cluster not ok:\n" + info + nodes
			}
		}
		return ""
	})
	ida, idb := idOf(ca), idOf(cb)
	mustOK(t, cb.Do("CLUSTER", "SETSLOT", "100", "IMPORTING", ida))
	mustOK(t, ca.Do("CLUSTER", "SETSLOT", "100", "MIGRATING", idb))
	mustOK(t, ca.Do("CLUSTER", "SETSLOT", "9000", "IMPORTING", idb))
	capture(t, a, filepath.Join(out, "two-a"))
	capture(t, b, filepath.Join(out, "two-b"))
	ver, _ := os.ReadFile(filepath.Join("..", "persist", "nodesconf", "testdata", "REDIS_VERSION"))
	os.WriteFile(filepath.Join(out, "REDIS_VERSION"), ver, 0o644)
}

func mustOK(t *testing.T, reply string) {
	t.Helper()
	if reply != "+OK\r\n" {
		t.Fatalf("reply %q", reply)
	}
}

// capture saves one node's view. Replies are taken until two rounds agree,
// since ping/pong times and message counters move while we read.
func capture(t *testing.T, p *proc, dir string) {
	t.Helper()
	c2, c3 := dial(t, p.port), dial(t, p.port)
	if r := c3.Do("HELLO", "3"); !strings.HasPrefix(r, "%") {
		t.Fatalf("HELLO 3: %q", r)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for try := 0; ; try++ {
		if try == 50 {
			t.Fatal("replies never settled")
		}
		got := map[string]string{}
		for _, sub := range []string{"NODES", "INFO", "SLOTS", "SHARDS"} {
			got[strings.ToLower(sub)+".resp2"] = c2.Do("CLUSTER", sub)
			got[strings.ToLower(sub)+".resp3"] = c3.Do("CLUSTER", sub)
		}
		mustOK(t, c2.Do("CLUSTER", "SAVECONFIG"))
		conf, _ := os.ReadFile(filepath.Join(p.dir, "nodes.conf"))
		nodes2 := c2.Do("CLUSTER", "NODES")
		info2 := c2.Do("CLUSTER", "INFO")
		text := func(r string) string { return r[strings.Index(r, "\r\n")+2:] }
		if nodes2 != got["nodes.resp2"] || info2 != got["info.resp2"] ||
			text(got["nodes.resp3"])[4:] != text(nodes2) || text(got["info.resp3"])[4:] != text(info2) {
			time.Sleep(30 * time.Millisecond)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(string(conf), "\n"), "\n")
		nodesText := text(nodes2)
		nodesText = nodesText[:len(nodesText)-2]
		got["state.conf"] = nodesText + lines[len(lines)-1] + "\n"
		for name, v := range got {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
}
