package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/clusternode"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/slot"
)

// clusterServer is the server's cluster-mode state.
type clusterServer struct {
	node *clusternode.Node
	// readsWhenDown is cluster-allow-reads-when-down.
	readsWhenDown atomic.Bool
	// waitSafe is cluster-replica-wait-safe; waitAcked is the highest
	// offset announced to the core as acknowledged to WAIT (waitsafe.go).
	waitSafe  atomic.Bool
	waitMu    sync.Mutex
	waitAcked atomic.Int64
	// getKeysTwin and resetTwin are LockAll copies of CLUSTER GETKEYSINSLOT
	// and RESET, swapped into a transaction at EXEC: EXEC already holds the
	// stripes of its keys, so these must not lock a stripe themselves.
	getKeysTwin, resetTwin *command.Spec
}

// StartCluster opens nodes.conf (locking it; loading it or creating this
// node) and starts the cluster runner. Call it once, before Listen, when
// cluster-enabled is yes. Errors carry Redis's startup messages.
func (s *Server) StartCluster() error {
	tlsOn, tlsPort := s.tlsCluster(), 0
	if tlsOn {
		if err := s.configureTLS(false); err != nil {
			return errTLSConfigure
		}
		_, tlsPort = s.tlsSettings()
	}
	s.cfg.RLock()
	c := s.cfg
	ccfg := cluster.DefaultConfig()
	busPort := announce(&ccfg, c, tlsOn, tlsPort) // where the bus listens
	busBind := append([]string(nil), c.Bind...)
	if c.ClusterNodeTimeout > 0 {
		ccfg.NodeTimeout = c.ClusterNodeTimeout
	}
	clusterOptions(&ccfg, c)
	path := c.ClusterConfigFile
	s.cl.readsWhenDown.Store(c.ClusterAllowReadsWhenDown)
	s.cl.waitSafe.Store(c.ClusterReplicaWaitSafe)
	s.cfg.RUnlock()
	n, err := clusternode.Open(clusternode.Options{
		Path:   path,
		Config: ccfg,
		Logf:   func(level byte, format string, args ...any) { s.Logf(level, format, args...) },
		Fatal: func(error) {
			s.requestShutdown()
		},
		OnReady: s.applyClusterReady,
		// The cluster bus: PUBLISH and PUBLISHSHARD from other nodes
		// reach the local subscribers; a slot this shard stops serving
		// takes its shard channels' subscriptions with it.
		BusPort: busPort,
		BusBind: busBind,
		BusTLS:  s.busTLS,
		OnDeliver: func(d cluster.Delivery) {
			if d.Shard {
				s.pubsub.spublish(d.Channel, d.Message)
			} else {
				s.pubsub.publish(d.Channel, d.Message)
			}
		},
		OnTopology: s.pubsub.dropUnservedShardChannels,
	})
	if err != nil {
		return err
	}
	s.cl.node = n
	n.Start()
	return nil
}

// announce sets the address the core announces for myself (client port,
// plaintext port beside a TLS one, bus port, IP, hostname) from the config
// and returns the port the bus listens on. The caller holds the config's
// read lock.
func announce(cc *cluster.Config, c *config.Config, tlsOn bool, tlsPort int) (busPort int) {
	// deriveAnnouncedPorts: with tls-cluster the client port announced is
	// tls-port, and port is announced beside it as the plaintext port.
	port := c.Port
	cc.PPort, cc.TLS = 0, tlsOn
	if tlsOn {
		port = tlsPort
		cc.PPort = c.Port
	}
	cc.Port = port
	if tlsOn && c.ClusterAnnounceTLSPort != 0 {
		cc.Port, cc.PPort = c.ClusterAnnounceTLSPort, c.ClusterAnnouncePort
	} else if c.ClusterAnnouncePort != 0 {
		cc.Port = c.ClusterAnnouncePort
	}
	busPort = port + 10000
	if c.ClusterPort != 0 {
		busPort = c.ClusterPort
	}
	cc.BusPort = busPort
	if c.ClusterAnnounceBusPort != 0 {
		cc.BusPort = c.ClusterAnnounceBusPort
	}
	cc.AnnounceIP, cc.Hostname = c.ClusterAnnounceIP, c.ClusterAnnounceHostname
	return busPort
}

