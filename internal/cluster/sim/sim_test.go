package sim

import (
	"flag"
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/slot"
)

var (
	flagSeed  = flag.Uint64("sim.seed", 0, "replay only this seed")
	flagSeeds = flag.Int("sim.seeds", 0, "number of seeds per scenario (default: per scenario)")
)

// seeds runs fn for each seed (1..n, or only -sim.seed), naming the seed in
// every failure so it can be replayed.
func seeds(t *testing.T, n int, fn func(t *testing.T, seed uint64)) {
	t.Helper()
	if *flagSeed != 0 {
		fn(t, *flagSeed)
		return
	}
	if *flagSeeds > 0 {
		n = *flagSeeds
	}
	if testing.Short() && n > 5 {
		n = 5
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { fn(t, seed) })
	}
}

// fatal reports err with the seed and the run's trace.
func fatal(t *testing.T, s *Sim, seed uint64, what string, err error) {
	t.Helper()
	t.Fatalf("%s: %v\nreplay with: go test ./internal/cluster/sim -run '%s' -sim.seed=%d -v\nlast events:\n%s",
		what, err, t.Name(), seed, s.Trace())
}

const nodeTimeout = 5000

// build makes n nodes MEET in a chain (i meets i+1), waits for a full mesh,
// gives three masters a third of the slots each (5461, 5461, 5462) and,
// with replicas, makes nodes 3..5 replicas of 0..2; then waits until every
// node agrees and the cluster state is ok.
func build(t *testing.T, cfg Config, replicas bool) *Sim {
	t.Helper()
	// The MEETs cross a reliable network: Redis 7.0 clears a node's MEET
	// flag once the MEET is queued, so a MEET lost with its connection is
	// never retried (redis-cli --cluster create re-MEETs such nodes).
	drop := cfg.Drop
	cfg.Drop = 0
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < cfg.Nodes; i++ {
		if err := s.Meet(i, i+1); err != nil {
			t.Fatal(err)
		}
	}
	limit := int64(60_000)
	if _, err := s.RunUntil(limit, func() bool { return s.Converged(false) == nil }); err != nil {
		fatal(t, s, cfg.Seed, "mesh", fmt.Errorf("%w (%v)", err, s.Converged(false)))
	}
	s.Cfg.Drop = drop
	per := slot.Count / 3
	for m := 0; m < 3; m++ {
		r := slot.Range{Start: m * per, End: (m+1)*per - 1}
		if m == 2 {
			r.End = slot.Count - 1
		}
		if err := s.Do(m, func(c *cluster.Core) error { return c.AddSlots(r) }); err != nil {
			t.Fatal(err)
		}
	}
	if replicas {
		for r := 3; r < 6 && r < cfg.Nodes; r++ {
			id := s.ID(r - 3)
			if err := s.Do(r, func(c *cluster.Core) error { return c.Replicate(id, 0) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.RunUntil(limit, func() bool { return s.Converged(true) == nil }); err != nil {
		fatal(t, s, cfg.Seed, "slots", fmt.Errorf("%w (%v)", err, s.Converged(true)))
	}
	return s
}

func TestMesh6(t *testing.T) {
	seeds(t, 50, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		own := s.Owners(5)
		if own[0] != s.ID(0) || own[5461] != s.ID(1) || own[16383] != s.ID(2) {
			t.Fatalf("seed %d: owners %.8s %.8s %.8s", seed, own[0], own[5461], own[16383])
		}
		if m := s.Nodes[3].Core.Myself().Master; m == nil || m.ID != s.ID(0) {
			t.Fatalf("seed %d: node 3 is not a replica of node 0", seed)
		}
	})
}

func TestMesh30(t *testing.T) {
	seeds(t, 5, func(t *testing.T, seed uint64) {
		build(t, Config{Nodes: 30, Seed: seed}, false)
	})
}

// TestMeshLossy converges over a network that drops 5% of the messages
// and reorders them.
func TestMeshLossy(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		build(t, Config{Nodes: 6, Seed: seed, Drop: 0.05, Reorder: true, MaxDelay: 200}, true)
	})
}

// TestFailureDetection kills a master and expects every other node to mark
// it FAIL within 2×node_timeout plus a ping period of slack. The masters
// have no replicas, so nobody fails them over.
func TestFailureDetection(t *testing.T) {
	seeds(t, 50, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, false)
		victim := int(seed % 3)
		s.Kill(victim)
		took, err := s.RunUntil(4*nodeTimeout, func() bool {
			for i, n := range s.Nodes {
				if n.Alive && s.Flags(i, victim)&cluster.FlagFail == 0 {
					return false
				}
			}
			return true
		})
		if err != nil {
			fatal(t, s, seed, "FAIL", err)
		}
		if limit := int64(2*nodeTimeout + 1000); took > limit {
			fatal(t, s, seed, "FAIL", fmt.Errorf("took %d ms, want ≤ %d", took, limit))
		}
		t.Logf("seed %d: node %d FAIL everywhere after %d ms", seed, victim, took)
		for i, n := range s.Nodes {
			if n.Alive && n.Core.State() != cluster.StateFail {
				t.Fatalf("seed %d: node %d state %v with a failed master and no failover", seed, i, n.Core.State())
			}
		}
	})
}

