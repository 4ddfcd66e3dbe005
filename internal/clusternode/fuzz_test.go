package clusternode

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
)

// FuzzLoadExport: every nodes.conf that parses loads into a core, and what
// the core exports parses again and loads to the same export.
func FuzzLoadExport(f *testing.F) {
	files, _ := filepath.Glob("../persist/nodesconf/testdata/*.conf")
	g, _ := filepath.Glob("testdata/golden/*/state.conf")
	for _, p := range append(files, g...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nf, err := nodesconf.Parse(data)
		if err != nil {
			return
		}
		p, err := ToPersisted(nf)
		if err != nil {
			return
		}
		cfg := cluster.DefaultConfig()
		cfg.Rand = zeroRand{}
		c, err := cluster.Load(cfg, p, loadTime)
		if err != nil {
			t.Fatalf("parsed file refused by the core: %v", err)
		}
		c.Tick(loadTime)
		out := FromPersisted(c.Export()).Marshal()
		nf2, err := nodesconf.Parse(out)
		if err != nil {
			t.Fatalf("export does not parse: %v\n%s", err, out)
		}
		p2, _ := ToPersisted(nf2)
		c2, err := cluster.Load(cfg, p2, loadTime)
		if err != nil {
			t.Fatal(err)
		}
		if out2 := FromPersisted(c2.Export()).Marshal(); string(out2) != string(out) {
			t.Fatalf("export not stable:\n%s\n%s", out, out2)
		}
		_ = c.Topology().NodesText()
		_ = c.Topology().ShardsReply(3)
		_ = c.Topology().SlotsReply(2)
	})
}
