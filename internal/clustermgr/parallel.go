package clustermgr

import (
	"fmt"
	"os"
)

var exit = os.Exit

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }

// moveParallel moves the slots of table to target, Parallel slots at a
// time (shoal-cli's --cluster-parallel). Not written yet: falls back to one
// at a time.
func (m *Manager) moveParallel(table []reshardItem, target *node, rebalance bool) bool {
	for _, it := range table {
		var e string
		opts := optVerbose
		if rebalance {
			opts = optQuiet | optUpdate
		}
		if !m.moveSlot(it.source, target, it.slot, opts, &e) {
			if e != "" {
				m.logErr("clusterManagerMoveSlot failed: %s\n", e)
			}
			return false
		}
		if rebalance {
			m.printf("#")
		}
	}
	return true
}
