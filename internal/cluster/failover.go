package cluster

import (
	"math/bits"
	"strconv"

	"github.com/shoal-db/shoal/internal/slot"
)

// Replica elections and manual failover, as Redis 7.0 runs them
// (clusterHandleSlaveFailover, clusterSendFailoverAuthIfNeeded,
// clusterHandleManualFailover and friends in cluster.c):
//
//   - a replica whose master is FAIL (or that is in a manual failover)
//     schedules an election 500 ms (Shoal: 200 ms) + random(0–500 ms) + rank × 1000 ms
//     ahead, rank being the number of siblings with a greater replication
//     offset; then bumps currentEpoch and broadcasts FAILOVER_AUTH_REQUEST;
//   - a master serving slots grants at most one vote per currentEpoch, not
//     to a replica of a master it voted about in the last 2 × node_timeout,
//     and only if the replica's master is FAIL (or the request carries
//     FORCEACK) and no claimed slot has a newer config elsewhere;
//   - with a majority of the masters' votes the replica takes the epoch of
//     the election as its configEpoch, claims its master's slots and
//     broadcasts a PONG; the others follow through PONG and UPDATE.
//
// A manual failover (CLUSTER FAILOVER) sends MFSTART to the master, which
// asks its runner to pause client writes (Ready.Pause); once the runner
// reports the pause and the offset it stopped at (ManualFailoverPaused),
// the master's messages carry the PAUSED flag and that offset; the replica
// waits until it has processed that offset, then runs the election with
// FORCEACK so masters vote although its master is up.

// Failover timing of Redis 7.0 (cluster.h), in milliseconds.
const (
	mfPauseMult           = 2    // CLUSTER_MF_PAUSE_MULT: the master pauses for twice the timeout
	replicaMigrationDelay = 5000 // CLUSTER_SLAVE_MIGRATION_DELAY
	cantFailoverRelog     = 10   // CLUSTER_CANT_FAILOVER_RELOG_PERIOD, seconds

	// electionFixedDelay is the fixed part of the election delay, for the
	// FAIL message to reach every master first. Redis waits 500 ms; the
	// FAIL broadcast goes to every node at once and takes one network
	// trip, so Shoal waits 200 ms (beyond Redis: a faster failover). The
	// random 0–500 ms and the rank × 1000 ms are Redis's.
	electionFixedDelay = 200
)

// Reasons a replica cannot fail over yet (CLUSTER_CANT_FAILOVER_*).
const (
	cantFailoverNone = iota
	cantFailoverDataAge
	cantFailoverWaitingDelay
	cantFailoverExpired
	cantFailoverWaitingVotes
	cantFailoverWaitSafe // beyond Redis: cluster-replica-wait-safe (waitsafe.go)
)

// election is a replica's failover state (the failover_auth_* and mf_*
// fields of clusterState).
type election struct {
	authTime  int64  // when the election starts (or started)
	authCount int    // votes received
	authSent  bool   // FAILOVER_AUTH_REQUEST broadcast
	authRank  int    // rank among the siblings when scheduled
	authEpoch uint64 // currentEpoch of the election

	cantReason  int
	cantLogTime int64

	// Manual failover: mfEnd is its deadline (0: none). On a replica,
	// mfCanStart says the election may run and mfMasterOffset is the
	// offset the paused master announced (-1: not yet). On a master,
	// mfReplica is the replica that asked, and mfPaused says the runner
	// paused writes and mfPausedOffset is where.
	mfEnd          int64
	mfCanStart     bool
	mfMasterOffset int64
	mfReplica      *Node
	mfPaused       bool
	mfPausedOffset int64
}

// PauseChange asks the runner to pause client writes (CLIENT PAUSE WRITE)
// until Until (ms), for a manual failover a replica asked for; Until 0 lifts
// that pause. After pausing, the runner must wait for the writes already
// running to finish and then call ManualFailoverPaused with the replication
// offset they left.
type PauseChange struct {
	Until int64
}

// FailoverStats counts promotions of myself and the data they may have
// lost (beyond Redis: INFO reports them).
type FailoverStats struct {
	// Promotions counts elections won, FORCE and TAKEOVER failovers.
	Promotions int64
	// LastLoss is the loss window of the last promotion: how far myself's
	// replication offset was behind the last offset the old master
	// announced on the bus (bytes, 0 if not behind). LossTotal sums them.
	LastLoss, LossTotal int64
	// LastMasterOffset and LastOffset are the two offsets of the last
	// promotion.
	LastMasterOffset, LastOffset int64
}

