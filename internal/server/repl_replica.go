package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/replication"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/stream"
)

// The replica side: one goroutine per link connects to the master, runs
// the handshake, loads a full sync or continues partially, then applies
// the master's stream through a session (DESIGN decision 10) and passes
// the same bytes on to its own stream, so its offsets stay the master's.

// link states (ROLE's state names).
const (
	linkConnect int32 = iota
	linkConnecting
	linkHandshake
	linkTransfer
	linkConnected
)

var linkStateNames = [...]string{"connect", "connecting", "handshake", "sync", "connected"}

// masterLink is this replica's link to its master.
type masterLink struct {
	host string
	port int

	state     atomic.Int32
	lastIO    atomic.Int64 // unix ms of the last byte from the master
	downSince atomic.Int64 // unix s the link went down (0: never up)
	syncTotal atomic.Int64 // full sync: payload bytes (-1 unknown), read so far
	syncRead  atomic.Int64
	// unapplied: bytes read from the master not yet applied
	// (slave_read_repl_offset − slave_repl_offset).
	unapplied atomic.Int64

	// failover: this link's first PSYNC carries FAILOVER (repl_failover.go).
	failover bool

	// mc is the master client, the session the master's commands run in:
	// kept across a partial resync (Redis's cached master: same id, age
	// and database), replaced after a full sync. Used by the link's
	// goroutine only; listed is mc while it streams (CLIENT LIST, flag M).
	mc     *client
	listed atomic.Pointer[client]
	// fullSync: from +FULLRESYNC until the new master client streams.
	// Redis has neither a master nor a cached master then, so the offset
	// it reports to the cluster (replicationGetSlaveOffset) is 0: CLUSTER
	// SLOTS hides the replica and CLUSTER SHARDS says "loading".
	fullSync atomic.Bool

	stopped atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	// applyMu is held while the link changes the dataset: stopping a link
	// waits for the batch in progress, so a stopped link changes nothing.
	applyMu sync.Mutex
	connMu  sync.Mutex
	conn    net.Conn
	wmu     sync.Mutex // writes to conn (ACKs from two goroutines)
}

func (ml *masterLink) stateName() string { return linkStateNames[ml.state.Load()] }

func (ml *masterLink) setConn(c net.Conn) {
	ml.connMu.Lock()
	ml.conn = c
	ml.connMu.Unlock()
}

// halt stops the link: its goroutine ends, and once halt returns it
// changes nothing more.
func (ml *masterLink) halt() {
	if ml.stopped.Swap(true) {
		return
	}
	close(ml.stop)
	ml.connMu.Lock()
	if ml.conn != nil {
		ml.conn.Close()
	}
	ml.connMu.Unlock()
	ml.applyMu.Lock()
	//lint:ignore SA2001 waiting for the batch in progress is the point
	ml.applyMu.Unlock()
}

// takeBlocking moves the link from conn to a blockingConn on the same
// socket, for the stream's reads; nil if it cannot (TLS) or the link is
// stopping. ACKs wait meanwhile (wmu), and a halt after it closes the
// new connection.
func (ml *masterLink) takeBlocking(conn net.Conn) *blockingConn {
	bc, ok := blockingLink(conn)
	if !ok {
		return nil
	}
	ml.wmu.Lock()
	defer ml.wmu.Unlock()
	ml.connMu.Lock()
	if ml.stopped.Load() || ml.conn != conn {
		ml.connMu.Unlock()
		bc.Close()
		return nil
	}
	ml.conn = bc
	ml.connMu.Unlock()
	conn.Close() // out of the netpoller; bc keeps the socket
	return bc
}

