package clusternode

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/testutil"
)

// In-process bus tests: several runners in one test process, on real
// loopback sockets (ports busTestPort+0..9, bus ports +10000), real time. They
// exercise the runner's concurrency (run them with -race): accepts, dials,
// messages and link ends from many goroutines, all funnelled into the core
// under one mutex.

type busNode struct {
	*Node
	path      string
	port      int
	mu        sync.Mutex
	delivered []string
}

func (b *busNode) deliveries() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.delivered...)
}

func openBusNode(t *testing.T, path string, port int, nodeTimeout int64) *busNode {
	t.Helper()
	b := &busNode{path: path, port: port}
	cfg := cluster.DefaultConfig()
	cfg.Port, cfg.BusPort, cfg.NodeTimeout = port, port+10000, nodeTimeout
	n, err := Open(Options{Path: path, Config: cfg, BusPort: port + 10000, BusBind: []string{"127.0.0.1"},
		Logf: func(level byte, format string, args ...any) {
			if level == '#' {
				t.Logf("%d: "+format, append([]any{port}, args...)...)
			}
		},
		OnDeliver: func(d cluster.Delivery) {
			b.mu.Lock()
			b.delivered = append(b.delivered, string(d.Channel)+"="+string(d.Message))
			b.mu.Unlock()
		}})
	testutil.NoErr(t, err)
	n.Start()
	b.Node = n
	t.Cleanup(func() { closeWithin(t, n, 10*time.Second) })
	return b
}

// closeWithin closes n and fails the test if that takes longer than d.
func closeWithin(t *testing.T, n *Node, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { n.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close still running after %v", d)
	}
}

// meshed returns nil once every node knows every other, linked, with no
// handshake or failure flag; for CheckFor.
func meshed(nodes []*busNode) error {
	for _, b := range nodes {
		var err error
		b.Do(func(c *cluster.Core) error {
			ns := c.Nodes()
			if len(ns) != len(nodes) {
				err = fmt.Errorf("%d knows %d nodes", b.port, len(ns))
				return nil
			}
			for _, n := range ns {
				if n.Flags&(cluster.FlagHandshake|cluster.FlagPFail|cluster.FlagFail|cluster.FlagNoAddr) != 0 {
					err = fmt.Errorf("%d sees %s as %s", b.port, n.ID, n.Flags.AppendTo(nil))
					return nil
				}
				if n != c.Myself() && !n.Linked {
					err = fmt.Errorf("%d has no link to %s", b.port, n.ID)
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// TestBusMeshPublishRestart: three runners MEET into one cluster, agree on
// the slot owner, carry a PUBLISH to the other two, notice a closed node
// (fail?) and take it back when it reopens on its nodes.conf with the same ID.
func TestBusMeshPublishRestart(t *testing.T) {
	dir := t.TempDir()
	const timeout = 1000
	var nodes []*busNode
	for i := range 3 {
		b := openBusNode(t, filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", i)), busTestPort+i, timeout)
		nodes = append(nodes, b)
	}
	for _, b := range nodes[1:] {
		_, err := nodes[0].Do(func(c *cluster.Core) error { return c.Meet("127.0.0.1", int64(b.port), int64(b.port+10000)) })
		testutil.NoErr(t, err)
	}
	_, err := nodes[0].Do(func(c *cluster.Core) error { return c.AddSlots(slot.Range{Start: 0, End: slot.Count - 1}) })
	testutil.NoErr(t, err)
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error { return meshed(nodes) })
	owner := nodes[0].Topology().MyID
	testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		for _, b := range nodes {
			top := b.Topology()
			if a := top.Addr(top.Route(100).Owner); a.ID != owner {
				return fmt.Errorf("%d: slot 100 owned by %q", b.port, a.ID)
			}
		}
		return nil
	})

	nodes[0].Publish([]byte("news"), []byte("hello"), false)
	testutil.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		for _, b := range nodes[1:] {
			if d := b.deliveries(); len(d) != 1 || d[0] != "news=hello" {
				return fmt.Errorf("%d got %q", b.port, d)
			}
		}
		return nil
	})
	testutil.Equal(t, len(nodes[0].deliveries()), 0) // the publisher delivers locally itself

	// Close the third node: the others flag it fail? after the timeout,
	// and clear the flag when it comes back with the same ID.
	gone := nodes[2]
	id := gone.Topology().MyID
	closeWithin(t, gone.Node, 10*time.Second)
	testutil.CheckFor(t, 4*timeout*time.Millisecond, 50*time.Millisecond, func() error {
		var err error
		nodes[0].Do(func(c *cluster.Core) error {
			if n := c.Node(id); n == nil || n.Flags&(cluster.FlagPFail|cluster.FlagFail) == 0 {
				err = fmt.Errorf("not flagged")
			}
			return nil
		})
		return err
	})
	back := openBusNode(t, gone.path, gone.port, timeout)
	nodes[2] = back
	testutil.Equal(t, back.Topology().MyID, id)
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error { return meshed(nodes) })
}

// TestBusCloseWhileDialling: a runner asked to MEET an address nobody
// answers closes promptly, with its dial still in progress or failing.
func TestBusCloseWhileDialling(t *testing.T) {
	b := openBusNode(t, filepath.Join(t.TempDir(), "nodes.conf"), busTestPort+5, 5000)
	_, err := b.Do(func(c *cluster.Core) error { return c.Meet("127.0.0.1", busTestPort+6, busTestPort+6+10000) })
	testutil.NoErr(t, err)
	time.Sleep(300 * time.Millisecond) // let the cron start the dial
	closeWithin(t, b.Node, 5*time.Second)
}
