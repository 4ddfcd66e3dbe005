package clusternode

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/clusterbus"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
)

// Options configure a Node.
type Options struct {
	// Path is the nodes.conf path (cluster-config-file).
	Path string
	// Config is the core's configuration. A nil Rand is replaced by a
	// ChaCha8 generator seeded from crypto/rand.
	Config cluster.Config
	// Now returns the time in ms; nil means the wall clock.
	Now func() int64
	// Logf writes a log line (level '.', '-', '*', '#'); nil discards.
	Logf func(level byte, format string, args ...any)
	// OnReady carries out the data and role changes (RoleChange,
	// EmptyData, DelSlotKeys, Pause) of a Ready produced by the bus or the
	// background tick. It is called on the runner's worker goroutine, in
	// order, without the Node's lock (see worker.go); nil ignores. The
	// Ready of Do is returned to Do's caller instead.
	OnReady func(cluster.Ready)
	// OnDeliver hands a PUBLISH received from the bus to the local
	// subscribers, on the worker goroutine; nil drops it.
	OnDeliver func(cluster.Delivery)
	// OnTopology is told, on the worker goroutine and in order, of every
	// new Topology the core publishes (the server drops shard Pub/Sub
	// channels of slots its shard no longer serves); nil ignores.
	OnTopology func(*cluster.Topology)
	// BusPort is the port the cluster bus listens on (cluster-port, or
	// port+10000); 0 runs the core without a bus (Config.Bus false).
	BusPort int
	// BusTLS, if set, is asked at each accept and dial for the TLS
	// configurations in force (tls-cluster): server for accepted links,
	// client for dialled ones; nil ones mean plaintext. A reload or a
	// change of tls-cluster applies to new links.
	BusTLS func() (server, client *tls.Config)
	// BusBind are the addresses the bus listens on, as redis.conf's bind
	// ("*", "::*", an IP; a leading '-' makes one optional); empty is "*".
	BusBind []string
	// Fatal is called when nodes.conf cannot be written after a change
	// (Redis exits); nil only logs.
	Fatal func(error)
	// TickEvery is the background tick period; 0 means 100 ms (clusterCron).
	TickEvery time.Duration
}

// Node owns a cluster core and its nodes.conf.
type Node struct {
	mu     sync.Mutex
	core   *cluster.Core
	opts   Options
	unlock func()
	topo   atomic.Pointer[cluster.Topology]

	bus     bus
	work    *worker
	started bool

	quit chan struct{}
	wg   sync.WaitGroup

	// pend is a save DoDeferred left for Commit (group commit).
	pend pending

	// dropType is DEBUG DROP-CLUSTER-PACKET-FILTER's message type, -1
	// for none (bus.go).
	dropType atomic.Int64
	once     sync.Once
}

// ErrCorrupt is matched by Open's error for a nodes.conf it cannot parse.
var ErrCorrupt = nodesconf.ErrCorrupt

// Open locks nodes.conf, loads it (or creates myself with a random ID if it
// is missing or empty) and saves it. It refuses a file another node holds
// (nodesconf.ErrLocked, with Redis's message) and a file it cannot parse
// (ErrCorrupt, naming the line).
func Open(opts Options) (*Node, error) {
	if opts.Now == nil {
		opts.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if opts.Logf == nil {
		opts.Logf = func(byte, string, ...any) {}
	}
	if opts.TickEvery == 0 {
		opts.TickEvery = 100 * time.Millisecond
	}
	if opts.Config.Rand == nil {
		var seed [32]byte
		if _, err := crand.Read(seed[:]); err != nil {
			return nil, err
		}
		opts.Config.Rand = rand.New(rand.NewChaCha8(seed))
	}
	opts.Config.Bus = opts.BusPort != 0
	unlock, err := nodesconf.Lock(opts.Path)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: opts, unlock: unlock, quit: make(chan struct{}), work: newWorker()}
	n.dropType.Store(-1)
	n.bus.links = map[cluster.LinkID]*busLink{}
	n.bus.inbound = map[*clusterbus.Link]cluster.LinkID{}
	n.bus.ctx, n.bus.cancel = context.WithCancel(context.Background())
	core, err := n.load()
	if err != nil {
		unlock()
		return nil, err
	}
	n.core = core
	n.mu.Lock()
	defer n.mu.Unlock()
	core.Tick(opts.Now())
	if _, err := n.flushReady(); err != nil {
		unlock()
		return nil, err
	}
	// The bus listens only once nodes.conf is saved: no peer may hear of
	// a node whose ID is not on disk.
	if opts.BusPort != 0 {
		if err := n.listenBus(opts.BusBind, opts.BusPort); err != nil {
			n.mu.Unlock()
			n.closeBus()
			n.mu.Lock()
			unlock()
			// Redis's two lines; the test suite retries another port on
			// "Failed listening on port".
			return nil, fmt.Errorf("%w\nFailed listening on port %d (cluster), aborting.", err, opts.BusPort)
		}
	}
	return n, nil
}

