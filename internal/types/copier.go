package types

// Copier is implemented by every collection type: Copy returns a deep copy
// that shares no mutable state with the original, so COPY's destination can
// be modified without touching the source (Redis copyCommand duplicates each
// encoding: listpack, quicklist, intset, hashtable, skiplist, stream).
type Copier interface {
	Copy() Object
}
