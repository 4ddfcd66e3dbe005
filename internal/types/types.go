// Package types holds the value encodings stored in the keyspace. Strings are
// stored by the keyspace itself as Go strings (one allocation with the key);
// collections implement Object.
package types

import "github.com/shoal-db/shoal/internal/rnum"

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
	if len(s) <= 20 && rnum.IsInt(s) {
		return "int"
	}
	if len(s) <= 44 {
		return "embstr"
	}
	return "raw"
}
