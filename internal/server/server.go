package server

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/acl"
	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/netloop"
	"github.com/shoal-db/shoal/internal/persist/aof"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/script"
	"github.com/shoal-db/shoal/internal/snapshot"
	"github.com/shoal-db/shoal/internal/stream"
)

// Version is the Redis version Shoal is compatible with and reports.
const Version = "7.0.15"

// Server is one node's client-facing side.
type Server struct {
	cfg   *config.Config
	ks    *keyspace.Keyspace
	table *command.Table
	log   *log.Logger

	listeners []net.Listener
	// loops serve connections when the event-loop transport is in use.
	loops     *netloop.Server
	loopAddrs []net.Addr
	lnMu      sync.Mutex // listeners and loopAddrs after Serve (relisten.go)
	quit      chan struct{}
	wg        sync.WaitGroup

	track     *tracker // client-side caching (tracking.go)
	clientsMu sync.Mutex
	clients   map[int64]*client
	nextID    atomic.Int64

	pubsub *hub
	// acl is the ACL users registry; aclSuper the identity of sessions (acl.go).
	acl      *acl.Registry
	aclSuper *acl.User
	// blocking holds the clients blocked on keys (blocking.go).
	blocking blockRegistry
	// migr is MIGRATE's connection cache and keys in flight (cmd_migrate.go).
	migr migrateState
	// pause is CLIENT PAUSE and the manual failover pause (pause.go).
	pause pauseState

	// cl is cluster mode (cmd_cluster.go); its node is nil when disabled.
	cl clusterServer
	// repl is replication (replication.go); roleChar is the log's role
	// mark ('M' master, 'S' replica).
	repl     replState
	fo       failoverState // the standalone FAILOVER command (repl_failover.go)
	tls      tlsState      // tls-port and the TLS configuration (tls.go)
	unix     unixState     // unixsocket (unixsock.go)
	roleChar atomic.Int32

	startTime time.Time
	stats     stats
	rel       releaser       // giving buffer memory back (obuf.go)
	debugSpec *command.Spec  // DEBUG, refused per enable-debug-command (guard.go)
	slowlog   slowlog        // SLOWLOG (slowlog.go)
	latency   latencyMonitor // LATENCY (latency.go)

	// settings is the configuration in force, an immutable value replaced
	// on CONFIG SET (settings.go); settingsMu orders the replacements.
	settings   atomic.Pointer[settings]
	settingsMu sync.Mutex
	procTitle  string // the process title last set (proctitle.go), under settingsMu

	// nowMs is a coarse clock (unix ms) the cron refreshes, for bookkeeping
	// that needs no precision (client idle times), off the hot path.
	nowMs atomic.Int64

	// mem is memory accounting and eviction (memory.go); cev client
	// eviction (maxmemory-clients, clientevict.go).
	mem memState
	cev clientEvictState
	// bufs: DEBUG REPLYBUFFER and the buffer-resize stats (replybuf.go).
	bufs bufSizing

	// noActiveExpire is DEBUG SET-ACTIVE-EXPIRE 0; cronPaused DEBUG
	// PAUSE-CRON 1; qlPacked DEBUG QUICKLIST-PACKED-THRESHOLD (0: the
	// default); dropPacket DEBUG DROP-CLUSTER-PACKET-FILTER (-1: none).
	noActiveExpire atomic.Bool
	cronPaused     atomic.Bool
	sigShutdown    sigShutdownState // a SIGTERM/SIGINT's shutdown (sigshutdown.go)
	oom            oomState         // oom-score-adj (oom.go)
	// skipChecksum is DEBUG SET-SKIP-CHECKSUM-VALIDATION (RESTORE, RDB files).
	skipChecksum atomic.Bool
	qlPacked     atomic.Int64

	// stream is the ordered write stream (effects.go, DESIGN decision 4).
	stream *stream.Stream
	// aof is the append-only file (aof.go).
	aof aofState

	// lazy holds lazyfree-lazy-expire/-user-del: deletions propagate as UNLINK.
	// scripts runs EVAL and FCALL (cmd_script.go); scriptBusy is set while
	// a script runs past busy-reply-threshold.
	scripts    *script.Engine
	scriptBusy atomic.Bool
	scriptLock scriptLocking
	// ldbLive counts the debugging sessions that have not sent their last
	// reply; a shutdown waits for them (script_debug.go).
	ldbLive ldbSessions

	// adm holds INFO, MONITOR, SHUTDOWN and CLIENT bookkeeping (cmd_admin.go).
	adm adminState
	// sdWait is a shutdown waiting for lagging replicas (shutdown_wait.go).
	sdWait shutdownWait

	// save is RDB persistence (save.go); loading is set while a dataset
	// is loaded at startup or by DEBUG RELOAD (load.go).
	save    saveState
	loading loadState

	shutdownOnce sync.Once
	// ShutdownRequested is closed when a client asks the server to stop (SHUTDOWN).
	ShutdownRequested chan struct{}
}

