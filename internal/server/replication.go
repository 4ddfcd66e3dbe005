package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/replication"
	"github.com/shoal-db/shoal/internal/rnum"
)

// replState is this node's side of replication (DESIGN: internal/replication
// holds the protocol pieces; this file and repl_master.go / repl_replica.go
// drive them). A node is a master with zero or more replica links, or a
// replica with one link to its master; as a replica it may serve replicas
// of its own (a chain), passing its master's stream on byte for byte.
type replState struct {
	mu   sync.Mutex
	hist replication.History // guarded by mu

	// Master side (repl_master.go), guarded by mu.
	replicas []*replicaLink
	job      *syncJob // a full sync gathering replicas before its snapshot
	noneTime int64    // unix s since when no replica is attached (backlog TTL)
	// cronLoops counts masterCron's calls (Redis's replication_cron_loops:
	// the PING to replicas goes every repl-ping-replica-period of them;
	// the first call is 1, Redis's call 0 being at its start); the cron
	// goroutine's only.
	cronLoops int64
	backlog   bool // the stream keeps repl-backlog-size bytes
	// acked is closed and replaced whenever a replica acknowledges an
	// offset (WAIT waits on it).
	acked chan struct{}

	// Replica side (repl_replica.go): the link to the master, nil on a
	// master. Guarded by mu; the link's own fields are atomics.
	link *masterLink

	// gate holds the reasons writes (or all commands) are refused now,
	// one atomic load on the hot path (gateNoReplicas, …).
	gate atomic.Uint32

	syncFull, syncPartialOK, syncPartialErr atomic.Int64
	// syncSaves counts snapshots being sent to replicas (INFO
	// rdb_bgsave_in_progress, as Redis's fork for a sync).
	syncSaves atomic.Int32
	// started: the startup load is over and replication may act.
	started atomic.Bool

	// local are the keys a writable replica's own clients gave a TTL: the
	// replica expires them itself (expireSlaveKeys).
	localMu sync.Mutex
	local   map[localKey]struct{}
}

const (
	gateNoReplicas uint32 = 1 << iota // min-replicas-to-write not met
	gateReadOnly                      // a read-only replica
	gateStale                         // replica-serve-stale-data no, link down
)

func (s *Server) initReplication() {
	s.repl.hist = replication.History{ID: replication.NewID(), ID2: replication.NoID, Offset2: -1}
	s.repl.acked = make(chan struct{})
	s.repl.noneTime = time.Now().Unix()
	s.handle("replconf", s.replconfCommand)
	for _, name := range []string{"psync", "sync"} {
		spec := s.handle(name, s.syncCommand)
		spec.Flags |= command.FlagOffLoop
	}
	for _, name := range []string{"replicaof", "slaveof"} {
		spec := s.handle(name, s.replicaofCommand)
		spec.Flags |= command.FlagOffLoop
	}
	s.ks.OnReplicaTTL = s.noteReplicaTTL
	s.registerFailover()
	s.handle("role", s.roleCommand)
	s.handle("wait", s.waitCommand).Flags |= command.FlagOffLoop
	s.cfg.SetLoadingCheck(func() bool { return s.loadingNow() || s.loading.async.Load() })
	s.cfg.OnSet(func(name string) {
		if name == "repl-backlog-size" {
			s.repl.mu.Lock()
			if s.repl.backlog {
				s.stream.SetBacklog(s.backlogSize())
			}
			s.repl.mu.Unlock()
		}
		// min-replicas-*, replica-read-only, replica-serve-stale-data (under
		// either name): the gates follow at once.
		s.refreshReplGate()
	})
}

// StartReplication starts the replica link the configuration asks for
// (the replicaof directive), and lets the cluster's role changes act, once
// the dataset is loaded: a full sync must not race the startup load.
func (s *Server) StartReplication() {
	s.repl.started.Store(true)
	s.cfg.RLock()
	host, port := s.cfg.ReplicaOfHost, s.cfg.ReplicaOfPort
	s.cfg.RUnlock()
	if host != "" {
		s.replicaOf(host, port)
	}
}

func (s *Server) backlogSize() int64 {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return s.cfg.ReplBacklogSize
}

