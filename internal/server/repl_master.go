package server

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/replication"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/stream"
)

// The master side: a connection that sends PSYNC (or SYNC) becomes a
// replica link. Its goroutine owns the socket (netloop TakeOver): it sends
// the full-sync payload or continues from the backlog, then copies the
// write stream to the replica; a second goroutine reads the replica's
// REPLCONF ACKs.

// replica link states (slaveN's state= in INFO).
const (
	replWaitBgsave int32 = iota
	replSendBulk
	replOnline
	replClosed
)

var replStateNames = [...]string{"wait_bgsave", "send_bulk", "online", "closed"}

// replHandshake is what a connection said with REPLCONF before PSYNC.
type replHandshake struct {
	port      int
	ip        string
	capaEOF   bool
	capaPsync bool
	// rdbOnly (REPLCONF rdb-only 1): the link ends after the snapshot, no
	// stream follows. req (REPLCONF rdb-filter-only) says what the
	// snapshot leaves out.
	rdbOnly bool
	req     rdbReq
}

// rdbReq is what a replica asked the snapshot to leave out (Redis's
// SLAVE_REQ_RDB_EXCLUDE_*); zero is the whole dataset.
type rdbReq uint8

const (
	rdbExcludeData rdbReq = 1 << iota
	rdbExcludeFunctions
)

// replicaLink is one attached replica.
type replicaLink struct {
	c     *client
	conn  net.Conn
	ip    string
	port  int
	state atomic.Int32
	// ackOff/ackTime: the offset the replica last acknowledged and when
	// (unix ms); ackTime starts at the attach time.
	ackOff   atomic.Int64
	ackTime  atomic.Int64
	firstAck chan struct{} // closed by the first ACK (diskless: start streaming)
	acked    atomic.Bool
	reader   *stream.Reader
	// sent is the stream offset written to the replica so far (-1 before
	// its reader attaches): the cron reads it, the feeder writes it.
	sent     atomic.Int64
	eof      bool   // the payload goes with EOF-marker framing
	early    []byte // bytes the replica sent right after SYNC (readAcks reads them first)
	quit     chan struct{}
	quitOnce atomic.Bool
	// overSoft is when (unix s) the replica's backlog first passed the
	// soft output-buffer limit, 0 while under it.
	overSoft int64
	// rmu guards reader's hand-over between the goroutine attaching it
	// (the link's, or the snapshot's for a full sync) and close.
	rmu sync.Mutex

	// feedMu is held by whoever writes the stream to the socket: the
	// link's goroutine (feedReplica), or an event loop serving the link
	// inline at the end of its round (serveInline). pending are bytes an
	// inline write left (the socket was full); the goroutine writes them
	// first. raw, wbuf, wn, werr and rawWrite are serveInline's
	// allocation-free non-blocking write.
	feedMu   sync.Mutex
	pending  []byte
	raw      syscall.RawConn
	wbuf     []byte
	wn       int
	werr     error
	rawWrite func(fd uintptr)
}

// serveInline is the link's stream.Reader serve function: an event loop,
// at the end of its round, writes what the round appended straight to
// the replica's socket without blocking, as Redis writes replica output
// in beforeSleep, and the link's goroutine stays asleep. It returns
// false (the goroutine is then woken) when the goroutine holds the link,
// the socket took less than everything, or the reader failed.
func (l *replicaLink) serveInline() bool {
	if !l.feedMu.TryLock() {
		return false
	}
	defer l.feedMu.Unlock()
	if len(l.pending) > 0 || l.quitOnce.Load() {
		return false
	}
	for {
		b, err := l.reader.Next()
		if err != nil {
			return false
		}
		if b == nil {
			return true
		}
		l.wbuf = b
		if err := l.raw.Control(l.rawWrite); err != nil {
			l.wn, l.werr = 0, err
		}
		l.wbuf = nil
		n := max(l.wn, 0)
		l.sent.Add(int64(n))
		if n < len(b) {
			l.pending = b[n:]
			return false
		}
	}
}

