// Package sim runs many cluster cores in one process on a fake clock and a
// seeded, lossy, partitionable in-memory network (STYLE habit 2), and checks
// invariants after every step. The same seed gives the same run: every
// random choice — message delays and drops, tick phases, the cores' own node
// IDs and gossip picks — is drawn from generators seeded from Config.Seed.
//
// The network models what the runner does with a core's Ready: Connect dials
// another node's bus address (the target core Accepts), messages to a link
// still connecting are queued until it connects, Disconnect closes both ends
// (the peer hears LinkClosed after a delay), and a killed node's connections
// are reset. A partition is a black hole: messages across it are lost and
// dials across it hang until the core gives up on them.
package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/cluster"
)

// T0 is the simulation's start time (ms since the epoch).
const T0 = int64(1_700_000_000_000)

// Config describes a simulation.
type Config struct {
	Nodes int
	Seed  uint64
	// NodeTimeout is cluster-node-timeout (ms) of every node; 0 means 5000.
	NodeTimeout int64
	// MinDelay and MaxDelay bound a message's transit time (ms); 0,0 means
	// 1..20.
	MinDelay, MaxDelay int64
	// Drop is the probability that a message is lost. A TCP connection
	// never loses one message and delivers the next, so a drop also resets
	// the connection: both ends hear LinkClosed, and what was in flight on
	// it is lost too.
	Drop float64
	// Reorder lets messages on one connection overtake each other, which a
	// TCP connection never does; messages on different connections overtake
	// each other in any case (random delays).
	Reorder bool
	// Trace keeps the last Trace lines of events and core logs, printed
	// with a failure; 0 means 300.
	Trace int
}

// Node is one simulated node.
type Node struct {
	Index int
	Core  *cluster.Core
	IP    string
	Port  int
	CPort int
	Alive bool
	// Saves counts nodes.conf writes; Delivered collects PUBLISH deliveries.
	Saves     int
	Delivered []cluster.Delivery
	// Offset is the node's replication offset, which the test sets and
	// the simulation feeds to the core before every tick (a replica's
	// processed offset; a master's offset).
	Offset int64
	// Paused says a manual failover asked the node to pause writes (until
	// this time, ms); 0 when not paused.
	Paused int64

	saved  *cluster.Persisted // the last nodes.conf written, for Restart
	config cluster.Config
	// epochs seen last, to check that they never go backwards.
	seenCurrent uint64

	ends map[cluster.LinkID]*end
	// persisted epochs, to check that Ready saves before it sends.
	savedCurrent, savedConfig uint64
	// last claim checked by the invariant (config epoch and slots).
	claimEpoch uint64
	claimSlots [256]uint64
	claimSet   bool
}

// end is one node's end of a connection.
type end struct {
	node    *Node
	link    cluster.LinkID
	peer    *end
	up      bool
	closed  bool
	broken  bool // reset: nothing gets through any more
	pending []*cluster.Msg
	last    int64  // delivery time of the last message sent, for FIFO
	addr    string // dialled address (outbound ends)
}

// Sim is a running simulation. Not safe for concurrent use.
type Sim struct {
	Cfg   Config
	Now   int64
	Nodes []*Node
	// Sent counts delivered-to-network messages by type.
	Sent [cluster.MsgTypeCount]int

	rng    *rand.Rand
	events events
	seq    uint64
	group  []int // partition group of each node
	cut    map[[2]int]bool
	byAddr map[string]*Node
	trace  []string
	tpos   int
	err    error
}

