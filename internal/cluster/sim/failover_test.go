package sim

import (
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/slot"
)

// Election scenarios (failover.go in the core). Every run also checks the
// per-step invariants: no two masters claim a slot at one config epoch,
// nothing unsaved is announced, currentEpoch never goes back.

// settled waits until every live node agrees, the state is ok and every
// slot is served by a live master.
func settled(t *testing.T, s *Sim, seed uint64, what string, limit int64) int64 {
	t.Helper()
	took, err := s.RunUntil(limit, func() bool {
		if s.Converged(true) != nil {
			return false
		}
		for i, n := range s.Nodes {
			if n.Alive {
				return s.Served(i) == nil
			}
		}
		return false
	})
	if err != nil {
		first := 0
		for i, n := range s.Nodes {
			if n.Alive {
				first = i
				break
			}
		}
		fatal(t, s, seed, what, fmt.Errorf("%w (%v; %v)", err, s.Converged(true), s.Served(first)))
	}
	return took
}

func isMaster(s *Sim, i int) bool { return s.Nodes[i].Core.Myself().IsMaster() }

// TestFailoverKillMaster: kill -9 of a master; its only replica wins the
// election, every node agrees, and the old master, restarted, rejoins as
// a replica of the new one.
func TestFailoverKillMaster(t *testing.T) {
	seeds(t, 40, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		victim := int(seed % 3)
		epoch := s.Nodes[victim+3].Core.CurrentEpoch()
		s.Kill(victim)
		took := settled(t, s, seed, "failover", 6*nodeTimeout)
		if !isMaster(s, victim+3) {
			fatal(t, s, seed, "failover", fmt.Errorf("node %d not promoted", victim+3))
		}
		if got := s.Nodes[victim+3].Core.Myself().ConfigEpoch; got <= epoch {
			fatal(t, s, seed, "failover", fmt.Errorf("new master's configEpoch %d, want > %d", got, epoch))
		}
		if st := s.Nodes[victim+3].Core.FailoverStats(); st.Promotions != 1 {
			t.Fatalf("seed %d: promotions %d", seed, st.Promotions)
		}
		t.Logf("seed %d: node %d promoted, cluster ok %d ms after the kill", seed, victim+3, took)
		if err := s.Restart(victim); err != nil {
			t.Fatal(err)
		}
		settled(t, s, seed, "rejoin", 6*nodeTimeout)
		if m := s.Nodes[victim].Core.Myself().Master; m == nil || m.ID != s.ID(victim+3) {
			fatal(t, s, seed, "rejoin", fmt.Errorf("old master is not a replica of the new one"))
		}
	})
}

// TestFailoverLossy: the same over a network that drops 2% of the
// messages (resetting their connections) and reorders them.
func TestFailoverLossy(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed, Drop: 0.02, Reorder: true, MaxDelay: 100}, true)
		victim := int(seed % 3)
		s.Kill(victim)
		settled(t, s, seed, "failover", 12*nodeTimeout)
		if !isMaster(s, victim+3) {
			fatal(t, s, seed, "failover", fmt.Errorf("node %d not promoted", victim+3))
		}
	})
}

