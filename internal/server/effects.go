package server

import (
	"github.com/shoal-db/shoal/internal/command"
)

// beforeEffects prepares ctx to collect one command's effects: the batch
// when the stream keeps bytes, nil (Propagate only counts) when it does not.
// On a replica the stream is its master's, byte for byte: the writes of
// its own clients (replica-read-only no) stay out of it, as Redis keeps
// them out of its replication stream (replicationFeedSlaves), but reach
// its AOF as local entries (stream/local.go), as Redis's
// feedAppendOnlyFile gets them.
func (c *client) beforeEffects(ctx *command.Ctx) {
	ctx.Propagated = 0
	if c.replay {
		ctx.Effects = nil
	} else if !c.srv.ks.ReplicaMode.Load() {
		if c.srv.stream.Active() {
			ctx.Effects = &c.effects
		} else {
			ctx.Effects = nil
		}
	} else if c.srv.stream.KeepsLocal() && !c.isMaster {
		ctx.Effects = &c.effects
	} else {
		ctx.Effects = nil
	}
}

// afterEffects appends what the command changed to the write stream while
// its stripes are still locked (DESIGN decision 8), following Propagate's
// contract. Inside EXEC the commands collect in the client's batch, which
// exec appends as one MULTI … EXEC unit before it unlocks.
func (c *client) afterEffects(ctx *command.Ctx) {
	b := ctx.Effects
	if b == nil {
		return
	}
	if ctx.Propagated == 0 && ctx.Dirty > 0 {
		if !c.inExec && b.Len() == 0 && !c.srv.ks.ReplicaMode.Load() {
			// The common case: one verbatim command, copied once, into the stream.
			if c.loopMode {
				c.streamOff = c.srv.stream.AppendDeferred(ctx.DB.Index, ctx.Args)
			} else {
				c.streamOff = c.srv.stream.Append(ctx.DB.Index, ctx.Args...)
			}
			c.woff = c.streamOff
			return
		}
		b.Add(ctx.DB.Index, ctx.Args...)
	}
	if !c.inExec && b.Len() > 0 {
		c.commitEffects()
	}
}

// commitEffects appends the client's batch to the stream (on a replica:
// as a local entry) and empties it.
func (c *client) commitEffects() {
	if c.srv.ks.ReplicaMode.Load() {
		st := c.srv.stream
		if at := st.AppendLocal(&c.effects); at >= 0 {
			c.streamOff = max(at, 1) // appendfsync always: on disk before the reply
		}
		c.effects.Reset()
		return
	}
	var off int64
	if c.loopMode {
		off = c.srv.stream.AppendBatchDeferred(&c.effects)
	} else {
		off = c.srv.stream.AppendBatch(&c.effects)
	}
	if off > 0 {
		c.streamOff = off
		c.woff = off
	}
	c.effects.Reset()
}

// onExpire is the keyspace's expiry hook: the deletion of an expired key
// reaches the stream as DEL (UNLINK with lazyfree-lazy-expire), as Redis
// 7.0's deleteExpiredKeyAndPropagate does, under the key's stripe lock.
func (s *Server) onExpire(db int, key string) {
	if s.ks.Tracking.Load() != 0 {
		s.track.expiringKey(key) // its invalidation is no client's (tracking.go)
	}
	if s.stream.Active() {
		s.appendDeletion(db, key, s.conf().cmd.LazyfreeLazyExpire)
	}
	s.notifyHook(command.NotifyExpired, "expired", db, key)
}

// appendDeletion appends the deletion of key as DEL, or UNLINK if lazy
// (Redis's propagateDeletion), for an expiry or an eviction.
func (s *Server) appendDeletion(db int, key string, lazy bool) {
	if lazy {
		s.stream.AppendStrings(db, "UNLINK", key)
	} else {
		s.stream.AppendStrings(db, "DEL", key)
	}
}