func (n *Node) load() (*cluster.Core, error) {
	now := n.opts.Now()
	data, recovered, err := nodesconf.ReadFile(n.opts.Path)
	if err != nil {
		return nil, fmt.Errorf("Loading the cluster node config from %s: %w", n.opts.Path, err)
	}
	if recovered { // a crash tore a durable save; its journal has the text
		n.opts.Logf('#', "%s was torn by a crash during a save; restoring the saved text from %s",
			n.opts.Path, nodesconf.JournalPath(n.opts.Path))
		if err := nodesconf.WriteDurable(n.opts.Path, data); err != nil {
			return nil, fmt.Errorf("Restoring the cluster node config %s: %w", n.opts.Path, err)
		}
	}
	f, err := nodesconf.Parse(data)
	if errors.Is(err, nodesconf.ErrNoConfig) {
		return cluster.New(n.opts.Config, now)
	}
	if err != nil {
		return nil, fmt.Errorf("Unrecoverable error: corrupted cluster config file %s: %w", n.opts.Path, err)
	}
	p, err := ToPersisted(f)
	if err != nil {
		return nil, fmt.Errorf("Unrecoverable error: corrupted cluster config file %s: %w: %w", n.opts.Path, ErrCorrupt, err)
	}
	return cluster.Load(n.opts.Config, p, now)
}

// flushReady carries out the core's Ready in the order Ready documents:
// logs; nodes.conf, written and fsynced, then the new Topology published;
// the bus actions (Disconnect, Connect, Messages) — not the messages if the
// save failed, so nothing unsaved is ever announced; deliveries go to the
// worker. It returns the Ready for the caller to carry out the data and role
// changes (step 3; see flushLocked and Do). Needs n.mu.
func (n *Node) flushReady() (cluster.Ready, error) { return n.flushReadyMode(false) }

// flushReadyMode is flushReady; with deferSave the save (and the bus
// messages, which must not leave before it) wait in n.pend for Commit or
// the next flushReady, whichever comes first.
func (n *Node) flushReadyMode(deferSave bool) (cluster.Ready, error) {
	var err error
	rd := n.core.Ready()
	for _, l := range rd.Logs {
		n.opts.Logf(l.Level, "%s", l.Msg)
	}
	if rd.SaveConfig {
		n.pend.save = true
		n.pend.sync = n.pend.sync || rd.SyncConfig
		n.pend.seq++
	}
	deferred := deferSave && n.pend.save
	if n.pend.save && !deferred {
		err = n.savePending()
	}
	n.core.Advance()
	if t := n.core.Topology(); n.topo.Swap(t) != t && n.opts.OnTopology != nil {
		n.work.push(job{topo: t})
	}
	for _, id := range rd.Disconnect {
		n.disconnect(id)
	}
	if !n.bus.closing {
		for _, d := range rd.Connect {
			n.dial(d)
		}
	}
	if err == nil {
		if !deferred {
			n.sendPending()
		}
		var last *cluster.Msg
		var w *clusterbus.Message
		for _, o := range rd.Messages {
			if o.Msg != last { // a broadcast shares one Msg: translate once
				last, w = o.Msg, toWire(o.Msg)
			}
			if deferred {
				n.pend.msgs = append(n.pend.msgs, pendingMsg{o.Link, w})
			} else {
				n.send(o.Link, w)
			}
		}
	}
	if len(rd.Deliver) > 0 {
		n.work.push(job{deliver: rd.Deliver})
	}
	return rd, err
}

