package clustermgr

import (
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/client"
)

// Options of moveSlot, as CLUSTER_MANAGER_OPT_*.
const (
	optCold    = 1 << 1 // move keys without opening the slot
	optUpdate  = 1 << 2 // update the nodes' slot tables
	optQuiet   = 1 << 6 // no "Moving slot" line
	optVerbose = 1 << 7 // a dot per key
)

// migrateKeys sends one MIGRATE of keys from source to target.
func (m *Manager) migrateKeys(source, target *node, keys []client.Value, replace bool, timeout int) (client.Value, error) {
	o := m.opts
	o.Timeout = timeout
	return source.conn.DoBytes((&Manager{opts: o}).migrateArgs(target, keys, replace))
}

// compareKeysValues is clusterManagerCompareKeysValues (DEBUG DIGEST-VALUE
// on both nodes); it returns the keys whose values differ.
func (m *Manager) compareKeysValues(n1, n2 *node, keys []client.Value) ([]string, bool) {
	args := [][]byte{[]byte("DEBUG"), []byte("DIGEST-VALUE")}
	for _, k := range keys {
		args = append(args, k.Str)
	}
	r1, err := n1.conn.DoBytes(args)
	if err != nil {
		return nil, false
	}
	r2, err := n2.conn.DoBytes(args)
	if err != nil {
		return nil, false
	}
	ok := true
	if r1.IsError() {
		m.printReplyError(n1, string(r1.Str))
		ok = false
	}
	if r2.IsError() {
		m.printReplyError(n2, string(r2.Str))
		ok = false
	}
	if !ok || len(r1.Elems) != len(keys) || len(r2.Elems) != len(keys) {
		return nil, false
	}
	const zero = "0000000000000000000000000000000000000000"
	var diffs []string
	for i, k := range keys {
		h1, h2 := string(r1.Elems[i].Str), string(r2.Elems[i].Str)
		if h1 == zero || h2 == zero {
			continue
		}
		if h1 != h2 {
			diffs = append(diffs, string(k.Str))
		}
	}
	return diffs, true
}

// migrateKeysInSlot is clusterManagerMigrateKeysInSlot: GETKEYSINSLOT and
// MIGRATE in batches of pipeline keys until the slot is empty on source.
func (m *Manager) migrateKeysInSlot(source, target *node, slot, timeout, pipeline int, verbose, fix bool, errp *string) bool {
	for {
		r, err := m.cmd(source, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot), strconv.Itoa(pipeline))
		if err != nil {
			return false
		}
		if r.IsError() {
			if errp != nil {
				*errp = string(r.Str)
				m.printReplyError(source, *errp)
			}
			return false
		}
		if len(r.Elems) == 0 {
			return true
		}
		mr, err := m.migrateKeys(source, target, r.Elems, false, timeout)
		if err != nil {
			return false
		}
		if mr.IsError() {
			msg := string(mr.Str)
			busy := strings.Contains(msg, "BUSYKEY")
			notServed := false
			if !busy {
				var ge string
				if m.slotOwner(source, slot, &ge) == nil {
					if ge == "" {
						notServed = true
					} else {
						m.printReplyError(source, ge)
					}
				}
			}
			ok := false
			if busy || notServed {
				if fix && notServed {
					m.logWarn("*** Slot was not served, setting owner to node %s:%d.\n", target.ip, target.port)
					m.setSlot(source, target, slot, "node", nil)
				}
				if busy {
					m.logWarn("\n*** Target key exists\n")
					if !m.opts.Replace {
						m.logWarn("*** Checking key values on both nodes...\n")
						diffs, ok := m.compareKeysValues(source, target, r.Elems)
						if !ok {
							m.logErr("*** Value check failed!\n")
							return false
						}
						if len(diffs) > 0 {
							m.logErr("*** Found %d key(s) in both source node and target node having different values.\n"+
								"    Source node: %s:%d\n    Target node: %s:%d\n    Keys(s):\n",
								len(diffs), source.ip, source.port, target.ip, target.port)
							for _, k := range diffs {
								m.logErr("    - %s\n", k)
							}
							m.logErr("Please fix the above key(s) manually and try again or relaunch the command \nwith --cluster-replace option to force key overriding.\n")
							return false
						}
					}
					m.logWarn("*** Replacing target keys...\n")
				}
				mr, err = m.migrateKeys(source, target, r.Elems, busy, timeout)
				ok = err == nil && !mr.IsError()
			}
			if !ok {
				if err == nil {
					if errp != nil {
						*errp = string(mr.Str)
					}
					m.printf("\n")
					m.printReplyError(source, string(mr.Str))
				}
				return false
			}
		}
		m.movedKeys += len(r.Elems)
		if verbose {
			m.printf("%s", strings.Repeat(".", len(r.Elems)))
		}
	}
}

// moveSlot is clusterManagerMoveSlot.
func (m *Manager) moveSlot(source, target *node, slot, opts int, errp *string) bool {
	if opts&optQuiet == 0 {
		m.printf("Moving slot %d from %s:%d to %s:%d: ", slot, source.ip, source.port, target.ip, target.port)
	}
	cold := opts&optCold != 0
	if !cold {
		if !m.setSlot(target, source, slot, "importing", errp) {
			return false
		}
		if !m.setSlot(source, target, slot, "migrating", errp) {
			return false
		}
	}
	ok := m.migrateKeysInSlot(source, target, slot, m.opts.Timeout, m.opts.Pipeline, opts&optVerbose != 0, m.fixing, errp)
	if opts&optQuiet == 0 {
		m.printf("\n")
	}
	if !ok {
		return false
	}
	if !cold {
		if !m.setSlot(target, target, slot, "node", errp) {
			return false
		}
		var e string
		if errp == nil {
			m.setSlot(source, target, slot, "node", nil) // failure tolerated, as redis-cli
		} else if !m.setSlot(source, target, slot, "node", &e) {
			if !strings.HasPrefix(e, "ERR Please use SETSLOT only with masters.") {
				if errp != nil {
					*errp = e
				}
				return false
			}
		}
		for _, n := range m.nodes {
			if n == target || n == source || n.isSlave() {
				continue
			}
			if !m.setSlot(n, target, slot, "node", errp) {
				return false
			}
		}
	}
	if opts&optUpdate != 0 {
		source.slots[slot] = false
		target.slots[slot] = true
	}
	return true
}
