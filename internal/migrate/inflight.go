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
	keys map[flightKey]*Flight
}

type flightKey struct {
	db  int
	key string
}

// Flight is one MIGRATE's batch of keys: one channel for the whole batch,
// closed when the batch ends (a MIGRATE moves up to thousands of keys, and
// a channel and a record per key were most of its bookkeeping).
type Flight struct {
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

// Add marks keys (in db) as in flight as one batch and returns it for
// Remove. A key may be named twice in a batch. The caller has waited for
// any earlier batch holding one of these keys (under the keys' stripes),
// so a key is in at most one batch; should it be in another, that batch
// keeps it.
func (f *InFlight) Add(db int, keys [][]byte) *Flight {
	fl := &Flight{done: make(chan struct{})}
	f.mu.Lock()
	if f.keys == nil {
		f.keys = make(map[flightKey]*Flight)
	}
	for _, k := range keys {
		fk := flightKey{db, string(k)}
		if f.keys[fk] == nil {
			f.keys[fk] = fl
			f.n.Add(1)
		}
	}
	f.mu.Unlock()
	return fl
}

// Remove ends the batch fl that Add began with the same keys, waking the
// commands waiting on them.
func (f *InFlight) Remove(fl *Flight, db int, keys [][]byte) {
	f.mu.Lock()
	for _, k := range keys {
		fk := flightKey{db, string(k)}
		if f.keys[fk] == fl {
			delete(f.keys, fk)
			f.n.Add(-1)
		}
	}
	f.mu.Unlock()
	close(fl.done)
}
