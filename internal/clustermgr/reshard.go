package clustermgr

import (
	"math"
	"sort"
	"strings"
)

type reshardItem struct {
	source *node
	slot   int
}

// nodeForResharding is clusterNodeForResharding; raise is set when the id
// names no master (a fatal error), not when it names the target.
func (m *Manager) nodeForResharding(id string, target *node) (n *node, raise bool) {
	n = m.nodeByName(id)
	if n == nil || n.isSlave() {
		m.logErr("*** The specified node (%s) is not known or not a master, please retry.\n", id)
		return nil, true
	}
	if target != nil && n.name == target.name {
		m.logErr("*** It is not possible to use the target node as source node.\n")
		return nil, false
	}
	return n, false
}

// computeReshardTable is clusterManagerComputeReshardTable: slots taken
// from each source in proportion to what it holds, the biggest first.
func computeReshardTable(sources []*node, numSlots int) []reshardItem {
	var moved []reshardItem
	total := 0
	sorted := append([]*node(nil), sources...)
	for _, n := range sorted {
		total += n.slotsCount
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].slotsCount > sorted[j].slotsCount })
	for i, n := range sorted {
		f := float32(numSlots) / float32(total) * float32(n.slotsCount)
		var x float64
		if i == 0 {
			x = math.Ceil(float64(f))
		} else {
			x = math.Floor(float64(f))
		}
		max, count := int(x), 0
		for s := 0; s < Slots; s++ {
			if !n.slots[s] {
				continue
			}
			if count >= max || len(moved) >= numSlots {
				break
			}
			moved = append(moved, reshardItem{n, s})
			count++
		}
	}
	return moved
}

func (m *Manager) reshard(args []string) bool {
	ip, port, ok := hostFromArgs(args)
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	m.checkCluster(false, false)
	if len(m.errors) > 0 {
		m.stderr("*** Please fix your cluster problems before resharding\n")
		return false
	}
	slots := m.opts.Slots
	if slots == 0 {
		for slots <= 0 || slots > Slots {
			m.printf("How many slots do you want to move (from 1 to %d)? ", Slots)
			line, ok := m.readLine()
			if !ok {
				return false
			}
			if len(line) > 5 {
				line = line[:5]
			}
			slots = atoi(line)
		}
	}
	to, from := m.opts.To, m.opts.From
	for to == "" {
		m.printf("What is the receiving node ID? ")
		line, ok := m.readLine()
		if !ok {
			return false
		}
		to = line
	}
	target, _ := m.nodeForResharding(to, nil)
	if target == nil {
		return false
	}
	var sources []*node
	all := false
	if from == "" {
		m.printf("Please enter all the source node IDs.\n")
		m.printf("  Type 'all' to use all the nodes as source nodes for the hash slots.\n")
		m.printf("  Type 'done' once you entered all the source nodes IDs.\n")
		for {
			m.printf("Source node #%d: ", len(sources)+1)
			line, ok := m.readLine()
			if !ok {
				return false
			}
			if line == "done" {
				break
			}
			if line == "all" {
				all = true
				break
			}
			src, raise := m.nodeForResharding(line, target)
			if src != nil {
				sources = append(sources, src)
			} else if raise {
				return false
			}
		}
	} else {
		for _, id := range strings.Split(from, ",") {
			if id == "all" {
				all = true
				break
			}
			if id == "" {
				continue
			}
			src, raise := m.nodeForResharding(id, target)
			if src != nil {
				sources = append(sources, src)
			} else if raise {
				return false
			}
		}
	}
	if all {
		sources = nil
		for _, n := range m.nodes {
			if n.isSlave() || n.replicate != "" || n.name == target.name {
				continue
			}
			sources = append(sources, n)
		}
	}
	if len(sources) == 0 {
		m.stderr("*** No source nodes given, operation aborted.\n")
		return false
	}
	m.printf("\nReady to move %d slots.\n", slots)
	m.printf("  Source nodes:\n")
	for _, s := range sources {
		m.printf("%s\n", s.info(4))
	}
	m.printf("  Destination node:\n")
	m.printf("%s\n", target.info(4))
	table := computeReshardTable(sources, slots)
	m.printf("  Resharding plan:\n")
	for _, it := range table {
		m.printf("    Moving slot %d from %s\n", it.slot, it.source.name)
	}
	if !m.opts.Yes {
		m.printf("Do you want to proceed with the proposed reshard plan (yes/no)? ")
		if m.readAnswer(4) != "yes" {
			return false
		}
	}
	if m.opts.Parallel > 1 {
		return m.moveParallel(table, target, false)
	}
	for _, it := range table {
		var e string
		if !m.moveSlot(it.source, target, it.slot, optVerbose, &e) {
			if e != "" {
				m.logErr("clusterManagerMoveSlot failed: %s\n", e)
			}
			return false
		}
	}
	return true
}

