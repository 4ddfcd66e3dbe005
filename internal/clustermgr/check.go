package clustermgr

import (
	"sort"
	"strconv"
	"strings"
)

// checkCluster is clusterManagerCheckCluster; with fix set (the fix
// subcommand) it repairs open slots and coverage as it goes.
func (m *Manager) checkCluster(quiet, fix bool) bool {
	if len(m.nodes) == 0 {
		return false
	}
	first := m.nodes[0]
	m.logInfo(">>> Performing Cluster Check (using node %s:%d)\n", first.ip, first.port)
	result := true
	if !quiet {
		m.showNodes()
	}
	if !m.isConfigConsistent() {
		m.onError("[ERR] Nodes don't agree about configuration!")
		result = false
	} else {
		m.logOK("[OK] All nodes agree about slots configuration.\n")
	}
	m.logInfo(">>> Check for open slots...\n")
	open := map[string]string{}
	var openOrder []string
	addOpen := func(slot, id string) {
		if _, ok := open[slot]; !ok {
			openOrder = append(openOrder, slot)
		}
		open[slot] = id
	}
	for _, n := range m.nodes {
		if len(n.migrating) > 0 {
			var b strings.Builder
			b.WriteString("[WARNING] Node " + n.ip + ":" + strconv.Itoa(n.port) + " has slots in migrating state ")
			for i, mg := range n.migrating {
				addOpen(mg[0], mg[1])
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(mg[0])
			}
			b.WriteString(".")
			m.onError(b.String())
		}
		if len(n.importing) > 0 {
			var b strings.Builder
			b.WriteString("[WARNING] Node " + n.ip + ":" + strconv.Itoa(n.port) + " has slots in importing state ")
			for i, im := range n.importing {
				addOpen(im[0], im[1])
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(im[0])
			}
			b.WriteString(".")
			m.onError(b.String())
		}
	}
	if len(openOrder) > 0 {
		result = false
		// redis-cli lists them in its dict's order; ascending is stable.
		sort.Slice(openOrder, func(i, j int) bool { return atoi(openOrder[i]) < atoi(openOrder[j]) })
		m.logErr("[WARNING] The following slots are open: %s.\n", strings.Join(openOrder, ","))
		if fix {
			for _, s := range openOrder {
				result = m.fixOpenSlot(atoi(s))
				if !result {
					break
				}
			}
		}
	}
	m.logInfo(">>> Check slots coverage...\n")
	var covered [Slots]bool
	if m.coveredSlots(&covered) == Slots {
		m.logOK("[OK] All %d slots covered.\n", Slots)
	} else {
		m.onError("[ERR] Not all 16384 slots are covered by nodes.\n")
		result = false
		if fix {
			if m.fixSlotsCoverage(&covered) > 0 {
				result = true
			}
		}
	}
	if m.opts.CheckOwners {
		m.logInfo(">>> Check for multiple slot owners...\n")
		multi := 0
		for s := 0; s < Slots; s++ {
			var owners []*node
			for _, n := range m.nodes {
				if n.isSlave() {
					continue
				}
				if n.slots[s] {
					owners = append(owners, n)
				} else if m.countKeysInSlot(n, s) > 0 {
					owners = append(owners, n)
				}
			}
			if len(owners) > 1 {
				result = false
				m.logErr("[WARNING] Slot %d has %d owners:\n", s, len(owners))
				for _, n := range owners {
					m.logErr("    %s:%d\n", n.ip, n.port)
				}
				multi++
				if fix {
					result = m.fixMultipleSlotOwners(s, owners)
					if !result {
						m.logErr("Failed to fix multiple owners for slot %d\n", s)
						break
					}
					multi--
				}
			}
		}
		if multi == 0 {
			m.logOK("[OK] No multiple owners found.\n")
		}
	}
	return result
}

func (m *Manager) coveredSlots(all *[Slots]bool) int {
	total := 0
	for _, n := range m.nodes {
		for i := 0; i < Slots; i++ {
			if n.slots[i] && !all[i] {
				all[i] = true
				total++
			}
		}
	}
	return total
}

// --- slot commands -------------------------------------------------------------

