package cluster

import (
	"errors"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

func TestPureDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "net", dep == "os", dep == "syscall", dep == "time",
			strings.HasSuffix(dep, "/clusterbus"), strings.HasPrefix(dep, "math/rand"), dep == "crypto/rand":
			t.Errorf("internal/cluster depends on %s", dep)
		}
	}
}

func testConfig(seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Port, cfg.BusPort = 7000, 17000
	cfg.Rand = rand.New(rand.NewPCG(seed, seed))
	return cfg
}

const t0 = int64(1_700_000_000_000)

func freshCore(t *testing.T) *Core {
	t.Helper()
	c, err := New(testConfig(1), t0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantErr(t *testing.T, err error, want string, kind *Error) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if kind != nil && !errors.Is(err, kind) {
		t.Fatalf("err %v is not %v", err, kind.Kind)
	}
}

func TestNewNode(t *testing.T) {
	c := freshCore(t)
	me := c.Myself()
	if len(me.ID) != 40 || strings.Trim(me.ID, "0123456789abcdef") != "" {
		t.Fatalf("bad id %q", me.ID)
	}
	rd := c.Ready()
	if !rd.SaveConfig || len(rd.Logs) != 1 || rd.Logs[0].Msg != "No cluster configuration found, I'm "+me.ID {
		t.Fatalf("ready = %+v", rd)
	}
	c.Advance()
	if c.HasReady() {
		t.Fatal("ready after Advance")
	}
	want := me.ID + " :7000@17000 myself,master - 0 0 0 connected\n"
	if got := c.Topology().NodesText(); got != want {
		t.Fatalf("nodes = %q, want %q", got, want)
	}
	// Same seed, same ID: the core draws only from the injected Rand.
	c2, _ := New(testConfig(1), t0)
	if c2.Myself().ID != me.ID {
		t.Fatal("ID not deterministic")
	}
}

func TestSlotsOps(t *testing.T) {
	c := freshCore(t)
	c.Advance()
	if err := c.AddSlots(slot.Range{Start: 0, End: 100}, slot.Range{Start: 200, End: 300}); err != nil {
		t.Fatal(err)
	}
	if !c.Ready().SaveConfig {
		t.Fatal("no save after ADDSLOTS")
	}
	wantErr(t, c.AddSlots(slot.Range{Start: 1, End: 2}), "ERR Slot 1 is already busy", ErrSlotBusy)
	wantErr(t, c.AddSlots(slot.Range{Start: 7, End: 7}), "ERR Slot 7 is already busy", ErrSlotBusy)
	wantErr(t, c.AddSlots(slot.Range{Start: 500, End: 500}, slot.Range{Start: 500, End: 500}), "ERR Slot 500 specified multiple times", ErrSlotTwice)
	wantErr(t, c.DelSlots(slot.Range{Start: 150, End: 150}), "ERR Slot 150 is already unassigned", ErrSlotUnassigned)
	if c.Owner(500) != nil {
		t.Fatal("failed ADDSLOTS changed state")
	}
	if err := c.DelSlots(slot.Range{Start: 0, End: 0}); err != nil {
		t.Fatal(err)
	}
	if n := c.Myself().NumSlots(); n != 201 {
		t.Fatalf("numslots = %d", n)
	}
	top := c.Topology()
	if r := top.Route(1); r.Owner != top.Me || r.Mark != MarkNone {
		t.Fatalf("route 1 = %+v", r)
	}
	if r := top.Route(0); r.Owner != 0 {
		t.Fatalf("route 0 = %+v", r)
	}
	if !strings.HasSuffix(top.NodesText(), " connected 1-100 200-300\n") {
		t.Fatalf("nodes = %q", top.NodesText())
	}
	if c.Topology() != top {
		t.Fatal("topology rebuilt without a change")
	}
	wantErr(t, c.FlushSlots(3), "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.", ErrNotEmpty)
	if err := c.FlushSlots(0); err != nil || c.Myself().NumSlots() != 0 {
		t.Fatal(err)
	}
	if c.Topology() == top {
		t.Fatal("topology not rebuilt")
	}
}

// loadTwo builds a core for myself (A, owning 0-8191) that knows B (8192-16383).
func loadTwo(t *testing.T) (*Core, *Node, *Node) {
	t.Helper()
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	p := &Persisted{CurrentEpoch: 2, Nodes: []PersistedNode{
		{ID: a, IP: "127.0.0.1", Port: 7000, CPort: 17000, Flags: FlagMyself | FlagMaster, ConfigEpoch: 1, Slots: []slot.Range{{Start: 0, End: 8191}}},
		{ID: b, IP: "127.0.0.1", Port: 7001, CPort: 17001, Flags: FlagMaster, PongRecv: 5, ConfigEpoch: 2, Connected: true, Slots: []slot.Range{{Start: 8192, End: 16383}}},
	}}
	c, err := Load(testConfig(2), p, t0)
	if err != nil {
		t.Fatal(err)
	}
	return c, c.Node(a), c.Node(b)
}

func TestSetSlot(t *testing.T) {
	c, a, b := loadTwo(t)
	if b.PongRecv != t0 || b.Linked {
		t.Fatalf("load: pong %d linked %v", b.PongRecv, b.Linked)
	}
	zero := strings.Repeat("0", 40)
	wantErr(t, c.SetSlotMigrating(9000, b.ID), "ERR I'm not the owner of hash slot 9000", ErrOwnership)
	wantErr(t, c.SetSlotMigrating(100, zero), "ERR I don't know about node "+zero, ErrUnknownNode)
	wantErr(t, c.SetSlotImporting(100, b.ID), "ERR I'm already the owner of hash slot 100", ErrOwnership)
	wantErr(t, c.SetSlotNode(100, zero, 0), "ERR Unknown node "+zero, ErrUnknownNode)
	if err := c.SetSlotMigrating(100, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.SetSlotImporting(9000, b.ID); err != nil {
		t.Fatal(err)
	}
	top := c.Topology()
	if r := top.Route(100); r.Mark != MarkMigrating || top.Addr(r.Peer).ID != b.ID || r.Owner != top.Me {
		t.Fatalf("route 100 = %+v", r)
	}
	if r := top.Route(9000); r.Mark != MarkImporting || top.Addr(r.Owner).Redirect != "127.0.0.1:7001" {
		t.Fatalf("route 9000 = %+v", r)
	}
	wantLine := a.ID + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191 [100->-" + b.ID + "] [9000-<-" + b.ID + "]"
	if got := top.NodeLine(a.ID); got != wantLine {
		t.Fatalf("line = %q\nwant   %q", got, wantLine)
	}
	wantErr(t, c.SetSlotNode(100, b.ID, 3), "ERR Can't assign hashslot 100 to a different node while I still hold keys for this hash slot.", ErrNotEmpty)
	// Closing an import bumps myself's epoch without consensus.
	if err := c.SetSlotNode(9000, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if a.ConfigEpoch != 3 || c.CurrentEpoch() != 3 || c.ImportingFrom(9000) != nil || c.Owner(9000) != a {
		t.Fatalf("epoch %d/%d", a.ConfigEpoch, c.CurrentEpoch())
	}
	if err := c.SetSlotNode(100, b.ID, 0); err != nil || c.MigratingTo(100) != nil || c.Owner(100) != b {
		t.Fatal("SETSLOT NODE to b", err)
	}
	if err := c.SetSlotStable(100); err != nil {
		t.Fatal(err)
	}
}

func TestGiveAwayLastSlotMakesReplica(t *testing.T) {
	c := freshCore(t)
	c.AddSlots(slot.Range{Start: 5, End: 5})
	c.Meet("127.0.0.1", 7001, 17001)
	var hs *Node
	for _, n := range c.Nodes() {
		if n.InHandshake() {
			hs = n
		}
	}
	hs.Flags = FlagMaster // as if the handshake completed
	c.Advance()
	if err := c.SetSlotNode(5, hs.ID, 0); err != nil {
		t.Fatal(err)
	}
	rd := c.Ready()
	if rd.RoleChange == nil || rd.RoleChange.MasterID != hs.ID || !c.Myself().IsSlave() || c.Myself().Master != hs {
		t.Fatalf("ready %+v", rd)
	}
	wantErr(t, c.CanSetSlot(), "ERR Please use SETSLOT only with masters.", ErrRole)
	wantErr(t, c.Forget(hs.ID), "ERR Can't forget my master!", ErrRole)
	wantErr(t, c.Failover(false, false), "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE", ErrRole)
	if err := c.Failover(true, true); err != nil || !c.Myself().IsMaster() || c.Owner(5) != c.Myself() {
		t.Fatal("takeover", err)
	}
}

func TestEpochs(t *testing.T) {
	c := freshCore(t)
	if b, e := c.BumpEpoch(); !b || e != 1 {
		t.Fatalf("bump = %v %d", b, e)
	}
	if b, e := c.BumpEpoch(); b || e != 1 {
		t.Fatalf("bump again = %v %d", b, e)
	}
	wantErr(t, c.SetConfigEpoch(-1), "ERR Invalid config epoch specified: -1", ErrEpoch)
	wantErr(t, c.SetConfigEpoch(5), "ERR Node config epoch is already non-zero", ErrEpoch)
	c2 := freshCore(t)
	if err := c2.SetConfigEpoch(5); err != nil || c2.CurrentEpoch() != 5 {
		t.Fatal(err)
	}
	c2.Meet("::1", 7001, 17001)
	c3 := freshCore(t)
	c3.Meet("10.0.0.1", 7001, 17001)
	wantErr(t, c3.SetConfigEpoch(5), "ERR The user can assign a config epoch only when the node does not know any other node.", ErrEpoch)
}

func TestMeetForgetReset(t *testing.T) {
	c, a, b := loadTwo(t)
	wantErr(t, c.Meet("zz", 5, 10005), "ERR Invalid node address specified: zz:5", ErrInvalid)
	wantErr(t, c.Meet("127.0.0.1", 70000, 80000), "ERR Invalid node address specified: 127.0.0.1:70000", ErrInvalid)
	wantErr(t, c.Meet("fe80::1%eth0", 5, 6), "ERR Invalid node address specified: fe80::1%eth0:5", ErrInvalid)
	if err := c.Meet("127.0.0.1", 7002, 17002); err != nil {
		t.Fatal(err)
	}
	c.Meet("127.0.0.1", 7002, 17002)
	if n := len(c.Nodes()); n != 3 {
		t.Fatalf("%d nodes after two MEETs of one address", n)
	}
	if got := len(c.Export().Nodes); got != 2 {
		t.Fatalf("export has %d nodes; handshakes are not saved", got)
	}
	// The handshake times out after the node timeout.
	c.Tick(t0 + 15001)
	if n := len(c.Nodes()); n != 2 {
		t.Fatalf("%d nodes after handshake timeout", n)
	}
	wantErr(t, c.Forget(a.ID), "ERR I tried hard but I can't forget myself...", ErrMyself)
	if err := c.Forget(b.ID); err != nil || c.Node(b.ID) != nil || c.Owner(9000) != nil || !c.Blacklisted(b.ID) {
		t.Fatal("forget", err)
	}
	c.Tick(t0 + 15001 + 60001)
	if c.Blacklisted(b.ID) {
		t.Fatal("blacklist did not expire")
	}
	wantErr(t, c.Reset(false, 1), "ERR CLUSTER RESET can't be called with master nodes containing keys", ErrNotEmpty)
	old := a.ID
	if err := c.Reset(true, 0); err != nil {
		t.Fatal(err)
	}
	if a.ID == old || c.CurrentEpoch() != 0 || a.ConfigEpoch != 0 || a.NumSlots() != 0 || len(c.Nodes()) != 1 || c.Node(a.ID) != a {
		t.Fatalf("after hard reset: %+v", a)
	}
}

func TestReplicateAndReplicas(t *testing.T) {
	c, a, b := loadTwo(t)
	wantErr(t, c.Replicate(a.ID, 0), "ERR Can't replicate myself", ErrMyself)
	wantErr(t, c.Replicate(b.ID, 0), "ERR To set a master the node must be empty and without assigned slots.", ErrNotEmpty)
	c.DelSlots(slot.Range{Start: 0, End: 8191})
	c.Advance()
	if err := c.Replicate(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if rc := c.Ready().RoleChange; rc == nil || rc.MasterID != b.ID || rc.Port != 7001 {
		t.Fatalf("role change %+v", rc)
	}
	reps, err := c.Replicas(b.ID)
	if err != nil || len(reps) != 1 || reps[0] != a {
		t.Fatal(reps, err)
	}
	wantErr(t, func() error { _, err := c.Replicas(a.ID); return err }(), "ERR The specified node is not a master", ErrRole)
	wantErr(t, c.Replicate(a.ID, 0), "ERR Can't replicate myself", nil)
	// A replica shows its master's epoch.
	if line := c.Topology().NodeLine(a.ID); !strings.Contains(line, " myself,slave "+b.ID+" 0 0 2 connected") {
		t.Fatalf("line %q", line)
	}
	if !strings.Contains(c.Info(), "cluster_my_epoch:2\r\n") {
		t.Fatalf("info %q", c.Info())
	}
	if c.Topology().MyShardID != b.ID || c.Topology().MyMaster == 0 {
		t.Fatal("shard id / my master")
	}
	// RESET of a replica empties the data and makes it a master.
	c.Advance()
	if err := c.Reset(false, 10); err != nil || !a.IsMaster() || !c.Ready().EmptyData {
		t.Fatal("reset replica", err)
	}
}

func TestStateTiming(t *testing.T) {
	c := freshCore(t)
	c.Tick(t0)
	c.Tick(t0 + 2500) // past the writable delay, in the minority: fail
	if c.State() != StateFail || c.Size() != 0 {
		t.Fatalf("state %v size %d", c.State(), c.Size())
	}
	c.AddSlots(slot.Range{Start: 0, End: slot.Count - 1})
	// The rejoin delay (min(node timeout, 5 s)) runs from the last minority time.
	c.Tick(t0 + 2500 + 4999)
	if c.State() != StateFail {
		t.Fatal("ok before the rejoin delay")
	}
	c.Tick(t0 + 2500 + 5000)
	if c.State() != StateOK || !c.Topology().OK {
		t.Fatal("not ok after the rejoin delay")
	}
	if rd := c.Ready(); len(rd.Logs) == 0 || rd.Logs[len(rd.Logs)-1].Msg != "Cluster state changed: ok" {
		t.Fatalf("logs %+v", rd.Logs)
	}
	c.DelSlots(slot.Range{Start: 5, End: 5})
	if c.State() != StateFail {
		t.Fatal("ok with an uncovered slot")
	}
	cfg := c.Config()
	cfg.RequireFullCoverage = false
	c.SetConfig(cfg)
	if c.State() != StateOK {
		t.Fatal("not ok with require-full-coverage no")
	}
}

func TestRestartIsOKAfterWritableDelay(t *testing.T) {
	c := freshCore(t)
	c.AddSlots(slot.Range{Start: 0, End: slot.Count - 1})
	c2, err := Load(testConfig(3), c.Export(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Myself().ID != c.Myself().ID {
		t.Fatal("id changed")
	}
	c2.Tick(t0)
	c2.Tick(t0 + 1999)
	if c2.State() != StateFail {
		t.Fatal("ok within the writable delay")
	}
	c2.Tick(t0 + 2000)
	if c2.State() != StateOK {
		t.Fatal("not ok after the writable delay")
	}
}

func TestInfoText(t *testing.T) {
	c := freshCore(t)
	want := "cluster_state:fail\r\ncluster_slots_assigned:0\r\ncluster_slots_ok:0\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n" +
		"cluster_known_nodes:1\r\ncluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n" +
		"cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n"
	if got := c.Info(); got != want {
		t.Fatalf("info = %q", got)
	}
	c.CountSent(MsgPong)
	c.CountSent(MsgPing)
	c.CountReceived(MsgPublishShard)
	if got := c.Info(); !strings.Contains(got, "cluster_stats_messages_ping_sent:1\r\ncluster_stats_messages_pong_sent:1\r\ncluster_stats_messages_sent:2\r\ncluster_stats_messages_publishshard_received:1\r\ncluster_stats_messages_received:1\r\n") {
		t.Fatalf("info = %q", got)
	}
}

func TestCountFailureReports(t *testing.T) {
	c, a, b := loadTwo(t)
	b.failReports = append(b.failReports, failReport{a, t0}, failReport{a, t0 - 40000})
	if n, err := c.CountFailureReports(b.ID); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}

// TestSetSlotSyncConfig: the slot marks an administrator sets are saved
// without fsync, as Redis saves them; closing an import bumps the epoch,
// which is fsynced.
func TestSetSlotSyncConfig(t *testing.T) {
	c, a, b := loadTwo(t)
	c.Advance()
	step := func(what string, err error, sync bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		rd := c.Ready()
		if !rd.SaveConfig || rd.SyncConfig != sync {
			t.Fatalf("%s: save %v sync %v, want save and sync %v", what, rd.SaveConfig, rd.SyncConfig, sync)
		}
		c.Advance()
	}
	step("migrating", c.SetSlotMigrating(100, b.ID), false)
	step("importing", c.SetSlotImporting(9000, b.ID), false)
	step("stable", c.SetSlotStable(100), false)
	step("node, no epoch bump", c.SetSlotNode(100, b.ID, 0), false)
	step("node closing an import", c.SetSlotNode(9000, a.ID, 0), true)
	c.SaveConfig()
	step("saveconfig", nil, true)
	// The other admin commands Redis 7.0.15 saves without fsync
	// (CLUSTER_TODO_SAVE_CONFIG alone) and those it fsyncs.
	step("delslots", c.DelSlots(slot.Range{Start: 200, End: 300}), false)
	step("addslots", c.AddSlots(slot.Range{Start: 200, End: 300}), false)
	step("flushslots", c.FlushSlots(0), false)
	step("forget", c.Forget(b.ID), false)
	fresh := freshCore(t)
	fresh.Advance()
	c = fresh
	step("set-config-epoch", c.SetConfigEpoch(5), false)
	c2, _, b2 := loadTwo(t)
	c2.FlushSlots(0)
	c2.Advance()
	c = c2
	step("replicate", c.Replicate(b2.ID, 0), false)
}