type stats struct {
	connections       atomic.Int64
	commands          atomic.Int64
	rejectedConns     atomic.Int64
	netInput          atomic.Int64
	netOutput         atomic.Int64
	pubsubMessages    atomic.Int64
	totalErrorReplies atomic.Int64
}

// New makes a server for cfg. Call Serve to start accepting.
func New(cfg *config.Config, logw io.Writer) *Server {
	cfg.RLock()
	dbs := cfg.Databases
	cfg.RUnlock()
	s := &Server{
		cfg:               cfg,
		ks:                keyspace.New(dbs),
		table:             command.NewTable(),
		log:               log.New(logw, "", 0),
		quit:              make(chan struct{}),
		clients:           make(map[int64]*client),
		pubsub:            newHub(),
		startTime:         time.Now(),
		ShutdownRequested: make(chan struct{}),
		stream:            stream.New(0),
	}
	s.ks.OnExpire = s.onExpire
	s.ks.OnNew = s.onNew
	s.migr.cache.Wrap = s.migrateTLS
	s.track = newTracker(s)
	s.ks.OnTouch = s.track.touched
	s.nowMs.Store(time.Now().UnixMilli())
	s.bufs.peakResetMs.Store(replyPeakResetDefault)
	s.initACL()
	s.initMemory()
	s.applySettings()
	cfg.OnSet(func(name string) {
		s.applySettings()
		s.applyAOFConfig(name)
		if name == "maxmemory-clients" || name == "maxmemory" {
			s.clientsEvictCron() // a lowered limit evicts at once, as Redis's CONFIG SET
		}
	})
	command.Register(s.table)
	s.registerServerCommands()
	return s
}

// Keyspace returns the node's data.
func (s *Server) Keyspace() *keyspace.Keyspace { return s.ks }

// Table returns the command table.
func (s *Server) Table() *command.Table { return s.table }

// Logf writes a log line in Redis's format: "pid:M dd Mon yyyy hh:mm:ss.mmm * msg".
// Lines below the configured loglevel (debug '.', verbose '-', notice '*',
// warning '#') are dropped, as Redis's serverLog does.
func (s *Server) Logf(level byte, format string, args ...any) {
	if logRank(level) < s.conf().minLog {
		return
	}
	now := time.Now()
	role := byte(s.roleChar.Load())
	if role == 0 {
		role = 'M'
	}
	s.log.Printf("%d:%c %s %c %s", os.Getpid(), role, now.Format("02 Jan 2006 15:04:05.000"), level, fmt.Sprintf(format, args...))
}

// logRank orders Redis's log level marks.
func logRank(level byte) int32 {
	switch level {
	case '.':
		return 0
	case '-':
		return 1
	case '*':
		return 2
	}
	return 3
}

// Listen binds the configured addresses (bind × port, and bind × tls-port
// for TLS).
func (s *Server) Listen() error {
	s.cfg.RLock()
	port, binds := s.cfg.Port, append([]string(nil), s.cfg.Bind...)
	// bind "" listens on no TCP address (Redis's listenToPort).
	unixOnly := port == 0 && s.cfg.Unixsocket != "" || len(binds) == 0
	unixPath := s.cfg.Unixsocket
	s.cfg.RUnlock()
	if len(binds) == 0 && unixPath == "" {
		return errors.New("Configured to not listen anywhere, exiting.")
	}
	if err := s.configureTLS(false); err != nil {
		return errTLSConfigure
	}
	_, tlsPort := s.tlsSettings()
	if !unixOnly {
		if err := s.listenPlain(binds, port, tlsPort); err != nil {
			return err
		}
	}
	err := s.listenTLS(binds, tlsPort)
	if err == nil {
		if err = s.listenUnix(); err != nil {
			s.closeTLSListeners()
		}
	}
	if err != nil {
		s.closeListeners()
		if s.loops != nil {
			s.loops.Close()
		}
		return err
	}
	return nil
}