// clusterOptions copies the cluster options CONFIG SET may change into the
// core's config. The caller holds the config's read lock.
func clusterOptions(cc *cluster.Config, c *config.Config) {
	if c.ClusterNodeTimeout > 0 {
		cc.NodeTimeout = c.ClusterNodeTimeout
	}
	cc.RequireFullCoverage = c.ClusterRequireFullCoverage
	cc.AllowReplicaMigration = c.ClusterAllowReplicaMigration
	cc.ReplicaValidityFactor = c.ClusterReplicaValidityFactor
	cc.ReplPingPeriod = int64(c.ReplPingReplicaPeriod) * 1000
	cc.MigrationBarrier = c.ClusterMigrationBarrier
	cc.ReplicaNoFailover = c.ClusterReplicaNoFailover
	cc.ReplicaWaitSafe = c.ClusterReplicaWaitSafe
	cc.LinkSendBufLimit = c.ClusterLinkSendbufLimit
	switch c.ClusterPreferredEndpointType {
	case "hostname":
		cc.Endpoint = cluster.EndpointHostname
	case "unknown-endpoint":
		cc.Endpoint = cluster.EndpointUnknown
	default:
		cc.Endpoint = cluster.EndpointIP
	}
}

// reconfigureCluster applies CONFIG SET of cluster options to the core.
func (s *Server) reconfigureCluster() {
	n := s.cl.node
	if n == nil {
		return
	}
	var opts cluster.Config
	tlsOn, tlsPort := s.tlsCluster(), 0
	if tlsOn {
		_, tlsPort = s.tlsSettings()
	}
	s.cfg.RLock()
	announce(&opts, s.cfg, tlsOn, tlsPort)
	s.cl.readsWhenDown.Store(s.cfg.ClusterAllowReadsWhenDown)
	s.cl.waitSafe.Store(s.cfg.ClusterReplicaWaitSafe)
	clusterOptions(&opts, s.cfg)
	s.cfg.RUnlock()
	rd, _ := n.Do(func(core *cluster.Core) error {
		cc := core.Config()
		cc.NodeTimeout, cc.RequireFullCoverage, cc.AllowReplicaMigration = opts.NodeTimeout, opts.RequireFullCoverage, opts.AllowReplicaMigration
		cc.ReplicaValidityFactor, cc.ReplPingPeriod = opts.ReplicaValidityFactor, opts.ReplPingPeriod
		cc.MigrationBarrier, cc.ReplicaNoFailover = opts.MigrationBarrier, opts.ReplicaNoFailover
		cc.ReplicaWaitSafe = opts.ReplicaWaitSafe
		// CONFIG SET cluster-preferred-endpoint-type: MOVED/ASK and
		// CLUSTER SLOTS/SHARDS name nodes the new way from now on.
		cc.Endpoint = opts.Endpoint
		cc.LinkSendBufLimit = opts.LinkSendBufLimit
		// CONFIG SET cluster-announce-*: myself's address, gossiped on.
		cc.Port, cc.PPort, cc.BusPort, cc.TLS = opts.Port, opts.PPort, opts.BusPort, opts.TLS
		cc.AnnounceIP, cc.Hostname = opts.AnnounceIP, opts.Hostname
		if cc == core.Config() || cc.NodeTimeout <= 0 {
			return nil
		}
		return core.SetConfig(cc)
	})
	s.applyReady(rd, false)
}

// StopCluster stops the runner and releases nodes.conf.
func (s *Server) StopCluster() {
	if s.cl.node != nil {
		s.cl.node.Close()
	}
}

func (s *Server) requestShutdown() {
	select {
	case <-s.ShutdownRequested:
	default:
		close(s.ShutdownRequested)
	}
}

// applyClusterReady carries out a role change or a data change from the
// core. Replication is a later layer; for now a role change is logged.
func (s *Server) applyClusterReady(rd cluster.Ready) { s.applyReady(rd, false) }