// writeRaw is one non-blocking write(2) of wbuf (rawWrite's method).
func (l *replicaLink) writeRaw(fd uintptr) {
	l.wn, l.werr = syscall.Write(int(fd), l.wbuf)
}

// close ends the link. Its stream reader is closed at once, as Redis frees
// a dropped replica's reference to the replication buffer: a replica
// dropped while its full sync's snapshot still runs (over its output
// limit, killed) must not keep the stream's bytes until the snapshot ends.
func (l *replicaLink) close() {
	if l.quitOnce.CompareAndSwap(false, true) {
		close(l.quit)
		// The link's socket is a duplicate of the client's (TakeOver):
		// closing it alone sends no FIN while the loop still holds the
		// original, so the replica would go on thinking its link is up.
		// Shut the connection itself down first, as Redis's close does.
		if cw, ok := l.conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		l.conn.Close()
		l.rmu.Lock()
		if l.reader != nil {
			l.reader.Close()
		}
		l.rmu.Unlock()
	}
}

// setReader attaches r to the link (closed at once if the link is).
func (l *replicaLink) setReader(r *stream.Reader) {
	l.rmu.Lock()
	l.reader = r
	if l.quitOnce.Load() {
		r.Close()
	}
	l.rmu.Unlock()
}

func (l *replicaLink) name() string { return replicaName(l.ip, l.port) }

// replicaName is replicationGetSlaveName: ip:port, the port being the one
// the replica said it listens on (REPLCONF listening-port).
func replicaName(ip string, port int) string {
	if port == 0 {
		return ip + ":<unknown-replica-port>"
	}
	return net.JoinHostPort(ip, strconv.Itoa(port))
}

// replconfCommand is REPLCONF: the options a replica sends before PSYNC,
// and ACK/GETACK afterwards.
func (s *Server) replconfCommand(ctx *command.Ctx) {
	c := ctx.Client.(*client)
	args := ctx.Args
	if len(args)%2 == 0 {
		ctx.Error(rediserr.Syntax)
		return
	}
	for i := 1; i < len(args); i += 2 {
		opt, val := strings.ToLower(string(args[i])), string(args[i+1])
		switch opt {
		case "listening-port":
			p, ok := rnum.ParseInt(val)
			if !ok {
				ctx.Error(rediserr.NotInteger)
				return
			}
			c.replHS().port = int(p)
		case "ip-address":
			if len(val) >= 46 { // NET_HOST_STR_LEN
				ctx.Error(rediserr.ReplconfIPTooLong(len(val)))
				return
			}
			c.replHS().ip = val
		case "capa":
			switch strings.ToLower(val) {
			case "eof":
				c.replHS().capaEOF = true
			case "psync2":
				c.replHS().capaPsync = true
			}
		case "ack", "getack", "fack":
			// From a replica these arrive on its link (readAcks); from anyone
			// else they are ignored, without a reply, as Redis does.
			return
		case "rdb-only":
			n, ok := rnum.ParseInt(val)
			if !ok {
				ctx.Error(rediserr.NotInteger)
				return
			}
			if n < 0 || n > 1 {
				ctx.Error(rediserr.ReplconfRange01)
				return
			}
			c.replHS().rdbOnly = n == 1
		case "rdb-filter-only":
			// Include filters, each word one part of the RDB; only
			// "functions" exists. By default everything is left out.
			filters, _, err := resp.SplitArgs(args[i+1], nil, nil)
			if err != nil {
				ctx.Error(rediserr.ReplconfFilterMissing)
				return
			}
			hs := c.replHS()
			hs.req |= rdbExcludeData | rdbExcludeFunctions
			for _, f := range filters {
				if !strings.EqualFold(string(f), "functions") {
					ctx.Error(rediserr.ReplconfFilterOption(string(f)))
					return
				}
				hs.req &^= rdbExcludeFunctions
			}
		default:
			ctx.Error(rediserr.ReplconfOption(string(args[i])))
			return
		}
	}
	ctx.W.OK()
}

