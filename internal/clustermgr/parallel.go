package clustermgr

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var exit = os.Exit

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }

// parallelPipeline is the MIGRATE batch used by --cluster-parallel when
// --cluster-pipeline is not given.
const parallelPipeline = 1000

// moveParallel moves the slots of table to target (shoal-cli's
// --cluster-parallel): slots are grouped by source (groupTable) and up to
// opts.Parallel groups move at once, each worker with its own connection to
// every master. Each group goes through redis-cli's steps (importing,
// migrating, MIGRATE batches, SETSLOT NODE on target and source) with one
// pipeline per step and node; the other masters learn the new owners at
// the end, in one pipeline each (a source is busy with MIGRATEs, and a
// SETSLOT queued behind them would stall the worker; until then those
// masters redirect to the old owner, which answers with ASK or MOVED, and
// the target's bumped epoch spreads the change by gossip too). Output: redis-cli's
// "Moving slot" line per slot (reshard) or '#' per slot (rebalance), as
// groups finish; one progress line instead when opts.Progress is set.
func (m *Manager) moveParallel(table []reshardItem, target *node, rebalance bool) bool {
	groups := groupTable(table)
	workers := min(m.opts.Parallel, len(groups))
	opts := m.opts
	if !opts.PipelineSet {
		opts.Pipeline = parallelPipeline
	}
	sched := newGroupScheduler(groups, workers)
	var (
		outMu  sync.Mutex
		failed atomic.Bool
		done   atomic.Int64
		keys   atomic.Int64
		wg     sync.WaitGroup
		errMsg string
	)
	start := time.Now()
	progress := func() {
		el := time.Since(start).Seconds()
		rate := 0.0
		if el > 0 {
			rate = float64(keys.Load()) / el
		}
		fmt.Fprintf(m.out, "\r\033[2KMoving slots: %d/%d, %d keys (%.0f keys/s)", done.Load(), len(table), keys.Load(), rate)
		m.out.Flush()
	}
	for w := 0; w < workers; w++ {
		wm, err := m.workerClone(opts)
		if err != nil {
			m.logErr("*** %v\n", err)
			return false
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer wm.closeAll()
			for {
				g, ok := sched.next()
				if !ok || failed.Load() {
					return
				}
				src, dst := wm.byName(g.source.name), wm.byName(target.name)
				moved, err := wm.moveGroup(slotGroup{source: src, slots: g.slots}, dst)
				outMu.Lock()
				if err != nil && failed.CompareAndSwap(false, true) {
					errMsg = err.Error()
				}
				if err == nil {
					for _, s := range g.slots {
						g.source.slots[s] = false
						target.slots[s] = true
						done.Add(1)
						keys.Add(int64(moved[s]))
						switch {
						case m.opts.Progress:
						case rebalance:
							m.out.WriteString("#")
						default:
							fmt.Fprintf(m.out, "Moving slot %d from %s:%d to %s:%d: %s\n", s, g.source.ip, g.source.port,
								target.ip, target.port, strings.Repeat(".", moved[s]))
						}
					}
				}
				if m.opts.Progress {
					progress()
				}
				m.out.Flush()
				outMu.Unlock()
				sched.done(g, err == nil)
			}
		}()
	}
	wg.Wait()
	if e := m.announceOwners(target, sched.finished()); e != "" && failed.CompareAndSwap(false, true) {
		errMsg = e
	}
	if m.opts.Progress {
		progress()
		m.printf("\n")
	}
	if failed.Load() {
		if rebalance {
			m.logErr("*** clusterManagerMoveSlot: %s\n", errMsg)
		} else {
			m.logErr("clusterManagerMoveSlot failed: %s\n", errMsg)
		}
		return false
	}
	return true
}

// groupScheduler hands slot groups to the parallel workers so that the
// sources stay evenly busy: a source is single-threaded and its MIGRATEs
// run one at a time, so the next group comes from the source with the
// fewest groups in flight (then the most left to move), not in table
// order, which would put every worker on the first source.
type groupScheduler struct {
	mu        sync.Mutex
	freed     *sync.Cond // a group ended
	queues    map[*node][]slotGroup
	order     []*node // sources, first-seen order, for determinism
	running   map[*node]int
	perSource int // groups of one source in flight at most
	moved     []slotGroup
}

