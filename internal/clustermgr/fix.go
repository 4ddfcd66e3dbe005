package clustermgr

import (
	"math/rand"
	"strconv"
	"strings"
	"time"
)

// fixSlotsCoverage is clusterManagerFixSlotsCoverage: uncovered slots go to
// a random master (no keys anywhere), to the one node holding keys, or to
// the node with most keys after moving the others' keys to it.
func (m *Manager) fixSlotsCoverage(covered *[Slots]bool) int {
	if m.unreachableMasters > 0 && !m.opts.FixWithUnreachable {
		m.logWarn("*** Fixing slots coverage with %d unreachable masters is dangerous: redis-cli will assume that slots about masters that are not reachable are not covered, and will try to reassign them to the reachable nodes. This can cause data loss and is rarely what you want to do. If you really want to proceed use the --cluster-fix-with-unreachable-masters option.\n", m.unreachableMasters)
		m.out.Flush()
		exit(1)
	}
	fixed := 0
	m.logInfo(">>> Fixing slots coverage...\n")
	holders := map[int][]*node{}
	var none, single, multi []int
	for s := 0; s < Slots; s++ {
		if covered[s] {
			continue
		}
		var l []*node
		for _, n := range m.nodes {
			if n.isSlave() || n.replicate != "" {
				continue
			}
			v, err := m.cmd(n, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(s), "1")
			if !m.checkReply(n, v, err, nil) {
				return -1
			}
			if len(v.Elems) > 0 {
				l = append(l, n)
			}
		}
		holders[s] = l
		switch len(l) {
		case 0:
			none = append(none, s)
		case 1:
			single = append(single, s)
		default:
			multi = append(multi, s)
		}
	}
	if len(none) > 0 {
		m.printf("The following uncovered slots have no keys across the cluster:\n")
		m.printSlotsList(none)
		if m.confirm("Fix these slots by covering with a random node?", true) {
			for _, s := range none {
				// redis-cli reseeds with the time in seconds for every
				// slot, so one run mostly picks one node.
				rnd := rand.New(rand.NewSource(time.Now().Unix()))
				var masters []*node
				for _, n := range m.nodes {
					if !n.isSlave() {
						masters = append(masters, n)
					}
				}
				n := masters[rnd.Intn(len(masters))]
				m.logInfo(">>> Covering slot %d with %s:%d\n", s, n.ip, n.port)
				if !m.setSlotOwner(n, s, false) {
					return -1
				}
				n.slots[s] = true
				fixed++
			}
		}
	}
	if len(single) > 0 {
		m.printf("The following uncovered slots have keys in just one node:\n")
		m.printSlotsList(single)
		if m.confirm("Fix these slots by covering with those nodes?", true) {
			for _, s := range single {
				n := holders[s][0]
				m.logInfo(">>> Covering slot %d with %s:%d\n", s, n.ip, n.port)
				if !m.setSlotOwner(n, s, false) {
					return -1
				}
				n.slots[s] = true
				fixed++
			}
		}
	}
	if len(multi) > 0 {
		m.printf("The following uncovered slots have keys in multiple nodes:\n")
		m.printSlotsList(multi)
		if m.confirm("Fix these slots by moving keys into a single node?", true) {
			for _, s := range multi {
				target := m.nodeWithMostKeysInSlot(holders[s], s)
				if target == nil {
					return -1
				}
				m.logInfo(">>> Covering slot %d moving keys to %s:%d\n", s, target.ip, target.port)
				if !m.setSlotOwner(target, s, true) {
					return -1
				}
				target.slots[s] = true
				for _, src := range holders[s] {
					if src == target {
						continue
					}
					if !m.setSlot(src, target, s, "NODE", nil) || !m.setSlot(src, target, s, "IMPORTING", nil) {
						return -1
					}
					if !m.moveSlot(src, target, s, optVerbose|optCold, nil) {
						return -1
					}
					if !m.clearSlotStatus(src, s) {
						return -1
					}
				}
				fixed++
			}
		}
	}
	return fixed
}

func (m *Manager) printSlotsList(slots []int) {
	var b [Slots]bool
	for _, s := range slots {
		b[s] = true
	}
	m.printf("%s\n", slotsString(&b))
}

