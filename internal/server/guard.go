package server

import (
	"net"

	"github.com/shoal-db/shoal/internal/command"
)

// Guards Redis 7.0 puts on who may do what: protected-mode (connections
// from outside refused while the default user has no password),
// enable-debug-command (DEBUG), and enable-protected-configs (CONFIG SET
// of dir, dbfilename and the other protected directives, config package).
// The last two take no, yes or local (allowed from a local connection).

// deniedProtected is Redis 7.0's reply to a connection refused by
// protected-mode, sent before the connection is closed.
const deniedProtected = "-DENIED Redis is running in protected mode because protected " +
	"mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers to Redis you " +
	"may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command " +
	"'CONFIG SET protected-mode no' from the loopback interface " +
	"by connecting to Redis from the same host the server is " +
	"running, however MAKE SURE Redis is not publicly accessible " +
	"from internet if you do so. Use CONFIG REWRITE to make this " +
	"change permanent. " +
	"2) Alternatively you can just disable the protected mode by " +
	"editing the Redis configuration file, and setting the protected " +
	"mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart " +
	"it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. " +
	"NOTE: You only need to do one of the above things in order for " +
	"the server to start accepting connections from the outside.\r\n"

// debugDenied is the error for DEBUG when enable-debug-command forbids it.
const debugDenied = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", " +
	"you can run it from a local connection, otherwise you need to set this option " +
	"in the configuration file, and then restart the server."

// isLocalAddr is Redis's islocalClient: a unix socket, or a TCP peer whose
// address is exactly 127.0.0.1 or ::1.
func isLocalAddr(a net.Addr) bool {
	switch a := a.(type) {
	case *net.UnixAddr, unixPeer:
		return true
	case *net.TCPAddr:
		return a.IP.Equal(net.IPv4(127, 0, 0, 1)) && a.IP.To4() != nil || a.IP.Equal(net.IPv6loopback) && a.IP.To4() == nil
	}
	return false
}

// refuseProtected answers and reports true for a connection protected-mode
// does not accept (Redis's clientAcceptHandler); the caller closes it.
func (s *Server) refuseProtected(conn net.Conn) bool {
	st := s.conf()
	if !st.protectedMode || st.requirepass != "" || isLocalAddr(conn.RemoteAddr()) {
		return false
	}
	conn.Write([]byte(deniedProtected))
	s.stats.rejectedConns.Add(1)
	return true
}

// allowedLevel applies a no/yes/local setting to a client.
func (c *client) allowedLevel(level string) bool {
	switch level {
	case "yes":
		return true
	case "local":
		return c.session || isLocalAddr(c.conn.RemoteAddr())
	}
	return c.session // the AOF's session obeys, as Redis's mustObeyClient
}

// protectedDenied returns the error for a command its enable-* setting
// forbids to this client, or "" (DEBUG; Redis's CMD_PROTECTED commands).
func (c *client) protectedDenied(spec *command.Spec) string {
	if spec != c.srv.debugSpec || c.allowedLevel(c.srv.conf().debugCmd) {
		return ""
	}
	return debugDenied
}

// isLocal reports whether the client counts as local for
// enable-protected-configs (CONFIG SET).
func (c *client) isLocal() bool { return c.session || isLocalAddr(c.conn.RemoteAddr()) }
