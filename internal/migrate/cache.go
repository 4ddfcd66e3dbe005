package migrate

import (
	"bufio"
	"net"
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

// Cache holds one connection per target host:port, reused across MIGRATE
// calls. A connection serves one MIGRATE at a time: a second MIGRATE to
// the same target waits for the first (Redis runs them one after the
// other too). Safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*entry
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
	return len(c.entries)
}

// acquire returns the connection to req's target, locked for the caller,
// dialling (with req.Timeout) when none is cached. A full cache first
// drops an idle connection at random, as migrateGetSocket does.
func (c *Cache) acquire(req *Request) (*entry, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, net.ErrClosed
		}
		if e := c.entries[req.Name]; e != nil {
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
			c.entries = make(map[string]*entry)
		}
		if len(c.entries) >= MaxCached {
			c.evictOneLocked()
		}
		e := &entry{name: req.Name, lastDB: -1}
		e.mu.Lock()
		e.lastUse.Store(c.now())
		c.entries[req.Name] = e
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

// drop removes e (locked by the caller) from the cache and closes it.
func (c *Cache) drop(e *entry) {
	c.mu.Lock()
	if c.entries[e.name] == e {
		delete(c.entries, e.name)
	}
	e.dead = true
	c.mu.Unlock()
	if e.conn != nil {
		e.conn.Close()
	}
}

// evictOneLocked closes one connection that no MIGRATE is using (Go's map
// order picks it at random). Called with c.mu held.
func (c *Cache) evictOneLocked() {
	for name, e := range c.entries {
		if e.mu.TryLock() {
			delete(c.entries, name)
			e.dead = true
			if e.conn != nil {
				e.conn.Close()
			}
			e.mu.Unlock()
			return
		}
	}
}

// Sweep closes connections idle for more than CacheTTL seconds
// (migrateCloseTimedoutSockets); the server cron calls it once a second.
// A connection in use is left alone.
func (c *Cache) Sweep() {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, e := range c.entries {
		if now-e.lastUse.Load() > CacheTTL && e.mu.TryLock() {
			delete(c.entries, name)
			e.dead = true
			if e.conn != nil {
				e.conn.Close()
			}
			e.mu.Unlock()
		}
	}
}

// Close closes every cached connection (server shutdown); one in use is
// closed when its MIGRATE ends. Later MIGRATEs fail to connect.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for name, e := range c.entries {
		delete(c.entries, name)
		if e.mu.TryLock() {
			e.dead = true
			if e.conn != nil {
				e.conn.Close()
			}
			e.mu.Unlock()
		}
	}
}

var bufioErrFull = bufio.ErrBufferFull