func (s *Server) applyReady(rd cluster.Ready, allLocked bool) {
	if rd.EmptyData {
		if !allLocked {
			s.ks.LockAll()
		}
		for i := 0; i < s.ks.NumDBs(); i++ {
			s.ks.DB(i).Flush()
		}
		if !allLocked {
			s.ks.UnlockAll()
		}
	}
	// Slots lost to a master with a newer config: their keys go (Redis's
	// "dirty slots" in clusterUpdateSlotsConfigWith). Cluster mode has db 0 only.
	for _, sl := range rd.DelSlotKeys {
		if !allLocked {
			s.ks.LockSlot(sl)
		}
		if n := s.ks.DB(0).FlushSlot(sl); n > 0 {
			s.Logf('*', "Deleting keys in dirty slot %d", sl)
		}
		if !allLocked {
			s.ks.UnlockSlot(sl)
		}
	}
	// A manual failover of this master pauses writes (pause.go); that
	// takes every stripe, so inside EXEC (which holds them) it runs after.
	if p := rd.Pause; p != nil {
		if allLocked {
			go s.failoverPause(p.Until)
		} else {
			s.failoverPause(p.Until)
		}
	}
	if rc := rd.RoleChange; rc != nil {
		// Replication follows the core's decision (DESIGN decision 12);
		// clusterReplicationCron repeats it once a second, for what the
		// core learns later (the master's address) and for nodes.conf at start.
		switch {
		case !s.repl.started.Load():
			// Loading: clusterReplicationCron acts once the load is over.
		case rc.MasterID == "":
			s.promote()
		case rc.IP != "" && rc.Port != 0:
			s.followClusterMaster(rc.IP, rc.Port)
		}
	}
}

// followClusterMaster replicates ip:port unless it does already.
func (s *Server) followClusterMaster(ip string, port int) {
	s.repl.mu.Lock()
	ml := s.repl.link
	s.repl.mu.Unlock()
	if ml != nil && ml.host == ip && ml.port == port {
		return
	}
	s.replicaOf(ip, port)
}

// clusterReplOffset is the replication offset the cluster core gossips
// and ranks by (replicationGetSlaveOffset).
// replica says whether this node follows a master.
func (s *Server) clusterReplOffset() (off int64, replica bool) {
	off = s.stream.Offset()
	s.repl.mu.Lock()
	ml := s.repl.link
	if ml != nil && ml.fullSync.Load() {
		off = 0 // no master, no cached master
	}
	s.repl.mu.Unlock()
	return off, ml != nil
}

// clusterReportOffset hands the core this node's offset at every cron
// tick, not only once a second: a manual failover waits for the offset
// to reach the paused master's, and Redis checks that before every event
// loop sleep. With a once-a-second report, a replica that finished its
// full sync less than a second before mf_end missed the failover. Only
// a replica waits so; a master's offset goes once a second (each change
// makes a new Topology).
func (s *Server) clusterReportOffset() {
	if n := s.cl.node; n != nil {
		off, replica := s.clusterReplOffset()
		if !replica {
			return
		}
		n.Query(func(c *cluster.Core) error {
			c.ReplOffsetChanged(off)
			return nil
		})
	}
}

// clusterReplicationCron reports this node's replication offset to the
// cluster core (gossip, CLUSTER SHARDS, election ranks) and makes the
// replication role agree with the core's view of myself.
func (s *Server) clusterReplicationCron() {
	n := s.cl.node
	if n == nil {
		return
	}
	off, _ := s.clusterReplOffset()
	lastIO := s.replLinkLastIO()
	var ip string
	var port int
	master := true
	n.Query(func(c *cluster.Core) error {
		c.ReplOffsetChanged(off)
		c.SetReplLink(lastIO)
		me := c.Myself()
		if !me.IsMaster() && me.Master != nil {
			master = false
			ip, port = me.Master.IP, me.Master.Port
		}
		return nil
	})
	switch {
	case !s.repl.started.Load():
	case master && s.isReplica():
		s.promote()
	case !master && ip != "" && port != 0:
		s.followClusterMaster(ip, port)
	}
}

