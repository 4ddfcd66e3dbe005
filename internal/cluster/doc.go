// Package cluster is the pure cluster core of a node (DESIGN decisions 2, 3):
// everything one node knows about the cluster — the nodes with their
// addresses, flags, roles, epochs, link state and ping/pong times; which node
// owns each of the 16384 slots; the slots this node is migrating or
// importing; currentEpoch and lastVoteEpoch — and the admin operations of
// the CLUSTER command that change it.
//
// The core does no I/O and reads no clock or random source of its own: time
// arrives through Tick(now) (milliseconds, Redis's mstime) and randomness
// (node IDs) from the Rand in Config. A test fails if the package's
// dependencies include net, os or syscall. It is not safe for concurrent
// use: one runner (internal/clusternode) owns it, in the style of etcd
// raft's RawNode:
//
//	core.Tick(now)                     // before each batch of work
//	err := core.AddSlots(...)          // admin operations, later bus events
//	if rd := core.Ready(); rd.SaveConfig {
//		persist core.Export() (fsync)  // before replying or sending anything
//	}
//	core.Advance()
//	publish core.Topology()            // an immutable snapshot for routing
//
// Every change records what it needs in Ready: SaveConfig for nodes.conf,
// a role change (REPLICATE), EmptyData (RESET of a replica), log lines.
//
// Topology is the immutable view the request path reads with one atomic
// load: slot → owner address and migrating/importing marks, myself, the
// cluster state. It also carries the CLUSTER NODES / SLOTS / SHARDS replies,
// built once per snapshot on first use. A new snapshot shares the last
// one's pages of routes and recomputes only the slots changed since
// (touch), so a CLUSTER SETSLOT does not rebuild all 16384.
//
// Admin operations return *Error whose text is Redis 7.0's reply, byte for
// byte (the catalog package rediserr imports fmt, hence os, so these texts
// live here; they are built with strconv).
//
// The cluster bus (gossip.go, failure.go, epoch.go, cron.go, links.go,
// messages.go) is Redis 7.0's clusterCron/clusterProcessPacket as events in,
// actions out. It is active when Config.Bus is set. The runner:
//
//	id := core.Accept(localIP, peerIP)      // an inbound bus connection
//	core.Step(id, &msg, now)                // a decoded clusterMsg on a link
//	core.LinkConnected(id, localIP, now)    // a dial from Ready.Connect succeeded
//	core.LinkClosed(id, now)                // a dial failed, or a link broke
//	core.Tick(now)                          // at least every 100 ms
//	core.Publish(channel, msg, shard)       // PUBLISH / SPUBLISH to propagate
//
// and after each call carries out Ready in its documented order: logs, then
// nodes.conf saved if SaveConfig (fsynced if SyncConfig) — before any message is sent,
// as raft persists HardState before sending — then data and role changes,
// Disconnect, Connect, Messages, Deliver; then Advance. Links are named by
// LinkIDs the core allocates; messages to a link still connecting are queued
// by the runner, as Redis queues them on the link.
//
// Elections, manual failover and replica migration (failover.go) are Redis
// 7.0's: FAILOVER_AUTH_REQUEST/ACK, MFSTART and the PAUSED flag on the
// wire, so Shoal and Redis nodes vote for each other's replicas. The runner
// feeds myself's replication offset (SetReplOffset, ReplOffsetChanged) and
// freshness (SetReplLink), and answers Ready.Pause with
// ManualFailoverPaused. A MODULE message (Redis sends them only for its
// loaded modules; Shoal has none) is counted in CLUSTER INFO and dropped.
// Beyond Redis, cluster-replica-wait-safe (waitsafe.go): the runner reports
// offsets acknowledged to WAIT (SetWaitAcked), a master announces them to
// its replicas in a ping extension, and a replica below its master's does
// not stand for election.
//
// internal/cluster/sim runs many cores against each other on a fake clock.
package cluster