// buildWide is 5 masters (0..4) with a replica each (5..9).
func buildWide(t *testing.T, seed uint64, drop float64) *Sim {
	t.Helper()
	s, err := New(Config{Nodes: 10, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < 10; i++ {
		if err := s.Meet(i, i+1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RunUntil(60_000, func() bool { return s.Converged(false) == nil }); err != nil {
		fatal(t, s, seed, "mesh", err)
	}
	const per = 16384 / 5
	for m := 0; m < 5; m++ {
		r := slot.Range{Start: m * per, End: (m+1)*per - 1}
		if m == 4 {
			r.End = slot.Count - 1
		}
		err := s.Do(m, func(c *cluster.Core) error { return c.AddSlots(r) })
		if err != nil {
			t.Fatal(err)
		}
	}
	for r := 5; r < 10; r++ {
		id := s.ID(r - 5)
		if err := s.Do(r, func(c *cluster.Core) error { return c.Replicate(id, 0) }); err != nil {
			t.Fatal(err)
		}
	}
	settled(t, s, seed, "build", 60_000)
	s.Cfg.Drop = drop
	return s
}

// TestFailoverTwoMasters: two of five masters die at once; both replicas
// are elected (the three survivors are a majority), each in its own epoch.
func TestFailoverTwoMasters(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := buildWide(t, seed, 0)
		a, b := int(seed%5), int((seed+2)%5)
		s.Kill(a)
		s.Kill(b)
		// Two replicas whose elections start in the same cron tick, before
		// either hears the other's request, split the votes of one epoch
		// and retry 4 × node_timeout later (as in Redis): allow retries.
		settled(t, s, seed, "failover", 16*nodeTimeout)
		if !isMaster(s, a+5) || !isMaster(s, b+5) {
			fatal(t, s, seed, "failover", fmt.Errorf("replicas %d, %d not both promoted", a+5, b+5))
		}
		ea, eb := s.Nodes[a+5].Core.Myself().ConfigEpoch, s.Nodes[b+5].Core.Myself().ConfigEpoch
		if ea == eb {
			t.Fatalf("seed %d: both promoted at configEpoch %d", seed, ea)
		}
	})
}

// TestFailoverMajorityLost: with three of five masters dead no replica
// can win (two votes of five): no promotion, the state stays fail.
func TestFailoverMajorityLost(t *testing.T) {
	seeds(t, 10, func(t *testing.T, seed uint64) {
		s := buildWide(t, seed, 0)
		for _, m := range []int{0, 1, 2} {
			s.Kill(m)
		}
		if err := s.RunFor(6 * nodeTimeout); err != nil {
			fatal(t, s, seed, "no quorum", err)
		}
		for r := 5; r < 8; r++ {
			if isMaster(s, r) {
				fatal(t, s, seed, "no quorum", fmt.Errorf("node %d promoted without a majority", r))
			}
		}
	})
}

// TestFailoverPartition: a master is cut off with no one; its replica on
// the majority side is elected. After healing the old master steps down
// and becomes a replica: no slot keeps two masters.
func TestFailoverPartition(t *testing.T) {
	seeds(t, 30, func(t *testing.T, seed uint64) {
		s := buildWide(t, seed, 0)
		victim := int(seed % 5)
		var rest []int
		for i := 0; i < 10; i++ {
			if i != victim {
				rest = append(rest, i)
			}
		}
		s.Partition([]int{victim}, rest)
		_, err := s.RunUntil(8*nodeTimeout, func() bool { return isMaster(s, victim+5) })
		if err != nil {
			fatal(t, s, seed, "partition", err)
		}
		s.Heal()
		settled(t, s, seed, "heal", 8*nodeTimeout)
		if isMaster(s, victim) {
			fatal(t, s, seed, "heal", fmt.Errorf("old master %d still a master", victim))
		}
	})
}

// TestFailoverRank: of two replicas, the one with the greater offset
// (rank 0) wins; the other follows it.
func TestFailoverRank(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 7, Seed: seed}, true) // node 6 is a plain master for now
		id := s.ID(0)
		if err := s.Do(6, func(c *cluster.Core) error { return c.Replicate(id, 0) }); err != nil {
			t.Fatal(err)
		}
		settled(t, s, seed, "replicas", 30_000)
		s.Nodes[3].Offset, s.Nodes[6].Offset = 1000, 5000
		if err := s.RunFor(2000); err != nil {
			t.Fatal(err)
		}
		s.Kill(0)
		settled(t, s, seed, "failover", 6*nodeTimeout)
		if !isMaster(s, 6) || isMaster(s, 3) {
			fatal(t, s, seed, "rank", fmt.Errorf("node 6 (best offset) master %v, node 3 master %v", isMaster(s, 6), isMaster(s, 3)))
		}
		if m := s.Nodes[3].Core.Myself().Master; m == nil || m.ID != s.ID(6) {
			fatal(t, s, seed, "rank", fmt.Errorf("node 3 does not follow node 6"))
		}
		st := s.Nodes[6].Core.FailoverStats()
		if st.LastOffset != 5000 {
			t.Fatalf("seed %d: stats %+v", seed, st)
		}
	})
}

// TestFailoverNoFailover: a replica with cluster-replica-no-failover never
// stands for election.
func TestFailoverNoFailover(t *testing.T) {
	seeds(t, 10, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		err := s.Do(3, func(c *cluster.Core) error {
			cfg := c.Config()
			cfg.ReplicaNoFailover = true
			return c.SetConfig(cfg)
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Kill(0)
		if err := s.RunFor(6 * nodeTimeout); err != nil {
			fatal(t, s, seed, "nofailover", err)
		}
		if isMaster(s, 3) {
			fatal(t, s, seed, "nofailover", fmt.Errorf("node 3 promoted"))
		}
		if s.Flags(1, 3)&cluster.FlagNoFailover == 0 {
			t.Fatalf("seed %d: node 1 does not see node 3 as nofailover", seed)
		}
	})
}

// TestManualFailover: CLUSTER FAILOVER on a replica: the master pauses,
// the replica catches up to its offset, wins and the roles swap; the old
// master lifts its pause.
func TestManualFailover(t *testing.T) {
	seeds(t, 30, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		m, r := int(seed%3), int(seed%3)+3
		s.Nodes[m].Offset, s.Nodes[r].Offset = 700, 650
		if err := s.RunFor(1000); err != nil {
			t.Fatal(err)
		}
		if err := s.Do(r, func(c *cluster.Core) error { return c.Failover(false, false) }); err != nil {
			t.Fatal(err)
		}
		if err := s.RunFor(1000); err != nil {
			t.Fatal(err)
		}
		if isMaster(s, r) {
			fatal(t, s, seed, "manual", fmt.Errorf("promoted before catching up"))
		}
		if s.Nodes[m].Paused == 0 {
			fatal(t, s, seed, "manual", fmt.Errorf("master not paused"))
		}
		s.Nodes[r].Offset = 700 // replication caught up
		if err := s.Do(r, func(c *cluster.Core) error { c.ReplOffsetChanged(700); return nil }); err != nil {
			t.Fatal(err)
		}
		settled(t, s, seed, "manual", 4*nodeTimeout)
		if !isMaster(s, r) || isMaster(s, m) {
			fatal(t, s, seed, "manual", fmt.Errorf("roles not swapped"))
		}
		if s.Nodes[m].Paused != 0 {
			fatal(t, s, seed, "manual", fmt.Errorf("old master still paused"))
		}
		if st := s.Nodes[r].Core.FailoverStats(); st.LastLoss != 0 {
			t.Fatalf("seed %d: loss %d in a manual failover", seed, st.LastLoss)
		}
	})
}

