package server

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password] [AUTH2 username password] [KEYS key ...]
//
// WHERE IT RUNS. MIGRATE has FlagOffLoop, so the event loop hands the
// connection to a goroutine first (as for a blocking command), and
// OwnLocks, so the dispatcher does not lock its keys: the handler does.
//
//  1. Lock the keys' stripes; look the keys up; serialize each value as a
//     DUMP payload with its remaining TTL into one RESTORE(-ASKING) batch;
//     mark the keys in flight; unlock.
//  2. With no lock held, send the batch on the cached connection to the
//     target and read the replies (internal/migrate: Redis's retry and
//     error rules).
//  3. Lock again; delete the keys whose RESTORE replied OK (unless COPY);
//     clear the in-flight marks, waking the commands that waited; unlock.
//
// KEYS IN FLIGHT. Every command checks its keys against the in-flight set
// under its stripe locks (client.call, exec); one that finds a key in
// flight does not run: it waits (off the loop) for that key to land and
// then goes through routing again — by then the key is gone, so in a
// MIGRATING slot it gets -ASK, exactly as if it had arrived after the
// MIGRATE in Redis, which blocks the whole server for the transfer. So a
// write can never slip in between the serialization and the deletion and
// be lost. A command routed as local just before a batch landed and
// locked just after finds its key neither here nor in flight: the count
// of batches landed (InFlight.Landed), read before routing and again
// under the locks, sends it back to routing (migrateMoved), where the
// missing key gets -ASK instead of being created here beside the
// target's copy (CI saw redis-cli's reshard stop on "Target key exists").
// What is not held back: commands over the whole keyspace
// (FLUSHALL, FLUSHDB, SWAPDB) and active expiry — a key they remove during
// the transfer still lands on the target, as if the MIGRATE had run first.
//
// Inside MULTI/EXEC the transaction already holds the keys' stripes: the
// handler then does everything synchronously under them (as Redis blocks
// for the transfer), on the transaction's goroutine.

import (
	"sync"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/migrate"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/slot"
)

// migrateEncoders are DUMP payload encoders (each with its LZF table),
// one per running MIGRATE.
var migrateEncoders = sync.Pool{New: func() any { return rdb.NewEncoder(rdb.DefaultSettings()) }}

// migrateBatches keeps the buffers MIGRATE builds its RESTORE commands in:
// a reshard's batch is hundreds of KB, and a new one per call grew by
// copies into fresh pages (a fifth of a source node's CPU in a reshard).
// Buffers over maxPooledBatch are left to the GC.
var migrateBatches sync.Pool

const maxPooledBatch = 8 << 20

func getMigrateBatch() []byte {
	if b, ok := migrateBatches.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 64<<10)
}

func putMigrateBatch(b []byte) {
	if cap(b) <= maxPooledBatch {
		migrateBatches.Put(&b)
	}
}

// migrateState is the server's MIGRATE state.
type migrateState struct {
	cache   migrate.Cache
	flights migrate.InFlight
	// lastSweep is the unix second of the cache's last idle sweep (cron).
	lastSweep int64
}

func (s *Server) registerMigrate() {
	spec := s.handle("migrate", s.migrateCommand)
	spec.GetKeys = migrate.KeyPositions
	spec.OwnLocks = true
	spec.Flags |= command.FlagOffLoop
}

// keysInFlight reports whether one of the keys at positions keys of args
// (in the client's database) is in flight, and if so sets c.migrWait.
// Called with the keys' stripes held.
func (c *client) keysInFlight(args [][]byte, keys []int) bool {
	for _, i := range keys {
		if ch := c.srv.migr.flights.Wait(c.db.Index, args[i]); ch != nil {
			c.migrWait = ch
			return true
		}
	}
	return false
}

// migrateMoved reports, under the command's stripe locks, whether a
// MIGRATE holds one of its keys (the command then waits for it, c.migrWait)
// or landed a batch since the command was routed (c.routedAt): then it is
// routed again at once, as one of its keys may have left (cmd_migrate.go).
// One atomic load each when no MIGRATE runs.
func (c *client) migrateMoved(args [][]byte) bool {
	f := &c.srv.migr.flights
	if f.Active() && c.keysInFlight(args, c.keys) {
		return true
	}
	return c.landedSinceRoute()
}

// landedSinceRoute reports whether a MIGRATE batch landed since the
// command was routed (cluster mode), and if so sets it to be routed again.
func (c *client) landedSinceRoute() bool {
	if c.srv.migr.flights.Landed() == c.routedAt || c.session || c.srv.cl.node == nil {
		return false
	}
	c.migrWait = landedNow
	return true
}