// infoFailover adds to INFO's Cluster section (beyond Redis) the
// promotions of this node and the loss window each one could know
// (failover.go in the cluster core).
func (s *Server) infoFailover(w infoWriter) {
	n := s.cl.node
	if n == nil {
		return
	}
	var st cluster.FailoverStats
	n.View(func(c *cluster.Core) { st = c.FailoverStats() })
	w.i("cluster_failover_promotions", st.Promotions)
	w.i("cluster_failover_loss_bytes_last", st.LastLoss)
	w.i("cluster_failover_loss_bytes_total", st.LossTotal)
}

var clusterHelp = []string{
	"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ADDSLOTS <slot> [<slot> ...]",
	"    Assign slots to current node.",
	"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
	"    Assign slots which are between <start-slot> and <end-slot> to current node.",
	"BUMPEPOCH",
	"    Advance the cluster config epoch.",
	"COUNT-FAILURE-REPORTS <node-id>",
	"    Return number of failure reports for <node-id>.",
	"COUNTKEYSINSLOT <slot>",
	"    Return the number of keys in <slot>.",
	"DELSLOTS <slot> [<slot> ...]",
	"    Delete slots information from current node.",
	"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
	"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
	"FAILOVER [FORCE|TAKEOVER]",
	"    Promote current replica node to being a master.",
	"FORGET <node-id>",
	"    Remove a node from the cluster.",
	"GETKEYSINSLOT <slot> <count>",
	"    Return key names stored by current node in a slot.",
	"FLUSHSLOTS",
	"    Delete current node own slots information.",
	"INFO",
	"    Return information about the cluster.",
	"KEYSLOT <key>",
	"    Return the hash slot for <key>.",
	"MEET <ip> <port> [<bus-port>]",
	"    Connect nodes into a working cluster.",
	"MYID",
	"    Return the node id.",
	"NODES",
	"    Return cluster configuration seen by node. Output format:",
	"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
	"REPLICATE <node-id>",
	"    Configure current node as replica to <node-id>.",
	"RESET [HARD|SOFT]",
	"    Reset current node (default: soft).",
	"SET-CONFIG-EPOCH <epoch>",
	"    Set config epoch of current node.",
	"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
	"    Set slot state.",
	"REPLICAS <node-id>",
	"    Return <node-id> replicas.",
	"SAVECONFIG",
	"    Force saving cluster configuration on disk.",
	"SLOTS",
	"    Return information about slots range mappings. Each range is made of:",
	"    start, end, master and replicas IP addresses, ports and ids",
	"SHARDS",
	"    Return information about slot range mappings and the nodes associated with them.",
	"LINKS",
	"    Return information about all network links between this node and its peers.",
	"    Output format is an array where each array element is a map containing attributes of a link",
	"HELP",
	"    Prints this help.",
}

// clusterHandler wraps a CLUSTER subcommand: refused when cluster mode is off.
func (s *Server) clusterHandler(h func(ctx *command.Ctx, n *clusternode.Node)) command.Handler {
	return func(ctx *command.Ctx) {
		n := s.cl.node
		if n == nil {
			ctx.Error(rediserr.ClusterDisabled)
			return
		}
		h(ctx, n)
	}
}

// do runs an admin operation and replies OK or its error.
func (s *Server) do(ctx *command.Ctx, n *clusternode.Node, fn func(c *cluster.Core) error) {
	rd, err := n.Do(fn)
	s.doneReply(ctx, rd, err)
}

// doneReply carries out an admin operation's Ready and replies OK or its
// error (do, doDeferred).
func (s *Server) doneReply(ctx *command.Ctx, rd cluster.Ready, err error) {
	s.applyReady(rd, false)
	if err == errReplied {
		return
	}
	if err != nil {
		ctx.Error(err.Error())
		return
	}
	ctx.W.OK()
}

// doDeferred is do for the CLUSTER subcommands whose save Redis leaves to
// beforeSleep (clusterDoBeforeSleep: SETSLOT, ADDSLOTS, DELSLOTS and their
// RANGE forms, FLUSHSLOTS, SET-CONFIG-EPOCH, FORGET, REPLICATE): the
// nodes.conf save may wait until the client's replies are about to leave
// (commitConfig), so a pipeline of them, and those of every client of one
// event-loop turn, share one save and fsync. A caller that is no
// connection's client saves at once. (RESET and SAVECONFIG save before
// they reply, as Redis does.)
func (s *Server) doDeferred(ctx *command.Ctx, n *clusternode.Node, fn func(c *cluster.Core) error) {
	c, _ := ctx.Client.(*client)
	if c == nil || c.session {
		s.do(ctx, n, fn)
		return
	}
	rd, token, err := n.DoDeferred(fn)
	c.cfgToken = max(c.cfgToken, token)
	s.doneReply(ctx, rd, err)
}