func (c *client) replHS() *replHandshake {
	if c.hs == nil {
		c.hs = &replHandshake{}
	}
	return c.hs
}

// syncCommand is PSYNC replid offset, and SYNC: the connection becomes a
// replica link and this handler serves it until the link ends.
func (s *Server) syncCommand(ctx *command.Ctx) {
	c := ctx.Client.(*client)
	if c.session || c.replLink.Load() != nil {
		return // ignored, as Redis ignores SYNC from a replica
	}
	psync := strings.EqualFold(string(ctx.Args[0]), "psync")
	if psync && len(ctx.Args) > 3 && strings.EqualFold(string(ctx.Args[3]), "failover") {
		// PSYNC replid offset FAILOVER: our master hands over (its FAILOVER
		// command); the replid must be the one we follow. Handled first, as
		// Redis does, so a replica whose link is down still takes over. Any
		// other fourth argument is ignored, as in Redis.
		s.Logf('#', "Failover request received for replid %s.", ctx.Args[1])
		if !s.isReplica() {
			ctx.Error(rediserr.PsyncFailoverToMaster)
			return
		}
		if string(ctx.Args[1]) != s.replHistory().ID {
			ctx.Error(rediserr.PsyncFailoverReplid)
			return
		}
		s.promote()
		s.setReplicaOfConfig("", 0)
		s.Logf('*', "MASTER MODE enabled (failover request from '%s')", s.clientInfoLine(c))
	}
	if s.fo.state.Load() != failoverNone {
		ctx.Error(rediserr.SyncWhileFailingOver)
		return
	}
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	if ml != nil && ml.state.Load() != linkConnected {
		ctx.Error(rediserr.SyncNoMasterLink)
		return
	}
	if hs := c.hs; hs != nil && hs.req != 0 && !hs.capaEOF {
		// A filtered snapshot is never written to a file, so it needs
		// EOF-marker framing.
		ctx.Error(rediserr.FilteredReplicaNeedsEOF)
		return
	}
	hs := c.replHS()
	ip := hs.ip
	if ip == "" {
		if a, ok := c.conn.RemoteAddr().(*net.TCPAddr); ok {
			ip = a.IP.String()
		}
	}
	if psync {
		if _, ok := rnum.ParseInt(ctx.Args[2]); !ok {
			s.Logf('*', "Replica %s asks for synchronization", replicaName(ip, hs.port))
			s.Logf('#', "Replica %s asks for synchronization but with a wrong offset", replicaName(ip, hs.port))
			ctx.Error(rediserr.NotInteger)
			return
		}
	}
	c.flush()
	conn, err := c.takeOver()
	if err != nil {
		s.Logf('#', "Can't serve replica %s: %v", c.conn.RemoteAddr(), err)
		c.closeAfterReply = true
		return
	}
	l := &replicaLink{c: c, conn: conn, ip: ip, port: hs.port, firstAck: make(chan struct{}), quit: make(chan struct{})}
	if in := c.detachedIn; len(in) > 0 {
		// What the replica sent after its SYNC in the same read is the
		// link's first input (runDetached starts at the SYNC).
		var rd resp.Reader
		if _, n, err := rd.Next(in); err == nil && n > 0 && n < len(in) {
			l.early = append([]byte(nil), in[n:]...)
		}
	}
	l.ackTime.Store(time.Now().UnixMilli())
	l.sent.Store(-1)
	c.replLink.Store(l)
	s.serveReplica(l, psync, ctx.Args)
	c.closeAfterReply = true
}

