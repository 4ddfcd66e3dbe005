package server

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
)

// Memory accounting and maxmemory (docs/memory.md).
//
// used_memory is the live heap the last collection marked (runtime/metrics
// /gc/heap/live:bytes: dataset, buffers and overhead alike) plus the values
// the keyspace stored since, less those it released since (deleted,
// overwritten, expired and evicted: Keyspace.NetBytes, size
// class estimates), plus the change since in the buffers held (client
// buffers and the write stream: heldBuffers). Garbage, which Go holds
// until it collects, is not counted, as Redis's zmalloc counter does not
// count freed memory; other growth (collections changed in place) shows
// from the next collection on, and the Go memory limit derived from
// maxmemory makes collections come sooner as the heap nears it.
//
// A command checks the limit as Redis's processCommand does: it compares
// the last measure with maxmemory (re-measuring every memRemeasure
// commands of a client, and at every server command (INFO, CONFIG …);
// performEvictions measures afresh), and when
// over, evicts under the policy until enough is freed, the time limit of
// maxmemory-eviction-tenacity passes (eviction then goes on in the
// background), or nothing is left to evict (the command is refused with
// OOM if it may grow memory).

// spanMetaShare: the keyspace's values cost the runtime a record per span
// they occupy (an mspan of ~150 bytes per 8 KB span of small objects), kept
// outside the heap and so outside the live figure: counted as 1/64 of the
// bytes the keyspace holds (measured: +1.08 MB of span records for 1M
// 16-byte keys with 12-byte values, whose values count 60.6 MB). Without
// it used_memory grew 0.89-0.90 of the RSS growth over that load, at the
// edge of issue #13's ±10 % (TestUsedMemoryFollowsRSS; Redis: 0.93);
// with it 0.91-0.92. Buffers are left out: their large spans carry one
// record per buffer, and unit/maxmemory's replica-buffer test evicts
// keys if their span records count.
const spanMetaShare = 64

// memRemeasure is how many commands of one client may pass on the last
// measure before it measures again (one measure costs ~300 ns).
const memRemeasure = 64

// memNearLimit is how close to maxmemory mm the last measure must be for
// every command to measure afresh: 1/16 of mm, at most 1 MB.
func memNearLimit(mm int64) int64 { return min(mm>>4, 1<<20) }

const (
	evictOK = iota
	evictRunning
	evictFail
)

type memState struct {
	used atomic.Int64 // the last measure, bytes
	// stepsSeen is Keyspace.BigSteps when a command's check last measured.
	stepsSeen atomic.Int64

	readMu   sync.Mutex
	samples  []rtmetrics.Sample // GC cycles, live heap; under readMu
	cycles   []rtmetrics.Sample // GC cycles alone (liveIsCycles); under readMu
	gcSeen   uint64             // GC cycle count at the last measure; under readMu
	heldLast int64              // heldBuffers at the last measure; under readMu
	// base is the untracked bytes (live heap less the keyspace's and the
	// buffers' counts) of the last collection, verifiedBase that of the
	// last collection verifyGC or checkedGC ran; under readMu.
	base         int64
	verifiedBase int64
	verifiedGone int64 // clientsGone as the last verified collection began
	// noteCycle and noteNet are the keyspace's count as collection
	// noteCycle ended (noteGC); under readMu.
	noteCycle uint64
	noteNet   int64
	noteHeld  int64 // heldBuffers as collection noteCycle's finalizer ran

	// bufs is the bytes of the clients' reply buffers (noteReplyBuf); the
	// transport counts their input buffers and output queues itself.
	bufs atomic.Int64

	evictMu sync.Mutex // one eviction at a time, as in single-threaded Redis
	// lastEmptyGC is when an eviction that found nothing left to evict
	// last collected to measure afresh (clock.Mono); under evictMu.
	lastEmptyGC int64
	// clientsGone counts closed clients; goneSeen is its value at the
	// last such collection: a client closed since then makes the next
	// one due at once (its buffers may be what keeps memory over).
	clientsGone atomic.Int64
	goneSeen    int64
	// nextCheckGC is when checkedGC may next collect (clock.Mono); under
	// checkMu. live is the live heap the last measure read.
	checkMu     sync.Mutex
	nextCheckGC int64
	live        atomic.Int64
	// verifyGC's state, under checkMu: when it may next collect
	// (clock.Mono), the cycle count its last collection left, and
	// clientsGone then.
	nextVerify int64
	verifiedGC uint64
	verifyGone int64
	ev         *keyspace.Evictor
	running    atomic.Bool // the background eviction (Redis's evictionTimeProc) is on

	limitSet   atomic.Int64 // the Go memory limit last derived from maxmemory
	lastPurge  time.Time
	purgedSeen int64 // Keyspace.BigFreed at the last give-back
	lazySeen   int64 // Stats.LazyFreed at the last give-back

	// Idle give-back (memoryCron): the command count when the quiet spell
	// began, when it began, and whether it gave memory back.
	idleCmds  int64
	idleSince time.Time
	idleDone  bool

	pacing loadPacing // paceAfterLoad
}