// nodeWithMostKeysInSlot is clusterManagerGetNodeWithMostKeysInSlot.
func (m *Manager) nodeWithMostKeysInSlot(nodes []*node, slot int) *node {
	var best *node
	num := 0
	for _, n := range nodes {
		if n.isSlave() || n.replicate != "" {
			continue
		}
		v, err := m.cmd(n, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot))
		var e string
		if !m.checkReply(n, v, err, &e) {
			if e != "" {
				m.printReplyError(n, e)
			}
			return nil
		}
		if int(v.Int) > num || best == nil {
			num = int(v.Int)
			best = n
		}
	}
	return best
}

func removeNode(l []*node, n *node) []*node {
	for i, x := range l {
		if x == n {
			return append(l[:i:i], l[i+1:]...)
		}
	}
	return l
}

// fixOpenSlot is clusterManagerFixOpenSlot.
func (m *Manager) fixOpenSlot(slot int) bool {
	if m.unreachableMasters > 0 && !m.opts.FixWithUnreachable {
		m.logWarn("*** Fixing open slots with %d unreachable masters is dangerous: redis-cli will assume that slots about masters that are not reachable are not covered, and will try to reassign them to the reachable nodes. This can cause data loss and is rarely what you want to do. If you really want to proceed use the --cluster-fix-with-unreachable-masters option.\n", m.unreachableMasters)
		m.out.Flush()
		exit(1)
	}
	m.logInfo(">>> Fixing open slot %d\n", slot)
	var owners, migrating, importing []*node
	var migStr, impStr []string
	var owner *node
	for _, n := range m.nodes {
		if n.isSlave() {
			continue
		}
		if n.slots[slot] {
			owners = append(owners, n)
		} else {
			c := m.countKeysInSlot(n, slot)
			if c < 0 {
				return false
			}
			if c > 0 {
				m.logWarn("*** Found keys about slot %d in non-owner node %s:%d!\n", slot, n.ip, n.port)
				owners = append(owners, n)
			}
		}
	}
	if len(owners) == 1 {
		owner = owners[0]
	}
	s := strconv.Itoa(slot)
	for _, n := range m.nodes {
		if n.isSlave() {
			continue
		}
		isMig, isImp := false, false
		for _, mg := range n.migrating {
			if atoi(mg[0]) == slot {
				migStr = append(migStr, n.ip+":"+strconv.Itoa(n.port))
				migrating = append(migrating, n)
				isMig = true
				break
			}
		}
		if !isMig {
			for _, im := range n.importing {
				if atoi(im[0]) == slot {
					impStr = append(impStr, n.ip+":"+strconv.Itoa(n.port))
					importing = append(importing, n)
					isImp = true
					break
				}
			}
		}
		if !isMig && !isImp && n != owner {
			c := m.countKeysInSlot(n, slot)
			if c < 0 {
				return false
			}
			if c > 0 {
				m.logWarn("*** Found keys about slot %d in node %s:%d!\n", slot, n.ip, n.port)
				impStr = append(impStr, n.ip+":"+strconv.Itoa(n.port))
				importing = append(importing, n)
			}
		}
	}
	if len(migStr) > 0 {
		m.printf("Set as migrating in: %s\n", strings.Join(migStr, ","))
	}
	if len(impStr) > 0 {
		m.printf("Set as importing in: %s\n", strings.Join(impStr, ","))
	}
	if owner == nil {
		m.logInfo(">>> No single clear owner for the slot, selecting an owner by # of keys...\n")
		owner = m.nodeWithMostKeysInSlot(m.nodes, slot)
		if owner == nil {
			m.logErr("[ERR] Can't select a slot owner. Impossible to fix.\n")
			return false
		}
		m.logWarn("*** Configuring %s:%d as the slot owner\n", owner.ip, owner.port)
		if !m.clearSlotStatus(owner, slot) || !m.setSlotOwner(owner, slot, false) {
			return false
		}
		owner.slots[slot] = true
		migrating = removeNode(migrating, owner)
		importing = removeNode(importing, owner)
	}
	if len(owners) > 1 {
		for _, n := range owners {
			if n == owner {
				continue
			}
			if !m.delSlot(n, slot, true) {
				return false
			}
			n.slots[slot] = false
			if !m.setSlot(n, owner, slot, "node", nil) || !m.setSlot(n, owner, slot, "importing", nil) {
				return false
			}
			importing = append(removeNode(importing, n), n)
			migrating = removeNode(migrating, n)
		}
	}
	opts := optVerbose
	switch {
	case len(migrating) == 1 && len(importing) == 1:
		src, dst := migrating[0], importing[0]
		m.logInfo(">>> Case 1: Moving slot %d from %s:%d to %s:%d\n", slot, src.ip, src.port, dst.ip, dst.port)
		return m.moveSlot(src, dst, slot, opts|optUpdate, nil)
	case len(migrating) == 0 && len(importing) > 0:
		m.logInfo(">>> Case 2: Moving all the %d slot keys to its owner %s:%d\n", slot, owner.ip, owner.port)
		for _, n := range importing {
			if n == owner {
				continue
			}
			if !m.moveSlot(n, owner, slot, opts|optCold, nil) {
				return false
			}
			m.logInfo(">>> Setting %d as STABLE in %s:%d\n", slot, n.ip, n.port)
			if !m.clearSlotStatus(n, slot) {
				return false
			}
		}
		for _, n := range m.nodes {
			if n == owner || n.isSlave() {
				continue
			}
			if !m.setSlot(n, owner, slot, "NODE", nil) {
				return false
			}
		}
		return true
	case len(migrating) == 1 && len(importing) > 1:
		src := migrating[0]
		var targetID string
		for _, mg := range src.migrating {
			if atoi(mg[0]) == slot {
				targetID = mg[1]
				break
			}
		}
		var dst *node
		for _, n := range importing {
			if m.countKeysInSlot(n, slot) > 0 {
				return m.unhandledOpenSlot(migStr, impStr, owner)
			}
			if n.name == targetID {
				dst = n
			}
		}
		if dst != nil {
			m.logInfo(">>> Case 3: Moving slot %d from %s:%d to %s:%d and closing it on all the other importing nodes.\n",
				slot, src.ip, src.port, dst.ip, dst.port)
			if !m.moveSlot(src, dst, slot, opts, nil) {
				return false
			}
			for _, n := range importing {
				if n != dst && !m.clearSlotStatus(n, slot) {
					return false
				}
			}
			return true
		}
		m.logInfo(">>> Case 3: Closing slot %d on both migrating and importing nodes.\n", slot)
		if !m.clearSlotStatus(src, slot) {
			return false
		}
		for _, n := range importing {
			if !m.clearSlotStatus(n, slot) {
				return false
			}
		}
		return true
	default:
		tryClose := len(importing) == 0 && len(migrating) == 1
		if tryClose {
			n := migrating[0]
			if owner == nil || owner != n {
				v, err := m.cmd(n, "CLUSTER", "GETKEYSINSLOT", s, "10")
				if !m.checkReply(n, v, err, nil) {
					return false
				}
				tryClose = len(v.Elems) == 0
			}
		}
		if tryClose {
			n := migrating[0]
			m.logInfo(">>> Case 4: Closing slot %d on %s:%d\n", slot, n.ip, n.port)
			v, err := m.cmd(n, "CLUSTER", "SETSLOT", s, "STABLE")
			return m.checkReply(n, v, err, nil)
		}
		return m.unhandledOpenSlot(migStr, impStr, owner)
	}
}

