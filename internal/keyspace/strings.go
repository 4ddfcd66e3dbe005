package keyspace

// SetStringFunc stores a new string value of n bytes for key, replacing
// any value, in the same single key+value allocation SetString makes: fill
// writes the value bytes (zeroed on entry) and must not keep val nor touch
// the database. It lets a command build its result (APPEND, SETRANGE,
// SETBIT, INCR…) without an intermediate buffer. The TTL is cleared unless
// keepTTL.
func (db *DB) SetStringFunc(key []byte, n int, keepTTL bool, fill func(val []byte)) {
	fill(db.setString(key, n, keepTTL, -1))
}

// SetStringKeepTTL replaces key's value with val, keeping its TTL, as
// Redis's dbOverwrite does (INCR, APPEND, SETRANGE…).
func (db *DB) SetStringKeepTTL(key, val []byte) {
	copy(db.setString(key, len(val), true, -1), val)
}