// commitConfig returns once nodes.conf holds the cluster changes up to
// token (clusternode.Node.Commit); 0 is none.
func (s *Server) commitConfig(token uint64) {
	if n := s.cl.node; n != nil && token != 0 {
		n.Commit(token)
	}
}

// commitConfig saves what the client's deferred CLUSTER commands changed,
// before their replies leave.
// It is on every flush: the check inlines, the save does not.
func (c *client) commitConfig() {
	if c.cfgToken != 0 {
		c.commitConfigNow()
	}
}

func (c *client) commitConfigNow() {
	c.srv.commitConfig(c.cfgToken)
	c.cfgToken = 0
}

// getSlot is getSlotOrReply.
func getSlot(ctx *command.Ctx, arg []byte) (int, bool) {
	v, ok := rnum.ParseInt(arg)
	if !ok || v < 0 || v >= slot.Count {
		ctx.Error(rediserr.InvalidSlot)
		return 0, false
	}
	return int(v), true
}

// getInt is getLongLongFromObjectOrReply.
func getInt(ctx *command.Ctx, arg []byte) (int64, bool) {
	v, ok := rnum.ParseInt(arg)
	if !ok {
		ctx.Error(rediserr.NotInteger)
		return 0, false
	}
	return v, true
}

func (s *Server) registerCluster() {
	h := func(sub string, fn func(ctx *command.Ctx, n *clusternode.Node)) *command.Spec {
		return s.handle("cluster|"+sub, s.clusterHandler(fn))
	}
	h("help", func(ctx *command.Ctx, _ *clusternode.Node) {
		ctx.W.Array(len(clusterHelp))
		for _, l := range clusterHelp {
			ctx.W.Simple(l)
		}
	})
	h("info", func(ctx *command.Ctx, n *clusternode.Node) {
		var info string
		n.Query(func(c *cluster.Core) error { info = c.Info(); return nil })
		ctx.W.Verbatim(info)
	})
	h("myid", func(ctx *command.Ctx, n *clusternode.Node) { ctx.W.BulkString(n.Topology().MyID) })
	// CLUSTER NODES shows ping/pong times as of now (LiveTopology).
	h("nodes", func(ctx *command.Ctx, n *clusternode.Node) {
		ctx.W.Verbatim(viewOf(ctx, n.LiveTopology()).NodesText())
	})
	h("slots", func(ctx *command.Ctx, n *clusternode.Node) {
		ctx.W.Raw(viewOf(ctx, n.Topology()).SlotsReply(ctx.W.Proto))
	})
	h("shards", func(ctx *command.Ctx, n *clusternode.Node) { ctx.W.Raw(n.Topology().ShardsReply(ctx.W.Proto)) })
	h("links", func(ctx *command.Ctx, n *clusternode.Node) {
		links := n.Links()
		ctx.W.Array(len(links))
		for _, l := range links {
			ctx.W.Map(6)
			ctx.W.BulkString("direction")
			if l.Inbound {
				ctx.W.BulkString("from")
			} else {
				ctx.W.BulkString("to")
			}
			ctx.W.BulkString("node")
			ctx.W.BulkString(l.Node)
			ctx.W.BulkString("create-time")
			ctx.W.Int(l.Created)
			ctx.W.BulkString("events")
			ctx.W.BulkString(l.Events)
			// Messages are written as they are queued: the buffer holds
			// only those waiting for a connecting link.
			ctx.W.BulkString("send-buffer-allocated")
			ctx.W.Int(int64(l.Queued))
			ctx.W.BulkString("send-buffer-used")
			ctx.W.Int(int64(l.Queued))
		}
	})
	h("keyslot", func(ctx *command.Ctx, _ *clusternode.Node) { ctx.W.Int(int64(slot.Of(ctx.Args[2]))) })
	h("countkeysinslot", func(ctx *command.Ctx, _ *clusternode.Node) {
		v, ok := getInt(ctx, ctx.Args[2])
		if !ok {
			return
		}
		if v < 0 || v >= slot.Count {
			ctx.Error(rediserr.InvalidSlotOnly)
			return
		}
		ctx.W.Int(int64(s.ks.DB(0).CountInSlot(int(v))))
	})
	getKeys := func(locked bool) func(ctx *command.Ctx, _ *clusternode.Node) {
		return func(ctx *command.Ctx, _ *clusternode.Node) {
			sl, ok := getInt(ctx, ctx.Args[2])
			if !ok {
				return
			}
			max, ok := getInt(ctx, ctx.Args[3])
			if !ok {
				return
			}
			if sl < 0 || sl >= slot.Count || max < 0 {
				ctx.Error(rediserr.InvalidSlotOrNum)
				return
			}
			db := s.ks.DB(0)
			if n := int64(db.CountInSlot(int(sl))); max > n {
				max = n
			}
			if !locked {
				s.ks.LockSlot(int(sl))
			}
			keys := db.KeysInSlot(int(sl), int(max), nil)
			if !locked {
				s.ks.UnlockSlot(int(sl))
			}
			ctx.W.Array(len(keys))
			for _, k := range keys {
				ctx.W.BulkString(k)
			}
		}
	}
	gk := h("getkeysinslot", getKeys(false))
	s.cl.getKeysTwin = twin(gk, s.clusterHandler(getKeys(true)))

	slotsCmd := func(del, ranges bool) func(ctx *command.Ctx, n *clusternode.Node) {
		return func(ctx *command.Ctx, n *clusternode.Node) {
			args := ctx.Args[2:]
			if ranges && len(args)%2 != 0 {
				ctx.Error(rediserr.WrongArity(ctx.Cmd.Name))
				return
			}
			if !ranges {
				for _, a := range args {
					if _, ok := getSlot(ctx, a); !ok {
						return
					}
				}
			}
			s.doDeferred(ctx, n, func(c *cluster.Core) error {
				set := cluster.NewSlotSet(del)
				step := 1
				if ranges {
					step = 2
				}
				for i := 0; i < len(args); i += step {
					a, _ := strconv.Atoi(string(args[i]))
					b := a
					if ranges {
						var ok bool
						if a, ok = getSlot(ctx, args[i]); !ok {
							return errReplied
						}
						if b, ok = getSlot(ctx, args[i+1]); !ok {
							return errReplied
						}
						if a > b {
							return replyErr(rediserr.SlotRangeOrder(a, b))
						}
					}
					if err := c.CheckSlots(set, slot.Range{Start: a, End: b}); err != nil {
						return err
					}
				}
				c.UpdateSlots(set)
				return nil
			})
		}
	}
	h("addslots", slotsCmd(false, false))
	h("delslots", slotsCmd(true, false))
	h("addslotsrange", slotsCmd(false, true))
	h("delslotsrange", slotsCmd(true, true))
	h("flushslots", func(ctx *command.Ctx, n *clusternode.Node) {
		s.doDeferred(ctx, n, func(c *cluster.Core) error { return c.FlushSlots(s.ks.DB(0).Len()) })
	})
	h("setslot", func(ctx *command.Ctx, n *clusternode.Node) {
		args := ctx.Args
		s.doDeferred(ctx, n, func(c *cluster.Core) error {
			if err := c.CanSetSlot(); err != nil {
				return err
			}
			sl, ok := getSlot(ctx, args[2])
			if !ok {
				return errReplied
			}
			action := strings.ToLower(string(args[3]))
			switch {
			case action == "migrating" && len(args) == 5:
				return c.SetSlotMigrating(sl, string(args[4]))
			case action == "importing" && len(args) == 5:
				return c.SetSlotImporting(sl, string(args[4]))
			case action == "stable" && len(args) == 4:
				return c.SetSlotStable(sl)
			case action == "node" && len(args) == 5:
				return c.SetSlotNode(sl, string(args[4]), s.ks.DB(0).CountInSlot(sl))
			}
			return replyErr(rediserr.SetSlotAction)
		})
	})
	h("set-config-epoch", func(ctx *command.Ctx, n *clusternode.Node) {
		epoch, ok := getInt(ctx, ctx.Args[2])
		if !ok {
			return
		}
		s.doDeferred(ctx, n, func(c *cluster.Core) error { return c.SetConfigEpoch(epoch) })
	})
	h("bumpepoch", func(ctx *command.Ctx, n *clusternode.Node) {
		var bumped bool
		var epoch uint64
		n.Query(func(c *cluster.Core) error { bumped, epoch = c.BumpEpoch(); return nil })
		if bumped {
			ctx.W.Simple("BUMPED " + strconv.FormatUint(epoch, 10))
		} else {
			ctx.W.Simple("STILL " + strconv.FormatUint(epoch, 10))
		}
	})
	h("saveconfig", func(ctx *command.Ctx, n *clusternode.Node) {
		if err := n.SaveConfig(); err != nil {
			ctx.Error(rediserr.SaveConfigFailed(err.Error()))
			return
		}
		ctx.W.OK()
	})
	reset := func(locked bool) func(ctx *command.Ctx, n *clusternode.Node) {
		return func(ctx *command.Ctx, n *clusternode.Node) {
			hard := false
			switch {
			case len(ctx.Args) > 3:
				ctx.Error(rediserr.SubcommandSyntax(string(ctx.Args[1]), "CLUSTER"))
				return
			case len(ctx.Args) == 3 && strings.EqualFold(string(ctx.Args[2]), "hard"):
				hard = true
			case len(ctx.Args) == 3 && !strings.EqualFold(string(ctx.Args[2]), "soft"):
				ctx.Error(rediserr.Syntax)
				return
			}
			rd, err := n.Do(func(c *cluster.Core) error { return c.Reset(hard, s.ks.DB(0).Len()) })
			s.applyReady(rd, locked)
			if err != nil {
				ctx.Error(err.Error())
				return
			}
			ctx.W.OK()
		}
	}
	rs := h("reset", reset(false))
	s.cl.resetTwin = twin(rs, s.clusterHandler(reset(true)))
	h("failover", func(ctx *command.Ctx, n *clusternode.Node) {
		force, takeover := false, false
		switch {
		case len(ctx.Args) > 3:
			ctx.Error(rediserr.SubcommandSyntax(string(ctx.Args[1]), "CLUSTER"))
			return
		case len(ctx.Args) == 3 && strings.EqualFold(string(ctx.Args[2]), "force"):
			force = true
		case len(ctx.Args) == 3 && strings.EqualFold(string(ctx.Args[2]), "takeover"):
			force, takeover = true, true
		case len(ctx.Args) == 3:
			ctx.Error(rediserr.Syntax)
			return
		}
		s.do(ctx, n, func(c *cluster.Core) error { return c.Failover(force, takeover) })
	})
	h("forget", func(ctx *command.Ctx, n *clusternode.Node) {
		s.doDeferred(ctx, n, func(c *cluster.Core) error { return c.Forget(string(ctx.Args[2])) })
	})
	h("replicate", func(ctx *command.Ctx, n *clusternode.Node) {
		s.doDeferred(ctx, n, func(c *cluster.Core) error { return c.Replicate(string(ctx.Args[2]), s.ks.DB(0).Len()) })
	})
	h("count-failure-reports", func(ctx *command.Ctx, n *clusternode.Node) {
		var cnt int
		err := n.Query(func(c *cluster.Core) (err error) { cnt, err = c.CountFailureReports(string(ctx.Args[2])); return })
		if err != nil {
			ctx.Error(err.Error())
			return
		}
		ctx.W.Int(int64(cnt))
	})
	replicas := func(ctx *command.Ctx, n *clusternode.Node) {
		var lines []string
		err := n.Query(func(c *cluster.Core) error {
			reps, err := c.Replicas(string(ctx.Args[2]))
			t := viewOf(ctx, c.Topology())
			for _, r := range reps {
				lines = append(lines, t.NodeLine(r.ID))
			}
			return err
		})
		if err != nil {
			ctx.Error(err.Error())
			return
		}
		ctx.W.Array(len(lines))
		for _, l := range lines {
			ctx.W.BulkString(l)
		}
	}
	h("replicas", replicas)
	h("slaves", replicas)
	h("meet", func(ctx *command.Ctx, n *clusternode.Node) {
		args := ctx.Args
		if len(args) > 5 {
			ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "CLUSTER"))
			return
		}
		port, err := strconv.ParseInt(string(args[3]), 10, 64)
		if err != nil || !rnum.IsInt(args[3]) {
			ctx.Error(rediserr.MeetPort(false, string(args[3])))
			return
		}
		cport := port + 10000
		if len(args) == 5 {
			if cport, err = strconv.ParseInt(string(args[4]), 10, 64); err != nil || !rnum.IsInt(args[4]) {
				ctx.Error(rediserr.MeetPort(true, string(args[4])))
				return
			}
		}
		s.do(ctx, n, func(c *cluster.Core) error {
			if err := c.Meet(string(args[2]), port, cport); err != nil {
				// Redis quotes the port argument as given.
				return replyErr("ERR Invalid node address specified: " + string(args[2]) + ":" + string(args[3]))
			}
			return nil
		})
	})
	s.registerMyShardID()

	conn := func(name string, fn func(c *client)) {
		s.handle(name, func(ctx *command.Ctx) {
			if s.cl.node == nil {
				ctx.Error(rediserr.ClusterDisabled)
				return
			}
			fn(ctx.Client.(*client))
			ctx.W.OK()
		})
	}
	conn("asking", func(c *client) { c.cl.asking = 2 })
	conn("readonly", func(c *client) { c.cl.readonly = true })
	conn("readwrite", func(c *client) { c.cl.readonly = false })
	// PUBLISH in cluster mode also goes to every other node over the bus
	// (clusterPropagatePublish); the reply counts local receivers only.
	if pub := s.table.Get("publish"); pub != nil && pub.Handler != nil {
		old := pub.Handler
		pub.Handler = func(ctx *command.Ctx) {
			old(ctx)
			if n := s.cl.node; n != nil {
				n.Publish(ctx.Args[1], ctx.Args[2], false)
			}
		}
	}
	// RESET also clears ASKING and READONLY (clearClientConnectionState).
	rst := s.table.Get("reset")
	if old := rst.Handler; old != nil {
		rst.Handler = func(ctx *command.Ctx) {
			old(ctx)
			ctx.Client.(*client).cl = clusterClient{}
		}
	}
}

