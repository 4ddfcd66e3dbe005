package server

import "github.com/shoal-db/shoal/internal/cluster"

// announceWaitAcked tells the cluster core, under cluster-replica-wait-safe,
// that a WAIT reply is about to acknowledge every write up to off. The core
// pushes the offset to this master's replicas in a ping extension; Query
// returns once those messages are queued on the bus links, so the reply
// never leaves ahead of its announcement's queueing (docs/failover.md).
// Without the directive, or with nothing new to announce, it costs two
// atomic loads.
func (s *Server) announceWaitAcked(off int64) {
	n := s.cl.node
	if n == nil || !s.cl.waitSafe.Load() || off <= s.cl.waitAcked.Load() {
		return
	}
	// Serialized, and waitAcked stored only after Do: a WAIT that sees its
	// offset covered knows the covering announcement is queued.
	s.cl.waitMu.Lock()
	defer s.cl.waitMu.Unlock()
	if off <= s.cl.waitAcked.Load() {
		return
	}
	// Query, not Do: a WAIT inside EXEC holds every stripe, so whatever
	// data or role change the core's tick produces goes to the runner's
	// worker; the messages are queued on the links before Query returns.
	_ = n.Query(func(c *cluster.Core) error {
		c.SetWaitAcked(off)
		return nil
	})
	s.cl.waitAcked.Store(off)
}
