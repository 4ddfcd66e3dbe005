package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
)

// cluster-replica-wait-safe scenarios (waitsafe.go in the core). Master 0
// has two replicas, 3 and 6; it acknowledged offset 5000 to a WAIT client.
// Replica 6 has it, replica 3 (at 3000) does not.

// buildWaitSafe builds that cluster with the directive set to on (or off)
// on every node, and lets master 0 announce its WAIT-acked offset.
func buildWaitSafe(t *testing.T, seed uint64, on bool) *Sim {
	t.Helper()
	// node 6 is a plain master for now; the trace is long enough to keep
	// the refusals logged while the shard is down.
	s := build(t, Config{Nodes: 7, Seed: seed, Trace: 50_000}, true)
	id := s.ID(0)
	if err := s.Do(6, func(c *cluster.Core) error { return c.Replicate(id, 0) }); err != nil {
		t.Fatal(err)
	}
	settled(t, s, seed, "replicas", 30_000)
	for i := range s.Nodes {
		err := s.Do(i, func(c *cluster.Core) error {
			cfg := c.Config()
			cfg.ReplicaWaitSafe = on
			return c.SetConfig(cfg)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Nodes[0].Offset, s.Nodes[3].Offset, s.Nodes[6].Offset = 5000, 3000, 5000
	if err := s.Do(0, func(c *cluster.Core) error { c.SetWaitAcked(5000); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.RunFor(2000); err != nil {
		t.Fatal(err)
	}
	for _, r := range []int{3, 6} {
		_, got := s.Nodes[r].Core.WaitAcked()
		want := int64(5000)
		if !on {
			want = 0 // nothing is announced without the directive
		}
		if got != want {
			fatal(t, s, seed, "announce", fmt.Errorf("replica %d knows WAIT-acked offset %d, want %d", r, got, want))
		}
	}
	return s
}

// refusal is what replica 3 logs while the directive keeps it out.
const refusal = "node 3 # Currently unable to failover: My replication offset 3000 is 2000 bytes behind the offset 5000 " +
	"my master acknowledged to WAIT. Please check the 'cluster-replica-wait-safe' configuration option."

// TestWaitSafeBehindNeverWins: with the covering replica 6 cut off when
// master 0 dies, replica 3 would win the election (the control run without
// the directive shows it does). Under the directive it never stands, and
// once the partition heals replica 6 wins and 3 follows it.
func TestWaitSafeBehindNeverWins(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		for _, on := range []bool{false, true} {
			s := buildWaitSafe(t, seed, on)
			s.Kill(0)
			s.Partition([]int{6})
			if err := s.RunFor(4 * nodeTimeout); err != nil {
				fatal(t, s, seed, "partitioned", err)
			}
			if !on {
				if !isMaster(s, 3) {
					fatal(t, s, seed, "control", fmt.Errorf("without the directive replica 3 was not promoted"))
				}
				continue
			}
			if isMaster(s, 3) {
				fatal(t, s, seed, "wait-safe", fmt.Errorf("replica 3, 2000 bytes behind the WAIT-acked offset, was promoted"))
			}
			if !strings.Contains(s.Trace(), refusal) {
				fatal(t, s, seed, "wait-safe", fmt.Errorf("replica 3 did not log why it does not stand"))
			}
			s.Heal()
			settled(t, s, seed, "heal", 8*nodeTimeout)
			if !isMaster(s, 6) || isMaster(s, 3) {
				fatal(t, s, seed, "wait-safe", fmt.Errorf("node 6 master %v, node 3 master %v", isMaster(s, 6), isMaster(s, 3)))
			}
			if m := s.Nodes[3].Core.Myself().Master; m == nil || m.ID != s.ID(6) {
				fatal(t, s, seed, "wait-safe", fmt.Errorf("node 3 does not follow node 6"))
			}
			if st := s.Nodes[6].Core.FailoverStats(); st.LastOffset != 5000 {
				t.Fatalf("seed %d: stats %+v", seed, st)
			}
		}
	})
}

// TestWaitSafeCoveringWins: a replica whose offset covers the WAIT-acked
// offset stands as usual. Replica 3 catches up to exactly 5000 before the
// kill; whichever replica wins, it has every acknowledged write.
func TestWaitSafeCoveringWins(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := buildWaitSafe(t, seed, true)
		s.Nodes[3].Offset = 5000
		s.Kill(0)
		settled(t, s, seed, "failover", 6*nodeTimeout)
		if isMaster(s, 3) == isMaster(s, 6) {
			fatal(t, s, seed, "failover", fmt.Errorf("node 3 master %v, node 6 master %v", isMaster(s, 3), isMaster(s, 6)))
		}
	})
}

// TestWaitSafeOperatorOverride: when no live replica covers the offset the
// shard stays down; CLUSTER FAILOVER FORCE is the operator's override and
// promotes the replica (counting the loss window). A new master starts its
// own WAIT-acked bookkeeping: the old master's offset does not hold back
// the next election.
func TestWaitSafeOperatorOverride(t *testing.T) {
	seeds(t, 10, func(t *testing.T, seed uint64) {
		s := buildWaitSafe(t, seed, true)
		s.Kill(6)
		if err := s.RunFor(2 * nodeTimeout); err != nil {
			t.Fatal(err)
		}
		s.Kill(0)
		if err := s.RunFor(4 * nodeTimeout); err != nil {
			fatal(t, s, seed, "down", err)
		}
		if isMaster(s, 3) {
			fatal(t, s, seed, "down", fmt.Errorf("replica 3 promoted although behind"))
		}
		if err := s.Do(3, func(c *cluster.Core) error { return c.Failover(true, false) }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunUntil(4*nodeTimeout, func() bool { return isMaster(s, 3) }); err != nil {
			fatal(t, s, seed, "force", err)
		}
		if !strings.Contains(s.Trace(), refusal) ||
			!strings.Contains(s.Trace(), "node 3 # WARNING: FORCE failover requested while my replication offset is 2000 bytes behind") {
			fatal(t, s, seed, "force", fmt.Errorf("the refusal or the override warning is not logged"))
		}
		if st := s.Nodes[3].Core.FailoverStats(); st.LastLoss != 2000 {
			t.Fatalf("seed %d: loss window %+v, want 2000", seed, st)
		}
		if _, m := s.Nodes[3].Core.WaitAcked(); m != 0 {
			t.Fatalf("seed %d: a master still counts its old master's WAIT-acked offset %d", seed, m)
		}
	})
}
