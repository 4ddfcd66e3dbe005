package command

import "strings"

// Keyspace notification classes: Redis 7.0's NOTIFY_* bits, the values
// notify-keyspace-events sets (internal/config keeps the same bits).
const (
	NotifyKeyspace = 1 << 0  // K: __keyspace@<db>__:<key> <event>
	NotifyKeyevent = 1 << 1  // E: __keyevent@<db>__:<event> <key>
	NotifyGeneric  = 1 << 2  // g: del, expire, rename_*, copy_to, move_*, restore, …
	NotifyString   = 1 << 3  // $
	NotifyList     = 1 << 4  // l
	NotifySet      = 1 << 5  // s
	NotifyHash     = 1 << 6  // h
	NotifyZset     = 1 << 7  // z
	NotifyExpired  = 1 << 8  // x: expired (lazy or active expiry)
	NotifyEvicted  = 1 << 9  // e: evicted (maxmemory)
	NotifyStream   = 1 << 10 // t
	NotifyKeyMiss  = 1 << 11 // m: keymiss
	NotifyNew      = 1 << 14 // n: new (a key added to a database)
)

// Notify publishes keyspace event event of class for key in the command's
// database, as Redis's notifyKeyspaceEvent: nothing unless
// notify-keyspace-events enables the class. With notifications off (the
// default) it costs one load and one test of the settings the command
// already holds. Handlers call it where Redis does, in Redis's order.
func (c *Ctx) Notify(class int, event string, key []byte) {
	if st := c.Settings; st != nil && st.NotifyFlags&class != 0 {
		st.Notifier(c.DB.Index, event, key)
	}
}

// NotifyDB is Notify for a key in another database (MOVE, COPY … DB).
func (c *Ctx) NotifyDB(db, class int, event string, key []byte) {
	if st := c.Settings; st != nil && st.NotifyFlags&class != 0 {
		st.Notifier(db, event, key)
	}
}

// notifyRemoved is Redis's pattern for commands that take elements out of
// a collection (pops, removals, trims): event for key, then "del" when
// that emptied the collection and its key was deleted.
func (c *Ctx) notifyRemoved(class int, event string, key []byte, emptied bool) {
	if st := c.Settings; st != nil && st.NotifyFlags&(class|NotifyGeneric) != 0 {
		c.Notify(class, event, key)
		if emptied {
			c.Notify(NotifyGeneric, "del", key)
		}
	}
}

// popEvent is the event of a pop from the front (lpop) or back (rpop) of a list.
func popEvent(front bool) string {
	if front {
		return "lpop"
	}
	return "rpop"
}

// pushEvent is the event of a push to the front (lpush) or back (rpush) of a list.
func pushEvent(front bool) string {
	if front {
		return "lpush"
	}
	return "rpush"
}

// NotifyKeyMisses publishes "keymiss" (class m) for each key the command
// is about to read that does not exist, as Redis's lookupKeyRead does on a
// miss: every key of a read-only command, and the keys of a write
// command's read-only key specs (the sources of SUNIONSTORE, SORT, COPY,
// BITOP…). OBJECT and MEMORY USAGE look keys up without the event, as in
// Redis. The dispatcher calls it before the handler, under the command's
// locks, only while the m class is on. A key past its TTL expires here
// (its "expired" event first), as Redis's lookup does.
func NotifyKeyMisses(c *Ctx) {
	s := c.Cmd
	if s.Parent != nil && (s.Parent.Name == "object" || s.Name == "memory|usage") {
		return
	}
	readonly := s.Has(FlagReadonly)
	var pos []int
	var specs []uint8
	if p := keymissOverride(c); p != nil {
		pos, readonly = p, true
	} else if readonly {
		pos = s.KeyPositions(c.Args, nil)
	} else {
		var ok bool
		if pos, specs, ok = s.SpecKeyPositions(c.Args, nil, nil); !ok {
			return
		}
	}
	for i, p := range pos {
		if !readonly && !hasFlagWord(s.KeySpecs[specs[i]].Flags, "RO") {
			continue
		}
		if _, ok := c.DB.Peek(c.Args[p]); !ok {
			c.Notify(NotifyKeyMiss, "keymiss", c.Args[p])
		}
	}
}

// keymissOverride lists the keys a write command reads with Redis's
// lookupKeyRead although its key specs say otherwise: the GET family's
// key (getGenericCommand), every key of PFMERGE, SORT's source.
func keymissOverride(c *Ctx) []int {
	switch c.Cmd.Name {
	case "getdel", "getex", "getset", "sort":
		return []int{1}
	case "set":
		for _, a := range c.Args[3:] {
			if optIs(a, "get") {
				return []int{1}
			}
		}
	case "pfmerge":
		pos := make([]int, 0, len(c.Args)-1)
		for i := 1; i < len(c.Args); i++ {
			pos = append(pos, i)
		}
		return pos
	}
	return nil
}

// hasFlagWord reports whether the space-separated flags hold word.
func hasFlagWord(flags, word string) bool {
	for len(flags) > 0 {
		w := flags
		if i := strings.IndexByte(flags, ' '); i >= 0 {
			w, flags = flags[:i], flags[i+1:]
		} else {
			flags = ""
		}
		if w == word {
			return true
		}
	}
	return false
}