// newGroupScheduler spreads workers over the sources: at most
// workers/sources (at least 1) groups of a source at once, so two workers
// take turns on a source (one MIGRATEs while the other sets slots) and
// the rest go to other sources.
func newGroupScheduler(groups []slotGroup, workers int) *groupScheduler {
	s := &groupScheduler{queues: map[*node][]slotGroup{}, running: map[*node]int{}}
	for _, g := range groups {
		if _, ok := s.queues[g.source]; !ok {
			s.order = append(s.order, g.source)
		}
		s.queues[g.source] = append(s.queues[g.source], g)
	}
	s.perSource = max(1, workers/max(1, len(s.order)))
	s.freed = sync.NewCond(&s.mu)
	return s
}

// next hands out a group, waiting while every source with groups left
// is at its limit; false when none are left.
func (s *groupScheduler) next() (slotGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if g, ok, wait := s.pick(); !wait {
			return g, ok
		}
		s.freed.Wait()
	}
}

func (s *groupScheduler) pick() (g slotGroup, ok, wait bool) {
	var best *node
	for _, src := range s.order {
		q := s.queues[src]
		if len(q) == 0 || s.running[src] >= s.perSource {
			continue
		}
		if best == nil || s.running[src] < s.running[best] ||
			s.running[src] == s.running[best] && len(q) > len(s.queues[best]) {
			best = src
		}
	}
	if best == nil {
		for _, q := range s.queues {
			if len(q) > 0 {
				return slotGroup{}, false, true
			}
		}
		return slotGroup{}, false, false
	}
	g = s.queues[best][0]
	s.queues[best] = s.queues[best][1:]
	s.running[best]++
	return g, true, false
}

// done ends a group; ok says its slots moved.
func (s *groupScheduler) done(g slotGroup, ok bool) {
	s.mu.Lock()
	s.running[g.source]--
	if ok {
		s.moved = append(s.moved, g)
	}
	s.freed.Broadcast()
	s.mu.Unlock()
}

func (s *groupScheduler) finished() []slotGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]slotGroup(nil), s.moved...)
}

// announceOwners sends SETSLOT <slot> NODE <target> for every moved slot
// to every master that is neither the slot's source nor the target, one
// pipeline per master, all masters at once (the last step of redis-cli's
// clusterManagerMoveSlot, done once for the whole move).
func (m *Manager) announceOwners(target *node, moved []slotGroup) string {
	errs := make(chan string, len(m.nodes))
	n := 0
	for _, other := range m.nodes {
		if other == target || other.isSlave() {
			continue
		}
		var slots []int
		for _, g := range moved {
			if g.source != other {
				slots = append(slots, g.slots...)
			}
		}
		if len(slots) == 0 {
			continue
		}
		n++
		go func() { errs <- pipelineOK(other, setSlotCmds(slots, "NODE", target.name), "") }()
	}
	first := ""
	for ; n > 0; n-- {
		if e := <-errs; e != "" && first == "" {
			first = e
		}
	}
	return first
}

// workerClone is a Manager with its own connection to every master (and
// the same view of the cluster) for one parallel worker.
func (m *Manager) workerClone(opts Options) (*Manager, error) {
	wm := &Manager{opts: opts, fixing: m.fixing, out: m.out}
	for _, n := range m.nodes {
		if n.isSlave() {
			continue
		}
		c := *n
		c.conn = nil
		c.friends = nil
		if !wm.connect(&c) {
			wm.closeAll()
			return nil, fmt.Errorf("cannot connect to %s:%s", n.ip, strconv.Itoa(n.port))
		}
		wm.nodes = append(wm.nodes, &c)
	}
	return wm, nil
}

func (m *Manager) byName(name string) *node {
	for _, n := range m.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (m *Manager) closeAll() {
	for _, n := range m.nodes {
		if n.conn != nil {
			n.conn.Close()
			n.conn = nil
		}
	}
}