// serveReplica runs a replica link until it ends.
func (s *Server) serveReplica(l *replicaLink, psync bool, args [][]byte) {
	defer l.close()
	// A reader attached to l is closed however the link ends (feedReplica
	// closes it too): a leftover one pins the stream, so the backlog would
	// grow past repl-backlog-size and accept PSYNCs Redis refuses.
	ownReader := false
	defer func() {
		if ownReader && l.reader != nil {
			l.reader.Close()
		}
	}()
	s.repl.mu.Lock()
	s.repl.replicas = append(s.repl.replicas, l)
	s.ensureBacklog()
	s.repl.mu.Unlock()
	defer s.detachReplica(l)
	go s.readAcks(l)

	name := l.name()
	cont := false
	if psync {
		id, off := string(args[1]), int64(-1)
		if v, ok := rnum.ParseInt(args[2]); ok {
			off = v
		}
		s.repl.mu.Lock()
		hist := s.repl.hist
		s.repl.mu.Unlock()
		if id != "?" {
			// The reader must attach where PSYNC asked, atomically with the
			// retention check: NewReader fails if the bytes are gone.
			if hist.CanContinue(id, off, s.stream.Start(), s.stream.Offset()) {
				if r, err := s.stream.NewReader(off-1, true); err == nil {
					l.setReader(r)
					ownReader = true
					l.sent.Store(r.Offset())
					cont = true
				}
			}
			if !cont {
				s.repl.syncPartialErr.Add(1)
				if id != hist.ID && id != hist.ID2 {
					s.Logf('*', "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", id, hist.ID, hist.ID2)
				} else {
					s.Logf('*', "Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", name, off)
				}
			}
		}
		if cont {
			reply := "+CONTINUE\r\n"
			if l.c.hs != nil && l.c.hs.capaPsync {
				reply = "+CONTINUE " + hist.ID + "\r\n"
			}
			if _, err := l.conn.Write([]byte(reply)); err != nil {
				return
			}
			s.repl.syncPartialOK.Add(1)
			s.Logf('*', "Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", name, s.stream.Offset()-(off-1), off)
			s.replicaOnline(l)
			l.acked.Store(true)
		} else {
			s.Logf('*', "Replica %s asks for synchronization", name)
			s.Logf('*', "Full resync requested by replica %s", name)
		}
	} else {
		s.Logf('*', "Replica %s asks for synchronization", name)
	}
	if !cont {
		s.repl.syncFull.Add(1)
		hs := l.c.replHS()
		s.cfg.RLock()
		diskless := s.cfg.ReplDisklessSync
		s.cfg.RUnlock()
		// A filtered snapshot always goes to the socket (Redis never
		// writes one to a file).
		l.eof = hs.capaEOF && (diskless || hs.req != 0)
		err := s.fullSync(l, psync)
		ownReader = err != errLinkClosed // else fullSync's goroutine closes it
		if err != nil {
			if !l.quitOnce.Load() {
				s.Logf('#', "Full resync of replica %s failed: %v", name, err)
			}
			return
		}
		if hs.rdbOnly {
			s.Logf('*', "RDB transfer completed, rdb only replica (%s) should be disconnected asap", name)
			return
		}
		if l.eof {
			// A diskless payload ends with a marker the replica must find at
			// the end of what it read: the stream waits for its first ACK.
			select {
			case <-l.firstAck:
			case <-l.quit:
				return
			}
		}
		s.replicaOnline(l)
		s.Logf('*', "Synchronization with replica %s succeeded", name)
	}
	s.feedReplica(l)
}

