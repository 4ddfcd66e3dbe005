package clusternode

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
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
	// OnReady carries out what a background tick produced beyond saving
	// the config (a role change, emptying the data). Called with the Node's
	// lock held; nil ignores.
	OnReady func(cluster.Ready)
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

	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
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
	unlock, err := nodesconf.Lock(opts.Path)
	if err != nil {
		return nil, err
	}
	n := &Node{opts: opts, unlock: unlock, quit: make(chan struct{})}
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
	return n, nil
}

func (n *Node) load() (*cluster.Core, error) {
	now := n.opts.Now()
	data, err := os.ReadFile(n.opts.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("Loading the cluster node config from %s: %w", n.opts.Path, err)
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

// flushReady carries out the core's Ready: logs, then nodes.conf, then
// publishes the new Topology. It returns the Ready for the caller to carry
// out the rest (role change, emptying data). Needs n.mu.
func (n *Node) flushReady() (cluster.Ready, error) {
	var err error
	rd := n.core.Ready()
	for _, l := range rd.Logs {
		n.opts.Logf(l.Level, "%s", l.Msg)
	}
	if rd.SaveConfig {
		err = n.save()
	}
	n.core.Advance()
	n.topo.Store(n.core.Topology())
	return rd, err
}

func (n *Node) save() error {
	data := FromPersisted(n.core.Export()).Marshal()
	if err := nodesconf.WriteAtomic(n.opts.Path, data); err != nil {
		return err
	}
	return nil
}

// Do runs fn on the core with the time advanced to now, then saves
// nodes.conf if fn changed it and publishes the new Topology, all before
// returning, so a reply sent after Do is never ahead of the file. It returns
// fn's error and the Ready fn produced (the caller carries out RoleChange and
// EmptyData). A failed save goes to Options.Fatal.
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

// Start runs the background tick (clusterCron's bus-free part) until Close.
func (n *Node) Start() {
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
	rd, err := n.flushReady()
	if err != nil {
		n.fatal(err)
	}
	if n.opts.OnReady != nil && (rd.RoleChange != nil || rd.EmptyData) {
		n.opts.OnReady(rd)
	}
}

// Close stops the background tick and releases the nodes.conf lock.
func (n *Node) Close() {
	n.once.Do(func() {
		close(n.quit)
		n.wg.Wait()
		n.unlock()
	})
}