func (s *Server) initMemory() {
	m := &s.mem
	// The count first: see measureMemory.
	m.samples = []rtmetrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
	}
	m.cycles = []rtmetrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	m.ev = keyspace.NewEvictor(s.ks, rand.IntN)
	m.ev.OnEvict = s.onEvict
	s.noteGC()
	// The live figure exists once a collection has run: run one now,
	// while the heap is small (the startup's figure).
	runtime.GC()
	s.measureMemory()
}

// gcSentinel is garbage whose finalizer runs once a collection ends.
type gcSentinel struct{ s *Server }

// noteGC records the keyspace's count as each collection ends, until the
// server closes: a sentinel's finalizer runs right after the collection
// that found it unreachable, and arms the next. The live figure holds
// what was stored when the collection marked, so the count it is matched
// with is the one of that moment, not of the next measure (which could
// come thousands of writes later: the keys stored between were counted in
// neither, and used_memory fell short by them until the next collection).
func (s *Server) noteGC() {
	runtime.SetFinalizer(&gcSentinel{s}, func(g *gcSentinel) {
		m := &g.s.mem
		cycles := []rtmetrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
		m.readMu.Lock()
		rtmetrics.Read(cycles)
		m.noteCycle, m.noteNet, m.noteHeld = cycles[0].Value.Uint64(), g.s.ks.NetBytes(), g.s.heldBuffers()
		m.readMu.Unlock()
		select {
		case <-g.s.quit:
		default:
			g.s.noteGC()
		}
	})
}

// measureMemory measures used memory now: what the keyspace's values and
// the buffers hold (counted as they change), plus the rest of the live
// heap as the last collection found it (see the package comment above).
func (s *Server) measureMemory() int64 {
	m := &s.mem
	m.readMu.Lock()
	rtmetrics.Read(m.samples)
	gc, live := m.samples[0].Value.Uint64(), int64(m.samples[1].Value.Uint64())
	if gc != m.gcSeen && !m.liveIsCycles(gc) {
		gc = m.gcSeen // the figures disagree: this cycle's base next time
	}
	m.live.Store(live)
	net, held := s.ks.NetBytes(), s.heldBuffers()
	if gc != m.gcSeen {
		// A collection ran: its live figure holds the values stored and
		// the buffers held when it marked, at some time since the last
		// measure. Of the buffer figures then (the last measure's, and
		// its finalizer's, soon after the mark) and now, take the
		// largest, so that buffers freed meanwhile (evicted clients, a
		// pipeline's query buffer) are not counted twice; buffers grown
		// meanwhile are then missed until the next collection, which
		// errs toward keeping keys. (A pipeline's 1 MB query buffer,
		// held at the mark and dropped by the next INFO, was counted in
		// used_memory until the next collection.)
		atGC, heldGC := net, max(held, m.heldLast)
		if m.noteCycle == gc {
			atGC, heldGC = m.noteNet, max(heldGC, m.noteHeld)
		}
		m.gcSeen, m.base = gc, live-atGC-heldGC
	}
	m.heldLast = held
	used := max(m.base+net+held+max(net, 0)/spanMetaShare, 0)
	m.readMu.Unlock()
	m.used.Store(used)
	return used
}