// landedNow is a closed channel: a command told to wait on it is routed
// again at once.
var landedNow = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// keyListInFlight is keysInFlight for a list of keys (a script's
// declared keys).
func (c *client) keyListInFlight(keys [][]byte) bool {
	for _, k := range keys {
		if ch := c.srv.migr.flights.Wait(c.db.Index, k); ch != nil {
			c.migrWait = ch
			return true
		}
	}
	return false
}

// sweepMigrate closes idle MIGRATE connections once a second (serverCron's
// migrateCloseTimedoutSockets).
func (s *Server) sweepMigrate(nowMs int64) {
	if sec := nowMs / 1000; sec != s.migr.lastSweep {
		s.migr.lastSweep = sec
		s.migr.cache.Sweep()
	}
}

func (s *Server) migrateCommand(ctx *command.Ctx) {
	req, msg := migrate.Parse(ctx.Args)
	if msg != "" {
		ctx.Error(msg)
		return
	}
	// Inside EXEC or a script the caller holds the stripes.
	locked := ctx.Locked
	keys := req.Keys(ctx.Args)
	db := ctx.DB
	ks := s.ks
	slots := make([]int, len(keys))
	for i, k := range keys {
		slots[i] = slot.Of(k)
	}
	var stripes []int
	lock := func() {
		if !locked {
			stripes = ks.LockSlots(slots, stripes)
		}
	}
	unlock := func() {
		if !locked {
			ks.UnlockStripes(stripes)
		}
	}
	// Another MIGRATE moving one of these keys: wait for it to finish.
	for {
		lock()
		if locked || !s.migr.flights.Active() {
			break
		}
		var wait <-chan struct{}
		for _, k := range keys {
			if wait = s.migr.flights.Wait(db.Index, k); wait != nil {
				break
			}
		}
		if wait == nil {
			break
		}
		unlock()
		<-wait
	}

	// lookupKeyRead of every key; +NOKEY when none exists.
	vals := make([]keyspace.Value, 0, len(keys))
	found := make([][]byte, 0, len(keys))
	for _, k := range keys {
		if v, ok := db.Lookup(k); ok {
			vals = append(vals, v)
			found = append(found, k)
		}
	}
	if len(found) == 0 {
		unlock()
		ctx.W.Simple("NOKEY")
		return
	}
	// The batch: each live key with its remaining TTL (a key that expired
	// since the lookup is skipped; a TTL under 1 ms is sent as 1).
	asking := s.cl.node != nil
	enc := migrateEncoders.Get().(*rdb.Encoder)
	defer migrateEncoders.Put(enc)
	enc.Reset(ctx.RDBSettings())
	batch := getMigrateBatch()
	var payload []byte
	sent := found[:0]
	for i, k := range found {
		ttl := int64(0)
		if at := db.Expire(k); at != -1 {
			if ttl = at - ks.NowMs(); ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		var err error
		if payload, err = enc.AppendDump(payload[:0], vals[i]); err != nil {
			// A type the codec cannot write (none today).
			unlock()
			ctx.Error(rediserr.BadDataFormat)
			return
		}
		batch = migrate.AppendRestore(batch, asking, k, ttl, payload, req.Replace)
		sent = append(sent, k)
	}
	var flight *migrate.Flight
	if !locked {
		flight = s.migr.flights.Add(db.Index, sent)
	}
	unlock()

	res := s.migr.cache.Transfer(&req, batch, len(sent))
	putMigrateBatch(batch)

	lock()
	if !req.Copy {
		// Replicas and the AOF see a DEL of the keys moved (Redis rewrites
		// MIGRATE so), appended while their stripes are still held.
		del := [][]byte{[]byte("DEL")}
		for j, k := range sent {
			if res.Acked[j] {
				db.Delete(k)
				ctx.Notify(command.NotifyGeneric, "del", k)
				ctx.Dirty++
				del = append(del, k)
			}
		}
		if len(del) > 1 {
			ctx.Propagate(del...)
			if c, ok := ctx.Client.(*client); ok {
				c.afterEffects(ctx)
			}
		}
	}
	if !locked {
		s.migr.flights.Remove(flight, db.Index, sent)
	}
	unlock()
	if res.Err != "" {
		ctx.Error(res.Err)
		return
	}
	ctx.W.OK()
}
