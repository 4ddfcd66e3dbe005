package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/tlsconf"
)

// TLS (docs/tls.md). A connection to tls-port is accepted here and does
// its handshake on a goroutine; it is then served by the event loops like a
// plaintext client (tls_loop_linux.go), or by its goroutine where there are
// no loops (SHOAL_IO=goroutine, other platforms). The configuration in force is one
// immutable tlsconf.Configs behind an atomic pointer: every handshake reads
// it (GetConfigForClient), so CONFIG SET of a certificate file applies to
// the next connection without a restart, and a failed reload leaves the old
// one in force.
type tlsState struct {
	cur atomic.Pointer[tlsconf.Configs]
	// lc is the listener's config: it only hands out cur.
	lc *tls.Config

	mu   sync.Mutex // the TLS listeners and their port
	lns  []net.Listener
	port int
}

// tlsHandshakeTimeout bounds a client's TLS handshake: a peer that sends
// nothing (or plaintext that stalls) does not hold a goroutine for ever.
const tlsHandshakeTimeout = 10 * time.Second

// errTLSConfigure is Redis's startup line after a failed tlsConfigure.
var errTLSConfigure = errors.New("Failed to configure TLS. Check logs for more info.")

// tlsSettings reads the tls-* directives.
func (s *Server) tlsSettings() (st tlsconf.Settings, port int) {
	v := func(name string) string { x, _ := s.cfg.Value(name); return x }
	n := func(name string) int64 { x, _ := strconv.ParseInt(v(name), 10, 64); return x }
	st = tlsconf.Settings{
		CertFile: v("tls-cert-file"), KeyFile: v("tls-key-file"), KeyFilePass: v("tls-key-file-pass"),
		ClientCertFile: v("tls-client-cert-file"), ClientKeyFile: v("tls-client-key-file"),
		ClientKeyFilePass: v("tls-client-key-file-pass"),
		CACertFile:        v("tls-ca-cert-file"), CACertDir: v("tls-ca-cert-dir"), DHParamsFile: v("tls-dh-params-file"),
		Protocols: v("tls-protocols"), Ciphers: v("tls-ciphers"), Ciphersuites: v("tls-ciphersuites"),
		AuthClients:         v("tls-auth-clients"),
		PreferServerCiphers: v("tls-prefer-server-ciphers") == "yes",
		SessionCaching:      v("tls-session-caching") == "yes",
		SessionCacheSize:    n("tls-session-cache-size"), SessionCacheTimeout: n("tls-session-cache-timeout"),
		Cluster: v("tls-cluster") == "yes", Replication: v("tls-replication") == "yes",
	}
	return st, int(n("tls-port"))
}

// configureTLS loads the TLS configuration if TLS is used anywhere
// (tls-port, tls-cluster or tls-replication), as Redis's tlsConfigure at
// startup and after CONFIG SET of a tls-* directive. force loads it even
// when TLS is not in use yet (CONFIG SET tls-port). The failure is logged.
func (s *Server) configureTLS(force bool) error {
	st, port := s.tlsSettings()
	if !force && port == 0 && !st.Cluster && !st.Replication {
		return nil
	}
	cfgs, err := tlsconf.Load(st)
	if err != nil {
		s.Logf('#', "%v", err)
		return err
	}
	s.tls.cur.Store(cfgs)
	return nil
}

// tlsConfigs is the configuration in force, nil when TLS was never set up.
func (s *Server) tlsConfigs() *tlsconf.Configs { return s.tls.cur.Load() }