func (m *Manager) rebalance(args []string) bool {
	ip, port, ok := hostFromArgs(args)
	if !ok {
		m.stderr(invalidHostArg)
		return false
	}
	if !m.loadFromNode(newNode(ip, port, 0)) {
		return false
	}
	for _, w := range m.opts.Weights {
		eq := strings.IndexByte(w, '=')
		if eq < 0 {
			m.logErr("*** invalid input %s\n", w)
			return false
		}
		n := m.nodeByAbbreviatedName(w[:eq])
		if n == nil {
			m.logErr("*** No such master node %s\n", w[:eq])
			return false
		}
		n.weight = float32(atof(w[eq+1:]))
	}
	var total float32
	var involved []*node
	for _, n := range m.nodes {
		if n.isSlave() || n.replicate != "" {
			continue
		}
		if !m.opts.UseEmptyMasters && n.slotsCount == 0 {
			n.weight = 0
			continue
		}
		total += n.weight
		involved = append(involved, n)
	}
	m.checkCluster(true, false)
	if len(m.errors) > 0 {
		m.logErr("*** Please fix your cluster problems before rebalancing\n")
		return false
	}
	thresholdReached, totalBalance := false, 0
	threshold := float32(m.opts.Threshold)
	for _, n := range involved {
		expected := int((float32(Slots) / total) * n.weight)
		n.balance = n.slotsCount - expected
		totalBalance += n.balance
		over := false
		if threshold > 0 {
			if n.slotsCount > 0 {
				errPerc := math.Abs(100 - (100.0 * float64(expected) / float64(n.slotsCount)))
				if float32(errPerc) > threshold {
					over = true
				}
			} else if expected > 1 {
				over = true
			}
		}
		if over {
			thresholdReached = true
		}
	}
	if !thresholdReached {
		m.logWarn("*** No rebalancing needed! All nodes are within the %.2f%% threshold.\n", m.opts.Threshold)
		return true
	}
	for totalBalance > 0 {
		for _, n := range involved {
			if n.balance <= 0 && totalBalance > 0 {
				n.balance--
				totalBalance--
			}
		}
	}
	weighted := append([]*node(nil), involved...)
	sort.SliceStable(weighted, func(i, j int) bool { return weighted[i].balance < weighted[j].balance })
	m.logInfo(">>> Rebalancing across %d nodes. Total weight = %.2f\n", len(involved), total)
	if m.opts.Verbose {
		for _, n := range weighted {
			m.printf("%s:%d balance is %d slots\n", n.ip, n.port, n.balance)
		}
	}
	dstIdx, srcIdx := 0, len(weighted)-1
	for dstIdx < srcIdx {
		dst, src := weighted[dstIdx], weighted[srcIdx]
		db, sb := abs(dst.balance), abs(src.balance)
		num := min(db, sb)
		if num > 0 {
			m.printf("Moving %d slots from %s:%d to %s:%d\n", num, src.ip, src.port, dst.ip, dst.port)
			table := computeReshardTable([]*node{src}, num)
			if len(table) != num {
				m.logErr("*** Assertion failed: Reshard table != number of slots")
				return false
			}
			if m.opts.Simulate {
				m.printf("%s", strings.Repeat("#", len(table)))
			} else if m.opts.Parallel > 1 {
				if !m.moveParallel(table, dst, true) {
					return false
				}
			} else {
				for _, it := range table {
					var e string
					if !m.moveSlot(it.source, dst, it.slot, optQuiet|optUpdate, &e) {
						m.logErr("*** clusterManagerMoveSlot: %s\n", e)
						return false
					}
					m.printf("#")
				}
			}
			m.printf("\n")
		}
		dst.balance += num
		src.balance -= num
		if dst.balance == 0 {
			dstIdx++
		}
		if src.balance == 0 {
			srcIdx--
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func atof(s string) float64 {
	s = strings.TrimLeft(s, " \t")
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	dot := false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && !dot) {
		if s[i] == '.' {
			dot = true
		}
		i++
	}
	var f float64
	if _, err := fmtSscan(s[:i], &f); err != nil {
		return 0
	}
	return f
}
