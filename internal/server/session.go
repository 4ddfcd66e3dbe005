package server

import (
	"fmt"
	"time"

	"github.com/shoal-db/shoal/internal/command"
)

// A session without a socket (DESIGN decision 10): what replaying an AOF
// (and later applying a replication stream) needs to run commands through
// the same dispatch as a connection — arity, the handler, the stripe
// locks, MULTI/EXEC — as Redis's fake AOF client does. Replies are dropped.
// Cluster routing, blocking, MONITOR and the client list do not see it.

// newSession returns a connection-less client. With replay set, the
// commands it runs do not reach the write stream (an AOF being loaded is
// already in the files).
func (s *Server) newSession(replay bool) *client {
	c := &client{srv: s, id: s.nextID.Add(1), created: time.Now(), session: true, replay: replay}
	c.w.Proto = 2
	c.db = s.ks.DB(0)
	c.authed = true
	c.user.Store(s.aclSuper)
	c.ctx.W = &c.w
	c.ctx.KS = s.ks
	c.ctx.Client = c
	return c
}

// run executes one command in the session. An unknown command is an
// error (the AOF loader refuses the file); any other error is a reply, as
// for Redis's fake client, which ignores replies.
func (c *client) run(args [][]byte) error {
	spec := c.srv.table.Lookup(args[0])
	if spec == nil || !spec.Implemented() {
		return fmt.Errorf("Unknown command '%s'", args[0])
	}
	c.execute(spec, args)
	c.w.Reset()
	c.flushStats()
	return nil
}

// sessionCanBlock: a session never parks (Redis asserts the fake client is
// never blocked; a blocking command in it answers as inside MULTI).
func (c *client) sessionCanBlock(ctx *command.Ctx) {
	if c.session {
		ctx.CanBlock = false
	}
}