// listenTLS binds tls-port on every bind address (goroutine transport).
func (s *Server) listenTLS(binds []string, port int) error {
	if port == 0 {
		return nil
	}
	if s.tls.lc == nil {
		s.tls.lc = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			auth, _ := s.cfg.Value("tls-auth-clients")
			return s.tls.cur.Load().Server[auth], nil
		}}
	}
	lns, err := listenAll(binds, port)
	if err != nil {
		s.Logf('#', "%v", err)
		return fmt.Errorf("Failed listening on port %d (TLS), aborting.", port)
	}
	if len(lns) == 0 {
		return fmt.Errorf("Failed listening on port %d (TLS), aborting.", port)
	}
	s.tls.mu.Lock()
	s.tls.lns, s.tls.port = lns, port
	s.tls.mu.Unlock()
	return nil
}

// serveTLS runs an accept loop per TLS listener (Serve, and CONFIG SET
// tls-port).
func (s *Server) serveTLS() {
	s.tls.mu.Lock()
	lns := s.tls.lns
	s.tls.mu.Unlock()
	for _, ln := range lns {
		s.wg.Add(1)
		go func(ln net.Listener) {
			defer s.wg.Done()
			s.acceptTLS(ln)
		}(ln)
	}
}

func (s *Server) closeTLSListeners() {
	s.tls.mu.Lock()
	for _, ln := range s.tls.lns {
		ln.Close()
	}
	s.tls.lns, s.tls.port = nil, 0
	s.tls.mu.Unlock()
}

// TLSAddr is the first TLS listening address, nil if none.
func (s *Server) TLSAddr() net.Addr {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if len(s.tls.lns) == 0 {
		return nil
	}
	return s.tls.lns[0].Addr()
}

func (s *Server) acceptTLS(ln net.Listener) {
	for {
		conn, ok := s.accept(ln)
		if !ok {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.tuneTCP(conn)
			if s.tlsOnLoop(conn) {
				return // served by an event loop (tls_loop_linux.go)
			}
			tc := tls.Server(conn, s.tls.lc)
			ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
			err := tc.HandshakeContext(ctx)
			cancel()
			if err != nil {
				// acceptCommonHandler's line for a failed handshake.
				s.Logf('#', "Error accepting a client connection: %s (conn: addr=%s)", tlsErrText(err), conn.RemoteAddr())
				conn.Close()
				return
			}
			if !s.admit(tc) {
				return
			}
			c := s.newClient(tc)
			c.tls = true
			c.serve()
		}()
	}
}

// tlsErrText trims Go's error to its reason.
func tlsErrText(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		return msg[i:]
	}
	return msg
}

