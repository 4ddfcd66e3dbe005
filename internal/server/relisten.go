package server

import (
	"net"
	"strconv"
	"strings"
)

// CONFIG SET port and bind move the plaintext listeners, as Redis 7.0's
// changeListenPort and changeBindAddr do: the old sockets are closed, the
// new ones opened; when that fails the old values come back (listening
// again) and CONFIG SET answers Redis's error. Clients already connected
// stay. A cluster node keeps the ports it announced at startup.

const (
	portApplyError = "Unable to listen on this port. Check server logs."
	bindApplyError = "Failed to bind to specified addresses."
)

// configBackup is CONFIG SET's first step for directives applied after
// the set (port and bind, oom-score-adj): the values of names before it,
// and the name Redis's error gives (the first of names in pairs; "" if
// pairs sets none).
func (s *Server) configBackup(pairs [][2]string, names ...string) (old [][2]string, arg string) {
	for _, p := range pairs {
		for _, n := range names {
			if arg == "" && strings.EqualFold(p[0], n) {
				arg = n
			}
		}
	}
	if arg == "" {
		return nil, ""
	}
	for _, n := range names {
		v, _ := s.cfg.Value(n)
		old = append(old, [2]string{n, v})
	}
	return old, arg
}

// applyListen moves the listeners after CONFIG SET changed port or bind;
// on failure it restores the old values and listeners and returns Redis's
// reason.
func (s *Server) applyListen(old [][2]string) string {
	port, _ := s.cfg.Value("port")
	bind, _ := s.cfg.Value("bind")
	if port == old[0][1] && bind == old[1][1] {
		return ""
	}
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	err := s.relisten()
	if err == nil {
		if bind != old[1][1] {
			s.relistenTLS()
		}
		return ""
	}
	s.Logf('#', "%v", err)
	msg, what := portApplyError, "port"
	if bind != old[1][1] {
		msg, what = bindApplyError, "bind"
		s.Logf('#', "Failed to bind")
	}
	s.Logf('#', "Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.", what)
	s.cfg.Set(old)
	if err := s.relisten(); err != nil {
		s.Logf('#', "%v", err)
	}
	return msg
}

// restoreListen moves the listeners back after a CONFIG SET whose port or
// bind applied but whose later apply failed (the values are restored first).
func (s *Server) restoreListen(bindMoved bool) {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if err := s.relisten(); err != nil {
		s.Logf('#', "%v", err)
	}
	if bindMoved {
		s.relistenTLS()
	}
}

// relisten closes the plaintext listeners and opens them again on the
// configured bind addresses and port (none for port 0 or bind ""). Called
// with lnMu.
func (s *Server) relisten() error {
	s.cfg.RLock()
	port, binds := s.cfg.Port, append([]string(nil), s.cfg.Bind...)
	s.cfg.RUnlock()
	if s.loops != nil {
		for _, a := range s.loopAddrs {
			s.loops.CloseListener(a)
		}
		s.loopAddrs = nil
		if port == 0 || len(binds) == 0 { // bind "": no TCP listener
			return nil
		}
		var addrs []net.Addr
		for _, b := range binds {
			b, host, optional := bindHost(b)
			addr, err := s.loops.Listen(host, port)
			if err != nil {
				if optional {
					continue
				}
				for _, a := range addrs {
					s.loops.CloseListener(a)
				}
				return &bindError{addr: b, port: port, err: err}
			}
			addrs = append(addrs, addr)
		}
		s.loopAddrs = addrs
		return nil
	}
	s.closeListeners()
	s.listeners = nil
	if port == 0 || len(binds) == 0 {
		return nil
	}
	lns, err := listenAll(binds, port)
	if err != nil {
		return err
	}
	s.listeners = lns
	for _, ln := range lns {
		s.wg.Add(1)
		go func(ln net.Listener) {
			defer s.wg.Done()
			s.acceptLoop(ln)
		}(ln)
	}
	return nil
}

// relistenTLS moves the TLS listeners to the new bind addresses, as
// changeBindAddr does.
func (s *Server) relistenTLS() {
	_, port := s.tlsSettings()
	if port == 0 {
		return
	}
	s.closeTLSListeners()
	s.cfg.RLock()
	binds := append([]string(nil), s.cfg.Bind...)
	s.cfg.RUnlock()
	if len(binds) == 0 {
		return // bind "": no TCP listener
	}
	if err := s.listenTLS(binds, port); err != nil {
		s.Logf('#', "%v (tls-port %s)", err, strconv.Itoa(port))
		return
	}
	s.serveTLS()
}

// plainAddr is the first plaintext listening address, nil if none (port 0).
func (s *Server) plainAddr() net.Addr {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if len(s.loopAddrs) == 0 && len(s.listeners) == 0 {
		return nil
	}
	if len(s.loopAddrs) > 0 {
		return s.loopAddrs[0]
	}
	return s.listeners[0].Addr()
}

// bindHost reads one bind address: its name without a leading '-'
// (optional: a failure to bind it is ignored), and the host to listen on
// ("*" all IPv4, "::*" all IPv6).
func bindHost(b string) (name, host string, optional bool) {
	optional = len(b) > 0 && b[0] == '-'
	if optional {
		b = b[1:]
	}
	switch b {
	case "*":
		return b, "0.0.0.0", optional
	case "::*":
		return b, "::", optional
	}
	return b, b, optional
}