// liveIsCycles reports whether the live figure of the Read that gave the
// cycle count gc belongs to cycle gc. runtime/metrics.Read takes its
// samples one after another, not at one instant: a collection that ended
// between the two made the live figure a cycle older than the count when
// the live figure came first (so the new base was the old live heap less
// the new keyspace count, ~24 MB short: TestEvictionPolicies' noeviction
// run stored 66k keys into 50mb, about one run in twenty on a loaded
// machine). With the count read first, the live figure is of cycle gc or
// later; read the count again, and take the pair only if it has not
// moved. Needs readMu.
func (m *memState) liveIsCycles(gc uint64) bool {
	rtmetrics.Read(m.cycles)
	return m.cycles[0].Value.Uint64() == gc
}

// heldBuffers is the bytes buffers hold now: the clients' reply buffers,
// the transport's input buffers and output queues, and the write stream's
// retained chunks (replicas' output, the backlog, the AOF's pending
// bytes). Counted apart from the heap's live figure so that a buffer shows
// in used memory as it grows and leaves it as it is freed (a closed
// client's buffers, garbage until the next collection, would otherwise be
// counted until then), as Redis counts its buffers at every malloc and
// free; and so that what notCountedForEvict leaves out is exactly what
// used memory counts for it.
func (s *Server) heldBuffers() int64 { return s.clientBuffers() + s.stream.Held() }

// clientBuffers is the clients' part of heldBuffers.
func (s *Server) clientBuffers() int64 {
	n := s.mem.bufs.Load()
	if s.loops != nil {
		n += s.loops.Held()
	}
	return n
}

// usedMemory is used_memory, measured now.
func (s *Server) usedMemory() uint64 { return uint64(s.measureMemory()) }

// notCountedForEvict is memory Redis leaves out of the eviction decision
// (freeMemoryGetNotCountedMemory): the AOF buffer and what the replicas'
// shared output buffer holds beyond the backlog's size. Here: the write
// stream's retained chunks (which serve the AOF, the replicas and the
// backlog alike), less the backlog's size while there is one; and the
// buffers of clients client eviction closed that their loops have not
// let go of yet (Redis has freed those already, clientevict.go).
func (s *Server) notCountedForEvict() int64 {
	closing := max(s.cev.closing.Load(), 0)
	n := s.stream.Held()
	if n == 0 {
		return closing
	}
	s.repl.mu.Lock()
	backlog := s.repl.backlog
	s.repl.mu.Unlock()
	if backlog {
		n -= s.backlogSize()
	}
	return max(n, 0) + closing
}