// feedReplica copies the stream to the replica until the link ends.
func (s *Server) feedReplica(l *replicaLink) {
	defer l.reader.Close()
	if tc, ok := l.conn.(*net.TCPConn); ok {
		// A plain TCP link is written by the event loops themselves at
		// the end of their rounds (serveInline); TLS needs this goroutine.
		if rc, err := tc.SyscallConn(); err == nil {
			l.raw, l.rawWrite = rc, l.writeRaw
			l.reader.SetInline(l.serveInline)
		}
	}
	var deadlineSet int64 // s.nowMs when the write deadline was last moved
	for {
		l.feedMu.Lock()
		b := l.pending
		l.pending = nil
		if b == nil {
			var err error
			if b, err = l.reader.Next(); err != nil {
				l.feedMu.Unlock()
				if errors.Is(err, stream.ErrTrimmed) {
					s.Logf('*', "Connection with replica %s lost (its history was reset).", l.name())
				}
				return
			}
		}
		if b == nil {
			l.feedMu.Unlock()
			select {
			case <-l.reader.Wait():
				continue
			case <-l.quit:
				return
			}
		}
		// repl-timeout for a write, moved at most every 100 ms (the
		// deadline is a timer the runtime re-arms: a write per loop round
		// need not pay for it each time).
		if now := s.nowMs.Load(); now-deadlineSet >= 100 {
			deadlineSet = now
			l.conn.SetWriteDeadline(time.Now().Add(s.replTimeout()))
		}
		_, err := l.conn.Write(b)
		l.feedMu.Unlock()
		if err != nil {
			if !l.quitOnce.Load() {
				s.Logf('*', "Connection with replica %s lost.", l.name())
			}
			return
		}
		l.sent.Add(int64(len(b)))
	}
}

func (s *Server) replTimeout() time.Duration {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return time.Duration(max(s.cfg.ReplTimeout, 1)) * time.Second
}

// readAcks reads what the replica sends on its link: REPLCONF ACK <offset>
// (and FACK); anything else is ignored. It ends the link when the replica
// goes, or sends nothing for repl-timeout once online.
func (s *Server) readAcks(l *replicaLink) {
	defer l.close()
	br := bufio.NewReaderSize(l.conn, 4096)
	var rd resp.Reader
	rd.Limits = resp.Limits{MaxBulkLen: 1 << 20, MaxInline: 64 << 10}
	buf := append(make([]byte, 0, 4096), l.early...)
	tmp := make([]byte, 4096)
	for {
		if len(l.early) > 0 {
			l.early = nil // in buf already: parse it before reading more
		} else {
			l.conn.SetReadDeadline(time.Now().Add(s.replTimeout()))
			n, err := br.Read(tmp)
			if err != nil {
				if isTimeout(err) && l.state.Load() != replOnline {
					continue // a replica loading a big payload sends nothing meanwhile
				}
				if isTimeout(err) {
					s.Logf('#', "Disconnecting timedout replica (streaming sync): %s", l.name())
				}
				return
			}
			buf = append(buf, tmp[:n]...)
			if l.c != nil {
				// Redis's lastinteraction moves with every read: CLIENT
				// LIST shows a replica that ACKs each second idle=0-1.
				l.c.lastUsed.Store(s.nowMs.Load())
			}
		}
		used := 0
		for {
			args, k, perr := rd.Next(buf[used:])
			if perr != nil {
				s.Logf('#', "Protocol error (%s) from replica %s", perr.Error(), l.name())
				return
			}
			if k == 0 {
				break
			}
			used += k
			if len(args) > 0 && !strings.EqualFold(string(args[0]), "replconf") {
				s.replicaCommand(l, args)
				return
			}
			if len(args) >= 3 && strings.EqualFold(string(args[1]), "ack") {
				if off, ok := rnum.ParseInt(args[2]); ok {
					s.noteAck(l, off)
				}
			}
		}
		buf = buf[:copy(buf, buf[used:])]
	}
}

// noteAck records a replica's acknowledged offset and wakes WAIT.
func (s *Server) noteAck(l *replicaLink, off int64) {
	if off > l.ackOff.Load() {
		l.ackOff.Store(off)
	}
	l.ackTime.Store(time.Now().UnixMilli())
	if l.acked.CompareAndSwap(false, true) {
		close(l.firstAck)
	}
	s.repl.mu.Lock()
	ch := s.repl.acked
	s.repl.acked = make(chan struct{})
	s.repl.mu.Unlock()
	close(ch)
}