// FailoverStats returns the promotion counters.
func (c *Core) FailoverStats() FailoverStats { return c.foStats }

// SetReplLink records how fresh myself's replicated data is, for
// cluster-replica-validity-factor: lastIO is the time (ms) of the last
// interaction with the master while the replication link is up, or the time
// the link went down. 0 means unknown, and counts as fresh.
func (c *Core) SetReplLink(lastIO int64) { c.replLastIO = lastIO }

// ManualFailoverPaused is the runner's answer to Ready.Pause: client writes
// are paused and offset is the master's replication offset after the
// writes that were running. The master then announces that offset with the
// PAUSED flag, to the replica first.
func (c *Core) ManualFailoverPaused(offset int64) {
	e := &c.elect
	if e.mfEnd == 0 || e.mfReplica == nil || !c.myself.IsMaster() {
		return
	}
	e.mfPaused, e.mfPausedOffset = true, offset
	c.SetReplOffset(offset)
	if e.mfReplica.link != nil {
		c.sendPing(e.mfReplica.link, MsgPing)
	}
}

// ManualFailoverState is INFO's master_failover_state-like view of a
// manual failover: "" when none is running, else "waiting-for-sync" on a
// replica waiting for the master's offset, "failover-in-progress" once the
// election may run, "paused" on a master.
func (c *Core) ManualFailoverState() string {
	e := &c.elect
	switch {
	case e.mfEnd == 0:
		return ""
	case c.myself.IsMaster():
		return "paused"
	case e.mfCanStart:
		return "failover-in-progress"
	}
	return "waiting-for-sync"
}

// resetManualFailover is resetManualFailover: clear the state, and lift
// the pause if myself was the master of one.
func (c *Core) resetManualFailover() {
	e := &c.elect
	if e.mfReplica != nil {
		c.ready.Pause = &PauseChange{}
	}
	e.mfEnd, e.mfCanStart, e.mfReplica, e.mfMasterOffset = 0, false, nil, -1
	e.mfPaused, e.mfPausedOffset = false, 0
}

// manualFailoverCheckTimeout is manualFailoverCheckTimeout.
func (c *Core) manualFailoverCheckTimeout() {
	if e := &c.elect; e.mfEnd != 0 && e.mfEnd < c.now {
		c.logf('#', "Manual failover timed out.")
		c.resetManualFailover()
	}
}

// startManualFailover is the CLUSTER FAILOVER part after the checks:
// force skips the master's agreement on the offset.
func (c *Core) startManualFailover(force bool) {
	c.resetManualFailover()
	c.elect.mfEnd = c.now + c.mfTimeout()
	if force {
		c.logf('#', "Forced failover user request accepted.")
		c.warnWaitSafeOverride("FORCE")
		c.elect.mfCanStart = true
		c.handleReplicaFailover()
		return
	}
	c.logf('#', "Manual failover user request accepted.")
	if m := c.myself.Master; m != nil && m.link != nil {
		c.send(m.link, c.header(MsgMFStart))
	}
}

func (c *Core) mfTimeout() int64 {
	if c.cfg.ManualFailoverTimeout > 0 {
		return c.cfg.ManualFailoverTimeout
	}
	return 5000 // CLUSTER_MF_TIMEOUT
}

// processMFStart handles MFSTART: one of my replicas asks me to pause
// clients for its manual failover.
func (c *Core) processMFStart(sender *Node) {
	if sender == nil || sender.Master != c.myself {
		return
	}
	c.resetManualFailover()
	e := &c.elect
	e.mfEnd = c.now + c.mfTimeout()
	e.mfReplica = sender
	c.ready.Pause = &PauseChange{Until: c.now + c.mfTimeout()*mfPauseMult}
	c.logf('#', "Manual failover requested by replica ", sender.ID, ".")
	// The PING with the PAUSED flag goes once the runner has paused
	// (ManualFailoverPaused): its offset must be final.
}

// noteMasterPausedOffset is the part of clusterProcessPacket that records
// the offset a paused master announced during a manual failover.
func (c *Core) noteMasterPausedOffset(m *Msg, sender *Node) {
	e := &c.elect
	if e.mfEnd != 0 && c.myself.IsSlave() && c.myself.Master == sender && m.MFlags&MFlagPaused != 0 &&
		e.mfMasterOffset == -1 {
		e.mfMasterOffset = int64(m.Offset)
		c.logf('#', "Received replication offset for paused master manual failover: ",
			strconv.FormatInt(e.mfMasterOffset, 10))
		c.handleManualFailover()
	}
}

