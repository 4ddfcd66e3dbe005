package clustermgr

import (
	"math"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"time"
)

// create is clusterManagerCommandCreate.
func (m *Manager) create(args []string) bool {
	for _, addr := range args {
		ip, port, _, ok := parseNodeAddr(addr)
		if !ok {
			m.stderr("Invalid address format: %s\n", addr)
			return false
		}
		n := newNode(ip, port, 0)
		if !m.connect(n) {
			return false
		}
		var e string
		if !m.isCluster(n, &e) {
			m.printNotClusterNodeError(n, e)
			return false
		}
		e = ""
		if !m.loadNodeInfo(n, false, &e) {
			if e != "" {
				m.printReplyError(n, e)
			}
			return false
		}
		e = ""
		if !m.isEmpty(n, &e) {
			m.printNotEmptyNodeError(n, e)
			return false
		}
		m.nodes = append(m.nodes, n)
	}
	nodeLen := len(m.nodes)
	replicas := m.opts.Replicas
	mastersCount := nodeLen / (replicas + 1)
	if mastersCount < 3 {
		m.logErr("*** ERROR: Invalid configuration for cluster creation.\n"+
			"*** Redis Cluster requires at least 3 master nodes.\n"+
			"*** This is not possible with %d nodes and %d replicas per node.", nodeLen, replicas)
		m.logErr("\n*** At least %d nodes are required.\n", 3*(replicas+1))
		return false
	}
	m.logInfo(">>> Performing hash slots allocation on %d nodes...\n", nodeLen)
	// Group the nodes by IP, then interleave the groups so that masters
	// land on as many hosts as possible.
	var ips []string
	ipNodes := map[string][]*node{}
	for _, n := range m.nodes {
		if _, ok := ipNodes[n.ip]; !ok {
			ips = append(ips, n.ip)
		}
		ipNodes[n.ip] = append(ipNodes[n.ip], n)
	}
	queues := map[string][]*node{}
	for ip, l := range ipNodes {
		queues[ip] = append([]*node(nil), l...)
	}
	var interleaved []*node
	for len(interleaved) < nodeLen {
		for _, ip := range ips {
			if q := queues[ip]; len(q) > 0 {
				interleaved = append(interleaved, q[0])
				queues[ip] = q[1:]
			}
		}
	}
	masters := interleaved[:mastersCount]
	rest := append([]*node(nil), interleaved[mastersCount:]...)
	slotsPerNode := float32(Slots) / float32(mastersCount)
	first := int64(0)
	cursor := float32(0)
	for i, master := range masters {
		last := int64(math.Round(float64(cursor + slotsPerNode - 1)))
		if last > Slots || i == mastersCount-1 {
			last = Slots - 1
		}
		if last < first {
			last = first
		}
		m.printf("Master[%d] -> Slots %d - %d\n", i, first, last)
		master.slotsCount = 0
		for j := first; j <= last; j++ {
			master.slots[j] = true
			master.slotsCount++
		}
		master.dirty = true
		first = last + 1
		cursor += slotsPerNode
	}
	// Rotating the list sometimes helps the initial anti-affinity.
	if len(rest) > 0 {
		rest = append(rest[1:], rest[0])
	}
	assignUnused := false
	available := len(rest)
	for {
		for _, master := range masters {
			assigned := 0
			for assigned < replicas && available > 0 {
				var slave *node
				firstIdx := -1
				for j, n := range rest {
					if n == nil {
						continue
					}
					if n.ip != master.ip {
						slave = n
						rest[j] = nil
						break
					}
					if firstIdx < 0 {
						firstIdx = j
					}
				}
				if slave == nil && firstIdx >= 0 {
					slave = rest[firstIdx]
					rest = rest[firstIdx+1:]
				}
				if slave == nil {
					break
				}
				assigned++
				available--
				slave.replicate = master.name
				slave.dirty = true
				m.printf("Adding replica %s:%d to %s:%d\n", slave.ip, slave.port, master.ip, master.port)
				if assignUnused {
					break
				}
			}
		}
		if assignUnused || available == 0 {
			break
		}
		assignUnused = true
		m.printf("Adding extra replicas...\n")
	}
	m.optimizeAntiAffinity(ips, ipNodes)
	m.showNodes()
	if !m.confirm("Can I set the above configuration?", false) {
		return true
	}
	for _, n := range m.nodes {
		var e string
		flushed := m.flushNodeConfig(n, &e)
		if !flushed && n.dirty && n.replicate == "" {
			if e != "" {
				m.printReplyError(n, e)
			}
			return false
		}
	}
	m.logInfo(">>> Nodes configuration updated\n")
	m.logInfo(">>> Assign a different config epoch to each node\n")
	for i, n := range m.nodes {
		m.cmd(n, "cluster", "set-config-epoch", strconv.Itoa(i+1))
	}
	m.logInfo(">>> Sending CLUSTER MEET messages to join the cluster\n")
	firstNode := m.nodes[0]
	firstIP, ok := resolveIP(firstNode.ip)
	if !ok {
		m.stderr("Invalid IP address or hostname specified: %s\n", firstNode.ip)
		return false
	}
	for _, n := range m.nodes[1:] {
		var args []string
		if firstNode.busPort == 0 || firstNode.busPort == firstNode.port+portIncr {
			args = []string{"cluster", "meet", firstIP, strconv.Itoa(firstNode.port)}
		} else {
			args = []string{"cluster", "meet", firstIP, strconv.Itoa(firstNode.port), strconv.Itoa(firstNode.busPort)}
		}
		v, err := m.cmd(n, args...)
		if err != nil {
			m.stderr("Failed to send CLUSTER MEET command.\n")
			return false
		}
		if v.IsError() {
			m.printReplyError(n, string(v.Str))
			return false
		}
	}
	// Give the join a second to start, so the wait does not find every
	// node agreeing while they are all still empty.
	time.Sleep(time.Second)
	m.waitForClusterJoin()
	for _, n := range m.nodes {
		if !n.dirty {
			continue
		}
		var e string
		if !m.flushNodeConfig(n, &e) && n.replicate == "" {
			if e != "" {
				m.printReplyError(n, e)
			}
			return false
		}
	}
	entry := m.nodes[0]
	for _, n := range m.nodes[1:] {
		n.conn.Close()
		n.conn = nil
	}
	fresh := newNode(entry.ip, entry.port, 0)
	fresh.conn = entry.conn
	m.nodes = nil
	if !m.loadFromNode(fresh) {
		return false
	}
	m.checkCluster(false, false)
	return true
}