// memoryCheck is processCommand's maxmemory step for a command about to
// run with maxmemory mm > 0: it evicts if over the limit and reports
// whether the command may run (false: reply OOM).
func (c *client) memoryCheck(spec *command.Spec, mm int64) bool {
	s := c.srv
	used := s.mem.used.Load()
	// A server command (neither a read nor a write of keys, nor fast:
	// INFO, CONFIG, DBSIZE …) measures afresh: its own cost dwarfs a
	// measure, and INFO then reports what the check saw. So does every
	// command while the last measure is near the limit, where one write
	// can cross it (Redis evicts before the next command).
	// And so does every command after a write that grew the keyspace by a
	// big step (a SETBIT far out, a large APPEND), which could cross the
	// limit from outside that band.
	steps := s.ks.BigSteps()
	if c.memTick++; c.memTick >= memRemeasure || used > mm-memNearLimit(mm) || steps != s.mem.stepsSeen.Load() ||
		!spec.Has(command.FlagFast|command.FlagWrite|command.FlagReadonly) {
		c.memTick = 0
		if steps != s.mem.stepsSeen.Load() {
			s.mem.stepsSeen.Store(steps)
		}
		used = s.measureMemory()
	}
	if used <= mm {
		return true
	}
	if lim := s.conf().clientMemLimit; lim > 0 {
		// Redis's processCommand evicts clients before keys: take every
		// client's figure again (replies queued since its last one) and
		// evict over maxmemory-clients first. The evicted clients' buffers
		// leave as their loops close them; keys wait for that.
		before := s.cev.evicted.Load()
		s.clientsEvictCron()
		if s.cev.evicted.Load() != before {
			return !c.closed.Load()
		}
	}
	out := s.performEvictions(false) == evictFail
	if s.track.clients.Load() > 0 {
		// Invalidations of evicted keys go before the reply; Redis's
		// current_client is c (a NOLOOP c is not told).
		s.track.flush(c, nil, nil)
	}
	if !out {
		return true
	}
	deny := spec.Has(command.FlagDenyOOM)
	if spec.Name == "exec" {
		for _, q := range c.queued {
			deny = deny || q.spec.Has(command.FlagDenyOOM)
		}
	}
	if c.inMulti {
		switch spec.Name {
		case "exec", "discard", "quit", "reset":
		default:
			deny = true
		}
	}
	return !deny
}

// performEvictions frees memory under the policy until used memory is
// within maxmemory (Redis's performEvictions). background is set when the
// background eviction calls it.
func (s *Server) performEvictions(background bool) int {
	if s.loadingNow() {
		return evictOK
	}
	conf := s.conf()
	mm := conf.cmd.Maxmemory
	if mm <= 0 || (conf.replicaIgnoreMM && s.ks.ReplicaMode.Load()) {
		return evictOK
	}
	m := &s.mem
	m.evictMu.Lock()
	defer m.evictMu.Unlock()
	used := s.evictionMeasure()
	if used <= mm {
		return evictOK
	}
	// Keys are not evicted, nor a command refused, for garbage: a figure
	// an automatic collection measured is checked with a collection of
	// our own first.
	if s.verifyGC(mm) {
		if used = s.evictionMeasure(); used <= mm {
			return evictOK
		}
	}
	if conf.evictPolicy == keyspace.NoEviction {
		return evictFail
	}
	// The heap figure moves by whole spans (a P caches a span per size
	// class), so eviction aims a little under the limit, and a measure
	// taken a moment later (INFO) still finds used_memory within it.
	mm -= min(mm/256, 256<<10)
	limit := evictionTimeLimit(conf.evictTenacity)
	start := clock.Mono()
	// The latency monitor's eviction-cycle (this run) and eviction-del
	// (one key, timed only while the monitor is on).
	defer func() { s.latencySample("eviction-cycle", clock.Mono()-start) }()
	monitor := conf.latNs != math.MaxInt64
	for n := 1; ; {
		// Free what the measure says is over; the bytes a key frees are
		// estimates, so stop only on a measure within the limit.
		for freed, tofree := int64(0), used-mm; freed < tofree; n++ {
			var t0 int64
			if monitor {
				t0 = clock.Mono()
			}
			f, ok := m.ev.EvictOne(conf.evictPolicy, conf.evictSamples)
			if !ok {
				// Nothing left to evict. The measure holds the live heap
				// of the last collection, which may have caught buffers
				// that are garbage by now: collect (at most once a
				// second, unless a client closed since) and measure
				// again before refusing the command.
				if now, gone := clock.Mono(), m.clientsGone.Load(); now-m.lastEmptyGC >= int64(time.Second) || gone != m.goneSeen {
					m.lastEmptyGC, m.goneSeen = now, gone
					runtime.GC()
					if s.evictionMeasure() <= mm {
						return evictOK
					}
				}
				return evictFail
			}
			if monitor {
				s.latencySample("eviction-del", clock.Mono()-t0)
			}
			freed += f
			if n%16 == 0 {
				if conf.cmd.LazyfreeLazyEviction && s.evictionMeasure() <= mm {
					return evictOK
				}
				if clock.Mono()-start > limit {
					if !background {
						s.startBackgroundEviction()
					}
					return evictRunning
				}
			}
		}
		if used = s.evictionMeasure(); used <= mm {
			return evictOK
		}
	}
}