// detachReplica forgets a link that ended.
func (s *Server) detachReplica(l *replicaLink) {
	l.state.Store(replClosed)
	s.repl.mu.Lock()
	for i, x := range s.repl.replicas {
		if x == l {
			s.repl.replicas = append(s.repl.replicas[:i], s.repl.replicas[i+1:]...)
			break
		}
	}
	if len(s.repl.replicas) == 0 {
		s.repl.noneTime = time.Now().Unix()
	}
	s.repl.mu.Unlock()
}

// replicaCommand is a command other than REPLCONF on a replica's link:
// a reply must never go down a replication link, so Redis drops the link
// when the command generates one (every command does, unless it fails
// silently), and refuses a command on the keyspace first ("Replica can't
// interact with the keyspace"), an error it logs as CRITICAL. The link
// ends here the same way; nothing is run.
func (s *Server) replicaCommand(l *replicaLink, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	if spec := s.table.Lookup(args[0]); spec != nil {
		if sub := spec.LookupSub(args); sub != nil {
			spec = sub
		}
		name = spec.FullName()
		if spec.Has(command.FlagWrite) || spec.Has(command.FlagReadonly) || spec.Has(command.FlagMayReplicate) {
			s.Logf('#', "== CRITICAL == This master is sending an error to its replica: '%s' after processing the command '%s'", "Replica can't interact with the keyspace", name)
		}
	}
	s.Logf('#', "Replica generated a reply to command '%s', disconnecting it: %s", name, s.clientInfoLine(l.c))
}

// masterCron: the PING every repl-ping-replica-period, replicas over the
// output-buffer limit dropped, the backlog freed after repl-backlog-ttl
// without replicas.
func (s *Server) masterCron() {
	now := time.Now().Unix()
	s.cfg.RLock()
	period, ttl := int64(s.cfg.ReplPingReplicaPeriod), s.cfg.ReplBacklogTTL
	s.cfg.RUnlock()
	lim := s.replicaObufLimit()
	s.repl.mu.Lock()
	links := append([]*replicaLink(nil), s.repl.replicas...)
	isMaster := s.repl.link == nil
	if isMaster && len(links) == 0 && s.repl.backlog && ttl > 0 && now-s.repl.noneTime > ttl {
		// Redis frees the backlog and changes the replication ID, so no
		// replica can later continue a history this node no longer holds.
		s.repl.backlog = false
		s.stream.SetBacklog(0)
		s.repl.hist = replication.History{ID: replication.NewID(), ID2: replication.NoID, Offset2: -1}
		s.Logf('*', "Replication backlog freed after %d seconds without connected replicas.", ttl)
	}
	s.repl.mu.Unlock()
	// Not during a manual failover's pause: the PING would move the offset
	// the replica is waiting for (as Redis 7.0's replicationCron).
	// Every period calls counted from the start, as Redis counts its
	// replicationCron calls (not on wall-clock multiples). Redis's call 0
	// is its first serverCron, 1 ms after start, before any replica can
	// be attached; this cron's first call comes with its first tick, 100
	// ms on, when a replica may be: so that is call 1, and the first PING
	// goes a period after start, as Redis's does (a replica attached at
	// once got a PING at 100 ms, behind the first writes of its master).
	s.repl.cronLoops++
	loop := s.repl.cronLoops
	if isMaster && len(links) > 0 && period > 0 && loop%period == 0 && !s.failoverPaused() {
		s.stream.AppendReplicasOnly([]byte("*1\r\n$4\r\nPING\r\n"))
	}
	// A hard limit below repl-backlog-size is raised to it, as Redis's
	// checkClientOutputBufferLimits does: a replica that continued from the
	// backlog would otherwise be dropped again at once.
	hard := lim.HardBytes
	if bl := uint64(max(s.backlogSize(), 0)); hard > 0 && hard < bl {
		hard = bl
	}
	end := s.stream.Offset()
	for _, l := range links {
		sent := l.sent.Load()
		if sent < 0 || l.state.Load() == replClosed {
			continue
		}
		behind := uint64(max(end-sent, 0))
		over := hard > 0 && behind >= hard
		if lim.SoftBytes > 0 && behind >= lim.SoftBytes {
			if l.overSoft == 0 {
				l.overSoft = now
			} else if now-l.overSoft > lim.SoftSeconds {
				over = true
			}
		} else {
			l.overSoft = 0
		}
		if over {
			s.Logf('#', "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", l.c.infoLine(false, nil))
			l.close()
		}
	}
}