func (m *Manager) setSlot(n1, n2 *node, slot int, status string, errp *string) bool {
	v, err := m.cmd(n1, "CLUSTER", "SETSLOT", strconv.Itoa(slot), status, n2.name)
	if err != nil {
		if errp != nil {
			*errp = "CLUSTER SETSLOT failed to run"
		}
		return false
	}
	if v.IsError() {
		if errp != nil {
			*errp = string(v.Str)
		} else {
			m.printReplyError(n1, string(v.Str))
		}
		return false
	}
	return true
}

func (m *Manager) clearSlotStatus(n *node, slot int) bool {
	v, err := m.cmd(n, "CLUSTER", "SETSLOT", strconv.Itoa(slot), "STABLE")
	return m.checkReply(n, v, err, nil)
}

// slotOwner is clusterManagerGetSlotOwner (from n's CLUSTER SLOTS).
func (m *Manager) slotOwner(n *node, slot int, errp *string) *node {
	v, err := m.cmd(n, "CLUSTER", "SLOTS")
	if !m.checkReply(n, v, err, errp) {
		return nil
	}
	for _, r := range v.Elems {
		if len(r.Elems) < 3 {
			continue
		}
		if slot < int(r.Elems[0].Int) || slot > int(r.Elems[1].Int) {
			continue
		}
		nr := r.Elems[2]
		var owner *node
		if len(nr.Elems) >= 3 {
			owner = m.nodeByName(string(nr.Elems[2].Str))
		} else if len(nr.Elems) >= 2 {
			ip, port := string(nr.Elems[0].Str), int(nr.Elems[1].Int)
			for _, x := range m.nodes {
				if x.ip == ip && x.port == port {
					owner = x
					break
				}
			}
		}
		if owner != nil {
			return owner
		}
	}
	return nil
}

func (m *Manager) delSlot(n *node, slot int, ignoreUnassigned bool) bool {
	v, err := m.cmd(n, "CLUSTER", "DELSLOTS", strconv.Itoa(slot))
	var e string
	ok := m.checkReply(n, v, err, &e)
	if !ok && err == nil && v.IsError() && ignoreUnassigned {
		var ge string
		if m.slotOwner(n, slot, &ge) == nil {
			if ge == "" {
				ok = true
			} else {
				m.printReplyError(n, ge)
			}
		}
	}
	if !ok && e != "" {
		m.printReplyError(n, e)
	}
	return ok
}

func (m *Manager) addSlot(n *node, slot int) bool {
	v, err := m.cmd(n, "CLUSTER", "ADDSLOTS", strconv.Itoa(slot))
	return m.checkReply(n, v, err, nil)
}

func (m *Manager) countKeysInSlot(n *node, slot int) int {
	v, err := m.cmd(n, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot))
	if !m.checkReply(n, v, err, nil) {
		return -1
	}
	return int(v.Int)
}

// setSlotOwner is clusterManagerSetSlotOwner: one MULTI/EXEC that makes
// owner the slot's only claimant and bumps its epoch.
func (m *Manager) setSlotOwner(owner *node, slot int, doClear bool) bool {
	s := strconv.Itoa(slot)
	cmds := [][]string{{"MULTI"}, {"CLUSTER", "DELSLOTS", s}, {"CLUSTER", "ADDSLOTS", s}}
	if doClear {
		cmds = append(cmds, []string{"CLUSTER", "SETSLOT", s, "STABLE"})
	}
	cmds = append(cmds, []string{"CLUSTER", "BUMPEPOCH"}, []string{"EXEC"})
	replies, err := owner.conn.Pipeline(cmds)
	if err != nil {
		return false
	}
	if replies[0].IsError() {
		m.printReplyError(owner, string(replies[0].Str))
		return false
	}
	exec := replies[len(replies)-1]
	if exec.IsError() {
		m.printReplyError(owner, string(exec.Str))
		return false
	}
	if exec.Null {
		return false
	}
	for i, r := range exec.Elems {
		// Only ADDSLOTS must succeed: DELSLOTS of an unassigned slot fails
		// harmlessly (clusterManagerOnSetOwnerErr).
		if r.IsError() && i == 1 {
			m.printReplyError(owner, string(r.Str))
			return false
		}
	}
	return true
}