// checkedGC collects, when that costs little, before keys are evicted and
// before INFO memory or MEMORY STATS report, and reports whether it did.
// The live heap the last collection marked counts as live everything
// allocated while it was marking: after a burst of short-lived buffers
// (large replies, a client's growing query buffer, a pipeline of writes)
// that figure can stand megabytes above what is in use, and keys would be
// evicted, and used_memory shown, for garbage. A collection is cheap on a
// small heap and dear on a large one (the caller waits for it), so one is
// run only while the live heap is under checkGCMaxLive, at most every
// checkGCEvery and at most 1% of the time (after one that took d, not
// again for 100·d).
func (s *Server) checkedGC() bool {
	m := &s.mem
	if m.live.Load() >= checkGCMaxLive || !m.checkMu.TryLock() {
		return false
	}
	defer m.checkMu.Unlock()
	now := clock.Mono()
	if now < m.nextCheckGC {
		return false
	}
	gone := m.clientsGone.Load()
	runtime.GC()
	done := clock.Mono()
	m.nextCheckGC = done + max(int64(checkGCEvery), 100*(done-now))
	s.verified(gone)
	return true
}

// verified measures after a collection run on the caller's goroutine and
// marks its figure as checked (verifyGC); gone is clientsGone before the
// collection began. Needs checkMu.
func (s *Server) verified(gone int64) {
	m := &s.mem
	s.measureMemory()
	m.readMu.Lock()
	m.verifiedGC, m.verifiedBase, m.verifiedGone = m.gcSeen, m.base, gone
	m.readMu.Unlock()
}

// unverifiedGrowthLocked is how far the untracked heap (base) an
// automatic collection measured stands above the last verified
// collection's. A concurrent collection counts as live what it allocates
// while it marks: under a burst of large replies (unit/maxmemory's MGET
// clients, 100 KB each) that stood megabytes high, and keys went for it
// when verifyGC's time budget had no room for a check. Needs readMu.
func (m *memState) unverifiedGrowthLocked() int64 {
	if m.verifiedGC == 0 || m.gcSeen == m.verifiedGC {
		return 0
	}
	return max(m.base-m.verifiedBase, 0)
}

// evictionMeasure is used memory as key eviction counts it: measured now,
// less what Redis does not count (notCountedForEvict).
func (s *Server) evictionMeasure() int64 {
	return s.measureMemory() - s.notCountedForEvict()
}

// verifyGC collects before keys are evicted (or a command is refused
// OOM) on a figure whose live heap an automatic collection measured, and
// reports whether it did. A concurrent collection counts as live all it
// allocates while it marks, and what was reachable when it began: under
// a burst of large replies, values overwritten by copy or buffers dropped
// meanwhile, its figure stood megabytes above what was in use, and keys
// went for garbage (unit/maxmemory's client-eviction tests evicted keys
// before any client; a replica's tests, 32 KB over the limit, evicted).
// Collecting here, on the evicting goroutine, leaves only what other
// goroutines allocate meanwhile. It runs once per automatic collection
// (a collection checkedGC ran counts as checked), while the live heap is
// under checkGCMaxLive, and at most 10% of the time (after one that
// took d, not again for 10·d) unless a client closed since its last one
// (a collection that marked while the closed clients' buffers were still
// reachable counts them, when they no longer count as held: the MGET
// test's clients, closed, made the next test evict keys for 5 MB of
// them) or the untracked heap grew by memNearLimit(mm) since the last
// verified figure (the MGET test's replies made the figure 2.7 MB high
// within the budget's wait, and 7 keys went); checkedGC's rarer
// collections serve the reports.
func (s *Server) verifyGC(mm int64) bool {
	m := &s.mem
	if m.live.Load() >= checkGCMaxLive {
		return false
	}
	// One collecting (INFO's checkedGC, another eviction) is waited for:
	// its figure may be the fresh one wanted.
	m.checkMu.Lock()
	defer m.checkMu.Unlock()
	m.readMu.Lock()
	seen, verifiedGone, growth := m.gcSeen, m.verifiedGone, m.unverifiedGrowthLocked()
	m.readMu.Unlock()
	now, gone := clock.Mono(), m.clientsGone.Load()
	if seen == m.verifiedGC && gone == verifiedGone {
		// Measure again: the figure is a checked one, and no client
		// closed since that collection began (one that closed while it
		// marked was counted live, though no longer held: a FLUSHDB's
		// collection, as the MGET test's 20 clients closed, counted
		// 6.8 MB of their reply buffers, and the next test's keys went).
		return true
	}
	if now < m.nextVerify && gone == m.verifyGone && growth < memNearLimit(mm) {
		return false
	}
	runtime.GC()
	done := clock.Mono()
	m.nextVerify, m.verifyGone = done+10*(done-now), gone
	s.verified(gone)
	return true
}