// TestManualFailoverTimeout: a replica that never catches up gives up
// after the manual failover timeout and the master resumes.
func TestManualFailoverTimeout(t *testing.T) {
	s := build(t, Config{Nodes: 6, Seed: 3}, true)
	s.Nodes[0].Offset, s.Nodes[3].Offset = 900, 100
	if err := s.RunFor(1000); err != nil {
		t.Fatal(err)
	}
	if err := s.Do(3, func(c *cluster.Core) error { return c.Failover(false, false) }); err != nil {
		t.Fatal(err)
	}
	if err := s.RunFor(12_000); err != nil {
		t.Fatal(err)
	}
	if isMaster(s, 3) || !isMaster(s, 0) || s.Nodes[0].Paused != 0 {
		t.Fatalf("replica master %v, master master %v, paused %d", isMaster(s, 3), isMaster(s, 0), s.Nodes[0].Paused)
	}
}

// TestFailoverForceAndTakeover: FORCE wins an election with the master up
// (FORCEACK); TAKEOVER needs no votes at all, even cut off from every
// other master.
func TestFailoverForceAndTakeover(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		if err := s.Do(3, func(c *cluster.Core) error { return c.Failover(true, false) }); err != nil {
			t.Fatal(err)
		}
		settled(t, s, seed, "force", 4*nodeTimeout)
		if !isMaster(s, 3) || isMaster(s, 0) {
			fatal(t, s, seed, "force", fmt.Errorf("roles not swapped"))
		}
		s.Partition([]int{1, 4})
		if err := s.Do(4, func(c *cluster.Core) error { return c.Failover(false, true) }); err != nil {
			t.Fatal(err)
		}
		if !isMaster(s, 4) {
			fatal(t, s, seed, "takeover", fmt.Errorf("node 4 not a master at once"))
		}
		s.Heal()
		settled(t, s, seed, "takeover", 6*nodeTimeout)
		if !isMaster(s, 4) || isMaster(s, 1) {
			fatal(t, s, seed, "takeover", fmt.Errorf("roles not swapped"))
		}
	})
}

// TestReplicaMigration: master 0 has two replicas; when master 1's only
// replica dies, one replica of master 0 (the smaller ID) migrates to it.
func TestReplicaMigration(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 7, Seed: seed}, true)
		id := s.ID(0)
		if err := s.Do(6, func(c *cluster.Core) error { return c.Replicate(id, 0) }); err != nil {
			t.Fatal(err)
		}
		settled(t, s, seed, "replicas", 30_000)
		s.Kill(4) // master 1's replica
		_, err := s.RunUntil(8*nodeTimeout, func() bool {
			for _, r := range []int{3, 6} {
				if m := s.Nodes[r].Core.Myself().Master; m != nil && m.ID == s.ID(1) {
					return true
				}
			}
			return false
		})
		if err != nil {
			fatal(t, s, seed, "migration", err)
		}
		want := 3
		if s.ID(6) < s.ID(3) {
			want = 6
		}
		if m := s.Nodes[want].Core.Myself().Master; m == nil || m.ID != s.ID(1) {
			fatal(t, s, seed, "migration", fmt.Errorf("node %d (smallest ID) did not migrate", want))
		}
	})
}

// TestFailoverValidity: a replica whose data is older than
// repl-ping-replica-period + node_timeout × cluster-replica-validity-factor
// does not stand for election; with the factor 0 it does.
func TestFailoverValidity(t *testing.T) {
	seeds(t, 10, func(t *testing.T, seed uint64) {
		for _, factor := range []int{10, 0} {
			s := build(t, Config{Nodes: 6, Seed: seed}, true)
			err := s.Do(3, func(c *cluster.Core) error {
				cfg := c.Config()
				cfg.ReplicaValidityFactor = factor
				if err := c.SetConfig(cfg); err != nil {
					return err
				}
				// The link to the master went down ten minutes ago.
				c.SetReplLink(s.Now - 600_000)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Kill(0)
			if err := s.RunFor(6 * nodeTimeout); err != nil {
				fatal(t, s, seed, "validity", err)
			}
			if got, want := isMaster(s, 3), factor == 0; got != want {
				fatal(t, s, seed, "validity", fmt.Errorf("factor %d: promoted %v, want %v", factor, got, want))
			}
		}
	})
}
