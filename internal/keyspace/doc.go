// Package keyspace holds the databases: per-slot dictionaries grouped into
// lock stripes (DESIGN decision 1), lazy and active expiry, the per-slot key
// index, WATCH bookkeeping, each key's LRU/LFU access clock (clock.go) and
// the maxmemory eviction pool and policies (evict.go). It knows nothing of
// RESP or connections.
//
// Locking contract: every method of DB that takes a key must be called with
// that key's stripe locked (Keyspace.Lock*). Methods that span the whole
// database (Flush, ForEach, RandomKey) need LockAll. Lock order: stripes
// (LockSlots and LockAll take several without ever waiting for one while
// holding another; only the server's one exclusive script may), then a
// DB's watch mutex; nothing is locked while waiting.
//
// While a snapshot runs (internal/snapshot), every change to a key is
// announced first to the WriteObserver (observe.go), naming the key, with
// its slot's stripe held: the keyspace's write paths do it themselves, and
// the dispatcher does it for the keys write commands name, whose
// collections they change in place. A change to a whole slot (FlushSlot)
// is announced for the slot.
package keyspace
