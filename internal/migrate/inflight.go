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
	// landed counts the batches ended (Remove): a command routed before a
	// batch landed and locked after it may have been routed on a key that
	// is gone by then (Landed).
	landed atomic.Uint64
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

// Landed is the number of batches ended so far. A command reads it before
// it is routed and again under its stripe locks: if it changed, a MIGRATE
// may have moved one of its keys away in between (routed as local, the key
// now deleted), so the command must be routed again (in a MIGRATING slot,
// a missing key is -ASK), or a write would recreate the key here beside
// the copy on the target.
func (f *InFlight) Landed() uint64 { return f.landed.Load() }

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
	f.landed.Add(1)
	f.mu.Unlock()
	close(fl.done)
}