// New builds a simulation of cfg.Nodes fresh nodes, each knowing only itself.
func New(cfg Config) (*Sim, error) {
	if cfg.NodeTimeout == 0 {
		cfg.NodeTimeout = 5000
	}
	if cfg.MinDelay == 0 && cfg.MaxDelay == 0 {
		cfg.MinDelay, cfg.MaxDelay = 1, 20
	}
	if cfg.Trace == 0 {
		cfg.Trace = 300
	}
	s := &Sim{Cfg: cfg, Now: T0, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), byAddr: map[string]*Node{},
		group: make([]int, cfg.Nodes)}
	for i := 0; i < cfg.Nodes; i++ {
		n := &Node{Index: i, IP: "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1), Port: 6379, CPort: 16379,
			Alive: true, ends: map[cluster.LinkID]*end{}}
		cc := cluster.DefaultConfig()
		cc.Port, cc.BusPort, cc.NodeTimeout, cc.Bus = n.Port, n.CPort, cfg.NodeTimeout, true
		cc.Rand = rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
		c, err := cluster.New(cc, s.Now)
		if err != nil {
			return nil, err
		}
		n.Core, n.config = c, cc
		s.Nodes = append(s.Nodes, n)
		s.byAddr[n.IP+":"+strconv.Itoa(n.CPort)] = n
		s.flush(n)
		s.schedule(s.Now+int64(s.rng.IntN(100)), &event{kind: evTick, node: n})
	}
	return s, s.err
}

// Err is the first invariant violation seen, or nil.
func (s *Sim) Err() error { return s.err }

type evKind uint8

const (
	evTick evKind = iota
	evDeliver
	evConnect
	evClosed
)

type event struct {
	at   int64
	seq  uint64
	kind evKind
	node *Node
	end  *end
	msg  *cluster.Msg
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *events) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (s *Sim) schedule(at int64, e *event) {
	s.seq++
	e.at, e.seq = at, s.seq
	heap.Push(&s.events, e)
}

func (s *Sim) delay() int64 {
	return s.Cfg.MinDelay + s.rng.Int64N(s.Cfg.MaxDelay-s.Cfg.MinDelay+1)
}

// Partition splits the nodes into groups (node indexes); nodes in no group
// form one more group. Messages between groups are lost.
func (s *Sim) Partition(groups ...[]int) {
	for i := range s.group {
		s.group[i] = len(groups)
	}
	for g, members := range groups {
		for _, i := range members {
			s.group[i] = g
		}
	}
	s.tracef("partition %v", groups)
}

// Cut loses every message between nodes a and b (both ways).
func (s *Sim) Cut(a, b int) {
	if s.cut == nil {
		s.cut = map[[2]int]bool{}
	}
	s.cut[[2]int{min(a, b), max(a, b)}] = true
	s.tracef("cut %d-%d", a, b)
}

// Heal removes every partition and cut.
func (s *Sim) Heal() {
	clear(s.group)
	clear(s.cut)
	s.tracef("heal")
}

func (s *Sim) reachable(a, b *Node) bool {
	i, j := a.Index, b.Index
	return a.Alive && b.Alive && s.group[i] == s.group[j] && !s.cut[[2]int{min(i, j), max(i, j)}]
}

// Kill crashes node i: it stops ticking and its connections are reset, so
// peers see their links close and new dials refused.
func (s *Sim) Kill(i int) {
	n := s.Nodes[i]
	n.Alive = false
	s.tracef("kill %d", i)
	// In link order: closeEnd draws delays from the seeded generator, and
	// map order would make the run differ from one replay to the next.
	ids := make([]cluster.LinkID, 0, len(n.ends))
	for id := range n.ends {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.closeEnd(n.ends[id])
	}
}

// Restart brings killed node i back from the nodes.conf it last wrote, as
// a process restart does.
func (s *Sim) Restart(i int) error {
	n := s.Nodes[i]
	if n.Alive {
		return errors.New("sim: restart of a live node")
	}
	c, err := cluster.Load(n.config, n.saved, s.Now)
	if err != nil {
		return err
	}
	n.Core, n.Alive, n.ends, n.Paused = c, true, map[cluster.LinkID]*end{}, 0
	n.claimSet = false
	s.tracef("restart %d", i)
	s.flush(n)
	s.schedule(s.Now+int64(s.rng.IntN(100)), &event{kind: evTick, node: n})
	return nil
}