// collectFlushed collects after a synchronous flush emptied a database,
// while the heap is small, as Redis frees a flushed dataset before it
// replies: a collection that began marking before the flush counts the
// dropped keys as live, and used_memory stood up to the whole flushed
// dataset high until the next one (a FLUSHALL, INFO and a pipeline of
// SETs measured 0.13 of what was stored, against Redis's 0.25).
func (s *Server) collectFlushed() {
	m := &s.mem
	if m.live.Load() >= checkGCMaxLive {
		return
	}
	m.checkMu.Lock()
	defer m.checkMu.Unlock()
	gone := m.clientsGone.Load()
	runtime.GC()
	s.verified(gone)
}

// checkGCMaxLive is the largest live heap checkedGC collects: the caller
// (an event loop) waits for the whole cycle, some ms for a heap this size
// on two cores, and longer as the heap grows.
const checkGCMaxLive = 64 << 20

// checkGCEvery is the least time between two collections checkedGC runs.
const checkGCEvery = 100 * time.Millisecond

// evictionTimeLimit is how long one eviction run may take, in ns, for
// maxmemory-eviction-tenacity t (Redis's evictionTimeLimitUs).
func evictionTimeLimit(t int) int64 {
	switch {
	case t <= 10:
		return int64(50*t) * 1000
	case t < 100:
		return int64(500*math.Pow(1.15, float64(t-10))) * 1000
	}
	return math.MaxInt64
}

// startBackgroundEviction goes on evicting until memory is within the
// limit or nothing is evictable (Redis's evictionTimeProc), yielding
// between runs so commands are served meanwhile.
func (s *Server) startBackgroundEviction() {
	if !s.mem.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.mem.running.Store(false)
		for i := 0; i < 1<<20; i++ {
			select {
			case <-s.quit:
				return
			default:
			}
			if s.performEvictions(true) != evictRunning {
				return
			}
			runtime.Gosched()
		}
	}()
}

// onEvict is the evictor's hook, called under the key's stripe lock: the
// eviction reaches the write stream as DEL, or UNLINK with
// lazyfree-lazy-eviction (Redis's propagateDeletion), as an expiry does.
func (s *Server) onEvict(db int, key string) {
	if s.ks.Tracking.Load() != 0 {
		s.track.expiringKey(key) // its invalidation is no client's (tracking.go)
	}
	if s.stream.Active() {
		s.appendDeletion(db, key, s.conf().cmd.LazyfreeLazyEviction)
	}
	s.notifyHook(command.NotifyEvicted, "evicted", db, key)
}

// applyMemorySettings carries a new maxmemory and policy into the
// keyspace's access clocks and the Go memory limit, and evicts at once if
// the new limit is already passed (CONFIG SET maxmemory does in Redis).
func (s *Server) applyMemorySettings(n *settings) {
	s.ks.SetAccessPolicy(n.evictPolicy.LFU(), n.lfuLogFactor, n.lfuDecayTime)
	s.applyGoMemoryLimit(n.cmd.Maxmemory)
}