func (ml *masterLink) send(args ...string) error {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	b := stream.AppendCommand(nil, argv)
	ml.wmu.Lock()
	defer ml.wmu.Unlock()
	ml.connMu.Lock()
	c := ml.conn
	ml.connMu.Unlock()
	if c == nil {
		return net.ErrClosed
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Write(b)
	return err
}

// replicaOf makes this node a replica of host:port (replicationSetMaster).
func (s *Server) replicaOf(host string, port int) { s.setMaster(host, port, false) }

// replicaOfFailover is replicaOf for the FAILOVER command's switch.
func (s *Server) replicaOfFailover(host string, port int) { s.setMaster(host, port, true) }

func (s *Server) setMaster(host string, port int, failover bool) {
	s.repl.mu.Lock()
	old := s.repl.link
	wasMaster := old == nil
	s.repl.mu.Unlock()
	if old != nil {
		old.halt()
	}
	ml := &masterLink{host: host, port: port, failover: failover, stop: make(chan struct{}), done: make(chan struct{})}
	s.ks.ReplicaMode.Store(true)
	s.repl.mu.Lock()
	s.repl.link = ml
	s.ensureBacklog()
	s.repl.mu.Unlock()
	s.roleChar.Store('S')
	if wasMaster {
		// Clients blocked on keys would be served by the master's writes
		// and diverge from it (disconnectAllBlockedClients).
		s.blocking.unblockAll(unblockRoleChange)
		s.Logf('*', "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.")
	}
	s.refreshReplGate()
	s.setOOMScoreAdj(-1, 0)
	s.Logf('*', "Connecting to MASTER %s:%d", host, port)
	go s.runMasterLink(ml)
}

// promote makes this replica a master (replicationUnsetMaster): the link
// stops, a new replication ID starts with the old one kept as the second
// (so sibling replicas continue partially), and sub-replicas reconnect to
// learn it.
func (s *Server) promote() {
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	if ml == nil {
		return
	}
	ml.halt()
	off := s.stream.Offset()
	s.repl.mu.Lock()
	s.repl.link = nil
	s.repl.hist.Shift(off)
	links := append([]*replicaLink(nil), s.repl.replicas...)
	s.repl.mu.Unlock()
	s.stream.ForceSelect()
	s.ks.ReplicaMode.Store(false)
	s.roleChar.Store('M')
	for _, l := range links {
		l.close()
	}
	s.refreshReplGate()
	s.setOOMScoreAdj(-1, 0)
	s.Logf('*', "Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s", s.replHistory().ID2, off+1, s.replHistory().ID)
}

func (s *Server) replHistory() replication.History {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	return s.repl.hist
}

// runMasterLink keeps the link up until it is stopped: each attempt
// connects, syncs and applies until an error; then it waits a second.
func (s *Server) runMasterLink(ml *masterLink) {
	defer close(ml.done)
	for !ml.stopped.Load() {
		err := s.syncWithMaster(ml)
		ml.setConn(nil)
		if ml.stopped.Load() {
			return
		}
		if ml.state.Load() == linkConnected {
			ml.downSince.Store(time.Now().Unix())
		}
		ml.state.Store(linkConnect)
		s.refreshReplGate()
		if err != nil {
			s.Logf('#', "%v", err)
		}
		select {
		case <-ml.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// syncWithMaster is one connection's life: handshake, PSYNC, payload or
// continuation, then the stream until an error.
func (s *Server) syncWithMaster(ml *masterLink) error {
	ml.state.Store(linkConnecting)
	addr := net.JoinHostPort(ml.host, strconv.Itoa(ml.port))
	dl := net.Dialer{Timeout: s.replTimeout()}
	if src, _ := s.cfg.Value("bind-source-addr"); src != "" {
		// bind-source-addr: the link's own address, as Redis's connConnect.
		ip := net.ParseIP(src)
		if ip == nil {
			ips, lerr := net.LookupIP(src)
			if lerr != nil || len(ips) == 0 {
				return fmt.Errorf("Error condition on socket for SYNC: %s", connErrText(lerr))
			}
			ip = ips[0]
		}
		dl.LocalAddr = &net.TCPAddr{IP: ip}
	}
	conn, err := dl.Dial("tcp", addr)
	if err == nil && s.tlsReplication() {
		conn, err = s.dialTLS(conn, s.replTimeout()) // tls-replication (tls.go)
	}
	if err != nil {
		return fmt.Errorf("Error condition on socket for SYNC: %s", connErrText(err))
	}
	ml.setConn(conn)
	if ml.stopped.Load() {
		conn.Close()
		return nil
	}
	defer conn.Close()
	s.Logf('*', "MASTER <-> REPLICA sync started")
	ml.state.Store(linkHandshake)
	br := bufio.NewReaderSize(conn, 64<<10)
	timeout := s.replTimeout()
	ask := func(args ...string) (string, error) {
		if err := ml.send(args...); err != nil {
			return "", err
		}
		for {
			conn.SetReadDeadline(time.Now().Add(timeout))
			line, err := br.ReadString('\n')
			if isTimeout(err) {
				return "", errHandshakeTimeout
			}
			if err != nil {
				return "", err
			}
			line = strings.TrimRight(line, "\r\n")
			if line != "" { // newlines: the master keeps the link alive
				ml.lastIO.Store(time.Now().UnixMilli())
				return line, nil
			}
		}
	}
	reply, err := ask("PING")
	if err == errHandshakeTimeout {
		return err
	}
	if err != nil {
		return fmt.Errorf("Master did not respond to command during SYNC handshake: %v", err)
	}
	if reply[0] == '-' && !strings.HasPrefix(reply, "-NOAUTH") && !strings.HasPrefix(reply, "-NOPERM") && !strings.HasPrefix(reply, "-ERR operation not permitted") {
		return fmt.Errorf("Error reply to PING from master: '%s'", reply)
	}
	s.Logf('*', "Master replied to PING, replication can continue...")
	s.cfg.RLock()
	user, pass := s.cfg.Masteruser, s.cfg.Masterauth
	port := s.cfg.ReplicaAnnouncePort
	if port == 0 {
		port = s.cfg.Port
	}
	annIP := s.cfg.ReplicaAnnounceIP
	s.cfg.RUnlock()
	if pass != "" {
		args := []string{"AUTH", pass}
		if user != "" {
			args = []string{"AUTH", user, pass}
		}
		if reply, err = ask(args...); err != nil {
			return err
		}
		if reply[0] == '-' {
			return fmt.Errorf("Unable to AUTH to MASTER: %s", reply)
		}
	}
	if reply, err = ask("REPLCONF", "listening-port", strconv.Itoa(port)); err != nil {
		return err
	} else if reply[0] == '-' {
		s.Logf('*', "(Non critical) Master does not understand REPLCONF listening-port: %s", reply)
	}
	if annIP != "" {
		if reply, err = ask("REPLCONF", "ip-address", annIP); err != nil {
			return err
		} else if reply[0] == '-' {
			s.Logf('*', "(Non critical) Master does not understand REPLCONF ip-address: %s", reply)
		}
	}
	if reply, err = ask("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return err
	} else if reply[0] == '-' {
		s.Logf('*', "(Non critical) Master does not understand REPLCONF capa: %s", reply)
	}

	hist := s.replHistory()
	myOff := s.stream.Offset()
	s.Logf('*', "Trying a partial resynchronization (request %s:%d).", hist.ID, myOff+1)
	psync := []string{"PSYNC", hist.ID, strconv.FormatInt(myOff+1, 10)}
	if ml.failover {
		psync = append(psync, "FAILOVER")
	}
	if reply, err = ask(psync...); err != nil {
		if ml.failover {
			s.failoverHandshakeDone(false, err.Error())
		}
		return fmt.Errorf("Unexpected EOF reading PSYNC reply: %v", err)
	}
	if ml.failover {
		ml.failover = false
		s.failoverHandshakeDone(reply[0] == '+', reply)
		if reply[0] != '+' {
			return nil // the link is gone: this node is a master again
		}
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) != 3 || len(f[1]) != replication.IDLen {
			return fmt.Errorf("Master replied with wrong +FULLRESYNC syntax.")
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("Master replied with wrong +FULLRESYNC syntax.")
		}
		s.Logf('*', "Full resync from master: %s:%d", f[1], off)
		ml.mc = nil // replicationDiscardCachedMaster: a new master client follows
		ml.fullSync.Store(true)
		if err := s.loadFullSync(ml, br, f[1], off); err != nil {
			return err
		}
	case strings.HasPrefix(reply, "+CONTINUE"):
		f := strings.Fields(reply)
		if len(f) == 2 && f[1] != hist.ID && len(f[1]) == replication.IDLen {
			s.repl.mu.Lock()
			s.repl.hist.ID2, s.repl.hist.Offset2, s.repl.hist.ID = s.repl.hist.ID, myOff+1, f[1]
			links := append([]*replicaLink(nil), s.repl.replicas...)
			s.repl.mu.Unlock()
			s.Logf('*', "Master replication ID changed to %s", f[1])
			for _, l := range links {
				l.close() // sub-replicas learn the new ID by reconnecting
			}
		}
		s.Logf('*', "Successful partial resynchronization with master.")
		s.Logf('*', "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		return fmt.Errorf("Master is currently unable to PSYNC but should be in the future: %s", reply)
	default:
		return fmt.Errorf("Unexpected reply to PSYNC from master: %s", reply)
	}
	ml.state.Store(linkConnected)
	ml.downSince.Store(0)
	s.refreshReplGate()
	return s.applyStream(ml, conn, br)
}

// The replica's timeouts, in Redis's words (replicationCron).
var (
	errHandshakeTimeout = errors.New("Timeout connecting to the MASTER...")
	errTransferTimeout  = errors.New("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.")
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func connErrText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return strerror(oe.Err)
	}
	return err.Error()
}

// loadFullSync reads the payload and replaces the dataset with it
// (readSyncBulkPayload): through a temporary file (repl-diskless-load
// disabled) or straight from the socket.
func (s *Server) loadFullSync(ml *masterLink, br *bufio.Reader, id string, off int64) error {
	ml.state.Store(linkTransfer)
	ml.syncRead.Store(0)
	conn := ml.conn
	timeout := s.replTimeout()
	conn.SetReadDeadline(time.Now().Add(timeout))
	h, err := replication.ReadPayloadHeader(br)
	if err != nil {
		return fmt.Errorf("I/O error reading bulk count from MASTER: %v", err)
	}
	ml.syncTotal.Store(h.Len)
	body := h.Body(&deadlineReader{r: br, conn: conn, timeout: timeout, ml: ml})
	s.cfg.RLock()
	mode := s.cfg.ReplDisklessLoad
	dir, dbfile := s.cfg.Dir, s.cfg.Dbfilename
	s.cfg.RUnlock()
	usemark := h.Len < 0
	what := fmt.Sprintf("%d bytes", h.Len)
	if usemark {
		what = "EOF"
	}

	// useDisklessLoad: on-empty-db reads from the socket only into a
	// dataset without keys; swapdb always, into a keyspace aside.
	if mode == "swapdb" {
		s.Logf('*', "MASTER <-> REPLICA sync: receiving streamed RDB from master with %s to parser", what)
		return s.loadSwapdb(ml, body, id, off, usemark, h.Len)
	}
	diskless := mode == "on-empty-db" && s.keyCount() == 0
	var tmp string
	var tee *teeFile // disk mode into an empty dataset: load while receiving
	if !diskless {
		s.Logf('*', "MASTER <-> REPLICA sync: receiving %s from master to disk", what)
		tmp = filepath.Join(dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
		f, err := os.Create(tmp)
		if err != nil {
			return fmt.Errorf("Opening the temp file needed for MASTER <-> REPLICA synchronization: %s", strerror(err))
		}
		if s.datasetEmpty() {
			// Nothing old to serve or keep if the transfer fails, so the
			// load need not wait for the whole file: it parses the bytes
			// as they are written to it (clients get -LOADING meanwhile
			// instead of an empty dataset), and the file still becomes
			// the node's RDB file.
			tee = &teeFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
			body = io.TeeReader(body, tee)
		} else {
			_, err = io.Copy(f, body)
			if err == nil {
				err = f.Sync()
			}
			f.Close()
			if err != nil {
				os.Remove(tmp)
				if isTimeout(err) {
					return errTransferTimeout
				}
				return fmt.Errorf("I/O error trying to sync with MASTER: %v", err)
			}
		}
	} else {
		s.Logf('*', "MASTER <-> REPLICA sync: receiving streamed RDB from master with %s to parser", what)
	}

	ml.applyMu.Lock()
	defer ml.applyMu.Unlock()
	if ml.stopped.Load() {
		if tmp != "" {
			os.Remove(tmp)
		}
		return nil
	}
	// The AOF restarts from the new dataset (restartAOFAfterSYNC).
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	aofOn := s.aof.w.Load() != nil
	s.stopAOF()
	s.Logf('*', "MASTER <-> REPLICA sync: Flushing old data")
	s.flushLoaded()
	// The master's libraries replace this node's: those in the payload
	// are loaded with it, the others are gone (Redis clears its functions).
	s.scripts.Functions.Flush()
	s.scriptLock.wide.Clear()
	s.Logf('*', "MASTER <-> REPLICA sync: Loading DB in memory")
	s.startLoading(max(h.Len, 0))
	var ioErr error // a transfer error under a tee'd load
	switch {
	case tee != nil:
		rec := &readErrRecorder{r: body}
		err = s.loadRDBFrom(rec, false)
		if err == nil {
			err = tee.finish(rec)
		}
		tee.f.Close()
		if e := rec.first(); e != nil {
			ioErr, err = e, e
		} else if errors.As(err, new(*teeWriteError)) {
			ioErr = err
		}
	case tmp != "":
		err = s.loadRDB(tmp, false)
	default:
		err = s.loadRDBFrom(body, false)
	}
	s.loading.active.Store(false)
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		s.flushLoaded()
		var we *teeWriteError
		switch {
		case ioErr == nil:
		case errors.As(ioErr, &we):
			return fmt.Errorf("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: %s", strerror(we.err))
		case isTimeout(ioErr):
			return errTransferTimeout
		default:
			return fmt.Errorf("I/O error trying to sync with MASTER: %v", ioErr)
		}
		return fmt.Errorf("Failed trying to load the MASTER synchronization DB from %s: %v", map[bool]string{true: "disk", false: "socket"}[tmp != ""], err)
	}
	if tmp != "" {
		// The file is the dataset now: it becomes the node's RDB file.
		if err := os.Rename(tmp, filepath.Join(dir, dbfile)); err != nil {
			s.Logf('#', "Failed trying to rename the temp DB into %s in MASTER <-> REPLICA synchronization: %s", dbfile, strerror(err))
			os.Remove(tmp)
		}
	}
	s.attachLoadedDataset(ml, id, off, usemark)
	if aofOn {
		s.restartAOFAfterSync()
	}
	return nil
}

// attachLoadedDataset is the end of a successful full sync: this node's
// stream and history become the master's at off, its sub-replicas resync
// (their history is gone), and with the EOF-mark framing the first ACK
// tells the master to start the stream.
func (s *Server) attachLoadedDataset(ml *masterLink, id string, off int64, usemark bool) {
	s.stream.Reset(off)
	s.stream.SetMasterDB(max(s.loading.rsi.db, 0))
	s.repl.mu.Lock()
	s.repl.hist = replication.History{ID: id, ID2: replication.NoID, Offset2: -1}
	s.repl.backlog = false
	s.ensureBacklog()
	links := append([]*replicaLink(nil), s.repl.replicas...)
	s.repl.mu.Unlock()
	for _, l := range links {
		l.close() // their history is gone
	}
	if usemark {
		// The master starts the stream on this first ACK.
		ml.send("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	}
	s.Logf('*', "MASTER <-> REPLICA sync: Finished with success")
}

// restartAOFAfterSync is restartAOFAfterSYNC: the AOF, stopped for the
// load, starts again from the new dataset with a rewrite. Needs aof.mu.
func (s *Server) restartAOFAfterSync() {
	s.Logf('*', "Background append only file rewriting started by the replica's sync")
	if err := s.rewriteAOF(s.aofConfig(), true); err != nil {
		s.Logf('#', "Failed enabling the AOF after successful master synchronization! Trying it again in one second.")
	}
}

// teeFile is the temp file a payload is written to while it loads. The
// loader's read-ahead goroutine writes it; finish runs after that is done.
type teeFile struct {
	f *os.File
	w *bufio.Writer
}

// teeWriteError is a failed write of the temp file, seen by the loader as
// a failed read of the payload.
type teeWriteError struct{ err error }

func (e *teeWriteError) Error() string { return e.err.Error() }

func (t *teeFile) Write(p []byte) (int, error) {
	if _, err := t.w.Write(p); err != nil {
		return 0, &teeWriteError{err}
	}
	return len(p), nil
}

// finish reads what the loader left of the payload (an EOF-mark payload
// ends after its mark, which the loader does not read), then flushes and
// syncs the file.
func (t *teeFile) finish(rest io.Reader) error {
	if _, err := io.Copy(io.Discard, rest); err != nil {
		return err
	}
	err := t.w.Flush()
	if err == nil {
		err = t.f.Sync()
	}
	if err != nil {
		return &teeWriteError{err}
	}
	return nil
}

// readErrRecorder keeps the first read error other than io.EOF, to tell a
// failed transfer from a bad payload after a load fails.
type readErrRecorder struct {
	r   io.Reader
	err atomic.Pointer[error]
}

func (r *readErrRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err.CompareAndSwap(nil, &err)
	}
	return n, err
}

func (r *readErrRecorder) first() error {
	if e := r.err.Load(); e != nil {
		return *e
	}
	return nil
}

// keyCount is the number of keys of every database (dbTotalServerKeyCount).
func (s *Server) keyCount() int64 {
	var n int64
	for i := range s.ks.NumDBs() {
		n += s.ks.DB(i).Len()
	}
	return n
}

// datasetEmpty reports whether this node holds no key and no function.
func (s *Server) datasetEmpty() bool {
	for i := range s.ks.NumDBs() {
		if s.ks.DB(i).Len() != 0 {
			return false
		}
	}
	libs, _ := s.scripts.Functions.Counts()
	return libs == 0
}

// deadlineReader reads the payload with repl-timeout between reads and
// keeps the transfer's progress for INFO.
type deadlineReader struct {
	r       io.Reader
	conn    net.Conn
	timeout time.Duration
	ml      *masterLink
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	d.conn.SetReadDeadline(time.Now().Add(d.timeout))
	n, err := d.r.Read(p)
	if n > 0 {
		d.ml.syncRead.Add(int64(n))
		d.ml.lastIO.Store(time.Now().UnixMilli())
	}
	return n, err
}

// applyStream applies the master's stream until the link fails: each
// command runs in a session that sees keys as the master did, and the
// bytes go on to this node's stream (AOF, sub-replicas, backlog). An
// ACK goes back every second and on GETACK.
func (s *Server) applyStream(ml *masterLink, conn net.Conn, br *bufio.Reader) error {
	sess := ml.mc
	if sess == nil {
		sess = s.newSession(true)
		sess.isMaster = true
		sess.db = s.ks.DB(s.stream.MasterDB())
		ml.mc = sess
	}
	ml.fullSync.Store(false)
	sess.conn = conn
	sess.adm.fd.Store(0) // a new socket
	sess.lastUsed.Store(time.Now().UnixMilli())
	sess.updateSnap()
	ml.listed.Store(sess)
	defer ml.listed.Store(nil)
	defer func() {
		if ml.stopped.Load() {
			s.stream.ReleaseLocal() // a transaction the link left open
		}
	}()
	timeout := s.replTimeout()
	ackDone := make(chan struct{})
	defer close(ackDone)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ackDone:
				return
			case <-t.C:
				ml.send("REPLCONF", "ACK", strconv.FormatInt(s.ackOffset(), 10))
			}
		}
	}()
	var rd resp.Reader
	rd.Limits = resp.Limits{MaxBulkLen: 1 << 40, MaxInline: 64 << 10}
	buf := make([]byte, 0, readBufSize)
	var in io.Reader = br
	switched := false
	// held: a pause holds the command at the start of buf (applyBatch).
	// The link reads on meanwhile, as Redis reads its postponed master
	// client's socket into its query buffer (no limit for the master):
	// slave_read_repl_offset and the last I/O time follow the master,
	// while the applied offset (what ACKs report) waits. Every heldPoll
	// the pause is looked at again.
	held := false
	defer func() {
		if held {
			s.pause.waiting.Add(-1)
		}
	}()
	lastRead := time.Now()
	for {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), 2*cap(buf)+rd.Need())
			copy(nb, buf)
			buf = nb
		}
		if !switched && br.Buffered() == 0 {
			// Once the handshake's buffered bytes are used up, a plain TCP
			// link is read with blocking reads (blockingConn).
			switched = true
			if bc := ml.takeBlocking(conn); bc != nil {
				defer bc.Close()
				conn, in = bc, bc
				sess.conn = bc
			}
		}
		wait := timeout
		if held {
			wait = min(heldPoll, timeout-time.Since(lastRead))
		}
		conn.SetReadDeadline(time.Now().Add(wait))
		n, err := in.Read(buf[len(buf):cap(buf)])
		if err != nil {
			switch {
			case held && isTimeout(err) && time.Since(lastRead) < timeout:
				n = 0 // look at the pause again
			case isTimeout(err):
				return errors.New("MASTER timeout: no data nor PING received...")
			case ml.stopped.Load():
				return nil
			default:
				return fmt.Errorf("Connection with master lost.")
			}
		}
		if n > 0 {
			buf = buf[:len(buf)+n]
			lastRead = time.Now()
			now := lastRead.UnixMilli()
			ml.lastIO.Store(now)
			sess.lastUsed.Store(now)
			ml.unapplied.Store(int64(len(buf)))
		}
		used, hold, perr := s.applyBatch(ml, sess, &rd, buf)
		if perr != nil {
			return perr
		}
		if hold != held {
			// Counted in blocked_clients while held, as Redis counts its
			// postponed master client.
			held = hold
			if hold {
				s.pause.waiting.Add(1)
			} else {
				s.pause.waiting.Add(-1)
			}
		}
		// The master's writes are in this node's AOF (fsynced with
		// appendfsync always) before it acknowledges them (Redis's
		// beforeSleep flush).
		s.aofSync(s.stream.Offset())
		sess.updateSnap() // its database, for CLIENT LIST
		buf = buf[:copy(buf, buf[used:])]
		if len(buf) == 0 && cap(buf) > maxKeptReadBuf {
			// What a pause (or a big command) grew is not kept.
			buf = make([]byte, 0, readBufSize)
		}
		ml.unapplied.Store(int64(len(buf)))
	}
}