// flushLocked is flushReady for the bus and the tick: a failed save is
// fatal, and data and role changes go to the worker. Needs n.mu.
func (n *Node) flushLocked() {
	if !n.core.HasReady() {
		return
	}
	rd, err := n.flushReady()
	if err != nil {
		n.fatal(err)
	}
	if rd.RoleChange != nil || rd.EmptyData || len(rd.DelSlotKeys) > 0 || rd.Pause != nil {
		n.work.push(job{ready: &cluster.Ready{RoleChange: rd.RoleChange, EmptyData: rd.EmptyData,
			DelSlotKeys: rd.DelSlotKeys, Pause: rd.Pause}})
	}
}

func (n *Node) save(sync bool) error {
	data := FromPersisted(n.core.Export()).Marshal()
	write := nodesconf.WriteDurable // as Redis does, in place, but torn-write safe
	if !sync {
		write = nodesconf.WriteInPlace // as Redis writes it without fsync
	}
	if err := write(n.opts.Path, data); err != nil {
		return err
	}
	return nil
}

// Do runs fn on the core with the time advanced to now, then saves
// nodes.conf if fn changed it, publishes the new Topology and sends the bus
// messages fn produced, all before returning, so a reply sent after Do is
// never ahead of the file. It returns fn's error and the Ready fn produced:
// the caller carries out RoleChange, EmptyData and DelSlotKeys (it may hold
// every keyspace stripe already, inside EXEC). A failed save goes to
// Options.Fatal.
func (n *Node) Do(fn func(c *cluster.Core) error) (cluster.Ready, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.core.Tick(n.opts.Now())
	err := fn(n.core)
	rd, serr := n.flushReady()
	if serr != nil {
		n.fatal(serr)
	}
	return rd, err
}

// pending is a save left for Commit and the bus messages that wait for it.
type pending struct {
	save, sync bool
	seq        uint64 // changes that needed a save, counted
	saved      uint64 // seq as of the last save that completed
	msgs       []pendingMsg
}

type pendingMsg struct {
	link cluster.LinkID
	w    *clusterbus.Message
}

// savePending writes nodes.conf for every change so far (one fsync for all
// of them if any asked for one). Needs n.mu.
func (n *Node) savePending() error {
	seq, sync := n.pend.seq, n.pend.sync
	n.pend.save, n.pend.sync = false, false
	if err := n.save(sync); err != nil {
		n.pend.msgs = nil // nothing unsaved is announced
		return err
	}
	n.pend.saved = seq
	return nil
}

// sendPending sends the bus messages that waited for a save. Needs n.mu.
func (n *Node) sendPending() {
	for _, m := range n.pend.msgs {
		n.send(m.link, m.w)
	}
	clear(n.pend.msgs)
	n.pend.msgs = n.pend.msgs[:0]
}

// DoDeferred is Do for a caller that holds its reply until Commit(token)
// returns: the save fn made (and the bus messages after it) may wait, so
// that the changes of several commands share one write and fsync, as
// Redis's beforeSleep saves once per event-loop turn. token is 0 when
// nothing waits. The topology is published at once, as in Redis, where
// clients of the same turn see a SETSLOT before the save.
func (n *Node) DoDeferred(fn func(c *cluster.Core) error) (rd cluster.Ready, token uint64, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.core.Tick(n.opts.Now())
	err = fn(n.core)
	rd, serr := n.flushReadyMode(true)
	if serr != nil {
		n.fatal(serr)
	}
	if n.pend.save {
		token = n.pend.seq
	}
	return rd, token, err
}

