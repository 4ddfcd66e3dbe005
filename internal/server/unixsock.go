package server

import (
	"fmt"
	"net"
	"os"
	"sync"
)

// unixState is the `unixsocket` listener (goroutine transport on every
// platform: a local socket is for tools and tests, not the hot path).
type unixState struct {
	mu   sync.Mutex
	ln   *net.UnixListener
	path string
}

// unixPeer is a unix-socket client's address as Redis prints it in CLIENT
// LIST (addr and laddr), the slowlog and CLIENT KILL: the socket's path
// followed by ":0".
type unixPeer struct{ path string }

func (a unixPeer) Network() string { return "unix" }
func (a unixPeer) String() string  { return a.path + ":0" }

// unixConn is an accepted unix-socket connection whose addresses read as
// Redis's. NetConn gives the socket under it (CLIENT LIST fd).
type unixConn struct {
	net.Conn
	addr unixPeer
}

func (c *unixConn) RemoteAddr() net.Addr { return c.addr }
func (c *unixConn) LocalAddr() net.Addr  { return c.addr }
func (c *unixConn) NetConn() net.Conn    { return c.Conn }

// isUnix reports whether the client came in on the unix socket.
func (c *client) isUnix() bool {
	_, ok := c.conn.RemoteAddr().(unixPeer)
	return ok
}

// listenUnix opens `unixsocket` as Redis's initServer does: a file left at
// the path is removed first, and `unixsocketperm` (when not 0) is applied.
func (s *Server) listenUnix() error {
	s.cfg.RLock()
	path, perm := s.cfg.Unixsocket, s.cfg.Unixsocketperm
	s.cfg.RUnlock()
	if path == "" {
		return nil
	}
	if len(path) > 107 { // sizeof(sun_path)-1 on Linux
		return fmt.Errorf("Failed opening Unix socket: unix socket path too long (%d), must be under 108", len(path))
	}
	os.Remove(path) // Redis does not care whether this fails
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("Failed opening Unix socket: bind: %s", strerror(err))
	}
	ln.SetUnlinkOnClose(false) // closeUnix decides, as Redis's closeListeningSockets
	if perm != 0 {
		if err := os.Chmod(path, os.FileMode(perm)); err != nil {
			ln.Close()
			return fmt.Errorf("Failed opening Unix socket: chmod: %s", strerror(err))
		}
	}
	s.unix.mu.Lock()
	s.unix.ln, s.unix.path = ln, path
	s.unix.mu.Unlock()
	return nil
}

// UnixSocket is the path of the unix socket served, "" if none.
func (s *Server) UnixSocket() string {
	s.unix.mu.Lock()
	defer s.unix.mu.Unlock()
	if s.unix.ln == nil {
		return ""
	}
	return s.unix.path
}

// serveUnix runs the unix socket's accept loop (Serve).
func (s *Server) serveUnix() {
	s.unix.mu.Lock()
	ln, path := s.unix.ln, s.unix.path
	s.unix.mu.Unlock()
	if ln == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, ok := s.accept(ln)
			if !ok {
				return
			}
			uc := &unixConn{Conn: conn, addr: unixPeer{path}}
			if !s.admit(uc) {
				continue
			}
			c := s.newClient(uc)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				c.serve()
			}()
		}
	}()
}

// closeUnix closes the unix listener and removes its file (Close: the
// server is going away, as Redis's closeListeningSockets(1) at shutdown).
func (s *Server) closeUnix() {
	s.unix.mu.Lock()
	ln, path := s.unix.ln, s.unix.path
	s.unix.ln = nil
	s.unix.mu.Unlock()
	if ln == nil {
		return
	}
	ln.Close()
	s.Logf('*', "Removing the unix socket file.")
	if err := os.Remove(path); err != nil {
		s.Logf('#', "Error removing the unix socket file: %s", strerror(err))
	}
}