// applyGoMemoryLimit sets the Go memory limit for maxmemory mm: the
// collector works harder as the heap nears maxmemory, so that garbage does
// not hold RSS far above the limit. The room above it, and the buffers the
// limit does not cover (the write stream kept for the AOF and replicas,
// notCountedForEvict, in whole MB), keep it from collecting without end: a
// collection that runs all the time also counts as live what is allocated
// while it marks, and used_memory would stand above what is in use.
func (s *Server) applyGoMemoryLimit(mm int64) {
	m := &s.mem
	limit := int64(math.MaxInt64)
	if mm > 0 {
		limit = mm + mm/4 + 16<<20 + s.notCountedForEvict()&^(1<<20-1)
	}
	if m.limitSet.Swap(limit) != limit {
		debug.SetMemoryLimit(limit)
	}
}

// memoryCron runs at hz: it refreshes the access clocks' time, and gives
// memory back to the OS after large values were freed (the Go runtime
// otherwise keeps it until a later collection and scavenge).
func (s *Server) memoryCron(now time.Time) {
	s.ks.SetClockNow(now.UnixMilli())
	m := &s.mem
	if mm := s.conf().cmd.Maxmemory; mm > 0 {
		s.applyGoMemoryLimit(mm) // the write stream's share changes
	}
	if big := s.ks.BigFreed(); big-m.purgedSeen >= bigFreeThreshold && now.Sub(m.lastPurge) >= time.Second {
		m.purgedSeen, m.lastPurge = big, now
		go debug.FreeOSMemory()
	}
	// A value Redis would free in its background thread (UNLINK, an
	// ASYNC flush) was dropped: collect, so used_memory falls as Redis's
	// does once that thread is done, whatever the value's estimated size.
	if lf := s.ks.Stats.LazyFreed.Load(); lf != m.lazySeen && now.Sub(m.lastPurge) >= time.Second {
		m.lazySeen, m.lastPurge = lf, now
		go debug.FreeOSMemory()
	}
	// Idle for a second with RSS well above used memory (garbage the
	// collector has not reached, freed pages it has not returned yet):
	// collect and give the pages back once, as Redis's RSS follows its
	// frees. Under load the collector's own pacing is left alone.
	// Quiet: at most quietCommands commands since the spell began (a
	// monitoring client polling INFO does not keep memory held).
	if cmds := s.stats.commands.Load(); cmds-m.idleCmds > quietCommands {
		m.idleCmds, m.idleSince, m.idleDone = cmds, now, false
	} else if !m.idleDone && now.Sub(m.idleSince) >= time.Second {
		m.idleDone = true
		used, rss := s.measureMemory(), int64(rssBytes())
		if rss-used > max(8<<20, used/8) && now.Sub(m.lastPurge) >= time.Second {
			m.lastPurge = now
			go debug.FreeOSMemory()
		}
	}
	if c := s.conf(); c.cmd.Maxmemory > 0 && c.evictPolicy != keyspace.NoEviction && !m.running.Load() && s.measureMemory() > c.cmd.Maxmemory {
		s.startBackgroundEviction()
	}
}