// listenPlain binds the plaintext port. port 0 beside a TLS port leaves
// it closed, as Redis; port 0 alone binds an ephemeral port (in-process
// tests).
func (s *Server) listenPlain(binds []string, port, tlsPort int) error {
	if port == 0 && tlsPort != 0 {
		return s.loopsForTLS()
	}
	if useLoops() {
		return s.listenLoops(binds, port)
	}
	lns, err := listenAll(binds, port)
	if err != nil {
		return fmt.Errorf("%v\nFailed listening on port %d (TCP), aborting.", err, port)
	}
	if len(lns) == 0 {
		return fmt.Errorf("Failed listening on port %d (TCP), aborting.", port)
	}
	s.listeners = lns
	return nil
}

// bindError is a bind address that could not be listened on; its text is
// Redis's listenToPort warning ("Warning: Could not create server TCP
// listening socket *:6379: bind: Address already in use").
type bindError struct {
	addr string
	port int
	err  error
}

func (e *bindError) Error() string {
	text := aof.ErrText(e.err)
	var se *os.SyscallError
	if errors.As(e.err, &se) {
		text = se.Syscall + ": " + aof.ErrText(se.Err)
	}
	return fmt.Sprintf("Warning: Could not create server TCP listening socket %s:%d: %s", e.addr, e.port, text)
}

// listenAll listens on port at every bind address ("*", "::*", an IP; a
// leading '-' makes one optional) for the goroutine transport. On an error
// it closes what it opened.
func listenAll(binds []string, port int) ([]net.Listener, error) {
	var lns []net.Listener
	for _, b := range binds {
		optional := len(b) > 0 && b[0] == '-'
		if optional {
			b = b[1:]
		}
		host, network := b, "tcp"
		switch b {
		case "*":
			host, network = "0.0.0.0", "tcp4"
		case "::*":
			host, network = "::", "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, &bindError{addr: b, port: port, err: err}
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// Addr is the first listening address: the plaintext port's, or the TLS
// port's when port is 0.
func (s *Server) Addr() net.Addr {
	if a := s.plainAddr(); a != nil {
		return a
	}
	return s.TLSAddr()
}

// Serve accepts connections until Close. It returns when all listeners stop.
func (s *Server) Serve() {
	s.startBackground()
	s.serveTLS()
	s.serveUnix()
	if s.loops != nil {
		s.loops.Serve()
		return
	}
	var wg sync.WaitGroup
	s.lnMu.Lock()
	lns := s.listeners
	s.lnMu.Unlock()
	for _, ln := range lns {
		wg.Add(1)
		go func(ln net.Listener) {
			defer wg.Done()
			s.acceptLoop(ln)
		}(ln)
	}
	wg.Wait()
	<-s.quit // with port 0 only the TLS listeners serve
}

// accept waits for ln's next connection; false once ln is closed or the
// server stops (a transient error is retried after a pause).
func (s *Server) accept(ln net.Listener) (net.Conn, bool) {
	for {
		conn, err := ln.Accept()
		if err == nil {
			return conn, true
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, false
		}
		select {
		case <-s.quit:
			return nil, false
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *Server) acceptLoop(ln net.Listener) {
	for {
		conn, ok := s.accept(ln)
		if !ok {
			return
		}
		s.tuneTCP(conn)
		if !s.admit(conn) {
			continue
		}
		c := s.newClient(conn)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
		}()
	}
}

// tuneTCP sets TCP_NODELAY and tcp-keepalive on an accepted connection.
func (s *Server) tuneTCP(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		s.cfg.RLock()
		ka := s.cfg.TCPKeepalive
		s.cfg.RUnlock()
		if ka > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Duration(ka) * time.Second)
		}
	}
}

// admit applies maxclients and protected mode to a new connection; a
// refused one is closed.
func (s *Server) admit(conn net.Conn) bool {
	s.clientsMu.Lock()
	n := len(s.clients)
	s.clientsMu.Unlock()
	if int64(n) >= s.conf().maxclients {
		conn.Write([]byte("-" + rediserr.MaxClients + "\r\n"))
		conn.Close()
		s.stats.rejectedConns.Add(1)
		return false
	}
	if s.refuseProtected(conn) {
		conn.Close()
		return false
	}
	return true
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Close stops accepting, disconnects every client and waits for them.
func (s *Server) Close() {
	s.shutdownOnce.Do(func() {
		close(s.quit)
		s.lnMu.Lock()
		s.closeListeners()
		s.lnMu.Unlock()
		s.closeTLSListeners()
		s.closeUnix()
		if s.loops != nil {
			s.loops.Close()
		}
		s.migr.cache.Close()
		// A debugging session ends as the shutdown starts (its client's
		// socket is its own): its <endsession> and the EVAL's reply leave
		// before the clients are closed and the process exits.
		if !s.ldbLive.wait(ldbCloseWait) {
			s.Logf('#', "A Lua debugging session did not end in %v: exiting without its reply", ldbCloseWait)
		}
		s.clientsMu.Lock()
		for _, c := range s.clients {
			c.conn.Close()
		}
		s.clientsMu.Unlock()
		s.aof.mu.Lock()
		s.stopAOF() // what was acknowledged is written and fsynced
		s.aof.mu.Unlock()
		if s.save.frozen.Load() {
			// PrepareShutdown holds every stripe: connections waiting
			// for one never finish, and the process is about to exit.
			return
		}
		s.wg.Done() // the server's own count (registerAdmin)
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			// Something did not stop: leave the evidence in the log.
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 1)
			s.Logf('#', "Timed out waiting for connections to close; goroutines:\n%s", b.String())
		}
	})
}