func (m *Manager) unhandledOpenSlot(migStr, impStr []string, owner *node) bool {
	m.logErr("[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is set as migrating in %s, as importing in %s, owner is %s:%d\n",
		strings.Join(migStr, ","), strings.Join(impStr, ","), owner.ip, owner.port)
	return false
}

// fixMultipleSlotOwners is clusterManagerFixMultipleSlotOwners.
func (m *Manager) fixMultipleSlotOwners(slot int, owners []*node) bool {
	m.logInfo(">>> Fixing multiple owners for slot %d...\n", slot)
	owner := m.nodeWithMostKeysInSlot(owners, slot)
	if owner == nil {
		owner = owners[0]
	}
	m.logInfo(">>> Setting slot %d owner: %s:%d\n", slot, owner.ip, owner.port)
	if !m.setSlotOwner(owner, slot, false) {
		return false
	}
	ok := false
	for _, n := range m.nodes {
		if n == owner || n.isSlave() {
			continue
		}
		c := m.countKeysInSlot(n, slot)
		ok = c >= 0
		if !ok {
			break
		}
		m.delSlot(n, slot, true)
		if !m.setSlot(n, owner, slot, "node", nil) {
			return false
		}
		if c > 0 {
			ok = m.moveSlot(n, owner, slot, optVerbose|optCold, nil)
			if !ok {
				break
			}
		}
	}
	return ok
}
