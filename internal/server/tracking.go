package server

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/rnum"
)

// Client-side caching (Redis 7.0's tracking.c). A client that turns CLIENT
// TRACKING on has the keys of its read-only commands remembered in the
// tracking table (default mode), or subscribes to key prefixes (BCAST).
// Writes reach the tracker through the keyspace's OnTouch hook — one atomic
// load per write while no client tracks anything — which only queues the
// key; after the command, still on the writer's goroutine, flush turns the
// queue into invalidation messages: RESP3 pushes (>2 invalidate [keys]),
// or __redis__:invalidate Pub/Sub messages to a RESP2 client that a
// tracking client redirects to. The writer's own invalidations follow its
// reply (Redis's tracking_pending_keys), as the queue is flushed after the
// handler ran. FLUSHALL/FLUSHDB invalidate everything with a null.

// trackState is a client's tracking mode (the CLIENT_TRACKING_* flags).
type trackState struct {
	on, bcast, optin, optout, noloop bool
	caching                          bool // CLIENT CACHING yes/no given for the next command
	scriptRead                       bool // the running script called a read-only command
	redir                            int64
	prefixes                         []string // BCAST prefixes, sorted
	// held is the client's own invalidations from the commands of its
	// EXEC, sent after EXEC's reply (Redis's tracking_pending_keys).
	held []byte
}

// bcastState is the keys changed under one prefix since the last flush and
// the clients subscribed to it.
type bcastState struct {
	keys    map[string]*client // → the client that changed it (nil: an expiry or eviction)
	clients map[*client]struct{}
}

// pendingKey is a key changed since the last flush; expired says by an
// expiry, which a NOLOOP client in BCAST mode is told of even when its own
// command found the key expired (Redis remembers the key to broadcast with
// no client).
type pendingKey struct {
	key     string
	expired bool
}

type tracker struct {
	srv *Server
	// clients counts tracking clients (INFO tracking_clients); the
	// keyspace's Tracking mirrors it so writes skip the tracker when zero.
	clients atomic.Int64

	mu       sync.Mutex
	table    map[string]map[int64]struct{} // key → IDs of clients that may cache it
	items    int64
	prefixes map[string]*bcastState
	pending  []pendingKey        // keys changed since the last flush
	expiring map[string]struct{} // keys expiring now: their touch is the expiry's
	flushAll bool                // a FLUSHALL/FLUSHDB since the last flush
}

func newTracker(s *Server) *tracker {
	return &tracker{srv: s, table: map[string]map[int64]struct{}{}, prefixes: map[string]*bcastState{}}
}

// touched is the keyspace's OnTouch hook.
func (t *tracker) touched(_ int, key string) {
	t.mu.Lock()
	_, exp := t.expiring[key]
	if exp {
		delete(t.expiring, key)
	}
	t.pending = append(t.pending, pendingKey{key, exp})
	t.mu.Unlock()
}

// expiringKey notes that key expires or is evicted: the keyspace touches
// it next, under the same stripe (onExpire, onEvict); its invalidation is
// no client's.
func (t *tracker) expiringKey(key string) {
	t.mu.Lock()
	if t.expiring == nil {
		t.expiring = map[string]struct{}{}
	}
	t.expiring[key] = struct{}{}
	t.mu.Unlock()
}

// flushed records a FLUSHALL/FLUSHDB (trackingInvalidateKeysOnFlush).
// The table is emptied even while no client tracks (keys remembered for
// clients that since turned tracking off stay in it until then).
func (t *tracker) flushed() {
	t.mu.Lock()
	if t.clients.Load() > 0 {
		t.flushAll = true
	}
	t.table = map[string]map[int64]struct{}{}
	t.items = 0
	t.mu.Unlock()
}

func (t *tracker) lookup(id int64) *client {
	t.srv.clientsMu.Lock()
	c := t.srv.clients[id]
	t.srv.clientsMu.Unlock()
	return c
}