const (
	// readBufSize is the link's read buffer; it grows for a command
	// larger than it and while a pause holds the stream.
	readBufSize = 64 << 10
	// maxKeptReadBuf: a grown buffer larger than this is dropped once
	// drained.
	maxKeptReadBuf = 1 << 20
	// heldPoll is how often a link whose stream a pause holds looks at
	// the pause again while its master sends nothing.
	heldPoll = 10 * time.Millisecond
)

// ackOffset is the offset a REPLCONF ACK reports: the stream's, once the
// AOF holds it as appendfsync asks (fsynced with always). Redis's replica
// queues its ACK as a reply to its master, written after beforeSleep's
// flushAppendOnlyFile, so a WAIT that counts a replica never counts a
// write its AOF could lose (test/replication TestWaitCountsReplicaAOF:
// the ACK went out while the batch it counted waited for its write, and
// a kill -9 lost a write WAIT had counted).
func (s *Server) ackOffset() int64 {
	off := s.stream.Offset()
	s.aofSync(off)
	return off
}

// applyBatch runs the complete commands at the start of buf and passes
// their bytes on; it returns how many bytes it consumed, and held true
// when it stopped at a command a pause covers (Redis postpones its master
// client as any other: nothing after that command runs either).
func (s *Server) applyBatch(ml *masterLink, sess *client, rd *resp.Reader, buf []byte) (used int, held bool, err error) {
	ml.applyMu.Lock()
	defer ml.applyMu.Unlock()
	if ml.stopped.Load() {
		return len(buf), false, nil
	}
	sess.pfLeft = 0
	for used < len(buf) {
		// The master's stream is pipelined by nature.
		sess.prefetchAhead(buf[used:])
		args, k, perr := rd.Next(buf[used:])
		if perr != nil {
			return used, false, fmt.Errorf("Protocol error from MASTER (%s): dropping the link", perr.Error())
		}
		if k == 0 {
			break
		}
		raw := buf[used : used+k]
		if len(args) == 0 {
			used += k
			s.stream.AppendRaw(stream.SameDB, raw)
			continue
		}
		spec := s.table.Lookup(args[0])
		if pk := pauseKind(s.pause.kind.Load()); pk != pauseOff && spec != nil && sess.pauseCovers(spec, args, pk) {
			return used, true, nil // parsed again once the pause lets it run
		}
		used += k
		if len(args) >= 2 && strings.EqualFold(string(args[0]), "replconf") && strings.EqualFold(string(args[1]), "getack") {
			// The ACK counts what precedes the GETACK.
			ml.send("REPLCONF", "ACK", strconv.FormatInt(s.ackOffset(), 10))
			s.stream.AppendReplicasOnly(raw) // for sub-replicas, not this node's AOF
			continue
		}
		// The bytes join the stream under the command's locks (runHandler);
		// a command that takes none (SELECT, PING, MULTI, a queued one, an
		// error) changes nothing and is appended here.
		sess.masterRaw = raw
		s.ks.MasterApplying.Store(true)
		txn := spec != nil && (spec.Name == "multi" || spec.Name == "exec" || spec.Name == "discard")
		if txn && !sess.inMulti {
			// A MULTI opens: this node's own writes reach its AOF before
			// it, never inside the transaction (stream/local.go).
			s.stream.HoldLocal()
		}
		sess.execute(spec, args)
		s.ks.MasterApplying.Store(false)
		if sess.masterRaw != nil {
			s.appendMasterRaw(sess, spec, sess.masterRaw)
			sess.masterRaw = nil
		}
		if txn && !sess.inMulti {
			s.stream.ReleaseLocal()
		}
		if b := sess.w.Buf; len(b) > 0 && b[0] == '-' {
			s.masterCommandFailed(spec, b)
		}
		sess.w.Reset()
		sess.flushStats()
	}
	return used, false, nil
}

