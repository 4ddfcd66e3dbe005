package keyspace

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/types"
)

// recordingOwner is an Owner that keeps the old values it was given (a
// string cloned: its record may be reused after Own).
type recordingOwner struct{ olds []Value }

func (o *recordingOwner) Own(v, old Value) Value {
	old.Str = strings.Clone(old.Str)
	o.olds = append(o.olds, old)
	return v
}

// keepOwner is an Owner that stores values as they are.
type keepOwner struct{}

func (keepOwner) Own(v, _ Value) Value { return v }

// Replace is dbDelete then dbAdd: the key is created anew (the "new" event,
// a new clock), a key past its TTL is deleted without an expiry, a string
// takes over the deleted string's record when it fits, and the counters and
// the memory estimate come out as if the final values had been Put.
func TestReplace(t *testing.T) {
	now := int64(1000)
	ks := New(1)
	ks.NowMs = func() int64 { return now }
	var added, expired []string
	ks.OnNew = func(_ int, k string) { added = append(added, k) }
	ks.NotifyNew.Store(true)
	ks.OnExpire = func(_ int, k string) { expired = append(expired, k) }
	db := ks.DB(0)
	o := &recordingOwner{}
	key := []byte("restored-key")
	ptr := func() any { _, e := db.findEntry(key); return e.p }
	str := func() string { v, _ := db.Peek(key); return v.Str }

	v1 := strings.Repeat("a", 800)
	if db.Replace(key, Value{Str: v1}, -1, o) {
		t.Fatal("Replace of an absent key reported a deletion")
	}
	if str() != v1 || len(o.olds) != 1 || o.olds[0] != (Value{}) {
		t.Fatalf("stored %q, owner saw %v", str(), o.olds)
	}
	p1 := ptr()
	held, _ := db.Peek(key)
	if held.Str != v1 {
		t.Fatal("value")
	}

	// Same size class, with a TTL now: the record is reused.
	v2 := strings.Repeat("b", 790)
	if !db.Replace(key, Value{Str: v2}, 5000, o) {
		t.Fatal("Replace of a live key reported no deletion")
	}
	if ptr() != p1 || str() != v2 || db.Expire(key) != 5000 || db.Volatile() != 1 {
		t.Fatalf("reuse: same record %v, value ok %v, expire %d, volatile %d", ptr() == p1, str() == v2, db.Expire(key), db.Volatile())
	}
	if o.olds[1].Str != v1 {
		t.Fatalf("owner saw %d bytes", len(o.olds[1].Str))
	}

	// Larger: a new record; the TTL is dropped.
	v3 := strings.Repeat("c", 2000)
	db.Replace(key, Value{Str: v3}, -1, o)
	if ptr() == p1 || str() != v3 || db.Expire(key) != -1 || db.Volatile() != 0 {
		t.Fatalf("grow: value ok %v, expire %d, volatile %d", str() == v3, db.Expire(key), db.Volatile())
	}

	// A collection replaces the string, and a string the collection.
	set := types.NewSetInts([]int64{1, 2, 3})
	db.Replace(key, Value{Obj: set}, -1, o)
	if v, _ := db.Peek(key); v.Obj != set {
		t.Fatalf("collection not stored: %v", v)
	}
	db.Replace(key, Value{Str: "short"}, -1, o)
	if str() != "short" || o.olds[len(o.olds)-1].Obj != set {
		t.Fatalf("string over collection: %q, owner saw %v", str(), o.olds[len(o.olds)-1])
	}

	// A key past its TTL is deleted as stored: no expiry, no expired count.
	db.Replace(key, Value{Str: "ttl"}, 1500, o)
	now = 2000
	if !db.Replace(key, Value{Str: "after"}, -1, o) {
		t.Fatal("Replace of an expired key reported no deletion")
	}
	if len(expired) != 0 || ks.Stats.ExpiredKeys.Load() != 0 {
		t.Fatalf("expired %v (%d)", expired, ks.Stats.ExpiredKeys.Load())
	}
	if str() != "after" || db.Len() != 1 || db.Volatile() != 0 {
		t.Fatalf("value %q, keys %d, volatile %d", str(), db.Len(), db.Volatile())
	}
	if len(added) != 7 {
		t.Fatalf("new events %d, want one per Replace (7)", len(added))
	}

	// The memory estimate is that of the final value put into a fresh
	// keyspace the same way, after reuse and growth alike.
	for _, final := range []Value{{Str: strings.Repeat("d", 2000)}, {Str: strings.Repeat("e", 1990)},
		{Obj: types.NewSetInts([]int64{7})}, {Obj: types.NewSetInts([]int64{8, 9})}} {
		db.Replace(key, final, 9000, o)
		ref := New(1)
		ref.DB(0).Put(key, final, 9000)
		if ks.NetBytes() != ref.NetBytes() {
			t.Fatalf("after %d-byte value: NetBytes %d, a fresh Put gives %d", len(final.Str), ks.NetBytes(), ref.NetBytes())
		}
	}
}