// send is sendTrackingMessage: payload is the RESP of the invalidated keys
// (an array, or a null). cur is the client whose command just ran, on whose
// goroutine this is: its messages go after its reply in its own buffer.
func (t *tracker) send(c, cur *client, payload []byte) {
	usingRedir := false
	if c.trk.redir != 0 {
		r := t.lookup(c.trk.redir)
		if r == nil {
			c.trkBroken.Store(true)
			if c.w.Proto > 2 {
				w := resp.Writer{Proto: 3}
				w.Push(2)
				w.BulkString("tracking-redir-broken")
				w.Int(c.trk.redir)
				t.deliver(c, cur, w.Buf)
			}
			return
		}
		c, usingRedir = r, true
	}
	var b []byte
	switch {
	case c.w.Proto > 2:
		b = append(b, ">2\r\n$10\r\ninvalidate\r\n"...)
	case usingRedir && t.srv.isSubscribed(c):
		b = append(b, "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"...)
	default:
		return // RESP2 without redirection: nowhere to send it
	}
	t.deliver(c, cur, append(b, payload...))
}

func (t *tracker) deliver(c, cur *client, b []byte) {
	if c == cur {
		if c.inExec {
			c.trk.held = append(c.trk.held, b...) // EXEC's reply is being built
		} else {
			c.w.Buf = append(c.w.Buf, b...)
		}
		return
	}
	// Another client's goroutine: through the output queue, or straight
	// to a transport that queues without blocking (a RESP3 redirect
	// target that never subscribed is not in async mode; the transport
	// keeps each write whole). A blocking transport's such target misses
	// the message.
	if c.asyncOut.Load() || c.qc != nil {
		c.enqueue(b)
	}
}

// isSubscribed reports whether c is in Pub/Sub mode.
func (s *Server) isSubscribed(c *client) bool {
	s.pubsub.mu.RLock()
	defer s.pubsub.mu.RUnlock()
	return c.isPubSub()
}

// keyArray is the RESP array of the invalidated keys.
func keyArray(keys ...string) []byte {
	w := resp.Writer{Proto: 2}
	w.Array(len(keys))
	for _, k := range keys {
		w.BulkString(k)
	}
	return w.Buf
}

// invalidateKey is trackingInvalidateKey without the broadcast part: every
// client that may cache key is told, and the key leaves the table; a
// NOLOOP client is not told of its own change (own: cur's command made it).
// Needs t.mu.
func (t *tracker) invalidateKey(cur *client, key string, own bool) {
	ids := t.table[key]
	if ids == nil {
		return
	}
	delete(t.table, key)
	t.items -= int64(len(ids))
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, id := range sorted {
		c := t.lookup(id)
		if c == nil || !c.trk.on || c.trk.bcast {
			continue
		}
		if own && c.trk.noloop && c == cur {
			continue
		}
		t.send(c, cur, keyArray(key))
	}
}

// flush sends the invalidations queued since the last flush; cur is the
// client whose command just ran (nil for none). Then it remembers the keys
// of cur's read-only command and keeps the table within
// tracking-table-max-keys.
func (t *tracker) flush(cur *client, spec *command.Spec, args [][]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur != nil && len(cur.trk.held) > 0 {
		cur.w.Buf = append(cur.w.Buf, cur.trk.held...)
		cur.trk.held = nil
	}
	t.invalidatePending(cur)
	t.broadcast(cur)
	if cur != nil && spec != nil {
		t.remember(cur, spec, args)
	}
	// Over tracking-table-max-keys after a CONFIG SET: Redis's cron
	// drops the keys with no current client (a NOLOOP cur is told too).
	t.limit(cur, false)
}

