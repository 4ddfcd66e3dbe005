package keyspace

// NewTemp makes an empty keyspace of ks's shape for a replica to load its
// master's dataset into while ks keeps serving the old one (Redis's
// initTempDb, repl-diskless-load swapdb). It has none of ks's hooks:
// nothing stored into it is notified, tracked, watched or observed by a
// snapshot. Its access clocks follow ks's policy and time.
func (ks *Keyspace) NewTemp() *Keyspace {
	t := New(len(ks.dbs))
	t.NowMs = ks.NowMs
	c, tc := &ks.clocks, &t.clocks
	tc.lruClock.Store(c.lruClock.Load())
	tc.minutes.Store(c.minutes.Load())
	tc.lfuLog.Store(c.lfuLog.Load())
	tc.lfuDecay.Store(c.lfuDecay.Load())
	tc.lfu.Store(c.lfu.Load())
	return t
}

// SwapIn exchanges the contents of every database of ks with the same
// database of tmp, a keyspace made by NewTemp (Redis's
// swapMainDbWithTempDb): ks serves what was loaded into tmp, and tmp holds
// the old data, to be dropped with DropTemp. As for SWAPDB, a watcher of
// a key stored in either is marked dirty; a running snapshot is told each
// database is flushed, so it keeps the data it started from. The byte
// counts move with the data. Needs LockAll on ks; nothing else may use tmp.
func (ks *Keyspace) SwapIn(tmp *Keyspace) {
	o := ks.observer.Load()
	for i, x := range ks.dbs {
		y := tmp.dbs[i]
		if o != nil {
			o.o.BeforeFlush(i)
		}
		x.watch.touchAll(x, y)
		swapContents(x, y)
	}
	for i := range ks.stripes {
		swapAtomic64(&ks.stripes[i].net, &tmp.stripes[i].net)
	}
}

// DropTemp drops every key of tmp, a keyspace made by NewTemp that no
// command can reach (a load that failed, or the old data after SwapIn);
// the large values freed count in ks's BigFreed.
func (ks *Keyspace) DropTemp(tmp *Keyspace) {
	before := tmp.bigFreed.Load()
	for _, db := range tmp.dbs {
		db.Flush()
	}
	ks.bigFreed.Add(tmp.bigFreed.Load() - before)
}
