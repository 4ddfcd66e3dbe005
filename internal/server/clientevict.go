package server

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Client eviction (maxmemory-clients) as Redis 7.0 does it: every normal
// and pub/sub client counts its memory (query buffer, reply buffer,
// replies owed, its own state); when the sum reaches the limit the clients
// using the most are closed, largest first, until it is under again (a
// client that asked CLIENT NO-EVICT ON counts but is never closed), each with Redis's "Evicting client: …"
// log line, counted in INFO's evicted_clients. The limit is bytes, or a
// percentage of maxmemory, never below 128 KB; 0 (the default) turns it
// off, and then nothing is counted: the hot path pays one settings test
// per batch of commands.
//
// A client's figure is taken again after each batch of commands, when
// another client queues replies to it (checkObuf: PUBLISH, tracking), and
// on every cron tick (replies drained since).

// clientEvictState is the server's side: the sum of the figures evictable
// clients last reported, the count of clients evicted, and the memory of
// evicted clients whose connections are not closed yet.
//
// Redis frees an evicted client at once; here its loop closes it when it
// next runs its posts, and until then its buffers are still held. The
// loop may be the one evicting: a command's maxmemory check that evicted
// clients and then keys would count the closing clients' buffers as
// used and evict keys for them, all of them if they outweigh the dataset
// (unit/maxmemory's "output buffers of many MGET clients" did, now and
// then). So key eviction leaves closing out (notCountedForEvict).
type clientEvictState struct {
	total   atomic.Int64
	evicted atomic.Int64
	closing atomic.Int64
	mu      sync.Mutex // one eviction pass at a time
}

// clientMemFloor is the smallest limit Redis allows (it keeps a
// misconfigured server reachable).
const clientMemFloor = 128 << 10

// clientEvictLimit is the limit in bytes for maxmemory-clients value v
// ("0", bytes, or "N%" of maxmemory), 0 when off (Redis's
// getClientEvictionLimit).
func clientEvictLimit(v string, maxmemory int64) int64 {
	var lim int64
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || p <= 0 || maxmemory <= 0 {
			return 0
		}
		lim = int64(float64(maxmemory) * p / 100)
	} else {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0
		}
		lim = n
	}
	return max(lim, clientMemFloor)
}

// clientStateSize is what a client's own state costs (Redis counts its
// client struct).
const clientStateSize = int64(unsafe.Sizeof(client{}))

// subEntrySize is what one subscription (channel, pattern, shard channel)
// or tracking prefix costs a client: its entry in a Go map or slice with
// the string header, and the name's bytes at their smallest size class.
// Redis counts its own per-entry overhead the same way, without the names'
// full lengths.
const subEntrySize = 48

// memUsage is the client's memory as CLIENT LIST's tot-mem shows it: its
// state, the input it holds unparsed, its reply buffer and the replies it
// has not read yet. Safe from any goroutine.
func (c *client) memUsage() int64 {
	m := clientStateSize + c.adm.qsize.Load() + c.queuedOut()
	if sn := c.adm.snap.Load(); sn != nil {
		m += int64(sn.rbs + sn.outCap + sn.multiMem + sn.subMem)
	}
	return m
}

// counted reports whether the client's memory is in the sum: a normal or
// pub/sub client (not a replica's link, not the master's session), with
// NO-EVICT or not, as Redis sums stat_clients_type_memory.
func (c *client) counted() bool { return c.replLink.Load() == nil && !c.session }

// evictable is Redis's clientEvictionAllowed: a counted client without
// NO-EVICT.
func (c *client) evictable() bool { return c.counted() && !c.adm.noEvict.Load() }

// noteMem takes the client's figure again and, if the sum reaches the
// limit, evicts. lim is the limit in force (> 0). Safe from any goroutine.
func (c *client) noteMem(lim int64) {
	var m int64
	if c.counted() && !c.closed.Load() {
		m = c.memUsage()
	}
	old := c.adm.memAcct.Swap(m)
	s := c.srv
	if total := s.cev.total.Add(m - old); total >= lim && m > 0 {
		s.evictClients(lim)
	}
}