// invalidatePending turns the keys changed since the last flush (and a
// FLUSHALL) into invalidations, and queues the keys for their BCAST
// prefixes. Needs t.mu.
func (t *tracker) invalidatePending(cur *client) {
	keys, all := t.pending, t.flushAll
	t.pending, t.flushAll = nil, false
	if cur == nil {
		// No client's flush (the cron): only expired and evicted keys;
		// a client's changes wait for its own flush, which attributes
		// them (NOLOOP).
		var own, rest []pendingKey
		for _, pk := range keys {
			if pk.expired {
				own = append(own, pk)
			} else {
				rest = append(rest, pk)
			}
		}
		keys, t.pending = own, rest
		t.flushAll, all = all, false
	}
	for _, pk := range keys {
		k := pk.key
		if len(t.prefixes) > 0 {
			for p, bs := range t.prefixes {
				if len(p) <= len(k) && k[:len(p)] == p {
					if pk.expired {
						bs.keys[k] = nil
					} else {
						bs.keys[k] = cur
					}
				}
			}
		}
		// A NOLOOP client is not told of an expiry its own command
		// caused (Redis compares with current_client here), but in BCAST
		// mode it is (the key is remembered with no client).
		t.invalidateKey(cur, k, true)
	}
	if all {
		t.srv.clientsMu.Lock()
		var tracking []*client
		for _, c := range t.srv.clients {
			if c.trk.on {
				tracking = append(tracking, c)
			}
		}
		t.srv.clientsMu.Unlock()
		sort.Slice(tracking, func(i, j int) bool { return tracking[i].id < tracking[j].id })
		for _, c := range tracking {
			null := []byte("$-1\r\n")
			if c.w.Proto > 2 {
				null = []byte("_\r\n")
			}
			t.send(c, cur, null)
		}
	}
}

// broadcast is trackingBroadcastInvalidationMessages: each prefix's changed
// keys, sorted, to its clients (without a NOLOOP client's own changes).
// Needs t.mu.
func (t *tracker) broadcast(cur *client) {
	for _, bs := range t.prefixes {
		if len(bs.keys) == 0 {
			continue
		}
		keys := make([]string, 0, len(bs.keys))
		for k := range bs.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		all := keyArray(keys...)
		clients := make([]*client, 0, len(bs.clients))
		for c := range bs.clients {
			clients = append(clients, c)
		}
		sort.Slice(clients, func(i, j int) bool { return clients[i].id < clients[j].id })
		for _, c := range clients {
			if c.trk.noloop {
				var others []string
				for _, k := range keys {
					if bs.keys[k] != c {
						others = append(others, k)
					}
				}
				if len(others) < len(keys) {
					if len(others) > 0 {
						t.send(c, cur, keyArray(others...))
					}
					continue
				}
			}
			t.send(c, cur, all)
		}
		bs.keys = map[string]*client{}
	}
}

// remember is trackingRememberKeys for cur's read-only command. Needs t.mu.
// A script (EVAL, FCALL and their _RO forms) remembers its declared keys
// when it called a read-only command, as Redis's call() does for the
// script's caller.
func (t *tracker) remember(c *client, spec *command.Spec, args [][]byte) {
	read := c.trk.scriptRead
	c.trk.scriptRead = false
	if !c.trk.on || c.trk.bcast || spec.Has(command.FlagPubsub) {
		return
	}
	switch spec.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		if !read {
			return
		}
	default:
		if !spec.Has(command.FlagReadonly) {
			return
		}
	}
	if (c.trk.optin && !c.trk.caching) || (c.trk.optout && c.trk.caching) {
		return
	}
	for _, i := range spec.KeyPositions(args, nil) {
		k := string(args[i])
		ids := t.table[k]
		if ids == nil {
			ids = map[int64]struct{}{}
			t.table[k] = ids
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
}

// limitBefore is processCommand's trackingLimitUsedSlots, before c's
// command runs: its own invalidations go before the command's reply (even
// a QUEUED one).
func (t *tracker) limitBefore(c *client) {
	t.mu.Lock()
	t.limit(c, true)
	t.mu.Unlock()
}

// limit is trackingLimitUsedSlots: over tracking-table-max-keys, keys are
// dropped (their clients told, as if the keys changed; own: as if by cur,
// which a NOLOOP cur is not told of). Needs t.mu.
func (t *tracker) limit(cur *client, own bool) {
	max := t.srv.conf().trackingMaxKeys
	if max == 0 || int64(len(t.table)) <= max {
		return
	}
	for k := range t.table {
		t.invalidateKey(cur, k, own)
		if int64(len(t.table)) <= max {
			return
		}
	}
}

// enable is enableTracking.
func (t *tracker) enable(c *client, redir int64, bcast, optin, optout, noloop bool, prefixes []string) {
	if !c.trk.on {
		if t.clients.Add(1) == 1 {
			t.srv.ks.Tracking.Store(1)
		}
	}
	c.switchToAsync() // invalidations reach it from other clients' goroutines
	t.mu.Lock()
	defer t.mu.Unlock()
	c.trk.on = true
	c.trkBroken.Store(false)
	c.trk.bcast, c.trk.optin, c.trk.optout, c.trk.noloop = false, false, false, false
	c.trk.redir = redir
	if bcast {
		c.trk.bcast = true
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			bs := t.prefixes[p]
			if bs == nil {
				bs = &bcastState{keys: map[string]*client{}, clients: map[*client]struct{}{}}
				t.prefixes[p] = bs
			}
			if _, ok := bs.clients[c]; !ok {
				bs.clients[c] = struct{}{}
				i := sort.SearchStrings(c.trk.prefixes, p)
				if i == len(c.trk.prefixes) || c.trk.prefixes[i] != p {
					c.trk.prefixes = append(c.trk.prefixes, "")
					copy(c.trk.prefixes[i+1:], c.trk.prefixes[i:])
					c.trk.prefixes[i] = p
				}
			}
		}
	}
	c.trk.optin, c.trk.optout, c.trk.noloop = optin, optout, noloop
}

