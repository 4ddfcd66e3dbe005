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
// migrating, MIGRATE batches, SETSLOT NODE on target, source and the other
// masters) with one pipeline per step and node. Output: redis-cli's
// "Moving slot" line per slot (reshard) or '#' per slot (rebalance), as
// groups finish; one progress line instead when opts.Progress is set.
func (m *Manager) moveParallel(table []reshardItem, target *node, rebalance bool) bool {
	groups := groupTable(table)
	workers := min(m.opts.Parallel, len(groups))
	opts := m.opts
	if !opts.PipelineSet {
		opts.Pipeline = parallelPipeline
	}
	sched := newGroupScheduler(groups)
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
				sched.done(g.source)
			}
		}()
	}
	wg.Wait()
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
	mu      sync.Mutex
	queues  map[*node][]slotGroup
	order   []*node // sources, first-seen order, for determinism
	running map[*node]int
}

func newGroupScheduler(groups []slotGroup) *groupScheduler {
	s := &groupScheduler{queues: map[*node][]slotGroup{}, running: map[*node]int{}}
	for _, g := range groups {
		if _, ok := s.queues[g.source]; !ok {
			s.order = append(s.order, g.source)
		}
		s.queues[g.source] = append(s.queues[g.source], g)
	}
	return s
}

func (s *groupScheduler) next() (slotGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *node
	for _, src := range s.order {
		q := s.queues[src]
		if len(q) == 0 {
			continue
		}
		if best == nil || s.running[src] < s.running[best] ||
			s.running[src] == s.running[best] && len(q) > len(s.queues[best]) {
			best = src
		}
	}
	if best == nil {
		return slotGroup{}, false
	}
	g := s.queues[best][0]
	s.queues[best] = s.queues[best][1:]
	s.running[best]++
	return g, true
}

func (s *groupScheduler) done(src *node) {
	s.mu.Lock()
	s.running[src]--
	s.mu.Unlock()
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
