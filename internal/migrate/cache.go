package migrate

import (
	"bufio"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Redis's MIGRATE_SOCKET_CACHE_ITEMS and MIGRATE_SOCKET_CACHE_TTL.
const (
	MaxCached = 64
	CacheTTL  = 10 // seconds; a connection idle longer is closed by Sweep
)

// MaxPerTarget is how many connections to one target the cache opens at
// most. Redis runs MIGRATEs one after the other, so one is enough for it;
// Shoal runs those of different clients at once (a parallel reshard moves
// several slots of one source at a time), and a MIGRATE that finds every
// connection to its target busy opens another, up to this many, rather
// than wait a whole round trip for its turn.
const MaxPerTarget = 4

// Cache holds connections to target host:ports, reused across MIGRATE
// calls: one per target while MIGRATEs to it come one at a time, as in
// Redis; a connection serves one MIGRATE at a time, and concurrent
// MIGRATEs to one target open more (MaxPerTarget), then wait for one. At
// most MaxCached connections in all. Safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string][]*entry // by target host:port
	n       int                 // connections in entries
	turn    int                 // spreads waiters over a target's connections
	closed  bool
	// NowSec returns the current unix time in seconds (idle bookkeeping);
	// nil means the real clock.
	NowSec func() int64
	// Wrap, if set, is applied to each new connection before use (TLS
	// with tls-cluster); on error it has closed conn.
	Wrap func(conn net.Conn, timeout time.Duration) (net.Conn, error)
}

// entry is one cached connection. Its mutex is held for a whole exchange;
// dead is set (under mu) once it left the cache and its socket is closed.
type entry struct {
	mu      sync.Mutex
	name    string
	conn    net.Conn
	br      *bufio.Reader
	lastDB  int64
	lastUse atomic.Int64
	dead    bool
}

func (c *Cache) now() int64 {
	if c.NowSec != nil {
		return c.NowSec()
	}
	return time.Now().Unix()
}

// Len is the number of cached connections (INFO migrate_cached_sockets).
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// acquire returns a connection to req's target, locked for the caller: an
// idle cached one, else a new one (dialled with req.Timeout) unless the
// target has MaxPerTarget already, else the next busy one once it is free.
// A full cache first drops an idle connection at random, as
// migrateGetSocket does. fresh (a retry after a socket error) closes the
// target's idle connections first, so that the retry dials, as Redis's
// does.
func (c *Cache) acquire(req *Request, fresh bool) (*entry, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, net.ErrClosed
		}
		list := c.entries[req.Name]
		for _, e := range slices.Clone(list) {
			if fresh {
				c.closeIdleLocked(e)
			} else if e.mu.TryLock() {
				// (dead entries leave the list under c.mu)
				c.mu.Unlock()
				e.lastUse.Store(c.now())
				return e, nil
			}
		}
		fresh, list = false, c.entries[req.Name]
		if len(list) > 0 && (len(list) >= MaxPerTarget || c.n >= MaxCached && !c.evictOneLocked()) {
			c.turn++
			e := list[c.turn%len(list)]
			c.mu.Unlock()
			e.mu.Lock()
			if e.dead {
				e.mu.Unlock()
				continue
			}
			e.lastUse.Store(c.now())
			return e, nil
		}
		if c.entries == nil {
			c.entries = make(map[string][]*entry)
		}
		if c.n >= MaxCached {
			c.evictOneLocked()
		}
		e := &entry{name: req.Name, lastDB: -1}
		e.mu.Lock()
		e.lastUse.Store(c.now())
		c.entries[req.Name] = append(list, e)
		c.n++
		c.mu.Unlock()

		// The port as getaddrinfo takes Redis's atoi: wrapped to 16 bits
		// (a negative one does not resolve).
		port := Atoi(req.Port)
		if port > 0 {
			port &= 0xffff
		}
		addr := net.JoinHostPort(req.Host, strconv.Itoa(port))
		conn, err := net.DialTimeout("tcp", addr, req.Timeout)
		if err == nil && c.Wrap != nil {
			conn, err = c.Wrap(conn, req.Timeout)
		}
		if err != nil {
			c.drop(e)
			e.mu.Unlock()
			return nil, err
		}
		e.conn, e.br = conn, bufio.NewReaderSize(conn, 4096)
		return e, nil
	}
}

// release hands a connection back after an exchange; after Close it is
// closed instead.
func (c *Cache) release(e *entry) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed && !e.dead {
		e.dead = true
		e.conn.Close()
	}
	e.mu.Unlock()
}

// removeLocked takes e out of the cache and marks it dead. Needs c.mu.
func (c *Cache) removeLocked(e *entry) {
	if e.dead {
		return
	}
	e.dead = true
	list := c.entries[e.name]
	for i, o := range list {
		if o == e {
			list = append(list[:i], list[i+1:]...)
			c.n--
			break
		}
	}
	if len(list) == 0 {
		delete(c.entries, e.name)
	} else {
		c.entries[e.name] = list
	}
}

// drop removes e (locked by the caller) from the cache and closes it.
func (c *Cache) drop(e *entry) {
	c.mu.Lock()
	c.removeLocked(e)
	c.mu.Unlock()
	if e.conn != nil {
		e.conn.Close()
	}
}

// closeIdleLocked closes e if no MIGRATE is using it, reporting whether
// it did. Needs c.mu.
func (c *Cache) closeIdleLocked(e *entry) bool {
	if !e.mu.TryLock() {
		return false
	}
	c.removeLocked(e)
	if e.conn != nil {
		e.conn.Close()
	}
	e.mu.Unlock()
	return true
}

// evictOneLocked closes one connection that no MIGRATE is using (Go's map
// order picks it at random), reporting whether there was one. Needs c.mu.
func (c *Cache) evictOneLocked() bool {
	for _, list := range c.entries {
		for _, e := range list {
			if c.closeIdleLocked(e) {
				return true
			}
		}
	}
	return false
}

// Sweep closes connections idle for more than CacheTTL seconds
// (migrateCloseTimedoutSockets); the server cron calls it once a second.
// A connection in use is left alone.
func (c *Cache) Sweep() {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, list := range c.entries {
		for _, e := range slices.Clone(list) {
			if now-e.lastUse.Load() > CacheTTL {
				c.closeIdleLocked(e)
			}
		}
	}
}

// Close closes every cached connection (server shutdown); one in use is
// closed when its MIGRATE ends. Later MIGRATEs fail to connect.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for name, list := range c.entries {
		delete(c.entries, name)
		for _, e := range list {
			if e.mu.TryLock() {
				e.dead = true
				if e.conn != nil {
					e.conn.Close()
				}
				e.mu.Unlock()
			}
		}
	}
	c.n = 0
}

var bufioErrFull = bufio.ErrBufferFull