// disable is disableTracking.
func (t *tracker) disable(c *client) {
	t.mu.Lock()
	if c.trk.bcast {
		for _, p := range c.trk.prefixes {
			if bs := t.prefixes[p]; bs != nil {
				delete(bs.clients, c)
				if len(bs.clients) == 0 {
					delete(t.prefixes, p)
				}
			}
		}
		c.trk.prefixes = nil
	}
	wasOn := c.trk.on
	if wasOn {
		redir, prefixes, held := c.trk.redir, c.trk.prefixes, c.trk.held
		c.trk = trackState{redir: redir, prefixes: prefixes, held: held}
		c.trkBroken.Store(false)
	}
	t.mu.Unlock()
	if wasOn && t.clients.Add(-1) == 0 {
		t.srv.ks.Tracking.Store(0)
	}
}

// afterCommand runs the tracking work of one command on its client's
// goroutine (only while some client tracks keys).
func (c *client) afterTracking(spec *command.Spec, args [][]byte, locked bool) {
	if locked {
		// Inside EXEC, each command's changes invalidate now (a key the
		// transaction reads after writing it stays cached), but this
		// client's own messages wait in trk.held for EXEC's end (Redis's
		// tracking_pending_keys): its reply array is being built.
		t := c.srv.track
		t.mu.Lock()
		t.invalidatePending(c)
		t.remember(c, spec, args)
		t.mu.Unlock()
		return
	}
	c.srv.track.flush(c, spec, args)
	// CLIENT CACHING applies to the next command only (outside MULTI; any
	// CLIENT subcommand keeps it), as Redis's resetClient.
	if !locked && !c.inMulti && spec.Name != "client" && (spec.Parent == nil || spec.Parent.Name != "client") {
		c.trk.caching = false
	}
}

func prefixesOverlap(a, b string) bool {
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}

