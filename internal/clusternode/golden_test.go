package clusternode

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
	"github.com/shoal-db/shoal/internal/resp"
)

var statRE = regexp.MustCompile(`cluster_stats_messages_([a-z-]+)_(sent|received):(\d+)\r\n`)

// TestGoldenReplies loads each captured state (testdata/golden, made by
// TestCaptureGoldens from redis-server 7.0.15) into a core and checks that
// CLUSTER NODES, INFO, SLOTS and SHARDS come out byte for byte as Redis
// sent them, in RESP2 and RESP3.
func TestGoldenReplies(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/golden/*/state.conf")
	if len(dirs) == 0 {
		t.Fatal("no goldens")
	}
	for _, statePath := range dirs {
		dir := filepath.Dir(statePath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			read := func(name string) string {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			f, err := nodesconf.Parse([]byte(read("state.conf")))
			if err != nil {
				t.Fatal(err)
			}
			p, err := ToPersisted(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg := cluster.DefaultConfig()
			cfg.Rand = zeroRand{}
			for _, n := range p.Nodes {
				if n.Flags&cluster.FlagMyself != 0 {
					cfg.Port, cfg.BusPort, cfg.Hostname = n.Port, n.CPort, n.Hostname
				}
			}
			c, err := cluster.Load(cfg, p, loadTime)
			if err != nil {
				t.Fatal(err)
			}
			// Runtime values Redis had at capture time.
			for _, pn := range p.Nodes {
				n := c.Node(pn.ID)
				n.PingSent, n.PongRecv, n.Linked = pn.PingSent, pn.PongRecv, pn.Connected
			}
			info2 := read("info.resp2")
			for _, m := range statRE.FindAllStringSubmatch(info2, -1) {
				var typ cluster.MsgType
				for typ = 0; typ < cluster.MsgTypeCount && typ.String() != m[1]; typ++ {
				}
				k, _ := strconv.Atoi(m[3])
				for i := 0; i < k; i++ {
					if m[2] == "sent" {
						c.CountSent(typ)
					} else {
						c.CountReceived(typ)
					}
				}
			}
			c.Tick(loadTime)
			c.Tick(loadTime + 2500)
			top := c.Topology()
			for proto := 2; proto <= 3; proto++ {
				sfx := ".resp" + strconv.Itoa(proto)
				w := &resp.Writer{Proto: proto}
				w.Verbatim(top.NodesText())
				check(t, "nodes"+sfx, string(w.Buf), read("nodes"+sfx))
				w = &resp.Writer{Proto: proto}
				w.Verbatim(c.Info())
				check(t, "info"+sfx, string(w.Buf), read("info"+sfx))
				check(t, "slots"+sfx, string(top.SlotsReply(proto)), read("slots"+sfx))
				check(t, "shards"+sfx, string(top.ShardsReply(proto)), read("shards"+sfx))
			}
		})
	}
}

func check(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s differs:\ngot  %q\nwant %q", what, got, want)
	}
}