// handleManualFailover is clusterHandleManualFailover.
func (c *Core) handleManualFailover() {
	e := &c.elect
	if e.mfEnd == 0 || e.mfCanStart || e.mfMasterOffset == -1 {
		return
	}
	if e.mfMasterOffset == c.myReplOffset {
		e.mfCanStart = true
		c.logf('#', "All master replication stream processed, manual failover can start.")
		c.handleReplicaFailover()
	}
}

// ReplOffsetChanged is SetReplOffset for a replica's processed offset that
// also lets a waiting manual failover go on at once (Redis re-checks
// before every event loop sleep).
func (c *Core) ReplOffsetChanged(off int64) {
	c.SetReplOffset(off)
	if c.myself.IsSlave() {
		c.handleManualFailover()
	}
}

// replicaRank is clusterGetSlaveRank.
func (c *Core) replicaRank() int {
	m := c.myself.Master
	if m == nil {
		return 0
	}
	rank := 0
	for _, r := range m.Replicas {
		if r != c.myself && r.Flags&FlagNoFailover == 0 && r.ReplOffset > c.myReplOffset {
			rank++
		}
	}
	return rank
}

// logCantFailover is clusterLogCantFailover.
func (c *Core) logCantFailover(reason int) {
	e := &c.elect
	if reason == e.cantReason && c.now-e.cantLogTime < cantFailoverRelog*1000 {
		return
	}
	e.cantReason = reason
	if m := c.myself.Master; m != nil && m.Failed() && c.now-m.FailTime < c.cfg.NodeTimeout+5000 {
		return
	}
	var msg string
	switch reason {
	case cantFailoverDataAge:
		msg = "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option."
	case cantFailoverWaitingDelay:
		msg = "Waiting the delay before I can start a new failover."
	case cantFailoverExpired:
		msg = "Failover attempt expired."
	case cantFailoverWaitingVotes:
		msg = "Waiting for votes, but majority still not reached."
	default:
		msg = "Unknown reason code."
	}
	e.cantLogTime = c.now
	c.logf('#', "Currently unable to failover: ", msg)
}

// handleReplicaFailover is clusterHandleSlaveFailover.
func (c *Core) handleReplicaFailover() {
	e := &c.elect
	me := c.myself
	authAge := c.now - e.authTime
	quorum := c.size/2 + 1
	manual := e.mfEnd != 0 && e.mfCanStart
	authTimeout := max(c.cfg.NodeTimeout*2, 2000)
	authRetry := authTimeout * 2

	if me.IsMaster() || me.Master == nil || (!me.Master.Failed() && !manual) ||
		(c.cfg.ReplicaNoFailover && !manual) || me.Master.numSlots == 0 {
		e.cantReason = cantFailoverNone
		return
	}

	// How long the data has been without news from the master, beyond the
	// node timeout it took to see the master fail.
	var dataAge int64
	if c.replLastIO > 0 {
		dataAge = c.now - c.replLastIO
	}
	if dataAge > c.cfg.NodeTimeout {
		dataAge -= c.cfg.NodeTimeout
	}
	if f := int64(c.cfg.ReplicaValidityFactor); f > 0 &&
		dataAge > c.cfg.ReplPingPeriod+c.cfg.NodeTimeout*f && !manual {
		c.logCantFailover(cantFailoverDataAge)
		return
	}
	if !manual && c.waitSafeRefuses() {
		return
	}

	if authAge > authRetry {
		e.authTime = c.now + electionFixedDelay + int64(c.cfg.Rand.Uint64()%500)
		e.authCount, e.authSent = 0, false
		e.authRank = c.replicaRank()
		e.authTime += int64(e.authRank) * 1000
		if e.mfEnd != 0 {
			e.authTime, e.authRank = c.now, 0
		}
		c.logf('#', "Start of election delayed for ", strconv.FormatInt(e.authTime-c.now, 10),
			" milliseconds (rank #", strconv.Itoa(e.authRank), ", offset ", strconv.FormatInt(c.myReplOffset, 10), ").")
		// Tell the siblings our offset, so they can rank themselves.
		c.broadcastPong(true)
		if e.mfEnd == 0 {
			return
		}
		authAge = c.now - e.authTime // a manual failover goes on at once
	}

	if !e.authSent && e.mfEnd == 0 {
		if rank := c.replicaRank(); rank > e.authRank {
			added := int64(rank-e.authRank) * 1000
			e.authTime += added
			e.authRank = rank
			c.logf('#', "Replica rank updated to #", strconv.Itoa(rank), ", added ",
				strconv.FormatInt(added, 10), " milliseconds of delay.")
		}
	}
	if c.now < e.authTime {
		c.logCantFailover(cantFailoverWaitingDelay)
		return
	}
	if authAge > authTimeout {
		c.logCantFailover(cantFailoverExpired)
		return
	}
	if !e.authSent {
		c.currentEpoch++
		e.authEpoch = c.currentEpoch
		c.logf('#', "Starting a failover election for epoch ", strconv.FormatUint(c.currentEpoch, 10), ".")
		m := c.header(MsgFailoverAuthRequest)
		if e.mfEnd != 0 {
			m.MFlags |= MFlagForceAck
		}
		c.broadcast(m)
		e.authSent = true
		c.changed(true, true) // the new currentEpoch is saved before the request leaves
		return
	}
	if e.authCount >= quorum {
		c.logf('#', "Failover election won: I'm the new master.")
		if me.ConfigEpoch < e.authEpoch {
			me.ConfigEpoch = e.authEpoch
			c.logf('#', "configEpoch set to ", strconv.FormatUint(me.ConfigEpoch, 10), " after successful failover")
		}
		c.replaceMaster()
		return
	}
	c.logCantFailover(cantFailoverWaitingVotes)
}