// TestPartitionHeals splits 0,1 | 2..5 for 3×node_timeout, then heals and
// expects full agreement (and FAIL flags cleared) again.
func TestPartitionHeals(t *testing.T) {
	seeds(t, 50, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		s.Partition([]int{0, 1}, []int{2, 3, 4, 5})
		if err := s.RunFor(3 * nodeTimeout); err != nil {
			fatal(t, s, seed, "partition", err)
		}
		// The minority side (two of three masters) reached quorum on the
		// other side's nodes; the majority side cannot be ok without them.
		if s.Flags(0, 2)&cluster.FlagFail == 0 {
			fatal(t, s, seed, "partition", fmt.Errorf("node 0 sees node 2 as %v", s.Flags(0, 2).Names()))
		}
		for i := 2; i < 6; i++ {
			if s.Nodes[i].Core.State() == cluster.StateOK {
				fatal(t, s, seed, "partition", fmt.Errorf("node %d ok in the minority", i))
			}
		}
		s.Heal()
		// A master FAIL in someone's view is cleared 2×node_timeout after it
		// failed, once reachable again.
		took, err := s.RunUntil(6*nodeTimeout, func() bool { return s.Converged(true) == nil })
		if err != nil {
			fatal(t, s, seed, "heal", fmt.Errorf("%w (%v)", err, s.Converged(true)))
		}
		t.Logf("seed %d: agreement %d ms after heal", seed, took)
	})
}

// TestSlotMove moves a slot with SETSLOT NODE + BUMPEPOCH to a master
// whose bump gives a new epoch, while the old owner cannot hear the new one:
// the old owner keeps claiming the slot with its older epoch, and a third
// node answers with an UPDATE that moves it.
func TestSlotMove(t *testing.T) {
	seeds(t, 50, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		// to: the master with the smallest config epoch; from: another.
		to := 0
		for m := 1; m < 3; m++ {
			if s.Nodes[m].Core.Myself().ConfigEpoch < s.Nodes[to].Core.Myself().ConfigEpoch {
				to = m
			}
		}
		from := (to + 1) % 3
		moved := from * (slot.Count / 3)
		s.Cut(from, to) // the others still hear both
		updates := s.Sent[cluster.MsgUpdate]
		var epoch uint64
		err := s.Do(to, func(c *cluster.Core) error {
			if err := c.SetSlotNode(moved, s.ID(to), 0); err != nil {
				return err
			}
			var bumped bool
			if bumped, epoch = c.BumpEpoch(); !bumped {
				return fmt.Errorf("BUMPEPOCH: STILL %d", epoch)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		took, err := s.RunUntil(4*nodeTimeout, func() bool {
			for _, n := range s.Nodes {
				if o := n.Core.Owner(moved); o == nil || o.ID != s.ID(to) {
					return false
				}
			}
			return true
		})
		if err != nil {
			fatal(t, s, seed, "slot move", err)
		}
		if s.Sent[cluster.MsgUpdate] == updates {
			fatal(t, s, seed, "slot move", fmt.Errorf("no UPDATE sent"))
		}
		for i := range s.Nodes {
			if got := s.Nodes[i].Core.Node(s.ID(to)).ConfigEpoch; got != epoch {
				t.Fatalf("seed %d: node %d sees node %d at configEpoch %d, want %d", seed, i, to, got, epoch)
			}
		}
		t.Logf("seed %d: slot %d moved %d→%d everywhere in %d ms, %d UPDATEs", seed, moved, from, to, took,
			s.Sent[cluster.MsgUpdate]-updates)
		s.Heal()
		if _, err := s.RunUntil(6*nodeTimeout, func() bool { return s.Converged(true) == nil }); err != nil {
			fatal(t, s, seed, "heal", fmt.Errorf("%w (%v)", err, s.Converged(true)))
		}
	})
}

// TestForget: CLUSTER FORGET on every node of a killed node removes it for
// good, though gossip from late nodes still mentions it.
func TestForget(t *testing.T) {
	seeds(t, 20, func(t *testing.T, seed uint64) {
		s := build(t, Config{Nodes: 6, Seed: seed}, true)
		s.Kill(5) // a replica
		gone := s.ID(5)
		if err := s.RunFor(3 * nodeTimeout); err != nil {
			fatal(t, s, seed, "kill", err)
		}
		// Forget on node 0 only: the forgotten-node extension spreads it.
		if err := s.Do(0, func(c *cluster.Core) error { return c.Forget(gone) }); err != nil {
			t.Fatal(err)
		}
		_, err := s.RunUntil(4*nodeTimeout, func() bool {
			for _, n := range s.Nodes[:5] {
				if n.Core.Node(gone) != nil {
					return false
				}
			}
			return true
		})
		if err != nil {
			fatal(t, s, seed, "forget", err)
		}
		if err := s.RunFor(10_000); err != nil {
			fatal(t, s, seed, "forget", err)
		}
		for i, n := range s.Nodes[:5] {
			if n.Core.Node(gone) != nil {
				t.Fatalf("seed %d: node %d learnt the forgotten node again", seed, i)
			}
		}
	})
}

// TestPublish: a PUBLISH on one node reaches every other node's
// subscribers; SPUBLISH only its shard.
func TestPublish(t *testing.T) {
	s := build(t, Config{Nodes: 6, Seed: 7}, true)
	if err := s.Do(0, func(c *cluster.Core) error { c.Publish([]byte("ch"), []byte("hi"), false); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Do(1, func(c *cluster.Core) error { c.Publish([]byte("sh"), []byte("yo"), true); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.RunFor(1000); err != nil {
		t.Fatal(err)
	}
	for i, n := range s.Nodes {
		var plain, shard int
		for _, d := range n.Delivered {
			if d.Shard {
				shard++
			} else {
				plain++
			}
		}
		wantPlain, wantShard := 1, 0
		if i == 0 {
			wantPlain = 0
		}
		if i == 4 {
			wantShard = 1 // node 4 replicates node 1
		}
		if plain != wantPlain || shard != wantShard {
			t.Errorf("node %d: %d publish, %d spublish; want %d, %d", i, plain, shard, wantPlain, wantShard)
		}
	}
}
