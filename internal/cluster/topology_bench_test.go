package cluster

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

// loadFour is a core of four masters (myself first) with the slots in
// three ranges and the fourth master empty, as during a reshard.
func loadFour(b testing.TB) (*Core, []*Node) {
	ids := []string{strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40), strings.Repeat("d", 40)}
	p := &Persisted{CurrentEpoch: 4, Nodes: []PersistedNode{
		{ID: ids[0], IP: "127.0.0.1", Port: 7000, CPort: 17000, Flags: FlagMyself | FlagMaster, ConfigEpoch: 1, Slots: []slot.Range{{Start: 0, End: 5460}}},
		{ID: ids[1], IP: "127.0.0.1", Port: 7001, CPort: 17001, Flags: FlagMaster, ConfigEpoch: 2, Connected: true, Slots: []slot.Range{{Start: 5461, End: 10922}}},
		{ID: ids[2], IP: "127.0.0.1", Port: 7002, CPort: 17002, Flags: FlagMaster, ConfigEpoch: 3, Connected: true, Slots: []slot.Range{{Start: 10923, End: 16383}}},
		{ID: ids[3], IP: "127.0.0.1", Port: 7003, CPort: 17003, Flags: FlagMaster, ConfigEpoch: 4, Connected: true},
	}}
	c, err := Load(testConfig(2), p, t0)
	if err != nil {
		b.Fatal(err)
	}
	return c, []*Node{c.Node(ids[0]), c.Node(ids[1]), c.Node(ids[2]), c.Node(ids[3])}
}

// BenchmarkSetSlotTopology is the core's part of one CLUSTER SETSLOT on a
// source during a reshard (clusternode.Node.DoDeferred): the tick, the
// change (mark a slot migrating, or stable again), then the Topology the
// node publishes after every change.
func BenchmarkSetSlotTopology(b *testing.B) {
	c, ns := loadFour(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := (i / 2) % 5461
		c.Tick(t0)
		if i%2 == 0 {
			if err := c.SetSlotMigrating(s, ns[3].ID); err != nil {
				b.Fatal(err)
			}
		} else if err := c.SetSlotStable(s); err != nil {
			b.Fatal(err)
		}
		c.Topology()
	}
}