// replaceMaster is clusterFailoverReplaceYourMaster: myself becomes a
// master, takes its old master's slots, saves and tells everyone.
func (c *Core) replaceMaster() {
	me := c.myself
	old := me.Master
	if me.IsMaster() || old == nil {
		return
	}
	c.notePromotion(old)
	c.setAsMaster()
	for s := 0; s < slot.Count; s++ {
		if old.slots.Has(s) {
			c.delSlot(s)
			c.addSlot(me, s)
		}
	}
	c.changed(true, true)
	c.broadcastPong(false)
	c.resetManualFailover()
}

// notePromotion logs and counts the loss window of a promotion: the writes
// the old master announced that myself had not processed (beyond Redis).
func (c *Core) notePromotion(old *Node) {
	st := &c.foStats
	st.Promotions++
	st.LastMasterOffset, st.LastOffset = old.ReplOffset, c.myReplOffset
	st.LastLoss = max(old.ReplOffset-c.myReplOffset, 0)
	st.LossTotal += st.LastLoss
	c.logf('#', "Failover loss window: my replication offset ", strconv.FormatInt(c.myReplOffset, 10),
		", last offset announced by the old master ", old.ID, " ", strconv.FormatInt(old.ReplOffset, 10),
		": up to ", strconv.FormatInt(st.LastLoss, 10), " bytes of its writes may be lost.")
}

// broadcastPong is clusterBroadcastPong: a PONG to every node, or (local)
// only to the replicas of myself's master and of myself.
func (c *Core) broadcastPong(local bool) {
	me := c.myself
	for _, n := range c.order {
		if n.link == nil || n == me || n.InHandshake() {
			continue
		}
		if local && !(n.IsSlave() && n.Master != nil && (n.Master == me || n.Master == me.Master)) {
			continue
		}
		c.sendPing(n.link, MsgPong)
	}
}

// processAuthRequest is clusterSendFailoverAuthIfNeeded: vote for the
// replica sender if the rules allow it.
func (c *Core) processAuthRequest(m *Msg, n *Node) {
	me := c.myself
	if me.IsSlave() || me.numSlots == 0 {
		return // only masters serving slots vote
	}
	deny := func(why ...string) {
		c.logf('#', append([]string{"Failover auth denied to ", n.ID, ": "}, why...)...)
	}
	if m.CurrentEpoch < c.currentEpoch {
		deny("reqEpoch (", strconv.FormatUint(m.CurrentEpoch, 10), ") < curEpoch(",
			strconv.FormatUint(c.currentEpoch, 10), ")")
		return
	}
	if c.lastVoteEpoch == c.currentEpoch {
		deny("already voted for epoch ", strconv.FormatUint(c.currentEpoch, 10))
		return
	}
	master := n.Master
	if n.IsMaster() || master == nil || (!master.Failed() && m.MFlags&MFlagForceAck == 0) {
		switch {
		case n.IsMaster():
			deny("it is a master node")
		case master == nil:
			deny("I don't know its master")
		default:
			deny("its master is up")
		}
		return
	}
	if wait := c.cfg.NodeTimeout*2 - (c.now - master.votedTime); wait > 0 {
		deny("can't vote about this master before ", strconv.FormatInt(wait, 10), " milliseconds")
		return
	}
	for w, word := range m.Slots {
		for word != 0 {
			s := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			o := c.owner[s]
			if o == nil || o.ConfigEpoch <= m.ConfigEpoch {
				continue
			}
			deny("slot ", strconv.Itoa(s), " epoch (", strconv.FormatUint(o.ConfigEpoch, 10), ") > reqEpoch (",
				strconv.FormatUint(m.ConfigEpoch, 10), ")")
			return
		}
	}
	c.lastVoteEpoch = c.currentEpoch
	master.votedTime = c.now
	c.changed(true, false) // the vote is on disk before the ACK leaves
	if n.link != nil {
		c.send(n.link, c.header(MsgFailoverAuthAck))
	}
	c.logf('#', "Failover auth granted to ", n.ID, " for epoch ", strconv.FormatUint(c.currentEpoch, 10))
}

