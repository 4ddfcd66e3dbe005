//go:build !linux

package netloop

import (
	"errors"
	"net"
)

// Supported reports whether this platform has the event-loop transport:
// not here (no epoll); the server serves each connection from a goroutine.
const Supported = false

// Server stands in for the event loops where there are none; the server
// never creates one (Supported is false).
type Server struct{}

// Serve returns at once.
func (s *Server) Serve() {}

// Close does nothing.
func (s *Server) Close() {}

// CloseListener reports false: there are no listeners here.
func (s *Server) CloseListener(net.Addr) bool { return false }

// Held is 0: there are no connections here.
func (s *Server) Held() int64 { return 0 }

// Listen is never called here (Supported is false).
func (s *Server) Listen(string, int) (net.Addr, error) { return nil, errors.ErrUnsupported }
