package server

import (
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/types"
)

// applySettings pushes configuration the command and type packages read as
// package-level settings (limits and encoding thresholds). Runs at start
// and after every CONFIG SET.
func (s *Server) applySettings() {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	command.ProtoMaxBulkLen.Store(s.cfg.ProtoMaxBulkLen)
	types.ZSetMaxListpackEntries = int(s.cfg.ZsetMaxListpackEntries)
	types.ZSetMaxListpackValue = int(s.cfg.ZsetMaxListpackValue)
	types.HashMaxListpackEntries = s.cfg.HashMaxListpackEntries
	types.HashMaxListpackValue = s.cfg.HashMaxListpackValue
	types.SetMaxIntsetEntries = s.cfg.SetMaxIntsetEntries
}

// The client answers the generic commands' questions about the server
// (command.ServerConfig).
var _ command.ServerConfig = (*client)(nil)

func (c *client) ClusterEnabled() bool { return c.srv.clusterEnabled() }

func (c *client) MaxmemoryPolicy() string {
	c.srv.cfg.RLock()
	defer c.srv.cfg.RUnlock()
	return c.srv.cfg.MaxmemoryPolicy
}

func (c *client) Maxmemory() int64 {
	c.srv.cfg.RLock()
	defer c.srv.cfg.RUnlock()
	return c.srv.cfg.Maxmemory
}

// DUMP and RESTORE read the list node size and rdbcompression
// (command.DumpConfig).
var _ command.DumpConfig = (*client)(nil)

func (c *client) ListMaxListpackSize() int {
	c.srv.cfg.RLock()
	defer c.srv.cfg.RUnlock()
	return c.srv.cfg.ListMaxListpackSize
}

func (c *client) RDBCompression() bool {
	c.srv.cfg.RLock()
	defer c.srv.cfg.RUnlock()
	return c.srv.cfg.RDBCompression
}