// Do runs an admin operation on node i at the current time and carries out
// its Ready.
func (s *Sim) Do(i int, fn func(c *cluster.Core) error) error {
	n := s.Nodes[i]
	n.Core.Tick(s.Now)
	err := fn(n.Core)
	s.flush(n)
	return err
}

// Meet makes node i MEET node j (CLUSTER MEET).
func (s *Sim) Meet(i, j int) error {
	m := s.Nodes[j]
	return s.Do(i, func(c *cluster.Core) error { return c.Meet(m.IP, int64(m.Port), int64(m.CPort)) })
}

// Step processes the next event; it reports false when there is none.
func (s *Sim) Step() bool {
	if len(s.events) == 0 {
		return false
	}
	e := heap.Pop(&s.events).(*event)
	if e.at > s.Now {
		s.Now = e.at
	}
	switch e.kind {
	case evTick:
		n := e.node
		if !n.Alive {
			return true
		}
		n.Core.SetReplOffset(n.Offset)
		n.Core.Tick(s.Now)
		s.flush(n)
		s.schedule(s.Now+100, e)
	case evDeliver:
		s.deliver(e.end, e.msg)
	case evConnect:
		s.connected(e.end)
	case evClosed:
		if e.end.node.Alive && !e.end.closed {
			e.end.closed = true
			delete(e.end.node.ends, e.end.link)
			e.end.node.Core.LinkClosed(e.end.link, s.Now)
			s.flush(e.end.node)
		}
	}
	return true
}

// RunFor runs until ms of simulated time passed or an invariant failed.
func (s *Sim) RunFor(ms int64) error {
	until := s.Now + ms
	for s.err == nil && len(s.events) > 0 && s.events[0].at <= until {
		s.Step()
	}
	if s.Now < until {
		s.Now = until
	}
	return s.err
}

// RunUntil runs until cond holds (checked every 100 ms of simulated time),
// limit ms passed, or an invariant failed; it returns the time taken.
func (s *Sim) RunUntil(limit int64, cond func() bool) (int64, error) {
	start := s.Now
	for s.Now-start < limit {
		if err := s.RunFor(100); err != nil {
			return s.Now - start, err
		}
		if cond() {
			return s.Now - start, nil
		}
	}
	return s.Now - start, fmt.Errorf("condition not reached within %d ms", limit)
}

// flush carries out n's Ready as a runner must: save, then the rest.
func (s *Sim) flush(n *Node) {
	c := n.Core
	if !c.HasReady() {
		return
	}
	rd := c.Ready()
	for _, l := range rd.Logs {
		s.tracef("node %d %c %s", n.Index, l.Level, l.Msg)
	}
	if rd.SaveConfig {
		n.Saves++
		n.savedCurrent = c.CurrentEpoch()
		n.savedConfig = c.Myself().ConfigEpoch
		n.saved = c.Export()
	}
	for _, l := range rd.Disconnect {
		if e := n.ends[l]; e != nil {
			s.closeEnd(e)
		}
	}
	for _, d := range rd.Connect {
		e := &end{node: n, link: d.Link, addr: d.IP + ":" + strconv.Itoa(d.CPort)}
		n.ends[d.Link] = e
		s.schedule(s.Now+s.delay(), &event{kind: evConnect, end: e})
	}
	for _, o := range rd.Messages {
		s.checkSend(n, o.Msg)
		e := n.ends[o.Link]
		switch {
		case e == nil:
		case !e.up:
			e.pending = append(e.pending, o.Msg)
		default:
			s.transmit(e, o.Msg)
		}
	}
	n.Delivered = append(n.Delivered, rd.Deliver...)
	c.Advance()
	s.check(n)
	if p := rd.Pause; p != nil {
		// The runner pauses writes, then reports where they stopped.
		n.Paused = p.Until
		s.tracef("node %d pause until %d", n.Index, p.Until)
		if p.Until > 0 {
			c.ManualFailoverPaused(n.Offset)
			s.flush(n)
		}
	}
}