// closeIdleClients closes connections idle longer than the timeout
// directive (Redis's clientsCronHandleTimeout), for both transports.
// Pub/sub and blocked clients are exempt.
func (s *Server) closeIdleClients() {
	t := s.conf().timeout
	if t <= 0 {
		return
	}
	now := s.nowMs.Load()
	var idle []*client
	s.clientsMu.Lock()
	for _, c := range s.clients {
		if !c.asyncOut.Load() && !c.blockedNow.Load() && now-c.lastUsed.Load() > t*1000 {
			idle = append(idle, c)
		}
	}
	s.clientsMu.Unlock()
	for _, c := range idle {
		s.Logf('-', "Closing idle client")
		c.kill()
	}
}

// startBackground runs the server cron: active expiry at hz.
func (s *Server) startBackground() {
	s.setOOMScoreAdj(-1, 0)
	exp := keyspace.NewExpirer(s.ks)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.cfg.RLock()
		hz := s.cfg.Hz
		s.cfg.RUnlock()
		if hz <= 0 {
			hz = 10
		}
		tick := time.NewTicker(time.Second / time.Duration(hz))
		defer tick.Stop()
		var lastSecond int64
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
				now := time.Now()
				s.nowMs.Store(now.UnixMilli()) // the cached clock, kept fresh as Redis's afterSleep does
				clock.Calibrate()              // the command timer's TSC rate, once (clock.Fast)
				// A deferred append whose loop round has not ended yet (a
				// call handed off by the watchdog) reaches its readers.
				s.stream.WakeDeferred()
				if s.cronPaused.Load() {
					continue // DEBUG PAUSE-CRON 1: no cron work, as Redis
				}
				s.shutdownCron()
				s.sampleMetrics(now)
				s.memoryCron(now)
				s.closeIdleClients()
				s.obufCron()
				s.clientsEvictCron()
				s.clientsResizeCron(hz)
				s.saveCron()
				snapshot.ReleaseIdleProcs(now)
				s.aofRewriteCron()
				if now := s.nowMs.Load() / 1000; now != lastSecond {
					lastSecond = now
					s.replicationCron()
				} else {
					s.clusterReportOffset()
				}
				s.sweepMigrate(s.nowMs.Load())
				if s.noActiveExpire.Load() {
					continue
				}
				// Redis's slow cycle spends at most 25% of a tick.
				deadline := time.Now().Add(time.Second / time.Duration(hz) / 4)
				start := clock.Mono()
				exp.Cycle(func() bool { return time.Now().Before(deadline) })
				s.latencySample("expire-cycle", clock.Mono()-start)
				if s.track.clients.Load() > 0 {
					s.track.flush(nil, nil, nil) // keys the cycle expired (tracking.go)
				}
			}
		}
	}()
}
