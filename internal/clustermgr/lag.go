package clustermgr

import (
	"strconv"

	"github.com/shoal-db/shoal/client"
)

// checkReplicaLag is shoal-cli's addition to check: how far each replica
// is behind its master, in bytes of the replication stream, and whether
// its link is up. redis-cli has no such section, so it is printed only
// with Options.ReplicaLag (a terminal, or --cluster-replica-lag): scripts
// that read check's output see redis-cli's lines.
//
// The replica is asked before its master, so the figure never hides lag
// (writes between the two INFO calls count as lag, not as a lead).
// A lagging replica is reported, not counted as an error: lag under
// writes is normal. A replica whose link is down is a warning.
func (m *Manager) checkReplicaLag() {
	m.logInfo(">>> Check replica lag...\n")
	replicas, inSync := 0, 0
	for _, r := range m.nodes {
		if !r.isSlave() || r.replicate == "" {
			continue
		}
		replicas++
		master := m.nodeByName(r.replicate)
		rinfo, ok := m.nodeInfoReply(r, nil)
		if !ok {
			m.logErr("[WARNING] Replica %s:%d: INFO failed.\n", r.ip, r.port)
			continue
		}
		if master == nil {
			m.logErr("[WARNING] Replica %s:%d: its master %s is not a known node.\n", r.ip, r.port, r.replicate)
			continue
		}
		minfo, ok := m.nodeInfoReply(master, nil)
		if !ok {
			m.logErr("[WARNING] Replica %s:%d: INFO on its master %s:%d failed.\n", r.ip, r.port, master.ip, master.port)
			continue
		}
		lag, status := replicaLag(rinfo, minfo)
		if status != "up" {
			m.logErr("[WARNING] Replica %s:%d of %s:%d: link %s.\n", r.ip, r.port, master.ip, master.port, status)
			continue
		}
		if lag == 0 {
			inSync++
		}
		io, _ := client.InfoInt(rinfo, "master_last_io_seconds_ago")
		m.printf("   %s:%d replicates %s:%d: %s bytes behind, last I/O %d s ago\n",
			r.ip, r.port, master.ip, master.port, strconv.FormatInt(lag, 10), io)
	}
	switch {
	case replicas == 0:
		m.logOK("[OK] No replicas.\n")
	case inSync == replicas:
		m.logOK("[OK] All %d replicas are in sync with their masters.\n", replicas)
	}
}

// replicaLag reads a replica's INFO and its master's: the bytes the
// replica has yet to process and its link status ("up", "down", or
// "in full sync").
func replicaLag(replicaInfo, masterInfo string) (int64, string) {
	status, _ := client.InfoField(replicaInfo, "master_link_status")
	if sync, _ := client.InfoInt(replicaInfo, "master_sync_in_progress"); sync == 1 {
		return 0, "in full sync"
	}
	if status != "up" {
		if status == "" {
			status = "unknown (not a replica)"
		}
		return 0, status
	}
	roff, _ := client.InfoInt(replicaInfo, "slave_repl_offset")
	moff, _ := client.InfoInt(masterInfo, "master_repl_offset")
	return max(moff-roff, 0), "up"
}