// Commit returns once nodes.conf holds every change up to token (from
// DoDeferred), saving now if no save has covered it yet, then sends the
// bus messages that waited. A failed save goes to Options.Fatal.
func (n *Node) Commit(token uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if token == 0 || n.pend.saved >= token || !n.pend.save {
		return
	}
	if err := n.savePending(); err != nil {
		n.fatal(err)
		return
	}
	n.sendPending()
}

// View runs fn on the core under the Node's lock without advancing its
// time; fn must only read.
func (n *Node) View(fn func(c *cluster.Core)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fn(n.core)
}

// Query is Do for a caller that only reads the core or changes what needs
// no data or role action: whatever Ready the core produced meanwhile (the
// tick inside may fail a node or promote myself) goes to the worker, as
// for the bus, instead of back to the caller.
func (n *Node) Query(fn func(c *cluster.Core) error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.core.Tick(n.opts.Now())
	err := fn(n.core)
	n.flushLocked()
	return err
}

// SaveConfig writes nodes.conf now (CLUSTER SAVECONFIG), returning the error.
func (n *Node) SaveConfig() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.core.SaveConfig()
	_, err := n.flushReady()
	return err
}

func (n *Node) fatal(err error) {
	n.opts.Logf('#', "Fatal: can't update cluster config file.")
	n.opts.Logf('#', "%v", err)
	if n.opts.Fatal != nil {
		n.opts.Fatal(err)
	}
}

// Topology is the latest published snapshot; safe from any goroutine.
func (n *Node) Topology() *cluster.Topology { return n.topo.Load() }

// Publish propagates PUBLISH (shard false) or SPUBLISH over the bus
// (core.Publish); the caller delivers to this node's subscribers itself.
// channel and message are copied: they may alias a client's read buffer,
// and the message may wait for a link still connecting.
func (n *Node) Publish(channel, message []byte, shard bool) {
	channel, message = clone(channel), clone(message)
	n.Do(func(c *cluster.Core) error {
		c.Publish(channel, message, shard)
		return nil
	})
}

// LiveTopology is Topology rebuilt now, so that what it shows beyond
// routing — ping and pong times, which change without a new snapshot — is
// current (CLUSTER NODES).
func (n *Node) LiveTopology() *cluster.Topology {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.core.Tick(n.opts.Now())
	n.core.Refresh()
	n.flushLocked()
	t := n.core.Topology()
	n.topo.Store(t)
	return t
}

// Start runs the background tick (clusterCron, at TickEvery) and the
// worker until Close.
func (n *Node) Start() {
	n.mu.Lock()
	n.started = true
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.work.run(n.opts.OnReady, n.opts.OnDeliver, n.opts.OnTopology)
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		t := time.NewTicker(n.opts.TickEvery)
		defer t.Stop()
		for {
			select {
			case <-n.quit:
				return
			case <-t.C:
				n.tick()
			}
		}
	}()
}

func (n *Node) tick() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.core.Tick(n.opts.Now())
	if !n.core.HasReady() && n.topo.Load().Version == n.core.Topology().Version {
		return
	}
	n.topo.Store(n.core.Topology())
	n.flushLocked()
}

// Close stops the background tick, the bus (listeners, links, dials) and
// the worker (after it has done what is queued), then releases the
// nodes.conf lock.
func (n *Node) Close() {
	n.once.Do(func() {
		close(n.quit)
		n.closeBus()
		n.mu.Lock()
		started := n.started
		n.mu.Unlock()
		if started {
			n.work.stop()
		}
		n.wg.Wait()
		n.mu.Lock()
		if n.pend.save { // a deferred save nobody committed: write it now
			if err := n.savePending(); err != nil {
				n.opts.Logf('#', "Can't save the cluster config on close: %v", err)
			}
		}
		n.mu.Unlock()
		n.unlock()
	})
}
