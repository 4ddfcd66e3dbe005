package command

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

// NotifyEach is Notify for every key of keys (one event of a command with
// several keys: MSET's set, …).
func (c *Ctx) NotifyEach(class int, event string, keys [][]byte) {
	if st := c.Settings; st != nil && st.NotifyFlags&class != 0 {
		for _, k := range keys {
			st.Notifier(c.DB.Index, event, k)
		}
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
