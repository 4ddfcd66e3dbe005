package server

import (
	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/script"
	"github.com/shoal-db/shoal/internal/slot"
)

// clusterClient is a connection's cluster-mode state.
type clusterClient struct {
	// asking > 0 while an ASKING applies: ASKING sets 2, every command
	// outside MULTI counts it down before it runs, so it covers exactly the
	// next command (or the next transaction), as Redis's resetClient does.
	asking uint8
	// readonly: READONLY was sent (reads served by a replica).
	readonly bool
}

// beforeCommand runs first for every command the client sends.
func (c *client) beforeCommand() {
	if c.cl.asking > 0 && !c.inMulti {
		c.cl.asking--
	}
}

// redirect is getNodeByQuery's outcome (CLUSTER_REDIR_*).
type redirect uint8

const (
	redirNone redirect = iota
	redirCrossSlot
	redirUnstable
	redirAsk
	redirMoved
	redirDownState
	redirDownRO
	redirDownUnbound
)

// routeState accumulates getNodeByQuery's view over the keys of one
// command, or of every command queued in a transaction.
type routeState struct {
	t         *cluster.Topology
	first     []byte
	slot      int
	owner     uint16
	migrating bool
	importing bool
	multiple  bool
	shard     bool // a sharded pub/sub command
	missing   int
	write     bool
	askingCmd bool
}

// route is the cluster redirection check of Redis's processCommand, made
// after the ACL-level checks and before the command is queued or run. It
// reports false when it rejected the command (the reply is written).
// The common case — one key in a slot this node serves, no migration —
// is an atomic pointer load and an array index, without allocation; it
// returns that key's slot, which call then locks without hashing the key
// again (-1: no such single slot).
func (c *client) route(spec *command.Spec, args [][]byte) (int, bool) {
	cn := c.srv.cl.node
	if cn == nil {
		return -1, true
	}
	t := c.view(cn.Topology())
	if spec.Name == "exec" {
		return -1, c.routeExec(t)
	}
	if len(spec.KeySpecs) == 0 && spec.GetKeys == nil {
		return -1, true
	}
	c.keys = spec.KeyPositions(args, c.keys[:0])
	if len(c.keys) == 0 {
		return -1, true
	}
	if len(c.keys) == 1 && t.OK {
		s := slot.Of(args[c.keys[0]])
		if r := t.Route(s); r.Owner == t.Me && r.Mark == cluster.MarkNone {
			return s, true
		}
	}
	st := routeState{t: t, write: c.isWrite(spec, args), askingCmd: spec.Has(command.FlagAsking)}
	if code := c.addKeys(&st, spec, args, c.keys); code != redirNone {
		return -1, c.rejectRoute(spec, &st, code)
	}
	return -1, c.finishRoute(spec, &st)
}

// routeExec checks a whole transaction at EXEC, as getNodeByQuery does with
// the client's multi state; a refused EXEC discards the transaction.
func (c *client) routeExec(t *cluster.Topology) bool {
	if !c.inMulti {
		return true
	}
	st := routeState{t: t}
	spec := c.srv.table.Get("exec")
	for _, q := range c.queued {
		if c.isWrite(q.spec, q.args) {
			st.write = true
		}
	}
	code := redirNone
	for _, q := range c.queued {
		c.keys = q.spec.KeyPositions(q.args, c.keys[:0])
		if code = c.addKeys(&st, q.spec, q.args, c.keys); code != redirNone {
			break
		}
	}
	ok := false
	if code != redirNone {
		ok = c.rejectRoute(spec, &st, code)
	} else {
		ok = c.finishRoute(spec, &st)
	}
	if ok {
		c.lockAllTwins()
	}
	return ok
}

// isWrite is CMD_WRITE of getCommandFlags: the command's own flag, except
// for scripts, where the flags a script or function declares decide
// (scriptFlagsToCmdFlags: one without no-writes may write, even by
// EVAL_RO or FCALL_RO). An EVAL body without a shebang, an unknown SHA or
// function, and a bad shebang keep the command's flags.
func (c *client) isWrite(spec *command.Spec, args [][]byte) bool {
	if flags, ok := c.srv.declaredScriptFlags(spec, args); ok {
		return flags&script.FlagNoWrites == 0
	}
	return spec.Has(command.FlagWrite)
}