// replicaOnline is replicaPutOnline: the replica is online, its ack time
// now (no false timeout), and the good-replicas gate (min-replicas-to-write)
// counts it at once rather than at the next once-a-second refresh.
func (s *Server) replicaOnline(l *replicaLink) {
	l.ackTime.Store(time.Now().UnixMilli())
	l.state.Store(replOnline)
	s.refreshReplGate()
}

// goodReplicas counts replicas online that acknowledged within maxLag
// seconds (repl_good_slaves_count). Needs repl.mu.
func (s *Server) goodReplicas(maxLag int64) int {
	now := time.Now().UnixMilli()
	n := 0
	for _, l := range s.repl.replicas {
		if l.state.Load() == replOnline && (now-l.ackTime.Load())/1000 <= maxLag {
			n++
		}
	}
	return n
}

// ackedReplicas counts replicas that acknowledged offset off. Needs repl.mu.
func (s *Server) ackedReplicas(off int64) int {
	n := 0
	for _, l := range s.repl.replicas {
		if l.state.Load() == replOnline && l.ackOff.Load() >= off {
			n++
		}
	}
	return n
}

// timeoutMs is getTimeoutFromObjectOrReply for milliseconds (WAIT, CLIENT
// PAUSE): an integer by string2ll's rules, not negative; else it replies
// Redis's error and reports false.
func timeoutMs(ctx *command.Ctx, arg []byte) (int64, bool) {
	ms, ok := rnum.ParseInt(arg)
	if !ok {
		ctx.Error(rediserr.TimeoutNotInteger)
		return 0, false
	}
	if ms < 0 {
		ctx.Error(rediserr.TimeoutNegative)
		return 0, false
	}
	return ms, true
}

// waitCommand is WAIT numreplicas timeout.
func (s *Server) waitCommand(ctx *command.Ctx) {
	c := ctx.Client.(*client)
	if s.isReplica() {
		ctx.Error(rediserr.WaitOnReplica)
		return
	}
	want, ok := rnum.ParseInt(ctx.Args[1])
	if !ok {
		ctx.Error(rediserr.NotInteger)
		return
	}
	ms, ok := timeoutMs(ctx, ctx.Args[2])
	if !ok {
		return
	}
	target := c.woff
	s.repl.mu.Lock()
	n := s.ackedReplicas(target)
	s.repl.mu.Unlock()
	if int64(n) >= want || c.inMulti || c.session {
		if n > 0 {
			s.announceWaitAcked(target)
		}
		ctx.W.Int(int64(n))
		return
	}
	// Ask the replicas for their offsets now rather than waiting for the
	// next periodic ACK (Redis's GETACK, sent through the stream).
	s.stream.AppendReplicasOnly([]byte("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"))
	var deadline <-chan time.Time
	if ms > 0 {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		deadline = t.C
	}
	hup := c.hangup()
	for {
		s.repl.mu.Lock()
		n = s.ackedReplicas(target)
		ch := s.repl.acked
		s.repl.mu.Unlock()
		if int64(n) >= want {
			break
		}
		select {
		case <-ch:
			continue
		case <-deadline:
		case <-hup:
		}
		break
	}
	if n > 0 {
		s.announceWaitAcked(target) // before the reply (waitsafe.go)
	}
	ctx.W.Int(int64(n))
}
