package server

import (
	"unsafe"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/slot"
)

func (s *Server) registerMulti() {
	s.handle("multi", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if c.inMulti {
			ctx.Error(rediserr.NestedMulti)
			return
		}
		c.inMulti, c.multiErr, c.queued, c.multiMem = true, false, c.queued[:0], 0
		ctx.W.OK()
	})
	s.handle("discard", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if !c.inMulti {
			ctx.Error(rediserr.DiscardNoMulti)
			return
		}
		c.discardMulti()
		ctx.W.OK()
	})
	s.handle("exec", func(ctx *command.Ctx) { ctx.Client.(*client).exec(ctx) })
	s.handle("watch", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if c.inMulti {
			ctx.Error(rediserr.WatchInMulti)
			return
		}
		for _, k := range ctx.Args[1:] {
			c.watch(k)
		}
		ctx.W.OK()
	})
	s.handle("unwatch", func(ctx *command.Ctx) {
		ctx.Client.(*client).unwatchAll()
		ctx.W.OK()
	})
}

func (c *client) discardMulti() {
	c.inMulti, c.multiErr = false, false
	for i := range c.queued {
		c.queued[i] = queuedCmd{}
	}
	c.queued, c.multiMem = c.queued[:0], 0
	c.unwatchAll()
}

// watch registers key for the client. Like Redis, a key already expired at
// WATCH time is reclaimed first, so its later deletion does not abort EXEC.
// WATCH's keys are in its key specs, so the dispatcher holds their stripes.
func (c *client) watch(key []byte) {
	for _, w := range c.watched {
		if w.db == c.db && w.key == string(key) {
			return
		}
	}
	if c.watcher == nil {
		c.watcher = &keyspace.Watcher{}
	}
	c.db.Lookup(key)
	c.db.Watch(key, c.watcher)
	c.watched = append(c.watched, watchedKey{c.db, string(key)})
}

func (c *client) unwatchAll() {
	for _, w := range c.watched {
		w.db.Unwatch(w.key, c.watcher)
	}
	c.watched = c.watched[:0]
	if c.watcher != nil {
		c.watcher.Dirty.Store(false)
	}
}

// exec runs the queued commands atomically: the stripes of every key they
// (and the watched keys) touch are locked together, in order, for the whole batch.
func (c *client) exec(ctx *command.Ctx) {
	if !c.inMulti {
		ctx.Error(rediserr.ExecWithoutMult)
		return
	}
	if c.multiErr {
		c.discardMulti()
		ctx.Error(rediserr.ExecAbort)
		return
	}
	ks := c.srv.ks
	queued := c.queued
	all := false
	c.slots = c.slots[:0]
	for _, q := range c.queued {
		if q.spec.LockAll || q.spec.ExecLocksAll {
			all = true
			break
		}
		c.keys = q.spec.KeyPositions(q.args, c.keys[:0])
		for _, i := range c.keys {
			c.slots = append(c.slots, slot.Of(q.args[i]))
		}
	}
	for _, w := range c.watched {
		c.slots = append(c.slots, slot.OfString(w.key))
	}
	var locks []int
	if all {
		ks.LockAll()
	} else {
		locks = ks.LockSlots(c.slots, nil)
	}
	// The whole transaction sees one time: a key alive for its first
	// command is alive for its last (Redis's fixed_time_expire).
	c.fixExecTime(all, locks, ks.NowMs())
	// A queued key in flight (cmd_migrate.go): EXEC runs again once it landed.
	if c.srv.migr.flights.Active() {
		for _, q := range queued {
			if c.keysInFlight(q.args, q.spec.KeyPositions(q.args, nil)) {
				c.unlockExec(all, locks)
				return
			}
		}
	}
	// A batch landed since EXEC was routed: route it again (migrateMoved).
	if c.landedSinceRoute() {
		c.unlockExec(all, locks)
		return
	}
	// A watched key that expired since WATCH counts as modified.
	for _, w := range c.watched {
		w.db.Lookup([]byte(w.key))
	}
	if c.watcher != nil && c.watcher.Dirty.Load() {
		c.unlockExec(all, locks)
		c.discardMulti()
		ctx.W.NullArray()
		return
	}
	c.inMulti = false
	w := ctx.W
	w.Array(len(queued))
	execArgs, execDB := ctx.Args, ctx.DB
	c.inExec = true
	for _, q := range queued {
		if msg := c.aclExecCheck(q.spec, q.args); msg != "" {
			w.Error(msg)
			continue
		}
		c.call(q.spec, q.args, true, -1)
	}
	c.inExec = false
	// The transaction's effects reach the stream as one MULTI … EXEC unit
	// (one command alone is not wrapped), before any stripe is released.
	if c.effects.Len() > 0 {
		c.commitEffects()
	}
	if c.isMaster {
		// A replica's stream got the master's EXEC with the first of
		// these commands; the database they left it in is known now, while
		// a rewrite's new file cannot start after the EXEC with the old one
		// (aof.go startWriter, stream/local.go).
		c.srv.stream.SetMasterDB(c.db.Index)
	}
	c.unlockExec(all, locks)
	c.discardMulti()
	// restore the EXEC context for the caller's bookkeeping: the queued
	// commands counted their own changes.
	ctx.Cmd = c.srv.table.Get("exec")
	ctx.Args, ctx.DB, ctx.Err, ctx.Dirty, ctx.Propagated = execArgs, execDB, false, 0, 0
}

// fixExecTime sets (ms > 0) or clears (0) the fixed time on the stripes
// EXEC holds.
func (c *client) fixExecTime(all bool, locks []int, ms int64) {
	ks := c.srv.ks
	if all {
		for st := range keyspace.NumStripes {
			ks.FixTime(st, ms)
		}
		return
	}
	for _, st := range locks {
		ks.FixTime(st, ms)
	}
}

func (c *client) unlockExec(all bool, locks []int) {
	c.fixExecTime(all, locks, 0)
	if all {
		c.srv.ks.UnlockAll()
	} else {
		c.srv.ks.UnlockStripes(locks)
	}
}

// queuedMem is what a queued command holds: its arguments' bytes and
// slice headers, and its queue entry (Redis's argv_len_sums and multiCmd).
func queuedMem(args [][]byte) int {
	n := int(unsafe.Sizeof(queuedCmd{})) + len(args)*int(unsafe.Sizeof(args[0]))
	for _, a := range args {
		n += len(a)
	}
	return n
}