// replBufferMem is Redis's repl_buffer_mem: the bytes of the write stream
// that the backlog and the replicas share (one copy however many replicas
// read it: the backlog window, or from the replica furthest behind), 0
// while there is no backlog. It counts the retained window, not the
// slack of the stream's 64 KB chunks around it.
func (s *Server) replBufferMem() int64 {
	s.repl.mu.Lock()
	on := s.repl.backlog
	s.repl.mu.Unlock()
	if !on {
		return 0
	}
	return s.stream.Offset() - s.stream.Start()
}

// replicaCount is how many replica links are attached.
func (s *Server) replicaCount() int {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	n := 0
	for _, l := range s.repl.replicas {
		if l.state.Load() != replClosed {
			n++
		}
	}
	return n
}

// ensureBacklog makes the stream keep repl-backlog-size bytes (Redis
// creates the backlog with the first replica, and on every replica).
// Needs repl.mu.
func (s *Server) ensureBacklog() {
	if !s.repl.backlog {
		s.repl.backlog = true
		s.stream.SetBacklog(s.backlogSize())
	}
}

// replGate is processCommand's replication checks, in Redis's order:
// NOREPLICAS, READONLY, then MASTERDOWN. The master's own commands and
// AOF replay (sessions) pass.
func (s *Server) replGate(c *client, spec *command.Spec) string {
	g := s.repl.gate.Load()
	if g == 0 || c.session {
		return ""
	}
	write := spec.Has(command.FlagWrite)
	if !write && spec.Name == "exec" {
		for _, q := range c.queued {
			// A script or function that declares flags is a write unless
			// no-writes (scriptFlagsToCmdFlags), whatever EVAL's own flags.
			if q.spec.Has(command.FlagWrite) || s.scriptDeclaresWrite(q.spec, q.args) {
				write = true
				break
			}
		}
	}
	if write {
		if msg := writeGateMsg(g); msg != "" {
			return msg
		}
	}
	if g&gateStale != 0 && denyStale(c, spec) {
		return rediserr.MasterDown
	}
	return ""
}

// denyStale is Redis's is_denystale_command: a command without the stale
// flag, or EXEC of a transaction holding one (the link may have gone down
// after they were queued).
func denyStale(c *client, spec *command.Spec) bool {
	if !spec.Has(command.FlagStale) {
		return true
	}
	if spec.Name == "exec" && c.inMulti {
		for _, q := range c.queued {
			if !q.spec.Has(command.FlagStale) {
				return true
			}
		}
	}
	return false
}

// replWriteGate is replGate for a write a script is about to make.
func (s *Server) replWriteGate(c *client) string {
	if c.session {
		return ""
	}
	return writeGateMsg(s.repl.gate.Load())
}

func writeGateMsg(g uint32) string {
	switch {
	case g&gateNoReplicas != 0:
		return rediserr.NoReplicas
	case g&gateReadOnly != 0:
		return rediserr.ReadOnlyReplica
	}
	return ""
}

// refreshReplGate recomputes the gate from the role, the link and the
// replicas' acknowledgements (refreshGoodSlavesCount and the replica checks).
func (s *Server) refreshReplGate() {
	s.cfg.RLock()
	minN, maxLag := s.cfg.MinReplicasToWrite, int64(s.cfg.MinReplicasMaxLag)
	ro, stale := s.cfg.ReplicaReadOnly, s.cfg.ReplicaServeStaleData
	s.cfg.RUnlock()
	var g uint32
	s.repl.mu.Lock()
	if ml := s.repl.link; ml != nil {
		if ro {
			g |= gateReadOnly
		}
		if !stale && ml.state.Load() != linkConnected {
			g |= gateStale
		}
	} else if minN > 0 && maxLag > 0 && s.goodReplicas(maxLag) < minN {
		g |= gateNoReplicas
	}
	s.repl.mu.Unlock()
	s.repl.gate.Store(g)
}

// replicationCron is replicationCron's once-a-second work.
func (s *Server) replicationCron() {
	s.clusterReplicationCron()
	s.masterCron()
	s.expireReplicaKeys()
	s.refreshReplGate()
}

// isReplica reports whether this node replicates a master.
func (s *Server) isReplica() bool {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	return s.repl.link != nil
}