// addKeys folds one command's keys into st (the key loop of getNodeByQuery).
func (c *client) addKeys(st *routeState, spec *command.Spec, args [][]byte, keys []int) redirect {
	if isShardPubSub(spec) {
		st.shard = true
	}
	for _, i := range keys {
		key := args[i]
		s := slot.Of(key)
		if st.first == nil {
			st.first, st.slot = key, s
			r := st.t.Route(s)
			st.owner = r.Owner
			if r.Owner == 0 {
				return redirDownUnbound
			}
			if r.Owner == st.t.Me && r.Mark == cluster.MarkMigrating {
				st.migrating = true
			} else if r.Mark == cluster.MarkImporting {
				st.importing = true
			}
		} else if string(st.first) != string(key) {
			if s != st.slot {
				return redirCrossSlot
			}
			st.multiple = true
		}
		// Missing keys decide ASK/TRYAGAIN; finishRoute lets MIGRATE
		// through a migrating or importing slot whatever they are, so it
		// skips the lookups (a reshard's MIGRATE names thousands of keys).
		if (st.migrating || st.importing) && !st.shard && spec.Name != "migrate" && !c.keyExists(key, s) {
			st.missing++
		}
	}
	return redirNone
}

// keyExists looks a key up in db 0 without touching it (LOOKUP_NOTOUCH).
func (c *client) keyExists(key []byte, s int) bool {
	ks := c.srv.ks
	ks.LockSlot(s)
	ok := ks.DB(0).Exists(key)
	ks.UnlockSlot(s)
	return ok
}

// finishRoute is the rest of getNodeByQuery once every key is seen.
func (c *client) finishRoute(spec *command.Spec, st *routeState) bool {
	t := st.t
	if st.first == nil {
		return true
	}
	if !t.OK {
		switch {
		case st.shard:
			// cluster-allow-pubsubshard-when-down is yes.
		case !c.srv.cl.readsWhenDown.Load():
			return c.rejectRoute(spec, st, redirDownState)
		case st.write:
			return c.rejectRoute(spec, st, redirDownRO)
		}
	}
	if (st.migrating || st.importing) && spec.Name == "migrate" {
		return true
	}
	if st.migrating && st.missing > 0 {
		if st.multiple {
			return c.rejectRoute(spec, st, redirUnstable)
		}
		return c.rejectRoute(spec, st, redirAsk)
	}
	if st.importing && (c.cl.asking > 0 || st.askingCmd) {
		if st.multiple && st.missing > 0 {
			return c.rejectRoute(spec, st, redirUnstable)
		}
		return true
	}
	if (c.cl.readonly || st.shard) && !st.write && t.MyMaster != 0 && t.MyMaster == st.owner {
		return true
	}
	if st.owner != t.Me {
		return c.rejectRoute(spec, st, redirMoved)
	}
	return true
}

// rejectRoute is clusterRedirectClient plus processCommand's bookkeeping.
func (c *client) rejectRoute(spec *command.Spec, st *routeState, code redirect) bool {
	var msg string
	switch code {
	case redirCrossSlot:
		msg = rediserr.CrossSlot
	case redirUnstable:
		msg = rediserr.TryAgain
	case redirDownState:
		msg = rediserr.ClusterDown
	case redirDownRO:
		msg = rediserr.ClusterDownRO
	case redirDownUnbound:
		msg = rediserr.ClusterDownSlot
	case redirAsk:
		msg = rediserr.Ask(st.slot, st.t.Addr(st.t.Route(st.slot).Peer).Redirect)
	case redirMoved:
		msg = rediserr.Moved(st.slot, st.t.Addr(st.owner).Redirect)
	}
	spec.RejectedCalls.Add(1)
	if spec.Name == "exec" {
		c.discardMulti()
		c.srv.stats.totalErrorReplies.Add(1)
		c.w.Error(msg)
		return false
	}
	c.reject(msg)
	return false
}

func isShardPubSub(spec *command.Spec) bool {
	switch spec.Name {
	case "ssubscribe", "sunsubscribe", "spublish":
		return true
	}
	return false
}
