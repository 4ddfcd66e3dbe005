//go:build !linux

package server

import (
	"errors"
	"net"
)

// Without epoll every connection is served by its own goroutine (the
// goroutine transport, as SHOAL_IO=goroutine on Linux).

func useLoops() bool { return false }

func (s *Server) listenLoops([]string, int) error {
	return errors.New("no event-loop transport on this platform")
}

// hangup: a goroutine-transport client learns of a hang-up from its reads.
func (c *client) hangup() <-chan struct{} { return nil }

// takeOver: the goroutine owns the net.Conn already.
func (c *client) takeOver() (net.Conn, error) { return c.conn, nil }

// tlsOnLoop: no loops here; TLS clients are served by goroutines.
func (s *Server) tlsOnLoop(net.Conn) bool { return false }

// loopsForTLS: no loops here.
func (s *Server) loopsForTLS() error { return nil }

// applyWatchdog: no event loops to watch here.
func (s *Server) applyWatchdog() {}
