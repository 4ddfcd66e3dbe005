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
	keys map[string][]*Watcher
}

func (db *DB) touch(k string) {
	if db.ks.Tracking.Load() != 0 {
		db.ks.OnTouch(db.Index, k)
	}
	if db.watch.n.Load() == 0 {
		return
	}
	r := &db.watch
	r.mu.Lock()
	for _, w := range r.keys[k] {
		w.Dirty.Store(true)
	}
	r.mu.Unlock()
}

// Watch registers w on key.
func (db *DB) Watch(key []byte, w *Watcher) {
	r := &db.watch
	r.mu.Lock()
	if r.keys == nil {
		r.keys = make(map[string][]*Watcher)
	}
	k := string(key)
	for _, x := range r.keys[k] {
		if x == w {
			r.mu.Unlock()
			return
		}
	}
	r.keys[k] = append(r.keys[k], w)
	r.n.Add(1)
	r.mu.Unlock()
}

// Unwatch removes w from key.
func (db *DB) Unwatch(key string, w *Watcher) {
	r := &db.watch
	r.mu.Lock()
	ws := r.keys[key]
	for i, x := range ws {
		if x == w {
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

// touchAll marks dirty every watcher of a key that exists (FLUSHDB/FLUSHALL,
// as Redis 7.0 touchAllWatchedKeysInDb). Needs LockAll.
func (r *watchRegistry) touchAll(db *DB) {
	if r.n.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ws := range r.keys {
		if db.existsNoExpire(k) {
			for _, w := range ws {
				w.Dirty.Store(true)
			}
		}
	}
}