// forgetMem takes a closing client out of the sum.
func (c *client) forgetMem() {
	if old := c.adm.memAcct.Swap(0); old != 0 {
		c.srv.cev.total.Add(-old)
	}
}

// evictionClosed takes a client that client eviction closed out of the
// closing figure, once its connection (and the buffers it held) is gone.
func (c *client) evictionClosed() {
	if m := c.adm.evictedMem.Swap(0); m != 0 {
		c.srv.cev.closing.Add(-m)
	}
}

// evictClients closes the clients using the most memory until the sum is
// under lim (Redis's evictClients).
func (s *Server) evictClients(lim int64) {
	e := &s.cev
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.total.Load() < lim {
		return
	}
	s.clientsMu.Lock()
	cands := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		if c.adm.memAcct.Load() > 0 && c.evictable() {
			cands = append(cands, c)
		}
	}
	s.clientsMu.Unlock()
	sort.Slice(cands, func(i, j int) bool { return cands[i].adm.memAcct.Load() > cands[j].adm.memAcct.Load() })
	for _, c := range cands {
		if e.total.Load() < lim {
			return
		}
		info := c.infoLine(false, nil)
		m := c.adm.memAcct.Load()
		c.forgetMem()
		e.closing.Add(m - c.adm.evictedMem.Swap(m))
		c.kill()
		e.evicted.Add(1)
		s.Logf('*', "Evicting client: %s", info)
	}
	if e.total.Load() >= lim {
		s.Logf('#', "Over client maxmemory after evicting all evictable clients")
	}
}

// clientsEvictCron takes every client's figure again (replies drained,
// CLIENT NO-EVICT, a lowered limit) and evicts if the sum is over.
func (s *Server) clientsEvictCron() {
	lim := s.conf().clientMemLimit
	if lim == 0 {
		if s.cev.total.Load() != 0 { // turned off: nothing is counted
			s.clientsMu.Lock()
			for _, c := range s.clients {
				c.forgetMem()
			}
			s.clientsMu.Unlock()
		}
		return
	}
	s.clientsMu.Lock()
	cs := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		cs = append(cs, c)
	}
	s.clientsMu.Unlock()
	for _, c := range cs {
		c.noteMem(lim)
	}
}

// bigArg is Redis's PROTO_MBULK_BIG_ARG: an argument this long gets a
// query buffer of its own, sized for it when its header is read.
const bigArg = 32 << 10

// noteQbuf records the input the client holds unparsed, rest bytes from
// the start of an incomplete command (the owner goroutine; other goroutines
// read adm.qbuf and adm.qsize). The buffer is counted at the size the
// pending command needs (resp.Reader.Need), as Redis allocates its query
// buffer for a bulk when it reads the bulk's header; of a big argument only
// its payload is shown as held, as Redis's query buffer then holds only
// that (the arguments before it are argv). bufCap is the transport's
// buffer size when known.
func (c *client) noteQbuf(rest, bufCap int) {
	held, size := rest, rest
	if need := c.rd.Need(); need > rest && rest > 0 {
		size = need
		if start := c.rd.BulkStart(); need-start-2 >= bigArg && start <= rest {
			held -= start
			size -= start
		}
	}
	size = max(size, bufCap)
	if int64(held) != c.adm.qbufSeen || int64(size) != c.adm.qsizeSeen {
		c.adm.qbufSeen, c.adm.qsizeSeen = int64(held), int64(size)
		c.adm.qbuf.Store(int64(held))
		c.adm.qsize.Store(int64(size))
	}
}

// evictedBefore is processCommand's client eviction: the command about to
// run still holds its arguments (held bytes from its start), so the
// client's figure is taken with them; it reports whether the client was
// evicted (the command does not run).
func (c *client) evictedBefore(held int, lim int64) bool {
	c.noteQbuf(held, int(c.adm.qsizeSeen))
	c.noteMem(lim)
	return c.closed.Load()
}