// snapshotEncoded runs on a snapshot's goroutine once its encoding is
// over (a full sync, BGSAVE, SAVE). Its encoders put their LZF tables
// (256 KB each, one per encoding goroutine) back in a sync.Pool, which
// keeps them through one collection as its victim cache: used_memory
// stood ~0.7 MB high until the second collection after the snapshot, so
// a replica's link came up with the master's figure inflated (unit/maxmemory's
// replica tests measured from there). Redis compresses in its fork child,
// never in used_memory. Two collections drop them, but only on a live
// heap under snapshotGCMaxLive, where the tables are over 4 % of it;
// above, they are noise and are left to the collector. (At 64 MB, a 1M-key
// dataset of 51 MB paid two forced collections, ~70 ms of CPU, per BGSAVE:
// under back-to-back BGSAVEs GET's p99 was 1.10-1.24x Redis's.)
//
// The collections run on a goroutine of their own, waited for: the
// snapshot's goroutine may hold a thread at the lowest priority
// (snapshot.Background), and runtime.GC stops the world from the calling
// thread. Called there, a stop waited for that thread to get a core while
// every event loop stood stopped: under back-to-back BGSAVEs of DEBUG
// POPULATE's 1M keys (a 1 MB heap) and GET at -c 50, the longest first
// stop-the-world phase in gctrace was 16-29 ms, and 3.9-4.0 ms after.
func (s *Server) snapshotEncoded() {
	if s.mem.live.Load() < snapshotGCMaxLive {
		done := make(chan struct{})
		go func() {
			runtime.GC()
			runtime.GC()
			close(done)
		}()
		<-done
	}
}

// snapshotGCMaxLive bounds the live heap on which snapshotEncoded
// collects (unit/maxmemory's replica tests hold ~10 MB).
const snapshotGCMaxLive = 16 << 20

// quietCommands is how many commands a second may run while the node
// still counts as idle for giving memory back.
const quietCommands = 100

// bigFreeThreshold is how many bytes of large values must have been freed
// before the cron gives memory back to the OS.
const bigFreeThreshold = 16 << 20

// clientsMemory is what normal clients hold: each client's state, and
// the buffers (heldBuffers: query and reply buffers, output queues), as
// Redis's mem_clients_normal counts the client structs and their buffers.
func (s *Server) clientsMemory() uint64 {
	s.clientsMu.Lock()
	n := len(s.clients)
	s.clientsMu.Unlock()
	return uint64(n)*uint64(unsafe.Sizeof(client{})) + uint64(max(s.clientBuffers(), 0))
}

// loadPacing is paceAfterLoad's state.
type loadPacing struct {
	mu sync.Mutex
	// base is the GC percent to restore once the postponed collection
	// ends; set while one is pending.
	base    int
	pending bool
}

// paceAfterLoad sets the next collection's goal after a bulk load (an RDB
// at startup, DEBUG RELOAD, a replica's full sync) to what a collection
// run at the load's end would have set: the data now held times
// (1 + GOGC/100). The collector paced its cycles during the load on a
// heap that kept doubling, so the goal the load's last cycle left is
// twice a part of the dataset, and the first cycle after it, marking all
// of it, came just as the replica began applying its master's stream (a
// 0.2-0.8 s mark with its workers on the applying thread's P: the largest
// lag of bench-repl.sh's runs). A collection at the end of the load would
// cost the same mark then, with the stream waiting. The heap's ceiling is
// what GOGC gives after any collection: twice the live data (the Go
// memory limit derived from maxmemory still applies). The percent goes
// back once that next collection ends (a sentinel's finalizer).
func (s *Server) paceAfterLoad() {
	pct := []rtmetrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(pct)
	p := &s.mem.pacing
	p.mu.Lock()
	defer p.mu.Unlock()
	base := int(pct[0].Value.Uint64())
	if p.pending {
		base = p.base
	}
	live := int64(pct[1].Value.Uint64())
	used := s.measureMemory()
	if base <= 0 || live <= 0 || used <= live {
		return // GOGC=off, no collection yet, or the load added nothing
	}
	want := used + used*int64(base)/100 // the goal a collection now would set
	np := int((want - live) * 100 / live)
	if np <= base {
		return
	}
	debug.SetGCPercent(np)
	if p.pending {
		return // the pending sentinel restores base
	}
	p.base, p.pending = base, true
	runtime.SetFinalizer(&gcSentinel{s}, func(g *gcSentinel) {
		p := &g.s.mem.pacing
		p.mu.Lock()
		debug.SetGCPercent(p.base)
		p.pending = false
		p.mu.Unlock()
	})
}
