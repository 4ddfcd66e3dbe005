package keyspace

import (
	"sync"
	"sync/atomic"
)

// Watcher is one client's WATCH state: Dirty turns true when any key it
// watches is modified, and EXEC then aborts.
type Watcher struct {
	Dirty atomic.Bool
}

// watchRegistry maps watched keys to their watchers. The atomic count lets
// every write skip the mutex when nothing is watched (the common case).
type watchRegistry struct {
	n    atomic.Int64
	mu   sync.Mutex
	keys map[string][]watchEntry
}

// watchEntry is one watcher of one key. expired is Redis's
// watchedKey.expired: the key the client watches is logically expired (a
// SWAPDB brought an expired key in place of a missing one), so deleting it
// is no change. WATCH itself reclaims an expired key first, so only SWAPDB
// sets it.
type watchEntry struct {
	w       *Watcher
	expired bool
}

// touch marks the watchers of k dirty after a change to k (Redis
// touchWatchedKey).
func (db *DB) touch(k string) {
	if db.ks.Tracking.Load() != 0 {
		db.ks.OnTouch(db.Index, k)
	}
	if db.watch.n.Load() == 0 {
		return
	}
	r := &db.watch
	r.mu.Lock()
	ws := r.keys[k]
	for i := range ws {
		if ws[i].expired {
			if !db.existsNoExpire(k) {
				// The expired key is gone: logically nothing changed.
				ws[i].expired = false
			}
			continue
		}
		ws[i].w.Dirty.Store(true)
	}
	r.mu.Unlock()
}

// Watch registers w on key.
func (db *DB) Watch(key []byte, w *Watcher) {
	r := &db.watch
	r.mu.Lock()
	if r.keys == nil {
		r.keys = make(map[string][]watchEntry)
	}
	k := string(key)
	for _, x := range r.keys[k] {
		if x.w == w {
			r.mu.Unlock()
			return
		}
	}
	r.keys[k] = append(r.keys[k], watchEntry{w: w})
	r.n.Add(1)
	r.mu.Unlock()
}

// Unwatch removes w from key.
func (db *DB) Unwatch(key string, w *Watcher) {
	r := &db.watch
	r.mu.Lock()
	ws := r.keys[key]
	for i, x := range ws {
		if x.w == w {
			ws = append(ws[:i], ws[i+1:]...)
			r.n.Add(-1)
			break
		}
	}
	if len(ws) == 0 {
		delete(r.keys, key)
	} else {
		r.keys[key] = ws
	}
	r.mu.Unlock()
}

// touchAll marks dirty the watchers of emptied's keys when emptied is
// flushed (replacedWith nil: FLUSHDB, FLUSHALL) or swapped with replacedWith
// (SWAPDB), as Redis 7.0.15's touchAllWatchedKeysInDb: a watcher is touched
// when its key is stored (even logically expired) in either database,
// except that an expired key that goes away, or stays expired, is no
// change, and a missing key replaced by an expired one only becomes a
// watched expired key. r is emptied's registry. Needs LockAll.
func (r *watchRegistry) touchAll(emptied, replacedWith *DB) {
	if r.n.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ws := range r.keys {
		inEmptied := emptied.existsNoExpire(k)
		inReplaced := replacedWith != nil && replacedWith.existsNoExpire(k)
		if !inEmptied && !inReplaced {
			continue
		}
		for i := range ws {
			if ws[i].expired {
				if !inReplaced {
					ws[i].expired = false // the expired key is gone
					continue
				}
				if replacedWith.storedExpired(k) {
					continue // still expired
				}
			} else if !inEmptied && replacedWith.storedExpired(k) {
				ws[i].expired = true
				continue
			}
			ws[i].w.Dirty.Store(true)
		}
	}
}
