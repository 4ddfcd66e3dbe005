package types

// Limits are the encoding thresholds a value consults when it grows or is
// built, as redis.conf names them. A value of Limits is immutable once
// handed out: the server builds a new one on every CONFIG SET and publishes
// it atomically, and each command passes the one in force when it started
// to the methods below that may change an encoding. Nothing in this package
// keeps a copy, so there is no package-level state to race on.
type Limits struct {
	HashMaxListpackEntries int64 // hash-max-listpack-entries
	HashMaxListpackValue   int64 // hash-max-listpack-value, bytes
	SetMaxIntsetEntries    int64 // set-max-intset-entries
	ZSetMaxListpackEntries int64 // zset-max-listpack-entries
	ZSetMaxListpackValue   int64 // zset-max-listpack-value, bytes
	HLLSparseMaxBytes      int64 // hll-sparse-max-bytes
	StreamNodeMaxEntries   int64 // stream-node-max-entries
	StreamNodeMaxBytes     int64 // stream-node-max-bytes
	ListMaxListpackSize    int64 // list-max-listpack-size (quicklist fill; < 0: a size class)
	// ListPackedThreshold is the element size from which a list element
	// gets a plain node of its own (DEBUG QUICKLIST-PACKED-THRESHOLD);
	// 0 means Redis's default, 1 GB.
	ListPackedThreshold int64
}

// DefaultLimits returns Redis 7.0's defaults, for tests and for code that
// runs with no configuration (tools).
func DefaultLimits() *Limits {
	return &Limits{
		HashMaxListpackEntries: 512,
		HashMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		ZSetMaxListpackEntries: 128,
		ZSetMaxListpackValue:   64,
		HLLSparseMaxBytes:      3000,
		StreamNodeMaxEntries:   100,
		StreamNodeMaxBytes:     4096,
		ListMaxListpackSize:    -2,
	}
}

// zsetEntries is zset-max-listpack-entries capped at what the compact form
// can count.
func (l *Limits) zsetEntries() int {
	if l.ZSetMaxListpackEntries > lpMaxEntries {
		return lpMaxEntries
	}
	return int(l.ZSetMaxListpackEntries)
}
