// Package types holds the value encodings stored in the keyspace. Strings are
// stored by the keyspace itself as Go strings (one allocation with the key);
// collections implement Object.
package types

// Kind is a value's Redis type, as TYPE names it.
type Kind uint8

// The Redis types.
const (
	KindNone Kind = iota
	KindString
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

var kindNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}

// String is the name TYPE replies with.
func (k Kind) String() string { return kindNames[k] }

// Object is a collection value (list, set, zset, hash, stream).
type Object interface {
	// Kind is the Redis type.
	Kind() Kind
	// Encoding is the name OBJECT ENCODING replies with (listpack, quicklist, …).
	Encoding() string
	// Len is the number of elements; the keyspace deletes a key whose collection becomes empty.
	Len() int
}

// StringEncoding is what OBJECT ENCODING says of a string value, as Redis
// decides it: "int" for integers that fit a long (≤ 20 chars), "embstr" up to
// 44 bytes, "raw" beyond.
func StringEncoding(s string) string {
	if len(s) <= 20 && isLongString(s) {
		return "int"
	}
	if len(s) <= 44 {
		return "embstr"
	}
	return "raw"
}

// isLongString reports whether s is the canonical decimal form of an int64
// (string2l semantics: no leading zeros or '+', no spaces).
func isLongString(s string) bool {
	if len(s) == 0 {
		return false
	}
	i := 0
	if s[0] == '-' {
		i = 1
		if len(s) == 1 {
			return false
		}
	}
	if s[i] == '0' && len(s) > i+1 {
		return false
	}
	if s == "-0" {
		return false
	}
	var n uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return false
		}
		n = n*10 + d
	}
	if s[0] == '-' {
		return n <= 1<<63
	}
	return n <= 1<<63-1
}