// masterCommandFailed is afterErrorReply for the master's client: the
// replica and its master now differ, which Redis logs as CRITICAL (and,
// with propagation-error-behavior panic, crashes on).
func (s *Server) masterCommandFailed(spec *command.Spec, reply []byte) {
	msg := string(reply[1:])
	if i := strings.Index(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	name := "<unknown>"
	if spec != nil {
		name = spec.Name
	}
	s.Logf('#', "== CRITICAL == This replica is sending an error to its master: '%s' after processing the command '%s'", msg, name)
	s.cfg.RLock()
	behavior, ro := s.cfg.PropagationErrorBehavior, s.cfg.ReplicaReadOnly
	s.cfg.RUnlock()
	// A writable replica may differ from its master by design: it does
	// not panic (afterErrorReply's repl_slave_ro).
	if ro && (behavior == "panic" || behavior == "panic-on-replicas") {
		s.Logf('#', "Guru Meditation: Replica was unable to execute a command from its master, per propagation-error-behavior")
		os.Exit(1)
	}
}

// masterClient is the master client while the link streams, or nil: the
// one CLIENT LIST shows with flag M.
func (s *Server) masterClient() *client {
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	if ml == nil {
		return nil
	}
	return ml.listed.Load()
}

// dropMasterLink closes the connection to the master, as CLIENT KILL of
// the master client does; the link reconnects and continues partially.
func (s *Server) dropMasterLink() {
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	if ml == nil {
		return
	}
	ml.connMu.Lock()
	defer ml.connMu.Unlock()
	if ml.conn != nil {
		ml.conn.Close()
	}
}

// restoreReplInfo takes the replication info of an RDB loaded at start
// (loadDataFromDisk): a replica resumes its master's history at the
// recorded offset, so its first PSYNC can continue partially; a master
// keeps the recorded history as its second ID, so its former replicas can.
// It reports whether the node took the history as a master.
func (s *Server) restoreReplInfo(rsi replInfo) (master bool) {
	if !rsi.valid() {
		return false
	}
	s.cfg.RLock()
	replica := s.cfg.ReplicaOfHost != ""
	s.cfg.RUnlock()
	if n := s.cl.node; n != nil {
		n.Query(func(c *cluster.Core) error {
			replica = !c.Myself().IsMaster()
			return nil
		})
	}
	s.stream.Reset(rsi.off)
	s.stream.SetMasterDB(rsi.db)
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	if replica {
		s.repl.hist.ID = rsi.id
	} else {
		s.repl.hist.ID2, s.repl.hist.Offset2 = rsi.id, rsi.off+1
	}
	s.ensureBacklog()
	return !replica
}

// propagateLoadExpired: a master restarted from an RDB recording its
// replication history deletes the keys whose TTL passed meanwhile, and
// the deletions go to its stream (Redis 7.0's rdbLoad propagates them), so
// a replica continuing partially from the recorded offset deletes them
// too — or, when they overflow the backlog, cannot continue and does a
// full sync.
func (s *Server) propagateLoadExpired(master bool) {
	keys := s.loading.expiredKeys
	s.loading.expiredKeys = nil
	if !master {
		return
	}
	del := "DEL"
	if s.conf().cmd.LazyfreeLazyExpire {
		del = "UNLINK"
	}
	for _, k := range keys {
		s.stream.AppendStrings(k.db, del, k.key)
	}
}

// localKey is a key of a database.
type localKey struct {
	db  int
	key string
}

// noteReplicaTTL is the keyspace's OnReplicaTTL hook (writable replicas).
func (s *Server) noteReplicaTTL(db int, key string) {
	s.repl.localMu.Lock()
	if s.repl.local == nil {
		s.repl.local = map[localKey]struct{}{}
	}
	s.repl.local[localKey{db, key}] = struct{}{}
	s.repl.localMu.Unlock()
}

// expireReplicaKeys deletes the keys a writable replica's clients gave a
// TTL once it passed (Redis's expireSlaveKeys); the master never hears of
// them, so nothing goes to the stream, but the deletion reaches the AOF
// (a local entry, as the writes that set the TTL). A key that lost its TTL or is gone
// is forgotten; on a master the list is dropped.
func (s *Server) expireReplicaKeys() {
	s.repl.localMu.Lock()
	if len(s.repl.local) == 0 {
		s.repl.localMu.Unlock()
		return
	}
	if !s.ks.ReplicaMode.Load() {
		s.repl.local = nil
		s.repl.localMu.Unlock()
		return
	}
	keys := make([]localKey, 0, len(s.repl.local))
	for k := range s.repl.local {
		keys = append(keys, k)
	}
	s.repl.localMu.Unlock()
	now := s.ks.NowMs()
	for _, k := range keys {
		key := []byte(k.key)
		sl := slot.Of(key)
		db := s.ks.DB(k.db)
		s.ks.LockSlot(sl)
		_, exp, ok := db.PeekStored(key)
		done := !ok || exp < 0
		if ok && exp >= 0 && exp <= now {
			db.ReclaimStored(key)
			s.appendLocalDeletion(k.db, k.key)
			s.notifyHook(command.NotifyExpired, "expired", k.db, k.key)
			done = true
		}
		s.ks.UnlockSlot(sl)
		if done {
			s.repl.localMu.Lock()
			delete(s.repl.local, k)
			s.repl.localMu.Unlock()
		}
	}
}

// appendLocalDeletion records a writable replica's deletion of an expired
// key for its AOF: DEL, or UNLINK with lazyfree-lazy-expire (Redis's
// propagateDeletion). Called under the key's stripe lock.
func (s *Server) appendLocalDeletion(db int, key string) {
	if !s.stream.KeepsLocal() {
		return
	}
	var b stream.Batch
	if s.conf().cmd.LazyfreeLazyExpire {
		b.AddStrings(db, "UNLINK", key)
	} else {
		b.AddStrings(db, "DEL", key)
	}
	s.stream.AppendLocal(&b)
}

// stopSyncLoad ends, for a shutdown, a full sync loading into the dataset
// (repl-diskless-load disabled or on-empty-db): it holds the AOF's lock
// and takes each key's stripe, so once the shutdown holds every stripe it
// would wait forever, and the process with it. Redis handles SIGTERM
// between keys while it loads and exits without saving; here the load
// stops at its next key (the partial dataset is flushed, nothing is
// saved) and the link ends. A swapdb load into a keyspace aside is left
// alone: it takes no stripe before its swap, and the shutdown saves the
// data this node still serves.
func (s *Server) stopSyncLoad() {
	if !s.loading.active.Load() {
		return
	}
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	if ml == nil {
		return
	}
	s.loading.abort.Store(true)
	ml.halt() // closes the socket; returns once the load has stopped
	s.loading.abort.Store(false)
}

// appendMasterRaw passes one command of the master's session c on to
// this node's stream, byte for byte, with the database it leaves the
// stream in (c's, once it ran; a transaction's, once its EXEC ran:
// multi.go), in the same step: a local entry placed right after the
// bytes starts from that database (stream/local.go). The
// master's PING and a PUBLISH go to the sub-replicas only: Redis's
// replica proxies them and writes neither to its AOF.
func (s *Server) appendMasterRaw(c *client, spec *command.Spec, raw []byte) {
	if spec != nil && (spec.Name == "ping" || spec.Name == "publish") {
		s.stream.AppendReplicasOnly(raw)
		return
	}
	db := c.db.Index
	if c.inMulti || c.inExec {
		db = stream.SameDB
	}
	s.stream.AppendRaw(db, raw)
}
