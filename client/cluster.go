package client

import (
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/slot"
)

// ClusterOptions configure a Cluster. Zero values mean the defaults.
type ClusterOptions struct {
	User, Password string
	DialTimeout    time.Duration // default 5 s
	MaxRedirects   int           // default 16; -1 = none followed
	TLS            *tls.Config   // nil: plaintext
}

// SlotMap is an immutable snapshot of which node serves each slot. A new
// snapshot replaces it as a whole; readers never see a half-built map.
type SlotMap struct {
	Owner      [slot.Count]string // "host:port" of the master, "" if unassigned
	Generation uint64
}

// Cluster routes commands to the node owning their key's slot and follows
// redirections: on MOVED it retries at the named node at once and reloads
// the slot map; on ASK it sends ASKING then the command to the named node
// and leaves the map alone. It is safe for concurrent use; commands to one
// node are serialized on that node's connection.
type Cluster struct {
	opts  ClusterOptions
	seeds []string
	state atomic.Pointer[SlotMap]
	gen   atomic.Uint64

	mu    sync.Mutex
	nodes map[string]*nodeConn
}

type nodeConn struct {
	mu sync.Mutex
	c  *Conn
}

// ErrTooManyRedirects is returned when a command was redirected more than
// MaxRedirects times.
var ErrTooManyRedirects = errors.New("client: too many cluster redirections")

// NewCluster makes a cluster client that learns the slot map from the first
// seed that answers CLUSTER SLOTS. No connection is made until first use.
func NewCluster(seeds []string, opts ClusterOptions) *Cluster {
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = 16
	}
	return &Cluster{opts: opts, seeds: seeds, nodes: map[string]*nodeConn{}}
}

// Close closes every node connection.
func (cl *Cluster) Close() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for a, n := range cl.nodes {
		n.mu.Lock()
		if n.c != nil {
			n.c.Close()
		}
		n.mu.Unlock()
		delete(cl.nodes, a)
	}
}

// Slots returns the current slot-map snapshot, loading it if there is none.
func (cl *Cluster) Slots() (*SlotMap, error) {
	if m := cl.state.Load(); m != nil {
		return m, nil
	}
	if err := cl.Reload(); err != nil {
		return nil, err
	}
	return cl.state.Load(), nil
}

// Reload asks the known nodes (seeds first) for CLUSTER SLOTS and publishes
// a new snapshot from the first answer.
func (cl *Cluster) Reload() error {
	var lastErr error = errors.New("client: no seed nodes")
	addrs := append([]string(nil), cl.seeds...)
	cl.mu.Lock()
	for a := range cl.nodes {
		addrs = append(addrs, a)
	}
	cl.mu.Unlock()
	for _, a := range addrs {
		v, err := cl.doAt(a, false, []string{"CLUSTER", "SLOTS"})
		if err != nil {
			lastErr = err
			continue
		}
		if err := ReplyError(v); err != nil {
			lastErr = err
			continue
		}
		m, err := parseClusterSlots(v, a)
		if err != nil {
			lastErr = err
			continue
		}
		m.Generation = cl.gen.Add(1)
		cl.state.Store(m)
		return nil
	}
	return lastErr
}

// parseClusterSlots builds a map from a CLUSTER SLOTS reply; an empty host
// means "the node that answered" (from).
func parseClusterSlots(v Value, from string) (*SlotMap, error) {
	m := &SlotMap{}
	fromHost, _, _ := net.SplitHostPort(from)
	for _, r := range v.Elems {
		if len(r.Elems) < 3 || len(r.Elems[2].Elems) < 2 {
			return nil, errors.New("client: malformed CLUSTER SLOTS reply")
		}
		lo, hi := int(r.Elems[0].Int), int(r.Elems[1].Int)
		host := string(r.Elems[2].Elems[0].Str)
		if host == "" || host == "?" {
			host = fromHost
		}
		addr := net.JoinHostPort(host, strconv.FormatInt(r.Elems[2].Elems[1].Int, 10))
		for s := lo; s <= hi && s < slot.Count; s++ {
			if s >= 0 {
				m.Owner[s] = addr
			}
		}
	}
	return m, nil
}

// KeySlot is the hash slot of key.
func KeySlot(key string) int { return slot.OfString(key) }

// Do runs one command. The node is chosen by the slot of args[1] (the first
// key of nearly every keyed command); commands without arguments go to any
// node. Error replies other than redirections are returned as values.
func (cl *Cluster) Do(args ...string) (Value, error) {
	m, err := cl.Slots()
	if err != nil {
		return Value{}, err
	}
	addr := ""
	if len(args) > 1 {
		addr = m.Owner[KeySlot(args[1])]
	}
	if addr == "" {
		addr = cl.anyNode(m)
	}
	asking := false
	for i := 0; ; i++ {
		v, err := cl.doAt(addr, asking, args)
		if err != nil {
			return v, err
		}
		slotN, to, kind, ok := ParseRedirect(string(v.Str))
		if !v.IsError() || !ok {
			return v, nil
		}
		if cl.opts.MaxRedirects >= 0 && i >= cl.opts.MaxRedirects {
			return v, ErrTooManyRedirects
		}
		_ = slotN
		addr, asking = to, kind == "ASK"
		if kind == "MOVED" {
			cl.Reload()
		}
	}
}

func (cl *Cluster) anyNode(m *SlotMap) string {
	for _, a := range m.Owner {
		if a != "" {
			return a
		}
	}
	if len(cl.seeds) > 0 {
		return cl.seeds[0]
	}
	return ""
}

// doAt runs args on the node at addr, preceded by ASKING when asking.
func (cl *Cluster) doAt(addr string, asking bool, args []string) (Value, error) {
	n := cl.node(addr)
	n.mu.Lock()
	defer n.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if n.c == nil {
			c, err := DialTLS(addr, cl.opts.DialTimeout, cl.opts.TLS)
			if err != nil {
				return Value{}, err
			}
			if cl.opts.Password != "" {
				if err := c.Auth(cl.opts.User, cl.opts.Password); err != nil {
					c.Close()
					return Value{}, err
				}
			}
			n.c = c
		}
		if asking {
			n.c.Send("ASKING")
		}
		n.c.Send(args...)
		err := n.c.Flush()
		var v Value
		if err == nil && asking {
			v, err = n.c.Receive()
		}
		if err == nil {
			v, err = n.c.Receive()
		}
		if err == nil {
			return v, nil
		}
		n.c.Close()
		n.c = nil
		if attempt > 0 {
			return Value{}, err
		}
	}
}

func (cl *Cluster) node(addr string) *nodeConn {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	n := cl.nodes[addr]
	if n == nil {
		n = &nodeConn{}
		cl.nodes[addr] = n
	}
	return n
}