// connected completes (or refuses, or leaves hanging) a dial.
func (s *Sim) connected(e *end) {
	n := e.node
	if e.closed || !n.Alive {
		return
	}
	target := s.byAddr[e.addr]
	if target == nil || !target.Alive {
		// Refused: nobody listens there.
		e.closed = true
		delete(n.ends, e.link)
		n.Core.LinkClosed(e.link, s.Now)
		s.flush(n)
		return
	}
	if !s.reachable(n, target) {
		return // SYNs lost in the partition: the dial hangs
	}
	id := target.Core.Accept(target.IP, n.IP)
	te := &end{node: target, link: id, peer: e, up: true}
	target.ends[id] = te
	e.peer, e.up = te, true
	pending := e.pending
	e.pending = nil
	for _, m := range pending {
		s.transmit(e, m)
	}
	n.Core.LinkConnected(e.link, n.IP, s.Now)
	s.flush(n)
	s.flush(target)
}

func (s *Sim) transmit(e *end, m *cluster.Msg) {
	s.Sent[m.Type]++
	if s.Cfg.Drop > 0 && s.rng.Float64() < s.Cfg.Drop {
		s.tracef("reset %d link %d (%v lost)", e.node.Index, e.link, m.Type)
		s.reset(e)
		return
	}
	if e.peer == nil || e.broken || !s.reachable(e.node, e.peer.node) {
		return
	}
	at := s.Now + s.delay()
	if !s.Cfg.Reorder {
		at = max(at, e.last)
		e.last = at
	}
	s.schedule(at, &event{kind: evDeliver, end: e.peer, msg: m})
}

func (s *Sim) deliver(e *end, m *cluster.Msg) {
	n := e.node
	if e.closed || e.broken || !n.Alive || e.peer == nil || !s.reachable(n, e.peer.node) {
		return
	}
	n.Core.Step(e.link, m, s.Now)
	s.flush(n)
}

// reset breaks the connection of e: both ends hear LinkClosed after a delay.
func (s *Sim) reset(e *end) {
	if e.closed {
		return
	}
	e.broken = true
	s.schedule(s.Now+s.delay(), &event{kind: evClosed, end: e})
	if p := e.peer; p != nil && !p.closed {
		p.broken = true
		s.schedule(s.Now+s.delay(), &event{kind: evClosed, end: p})
	}
}

// closeEnd closes e; its peer hears of it after a delay.
func (s *Sim) closeEnd(e *end) {
	if e.closed {
		return
	}
	e.closed = true
	delete(e.node.ends, e.link)
	if p := e.peer; p != nil && !p.closed {
		s.schedule(s.Now+s.delay(), &event{kind: evClosed, end: p})
	}
}

func (s *Sim) tracef(format string, args ...any) {
	line := fmt.Sprintf("%6d.%03d ", (s.Now-T0)/1000, (s.Now-T0)%1000) + fmt.Sprintf(format, args...)
	if len(s.trace) < s.Cfg.Trace {
		s.trace = append(s.trace, line)
		return
	}
	s.trace[s.tpos] = line
	s.tpos = (s.tpos + 1) % len(s.trace)
}

// Trace returns the last trace lines, oldest first.
func (s *Sim) Trace() string {
	var b strings.Builder
	for i := range s.trace {
		b.WriteString(s.trace[(s.tpos+i)%len(s.trace)])
		b.WriteByte('\n')
	}
	return b.String()
}

func (s *Sim) fail(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("t=%dms: %w", s.Now-T0, err)
	}
}

// ErrInvariant is matched by the error of a violated invariant.
var ErrInvariant = errors.New("invariant violated")