func resolveIP(host string) (string, bool) {
	if ip := net.ParseIP(host); ip != nil {
		return host, true
	}
	addrs, err := net.LookupHost(host)
	if err != nil || len(addrs) == 0 {
		return "", false
	}
	for _, a := range addrs {
		if !strings.Contains(a, ":") {
			return a, true
		}
	}
	return addrs[0], true
}

// flushNodeConfig is clusterManagerFlushNodeConfig: CLUSTER REPLICATE for
// a replica, CLUSTER ADDSLOTS for a master. A replica whose master is not
// known yet stays dirty, to be flushed after the join.
func (m *Manager) flushNodeConfig(n *node, errp *string) bool {
	if !n.dirty {
		return false
	}
	if n.replicate != "" {
		v, err := m.cmd(n, "CLUSTER", "REPLICATE", n.replicate)
		if err != nil || v.IsError() {
			if err == nil {
				*errp = string(v.Str)
			}
			return false
		}
	} else {
		args := []string{"CLUSTER", "ADDSLOTS"}
		for i := 0; i < Slots; i++ {
			if n.slots[i] {
				args = append(args, strconv.Itoa(i))
			}
		}
		if len(args) == 2 {
			n.dirty = false
			return false
		}
		v, err := m.cmd(n, args...)
		if !m.checkReply(n, v, err, errp) {
			n.dirty = false
			return false
		}
	}
	n.dirty = false
	return true
}

// antiAffinityScore is clusterManagerGetAntiAffinityScore: 10000 for each
// replica on its master's host, 1 for each replica sharing a host with a
// sibling; offenders lists one replica per offending group.
func (m *Manager) antiAffinityScore(ips []string, ipNodes map[string][]*node, wantOffenders bool) (int, []*node) {
	score := 0
	var offenders []*node
	for _, ip := range ips {
		related := map[string]string{}
		var order []string
		for _, n := range ipNodes[ip] {
			key := n.name
			if n.replicate != "" {
				key = n.replicate
			}
			types, seen := related[key]
			if !seen {
				order = append(order, key)
			}
			if n.replicate != "" {
				types += "s"
			} else {
				types = "m" + types
			}
			related[key] = types
		}
		for _, name := range order {
			types := related[name]
			if len(types) < 2 {
				continue
			}
			if types[0] == 'm' {
				score += 10000 * (len(types) - 1)
			} else {
				score += len(types)
			}
			if !wantOffenders {
				continue
			}
			for _, n := range m.nodes {
				if n.replicate == name && n.ip == ip {
					offenders = append(offenders, n)
					break
				}
			}
		}
	}
	return score, offenders
}

// optimizeAntiAffinity is clusterManagerOptimizeAntiAffinity: random
// swaps of replicas' masters, kept unless they make the score worse.
func (m *Manager) optimizeAntiAffinity(ips []string, ipNodes map[string][]*node) {
	score, _ := m.antiAffinityScore(ips, ipNodes, false)
	if score == 0 {
		return
	}
	m.logInfo(">>> Trying to optimize slaves allocation for anti-affinity\n")
	rnd := rand.New(rand.NewSource(time.Now().UnixNano()))
	for iter := 500 * len(m.nodes); iter > 0; iter-- {
		var offenders []*node
		score, offenders = m.antiAffinityScore(ips, ipNodes, true)
		if score == 0 || len(offenders) == 0 {
			break
		}
		first := offenders[rnd.Intn(len(offenders))]
		var others []*node
		for _, n := range m.nodes {
			if n != first && n.replicate != "" {
				others = append(others, n)
			}
		}
		if len(others) == 0 {
			break
		}
		second := others[rnd.Intn(len(others))]
		fm, sm := first.replicate, second.replicate
		first.replicate, second.replicate = sm, fm
		first.dirty, second.dirty = true, true
		if ns, _ := m.antiAffinityScore(ips, ipNodes, false); ns > score {
			first.replicate, second.replicate = fm, sm
		}
	}
	score, _ = m.antiAffinityScore(ips, ipNodes, false)
	switch {
	case score == 0:
		m.logOK("%s\n", "[OK] Perfect anti-affinity obtained!")
	case score >= 10000:
		m.logWarn("%s\n", "[WARNING] Some slaves are in the same host as their master")
	default:
		m.logWarn("%s\n", "[WARNING] Some slaves of the same master are in the same host")
	}
}