// replicaofCommand is REPLICAOF / SLAVEOF host port | NO ONE.
func (s *Server) replicaofCommand(ctx *command.Ctx) {
	if s.clusterEnabled() {
		ctx.Error(rediserr.ReplicaOfCluster)
		return
	}
	host, portArg := string(ctx.Args[1]), string(ctx.Args[2])
	if strings.EqualFold(host, "no") && strings.EqualFold(portArg, "one") {
		if s.isReplica() {
			s.promote()
			s.setReplicaOfConfig("", 0)
			s.Logf('*', "MASTER MODE enabled (user request from '%s')", s.clientInfoLine(ctx.Client.(*client)))
		}
		ctx.W.OK()
		return
	}
	if c := ctx.Client.(*client); c.replLink.Load() != nil {
		ctx.Error(rediserr.ReplicaOfFromReplica)
		return
	}
	// getRangeLongFromObjectOrReply with a message: a port that is not an
	// integer (string2ll's syntax) or out of range reads the same.
	port, ok := rnum.ParseInt(portArg)
	if !ok || port < 0 || port > 65535 {
		ctx.Error(rediserr.InvalidMasterPort)
		return
	}
	s.repl.mu.Lock()
	same := s.repl.link != nil && strings.EqualFold(s.repl.link.host, host) && s.repl.link.port == int(port)
	s.repl.mu.Unlock()
	if same {
		s.Logf('*', "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		ctx.W.Simple("OK Already connected to specified master")
		return
	}
	s.replicaOf(host, int(port))
	s.setReplicaOfConfig(host, int(port))
	s.Logf('*', "REPLICAOF %s:%d enabled (user request from '%s')", host, port, s.clientInfoLine(ctx.Client.(*client)))
	ctx.W.OK()
}

// setReplicaOfConfig records the master in the configuration, as
// server.masterhost is Redis's: CONFIG GET replicaof and CONFIG REWRITE
// show it.
func (s *Server) setReplicaOfConfig(host string, port int) {
	s.cfg.Lock()
	s.cfg.ReplicaOfHost, s.cfg.ReplicaOfPort = host, port
	s.cfg.Unlock()
}

// clientInfoLine is the client's CLIENT INFO line, for the log.
func (s *Server) clientInfoLine(c *client) string {
	if c == nil || c.session {
		return ""
	}
	return strings.TrimSuffix(c.infoLine(true, nil), "\n")
}

// roleCommand is ROLE.
func (s *Server) roleCommand(ctx *command.Ctx) {
	w := ctx.W
	s.repl.mu.Lock()
	ml := s.repl.link
	links := append([]*replicaLink(nil), s.repl.replicas...)
	s.repl.mu.Unlock()
	if ml == nil {
		w.Array(3)
		w.BulkString("master")
		w.Int(s.stream.Offset())
		n := 0
		for _, l := range links {
			if l.state.Load() == replOnline {
				n++
			}
		}
		w.Array(n)
		for _, l := range links {
			if l.state.Load() != replOnline {
				continue
			}
			w.Array(3)
			w.BulkString(l.ip)
			w.BulkString(strconv.Itoa(l.port))
			w.BulkString(strconv.FormatInt(l.ackOff.Load(), 10))
		}
		return
	}
	w.Array(5)
	w.BulkString("slave")
	w.BulkString(ml.host)
	w.Int(int64(ml.port))
	w.BulkString(ml.stateName())
	if ml.state.Load() == linkConnected {
		w.Int(s.stream.Offset())
	} else {
		w.Int(-1)
	}
}

// infoReplication writes INFO's "# Replication" section as Redis 7.0 does.
func (s *Server) infoReplication(w infoWriter) {
	s.repl.mu.Lock()
	ml := s.repl.link
	links := append([]*replicaLink(nil), s.repl.replicas...)
	hist := s.repl.hist
	backlog := s.repl.backlog
	s.repl.mu.Unlock()
	off, start := s.stream.Offset(), s.stream.Start()
	now := time.Now()
	if ml == nil {
		w.s("role", "master")
	} else {
		w.s("role", "slave")
		w.s("master_host", ml.host)
		w.i("master_port", int64(ml.port))
		up := ml.state.Load() == linkConnected
		if up {
			w.s("master_link_status", "up")
		} else {
			w.s("master_link_status", "down")
		}
		if last := ml.lastIO.Load(); last > 0 {
			w.i("master_last_io_seconds_ago", (now.UnixMilli()-last)/1000)
		} else {
			w.i("master_last_io_seconds_ago", -1)
		}
		syncing := ml.state.Load() == linkTransfer
		w.i("master_sync_in_progress", b2i(syncing))
		w.i("slave_read_repl_offset", off+ml.unapplied.Load())
		w.i("slave_repl_offset", off)
		if syncing {
			total, read := ml.syncTotal.Load(), ml.syncRead.Load()
			w.i("master_sync_total_bytes", total)
			w.i("master_sync_read_bytes", read)
			left := int64(0)
			perc := 0.0
			if total > 0 {
				left = total - read
				perc = float64(read) / float64(total) * 100
			} else {
				left = -1
			}
			w.i("master_sync_left_bytes", left)
			w.s("master_sync_perc", strconv.FormatFloat(perc, 'f', 2, 64))
			w.i("master_sync_last_io_seconds_ago", (now.UnixMilli()-ml.lastIO.Load())/1000)
		}
		if !up {
			if d := ml.downSince.Load(); d > 0 {
				w.i("master_link_down_since_seconds", now.Unix()-d)
			} else {
				w.i("master_link_down_since_seconds", -1)
			}
		}
		s.cfg.RLock()
		w.i("slave_priority", int64(s.cfg.ReplicaPriority))
		w.i("slave_read_only", b2i(s.cfg.ReplicaReadOnly))
		w.i("replica_announced", b2i(s.cfg.ReplicaAnnounced))
		s.cfg.RUnlock()
	}
	n := 0
	for _, l := range links {
		if l.state.Load() != replClosed {
			n++
		}
	}
	w.i("connected_slaves", int64(n))
	if ml == nil {
		s.cfg.RLock()
		minN := s.cfg.MinReplicasToWrite
		maxLag := int64(s.cfg.MinReplicasMaxLag)
		s.cfg.RUnlock()
		if minN > 0 && maxLag > 0 {
			s.repl.mu.Lock()
			w.i("min_slaves_good_slaves", int64(s.goodReplicas(maxLag)))
			s.repl.mu.Unlock()
		}
	}
	i := 0
	for _, l := range links {
		st := l.state.Load()
		if st == replClosed {
			continue
		}
		lag := (now.UnixMilli() - l.ackTime.Load()) / 1000
		w.s("slave"+strconv.Itoa(i), "ip="+l.ip+",port="+strconv.Itoa(l.port)+",state="+replStateNames[st]+
			",offset="+strconv.FormatInt(l.ackOff.Load(), 10)+",lag="+strconv.FormatInt(lag, 10))
		i++
	}
	w.s("master_failover_state", s.failoverStateName())
	w.s("master_replid", hist.ID)
	w.s("master_replid2", hist.ID2)
	w.i("master_repl_offset", off)
	w.i("second_repl_offset", hist.Offset2)
	w.i("repl_backlog_active", b2i(backlog))
	w.i("repl_backlog_size", s.backlogSize())
	if backlog {
		w.i("repl_backlog_first_byte_offset", start+1)
		w.i("repl_backlog_histlen", off-start)
	} else {
		w.i("repl_backlog_first_byte_offset", 0)
		w.i("repl_backlog_histlen", 0)
	}
}

// replAux is rdbPopulateSaveInfo, read at a snapshot point: the
// replication ID, offset and stream database an RDB records, so that a
// restarted node (or a replica of a replica) continues from there. A
// master that never had replicas records none.
func (s *Server) replAux() [][2]string {
	s.repl.mu.Lock()
	replica, backlog, id := s.repl.link != nil, s.repl.backlog, s.repl.hist.ID
	s.repl.mu.Unlock()
	if !replica && !backlog {
		return nil
	}
	// The database the master's stream is in (stream.MasterDB): an RDB
	// records it (repl-stream-db) so a replica of this node starts
	// applying in the right database.
	db := s.stream.MasterDB()
	if !replica {
		db = max(s.stream.DB(), 0)
	}
	return [][2]string{{"repl-stream-db", strconv.Itoa(db)}, {"repl-id", id}, {"repl-offset", strconv.FormatInt(s.stream.Offset(), 10)}}
}

// replicaObufLimit is client-output-buffer-limit replica.
func (s *Server) replicaObufLimit() config.ObufLimit {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return s.cfg.ClientOutputBufferLimit[config.ObufReplica]
}