// processAuthAck counts a vote: from a master serving slots, at least as
// recent as the election.
func (c *Core) processAuthAck(m *Msg, sender *Node) {
	if sender == nil || !sender.IsMaster() || sender.numSlots == 0 || m.CurrentEpoch < c.elect.authEpoch {
		return
	}
	c.elect.authCount++
	c.handleReplicaFailover() // a majority may be there: act at once
}

// handleReplicaMigration is clusterHandleSlaveMigration: move myself to an
// orphaned master if my master keeps more than the barrier's replicas and
// I am the candidate (smallest ID among the replicas of the masters with
// the most working replicas).
func (c *Core) handleReplicaMigration(maxReplicas int) {
	me := c.myself
	mine := me.Master
	if c.state != StateOK || mine == nil {
		return
	}
	ok := 0
	for _, r := range mine.Replicas {
		if r.Flags&(FlagFail|FlagPFail) == 0 {
			ok++
		}
	}
	if ok <= c.cfg.MigrationBarrier {
		return
	}
	var target *Node
	candidate := me
	for _, n := range c.order {
		okReplicas, orphaned := 0, n.IsMaster() && !n.Failed() && n.migrateTo
		if n.IsMaster() {
			okReplicas = countWorkingReplicas(n)
		}
		if okReplicas > 0 {
			orphaned = false
		}
		if orphaned {
			if target == nil && n.numSlots > 0 {
				target = n
			}
			if n.orphanedTime == 0 {
				n.orphanedTime = c.now
			}
		} else {
			n.orphanedTime = 0
		}
		if okReplicas == maxReplicas {
			for _, r := range n.Replicas {
				if r.ID < candidate.ID {
					candidate = r
				}
			}
		}
	}
	if target != nil && candidate == me && c.now-target.orphanedTime > replicaMigrationDelay {
		c.logf('#', "Migrating to orphaned master ", target.ID)
		c.setMaster(target)
	}
}

// countWorkingReplicas is clusterCountNonFailingSlaves.
func countWorkingReplicas(n *Node) int {
	ok := 0
	for _, r := range n.Replicas {
		if !r.Failed() {
			ok++
		}
	}
	return ok
}

// cronFailover is the end of clusterCron for elections: count orphaned
// masters, abort a timed-out manual failover, and as a replica go on with
// a manual failover, an election and replica migration. The master's
// continuous pings to a replica in a manual failover are in cron.
func (c *Core) cronFailover() {
	me := c.myself
	orphaned, maxReplicas, mine := 0, 0, 0
	if me.IsSlave() {
		for _, n := range c.order {
			if n.Flags&(FlagMyself|FlagNoAddr|FlagHandshake) != 0 || !n.IsMaster() || n.Failed() {
				continue
			}
			ok := countWorkingReplicas(n)
			if ok == 0 && n.numSlots > 0 && n.migrateTo {
				orphaned++
			}
			maxReplicas = max(maxReplicas, ok)
			if me.Master == n {
				mine = ok
			}
		}
	}
	c.manualFailoverCheckTimeout()
	if me.IsSlave() {
		c.handleManualFailover()
		c.handleReplicaFailover()
		if orphaned > 0 && maxReplicas >= 2 && mine == maxReplicas && c.cfg.AllowReplicaMigration {
			c.handleReplicaMigration(maxReplicas)
		}
	}
}