// registerMyShardID adds CLUSTER MYSHARDID (Redis 7.2), which 7.0.15's
// command table lacks: it answers myself's shard ID.
func (s *Server) registerMyShardID() {
	parent := s.table.Get("cluster")
	if parent == nil || parent.Subs == nil || parent.Subs["myshardid"] != nil {
		return
	}
	myid := parent.Subs["myid"]
	parent.Subs["myshardid"] = &command.Spec{Name: "cluster|myshardid", Arity: 2, Flags: myid.Flags, Parent: parent,
		Handler: s.clusterHandler(func(ctx *command.Ctx, n *clusternode.Node) { ctx.W.BulkString(n.Topology().MyShardID) })}
}

// twin returns a LockAll copy of spec with handler h (see clusterServer).
func twin(spec *command.Spec, h command.Handler) *command.Spec {
	return &command.Spec{Name: spec.Name, Arity: spec.Arity, Flags: spec.Flags, Parent: spec.Parent, Handler: h, LockAll: true}
}

// lockAllTwins swaps queued commands that lock stripes themselves for their
// LockAll twins, just before EXEC runs them.
func (c *client) lockAllTwins() {
	cl := &c.srv.cl
	for i := range c.queued {
		switch c.queued[i].spec.Name {
		case "cluster|getkeysinslot":
			c.queued[i].spec = cl.getKeysTwin
		case "cluster|reset":
			c.queued[i].spec = cl.resetTwin
		}
	}
}

// replyErr is an error whose text is the whole reply.
type replyErr string

func (e replyErr) Error() string { return string(e) }

// errReplied: the reply is already written (by getSlot).
var errReplied = replyErr("")
