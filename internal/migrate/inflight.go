package migrate

import (
	"sync"
	"sync/atomic"
)

// InFlight is the set of keys a MIGRATE is moving: serialized, sent, not
// yet deleted. Keys are added and removed under their stripe locks, and
// every command checks its keys under the same locks, so a command either
// runs wholly before a MIGRATE reads a key or waits until that MIGRATE has
// deleted (or kept) it — MIGRATE stays atomic for its keys while its I/O
// runs with no lock held. Active costs one atomic load, for the hot path.
type InFlight struct {
	n    atomic.Int64
	mu   sync.Mutex
	keys map[flightKey]*flight
}

type flightKey struct {
	db  int
	key string
}

type flight struct {
	refs int
	done chan struct{}
}

// Active reports whether any key is in flight.
func (f *InFlight) Active() bool { return f.n.Load() != 0 }

// Wait returns a channel closed when key (in db) is no longer in flight,
// or nil if it is not in flight now.
func (f *InFlight) Wait(db int, key []byte) <-chan struct{} {
	if !f.Active() {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl := f.keys[flightKey{db, string(key)}]; fl != nil {
		return fl.done
	}
	return nil
}

// Add marks keys (in db) as in flight; a key named twice is counted twice.
func (f *InFlight) Add(db int, keys [][]byte) {
	f.mu.Lock()
	if f.keys == nil {
		f.keys = make(map[flightKey]*flight)
	}
	for _, k := range keys {
		fk := flightKey{db, string(k)}
		fl := f.keys[fk]
		if fl == nil {
			fl = &flight{done: make(chan struct{})}
			f.keys[fk] = fl
			f.n.Add(1)
		}
		fl.refs++
	}
	f.mu.Unlock()
}

// Remove ends what Add began, waking the commands waiting on the keys.
func (f *InFlight) Remove(db int, keys [][]byte) {
	f.mu.Lock()
	for _, k := range keys {
		fk := flightKey{db, string(k)}
		fl := f.keys[fk]
		if fl == nil {
			continue
		}
		if fl.refs--; fl.refs == 0 {
			delete(f.keys, fk)
			f.n.Add(-1)
			close(fl.done)
		}
	}
	f.mu.Unlock()
}