func (s *Server) registerTracking() {
	s.handle("client|tracking", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		args := ctx.Args
		var redir int64
		var bcast, optin, optout, noloop bool
		var prefixes []string
		for j := 3; j < len(args); j++ {
			more := len(args)-1-j > 0
			switch a := args[j]; {
			case command.OptIs(a, "redirect") && more:
				j++
				if redir != 0 {
					ctx.Error(rediserr.TrackingOneRedirect)
					return
				}
				v, ok := rnum.ParseInt(args[j])
				if !ok {
					ctx.Error(rediserr.NotInteger)
					return
				}
				redir = v
				if s.track.lookup(redir) == nil {
					ctx.Error(rediserr.TrackingNoRedirect)
					return
				}
			case command.OptIs(a, "bcast"):
				bcast = true
			case command.OptIs(a, "optin"):
				optin = true
			case command.OptIs(a, "optout"):
				optout = true
			case command.OptIs(a, "noloop"):
				noloop = true
			case command.OptIs(a, "prefix") && more:
				j++
				prefixes = append(prefixes, string(args[j]))
			default:
				ctx.Error(rediserr.Syntax)
				return
			}
		}
		switch {
		case command.OptIs(args[2], "on"):
			if !bcast && len(prefixes) > 0 {
				ctx.Error(rediserr.TrackingPrefixNeedsBcast)
				return
			}
			if c.trk.on && c.trk.bcast != bcast {
				ctx.Error(rediserr.TrackingBcastSwitch)
				return
			}
			if bcast && (optin || optout) {
				ctx.Error(rediserr.TrackingOptBcast)
				return
			}
			if optin && optout {
				ctx.Error(rediserr.TrackingOptInOut)
				return
			}
			if (optin && c.trk.optout) || (optout && c.trk.optin) {
				ctx.Error(rediserr.TrackingOptSwitch)
				return
			}
			if bcast && !s.checkPrefixes(ctx, c, prefixes) {
				return
			}
			s.track.enable(c, redir, bcast, optin, optout, noloop, prefixes)
		case command.OptIs(args[2], "off"):
			s.track.disable(c)
		default:
			ctx.Error(rediserr.Syntax)
			return
		}
		ctx.W.OK()
	})
	s.handle("client|caching", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if !c.trk.on {
			ctx.Error(rediserr.CachingNeedsOpt)
			return
		}
		switch opt := ctx.Args[2]; {
		case command.OptIs(opt, "yes"):
			if !c.trk.optin {
				ctx.Error(rediserr.CachingYesNeedsOptIn)
				return
			}
		case command.OptIs(opt, "no"):
			if !c.trk.optout {
				ctx.Error(rediserr.CachingNoNeedsOptOut)
				return
			}
		default:
			ctx.Error(rediserr.Syntax)
			return
		}
		c.trk.caching = true
		ctx.W.OK()
	})
	s.handle("client|getredir", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if c.trk.on {
			ctx.W.Int(c.trk.redir)
		} else {
			ctx.W.Int(-1)
		}
	})
	s.handle("client|trackinginfo", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		s.track.mu.Lock()
		tr := c.trk
		tr.prefixes = append([]string(nil), c.trk.prefixes...)
		s.track.mu.Unlock()
		w := ctx.W
		w.Map(3)
		w.BulkString("flags")
		flags := []string{"off"}
		if tr.on {
			flags[0] = "on"
		}
		if tr.bcast {
			flags = append(flags, "bcast")
		}
		if tr.optin {
			flags = append(flags, "optin")
			if tr.caching {
				flags = append(flags, "caching-yes")
			}
		}
		if tr.optout {
			flags = append(flags, "optout")
			if tr.caching {
				flags = append(flags, "caching-no")
			}
		}
		if tr.noloop {
			flags = append(flags, "noloop")
		}
		if c.trkBroken.Load() {
			flags = append(flags, "broken_redirect")
		}
		w.Set(len(flags))
		for _, f := range flags {
			w.BulkString(f)
		}
		w.BulkString("redirect")
		if tr.on {
			w.Int(tr.redir)
		} else {
			w.Int(-1)
		}
		w.BulkString("prefixes")
		w.Array(len(tr.prefixes))
		for _, p := range tr.prefixes {
			w.BulkString(p)
		}
	})
}

// checkPrefixes is checkPrefixCollisionsOrReply, including its quirk: a
// collision between two new prefixes found past the first one is reported
// and yet tracking is enabled (and OK sent).
func (s *Server) checkPrefixes(ctx *command.Ctx, c *client, prefixes []string) bool {
	for i, p := range prefixes {
		for _, old := range c.trk.prefixes {
			if prefixesOverlap(old, p) {
				ctx.Error(rediserr.PrefixOverlapsExisting(cStr(p), cStr(old)))
				return false
			}
		}
		for _, q := range prefixes[i+1:] {
			if prefixesOverlap(p, q) {
				ctx.Error(rediserr.PrefixOverlapsGiven(cStr(p), cStr(q)))
				return i != 0
			}
		}
	}
	return true
}

// cStr is s up to its first NUL, as a C %s prints it.
func cStr(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}

// totals are INFO's tracking_total_keys, _items and _prefixes.
func (t *tracker) totals() (keys, items, prefixes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(len(t.table)), t.items, int64(len(t.prefixes))
}