// dialTLS wraps an outbound connection (replication, MIGRATE with
// tls-cluster) in TLS with the client configuration and runs the
// handshake, bounded by timeout. conn is closed on failure.
func (s *Server) dialTLS(conn net.Conn, timeout time.Duration) (net.Conn, error) {
	cfgs := s.tlsConfigs()
	if cfgs == nil {
		conn.Close()
		return nil, errors.New("TLS is not configured")
	}
	tc := tls.Client(conn, cfgs.Client)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// busTLS is clusternode's BusTLS: the bus speaks TLS while tls-cluster
// is yes.
func (s *Server) busTLS() (server, client *tls.Config) {
	c := s.tlsConfigs()
	if c == nil || !s.tlsCluster() {
		return nil, nil
	}
	return c.Bus, c.Client
}

// tlsDirective reports whether a CONFIG SET name is one whose change
// reconfigures TLS (Redis's applyTlsCfg and applyTLSPort).
func tlsDirective(name string) bool {
	name = strings.ToLower(name)
	return strings.HasPrefix(name, "tls-") && name != "tls-auth-clients"
}

// applyTLSConfig is the apply step of CONFIG SET for tls-* directives: it
// reloads the configuration (certificate files are read again even when
// their names did not change, Redis's VOLATILE_CONFIG) and moves the TLS
// listener when tls-port changed. The error is Redis's reason text.
func (s *Server) applyTLSConfig(portChanged bool) string {
	_, port := s.tlsSettings()
	if portChanged {
		if s.tlsConfigs() == nil && s.configureTLS(true) != nil {
			return "Unable to update TLS configuration. Check server logs."
		}
		s.closeTLSListeners()
		s.cfg.RLock()
		binds := append([]string(nil), s.cfg.Bind...)
		s.cfg.RUnlock()
		if len(binds) == 0 {
			binds = []string{"*"}
		}
		if err := s.listenTLS(binds, port); err != nil {
			s.Logf('#', "%v", err)
			return "Unable to listen on this port. Check server logs."
		}
		s.serveTLS()
		return ""
	}
	if s.configureTLS(false) != nil {
		return "Unable to update TLS configuration. Check server logs."
	}
	return ""
}

// tlsBackup is CONFIG SET's first step for tls-* directives: the values
// to restore if the reload fails, and the name Redis's error names (the
// first tls-* directive set), "" if pairs set none.
func (s *Server) tlsBackup(pairs [][2]string) (old [][2]string, arg string) {
	for _, p := range pairs {
		if !tlsDirective(p[0]) {
			continue
		}
		if arg == "" {
			arg = strings.ToLower(p[0])
		}
		v, _ := s.cfg.Value(p[0])
		old = append(old, [2]string{p[0], v})
	}
	return old, arg
}

// applyTLSSet reloads TLS after CONFIG SET changed tls-* directives; on
// failure it restores their old values (and the configuration stays as it
// was) and returns Redis's reason.
func (s *Server) applyTLSSet(old [][2]string) string {
	portChanged := false
	for i, p := range old {
		if strings.EqualFold(p[0], "tls-port") {
			now, _ := s.cfg.Value("tls-port")
			s.tls.mu.Lock()
			portChanged = now != old[i][1] || len(s.tls.lns) == 0 && now != "0"
			s.tls.mu.Unlock()
		}
	}
	msg := s.applyTLSConfig(portChanged)
	if msg != "" {
		s.cfg.Set(old)
		if portChanged {
			s.applyTLSConfig(true) // back on the old port
		}
	}
	return msg
}

// tlsReplication is tls-replication: a replica dials its master over TLS.
func (s *Server) tlsReplication() bool {
	v, _ := s.cfg.Value("tls-replication")
	return v == "yes"
}

// tlsCluster is tls-cluster: the bus and MIGRATE speak TLS, and the
// announced client port is tls-port.
func (s *Server) tlsCluster() bool {
	v, _ := s.cfg.Value("tls-cluster")
	return v == "yes"
}

// migrateTLS is MIGRATE's connection wrapper: TLS when tls-cluster is on,
// as Redis's migrateGetSocket.
func (s *Server) migrateTLS(conn net.Conn, timeout time.Duration) (net.Conn, error) {
	if !s.tlsCluster() {
		return conn, nil
	}
	return s.dialTLS(conn, timeout)
}

// view is the topology as this client is shown it: in a tls-cluster, a
// client of the plaintext port sees plaintext ports in redirects and
// CLUSTER NODES/SLOTS (Redis's use_pport); a TLS client sees TLS ports.
func (c *client) view(t *cluster.Topology) *cluster.Topology {
	if c.tls {
		return t
	}
	return t.ForPlaintext()
}

// viewOf is view for the command's client (a TLS view for anything else).
func viewOf(ctx *command.Ctx, t *cluster.Topology) *cluster.Topology {
	if c, ok := ctx.Client.(*client); ok {
		return c.view(t)
	}
	return t
}

// refuseTLSHello closes a plaintext connection whose next command starts
// as a TLS handshake record (0x16 0x03): a TLS client dialled the plaintext
// port. Redis would wait for an inline command's newline inside the
// ClientHello; closing at once lets the client fail fast. No RESP or
// inline command starts with these bytes.
func (c *client) refuseTLSHello() {
	c.srv.Logf('-', "Closing a TLS handshake on the plaintext port: id=%d addr=%s", c.id, c.conn.RemoteAddr())
	c.closeAfterReply = true
}
