package clustermgr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/client"
)

// slotGroup is a run of slots moving from one source to the target
// together in the parallel mode.
type slotGroup struct {
	source *node
	slots  []int
}

// groupSize is how many slots of one source move together: their SETSLOT
// commands travel in one pipeline per node (a node saves its config once
// per event-loop turn, so this also saves fsyncs), their keys in MIGRATE
// batches of opts.Pipeline.
const groupSize = 64

func groupTable(table []reshardItem) []slotGroup {
	var groups []slotGroup
	open := map[*node]int{} // source -> index of its open group
	for _, it := range table {
		i, ok := open[it.source]
		if !ok || len(groups[i].slots) >= groupSize {
			groups = append(groups, slotGroup{source: it.source})
			i = len(groups) - 1
			open[it.source] = i
		}
		groups[i].slots = append(groups[i].slots, it.slot)
	}
	return groups
}

// pipelineOK sends cmds to n in one pipeline and returns the first error
// reply (or I/O error) as text; acceptable errors are skipped.
func pipelineOK(n *node, cmds [][]string, acceptable string) string {
	rs, err := n.conn.Pipeline(cmds)
	if err != nil {
		return err.Error()
	}
	for _, r := range rs {
		if r.IsError() && (acceptable == "" || !strings.HasPrefix(string(r.Str), acceptable)) {
			return string(r.Str)
		}
	}
	return ""
}

func setSlotCmds(slots []int, status, id string) [][]string {
	cmds := make([][]string, len(slots))
	for i, s := range slots {
		if status == "STABLE" {
			cmds[i] = []string{"CLUSTER", "SETSLOT", strconv.Itoa(s), status}
		} else {
			cmds[i] = []string{"CLUSTER", "SETSLOT", strconv.Itoa(s), status, id}
		}
	}
	return cmds
}

// moveGroup moves every slot of g from g.source to target: the steps of
// moveSlot, each done for all slots of the group in one pipeline. It
// returns the number of keys moved per slot.
func (m *Manager) moveGroup(g slotGroup, target *node) (map[int]int, error) {
	src := g.source
	moved := map[int]int{}
	if e := pipelineOK(target, setSlotCmds(g.slots, "IMPORTING", src.name), ""); e != "" {
		return moved, fmt.Errorf("%s", e)
	}
	// MIGRATING and the first GETKEYSINSLOT of every slot in one pipeline;
	// then each round's MIGRATEs (one per slot with keys) and the next
	// GETKEYSINSLOT of those slots in one more: on one connection the
	// source runs them in order, so each GETKEYSINSLOT sees what the
	// MIGRATE before it left.
	batch := strconv.Itoa(m.opts.Pipeline)
	getKeys := func(slots []int) [][]string {
		cmds := make([][]string, len(slots))
		for i, s := range slots {
			cmds[i] = []string{"CLUSTER", "GETKEYSINSLOT", strconv.Itoa(s), batch}
		}
		return cmds
	}
	rs, err := src.conn.Pipeline(append(setSlotCmds(g.slots, "MIGRATING", target.name), getKeys(g.slots)...))
	if err != nil {
		return moved, err
	}
	for _, r := range rs[:len(g.slots)] {
		if r.IsError() {
			return moved, fmt.Errorf("%s", r.Str)
		}
	}
	pending, keys := g.slots, rs[len(g.slots):]
	for len(pending) > 0 {
		var migrating []int // indexes into pending
		for i, r := range keys {
			if r.IsError() {
				return moved, fmt.Errorf("%s", r.Str)
			}
			if len(r.Elems) > 0 {
				migrating = append(migrating, i)
			}
		}
		if len(migrating) == 0 {
			break
		}
		for _, i := range migrating {
			src.conn.SendBytes(m.migrateArgs(target, keys[i].Elems, false))
		}
		for _, i := range migrating {
			src.conn.Send("CLUSTER", "GETKEYSINSLOT", strconv.Itoa(pending[i]), batch)
		}
		if err := src.conn.Flush(); err != nil {
			return moved, err
		}
		replies := make([]client.Value, 2*len(migrating))
		for j := range replies {
			if replies[j], err = src.conn.Receive(); err != nil {
				return moved, err
			}
		}
		var next []int
		var nextKeys []client.Value
		for j, i := range migrating {
			slot := pending[i]
			if replies[j].IsError() {
				// BUSYKEY and friends: redis-cli's careful path for this
				// slot, which moves the rest of its keys itself.
				var e string
				if !m.migrateKeysInSlot(src, target, slot, m.opts.Timeout, m.opts.Pipeline, false, m.fixing, &e) {
					if e == "" {
						e = string(replies[j].Str)
					}
					return moved, fmt.Errorf("%s", e)
				}
				continue
			}
			moved[slot] += len(keys[i].Elems)
			next = append(next, slot)
			nextKeys = append(nextKeys, replies[len(migrating)+j])
		}
		pending, keys = next, nextKeys
	}
	if e := pipelineOK(target, setSlotCmds(g.slots, "NODE", target.name), ""); e != "" {
		return moved, fmt.Errorf("%s", e)
	}
	if e := pipelineOK(src, setSlotCmds(g.slots, "NODE", target.name), "ERR Please use SETSLOT only with masters."); e != "" {
		return moved, fmt.Errorf("%s", e)
	}
	return moved, nil
}

// migrateArgs is the MIGRATE command moving keys to target.
func (m *Manager) migrateArgs(target *node, keys []client.Value, replace bool) [][]byte {
	args := [][]byte{[]byte("MIGRATE"), []byte(target.ip), []byte(strconv.Itoa(target.port)),
		[]byte(""), []byte("0"), []byte(strconv.Itoa(m.opts.Timeout))}
	if replace {
		args = append(args, []byte("REPLACE"))
	}
	if m.opts.AuthSet {
		if m.opts.User != "" {
			args = append(args, []byte("AUTH2"), []byte(m.opts.User), []byte(m.opts.Password))
		} else {
			args = append(args, []byte("AUTH"), []byte(m.opts.Password))
		}
	}
	args = append(args, []byte("KEYS"))
	for _, k := range keys {
		args = append(args, k.Str)
	}
	return args
}