// A collection replacing a collection takes over its box: the TTL is set
// or cleared in it.
func TestReplaceCollectionBox(t *testing.T) {
	ks := New(1)
	ks.NowMs = func() int64 { return 1000 }
	db := ks.DB(0)
	key := []byte("z")
	a, b, c := types.NewSetInts([]int64{1}), types.NewSetInts([]int64{2}), types.NewSetInts([]int64{3})
	db.Replace(key, Value{Obj: a}, 7000, keepOwner{})
	db.Replace(key, Value{Obj: b}, -1, keepOwner{})
	if v, _ := db.Peek(key); v.Obj != b || db.Expire(key) != -1 || db.Volatile() != 0 {
		t.Fatalf("value %v, expire %d, volatile %d", v.Obj, db.Expire(key), db.Volatile())
	}
	if n := testing.AllocsPerRun(100, func() { db.Replace(key, Value{Obj: c}, -1, keepOwner{}) }); n != 0 {
		t.Fatalf("Replace of a collection allocates %v times", n)
	}
	db.Replace(key, Value{Obj: a}, 8000, keepOwner{})
	if v, _ := db.Peek(key); v.Obj != a || db.Expire(key) != 8000 || db.Volatile() != 1 {
		t.Fatalf("value %v, expire %d, volatile %d", v.Obj, db.Expire(key), db.Volatile())
	}
}

// Replacing a string with one of the same size class allocates nothing.
func TestReplaceReusesRecord(t *testing.T) {
	db := New(1).DB(0)
	key := []byte("k")
	val := Value{Str: strings.Repeat("x", 1000)}
	db.Replace(key, val, -1, keepOwner{})
	if n := testing.AllocsPerRun(1000, func() { db.Replace(key, val, -1, keepOwner{}) }); n != 0 {
		t.Fatalf("Replace allocates %v times", n)
	}
}

// BenchmarkReplace is RESTORE REPLACE's keyspace work over existing keys:
// Replace, against the Peek, Delete and Put it replaced, for a small
// collection and a 1 KB string.
func BenchmarkReplace(b *testing.B) {
	const n = 1 << 14
	keys := benchKeys(n)
	for _, c := range []struct {
		name string
		v    func() Value
	}{
		{"set", func() Value { return Value{Obj: types.NewSetInts([]int64{1, 2, 3})} }},
		{"string1k", func() Value { return Value{Str: strings.Repeat("x", 1000)} }},
	} {
		db := New(1).DB(0)
		vals := make([]Value, n)
		for i, k := range keys {
			vals[i] = c.v()
			db.Put(k, vals[i], -1)
		}
		b.Run(c.name+"/replace", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				db.Replace(keys[i&(n-1)], vals[i&(n-1)], -1, keepOwner{})
				i += 7919
			}
		})
		b.Run(c.name+"/peek-delete-put", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := keys[i&(n-1)]
				old, _ := db.Peek(k)
				db.Delete(k)
				db.Put(k, keepOwner{}.Own(vals[i&(n-1)], old), -1)
				i += 7919
			}
		})
	}
}
