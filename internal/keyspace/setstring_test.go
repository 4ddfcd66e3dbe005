package keyspace

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

// SetString over a string takes over its record when the new value fits in
// the same size class, and otherwise builds a new one; either way the
// value, the TTL (cleared, kept with keepTTL, set by SetStringExpire), the
// volatile count, the key count and the memory estimate are those of the
// final value stored into a fresh keyspace.
func TestSetStringReusesRecord(t *testing.T) {
	ks := New(1)
	ks.NowMs = func() int64 { return 1000 }
	db := ks.DB(0)
	key := []byte("string-key")
	ptr := func() any { _, e := db.findEntry(key); return e.p }
	str := func() string { v, _ := db.Peek(key); return v.Str }
	check := func(step, want string, exp int64) {
		t.Helper()
		if str() != want || db.Expire(key) != exp || db.Len() != 1 || db.Volatile() != int64(b2i(exp >= 0)) {
			t.Fatalf("%s: %d bytes (want %d), expire %d (want %d), keys %d, volatile %d", step, len(str()), len(want), db.Expire(key), exp, db.Len(), db.Volatile())
		}
		ref := New(1)
		ref.NowMs = ks.NowMs
		ref.DB(0).Put(key, Value{Str: want}, exp)
		if ks.NetBytes() != ref.NetBytes() {
			t.Fatalf("%s: NetBytes %d, a fresh Put gives %d", step, ks.NetBytes(), ref.NetBytes())
		}
	}

	v1 := strings.Repeat("a", 800)
	db.SetString(key, []byte(v1), false)
	p1 := ptr()
	check("new", v1, -1)

	// Same size class, with a TTL now: the record is reused.
	v2 := strings.Repeat("b", 790)
	db.SetStringExpire(key, []byte(v2), 5000)
	if ptr() != p1 {
		t.Fatal("SET EX of a value of the same size class built a new record")
	}
	check("reuse with a TTL", v2, 5000)

	// KEEPTTL keeps it; a plain SET clears it; both in the same record.
	v3 := strings.Repeat("c", 790)
	db.SetString(key, []byte(v3), true)
	if ptr() != p1 {
		t.Fatal("SET KEEPTTL of a value of the same size class built a new record")
	}
	check("reuse keeping the TTL", v3, 5000)
	db.SetString(key, []byte(v2), false)
	if ptr() != p1 {
		t.Fatal("SET of a value of the same size class built a new record")
	}
	check("reuse clearing the TTL", v2, -1)

	// The value given may be a view of the old one.
	old, _ := db.Peek(key)
	db.SetString(key, []byte(old.Str[10:]), false)
	check("own suffix", v2[10:], -1)

	// Larger, or much smaller: a new record.
	v4 := strings.Repeat("d", 2000)
	db.SetString(key, []byte(v4), false)
	if ptr() == p1 {
		t.Fatal("a larger value reused the record")
	}
	check("grow", v4, -1)
	p4 := ptr()
	db.SetString(key, []byte("tiny"), false)
	if ptr() == p4 {
		t.Fatal("a value of a smaller size class reused the record")
	}
	check("shrink", "tiny", -1)

	// SetStringFunc (APPEND, SETRANGE… build from the old value) never
	// reuses.
	pt := ptr()
	db.SetStringFunc(key, 4, false, func(val []byte) {
		for i, c := range val {
			if c != 0 {
				t.Fatalf("SetStringFunc's bytes not zeroed at %d", i)
			}
		}
		copy(val, "abcd")
	})
	if ptr() == pt {
		t.Fatal("SetStringFunc reused the record")
	}
	check("func", "abcd", -1)
}

// An empty value over an empty value reuses a record that holds the key
// alone: nothing points past it (the race build's checkptr would abort).
func TestSetStringEmptyOverEmpty(t *testing.T) {
	db := New(1).DB(0)
	key := []byte("k")
	for i := 0; i < 3; i++ {
		db.SetString(key, nil, false)
		if v, ok := db.Peek(key); !ok || v.Str != "" {
			t.Fatalf("round %d: %q, %v", i, v.Str, ok)
		}
	}
}

// A string grown a little takes over its record while the record fits the
// allocator's size class it was made in (a sparse HyperLogLog grown by
// PFADD); past it, or from a record small enough to share a block with
// others (Go's tiny allocator), a new record is made. The keys beside keep
// their values (a record grown past its allocation would write over them;
// the race build's checkptr checks the bytes handed out too).
func TestSetStringGrowsInItsClass(t *testing.T) {
	if !growInPlace {
		t.Skip("a sanitizer build: records never grow in place")
	}
	ks := New(1)
	ks.NowMs = func() int64 { return 1000 }
	db := ks.DB(0)
	key := []byte("string-key") // 10 bytes: a 30-byte value makes a 40-byte record
	ptr := func(k []byte) any { _, e := db.findEntry(k); return e.p }
	others := make([][]byte, 64)
	for i := range others {
		others[i] = []byte(strings.Repeat(string(rune('a'+i%26)), 5+i%40))
	}
	set := func(v string, keepTTL bool) {
		t.Helper()
		db.SetString(key, []byte(v), keepTTL)
		// Neighbours made after it, likely from the same span.
		for i, o := range others {
			db.SetString([]byte(strings.Repeat("o", 10)+string(rune('A'+i))), o, false)
		}
		for i, o := range others {
			if got, _ := db.Peek([]byte(strings.Repeat("o", 10) + string(rune('A'+i)))); got.Str != string(o) {
				t.Fatalf("neighbour %d changed to %q", i, got.Str)
			}
		}
		if got, _ := db.Peek(key); got.Str != v {
			t.Fatalf("value %q, want %q", got.Str, v)
		}
		ref := New(1)
		ref.NowMs = ks.NowMs
		rdb := ref.DB(0)
		rdb.Put(key, Value{Str: v}, db.Expire(key))
		for i, o := range others {
			rdb.Put([]byte(strings.Repeat("o", 10)+string(rune('A'+i))), Value{Str: string(o)}, -1)
		}
		if ks.NetBytes() != ref.NetBytes() {
			t.Fatalf("NetBytes %d, a fresh Put gives %d", ks.NetBytes(), ref.NetBytes())
		}
	}
	set(strings.Repeat("a", 30), false)
	p := ptr(key)
	room := recordRoom(40)
	if room < 40 || roundAlloc(room) != roundAlloc(40) {
		t.Fatalf("recordRoom(40) = %d", room)
	}
	for n := 31; 10+n <= room; n++ {
		set(strings.Repeat("b", n), false)
		if ptr(key) != p {
			t.Fatalf("a %d-byte value within the class built a new record", n)
		}
	}
	set(strings.Repeat("c", room-10+1), false)
	if ptr(key) == p {
		t.Fatal("a value past the allocation's class reused the record")
	}
	// With a TTL kept: the trailer moves with the value's end.
	db.SetStringExpire(key, []byte(strings.Repeat("d", 40)), 5000)
	p = ptr(key)
	if room := recordRoom(58); room > 58 {
		set(strings.Repeat("e", room-18), true)
		if ptr(key) != p || db.Expire(key) != 5000 {
			t.Fatalf("grown with its TTL: same record %v, expire %d", ptr(key) == p, db.Expire(key))
		}
	}
	// A tiny record never grows in place.
	tiny := []byte("t")
	db.SetString(tiny, []byte("1234"), false)
	pt := ptr(tiny)
	db.SetString(tiny, []byte("123456"), false)
	if ptr(tiny) == pt {
		t.Fatal("a record under 16 bytes grew in place")
	}
}

// recordRoom never passes the size class an allocation of that many bytes
// gets, and is the same for sizes of one class.
func TestRecordRoom(t *testing.T) {
	if !growInPlace {
		t.Skip("a sanitizer build: records never grow in place")
	}
	for n := 16; n <= classMax; n++ {
		r := recordRoom(n)
		if r < n || r != recordRoom(r) || cap(append([]byte(nil), make([]byte, n)...)) != r {
			t.Fatalf("recordRoom(%d) = %d", n, r)
		}
	}
	if recordRoom(15) != 15 || recordRoom(classMax+1) != classMax+1 {
		t.Fatal("recordRoom outside 16…classMax")
	}
}

// TestSlotHint: a slot the caller computed (LookupIn, SetStringIn) finds and
// stores the key where the keyspace's own computation does; -1 computes it;
// and in race-detector builds (the tests) a wrong hint panics instead of
// filing the key under another slot.
func TestSlotHint(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	key := []byte("user:{1000}:name")
	s := slot.Of(key)
	db.SetStringIn(s, key, []byte("a"), false)
	if v, ok := db.Lookup(key); !ok || v.Str != "a" {
		t.Fatalf("Lookup after SetStringIn: %q %v", v.Str, ok)
	}
	db.SetStringIn(-1, key, []byte("b"), false)
	for _, h := range []int{s, -1} {
		if v, ok := db.LookupIn(h, key); !ok || v.Str != "b" {
			t.Fatalf("LookupIn(%d): %q %v", h, v.Str, ok)
		}
	}
	if db.Len() != 1 || db.CountInSlot(s) != 1 {
		t.Fatalf("keys %d, in slot %d: %d", db.Len(), s, db.CountInSlot(s))
	}
	if !checkSlotHints {
		return
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a wrong slot hint did not panic")
		}
	}()
	db.LookupIn((s+1)%slot.Count, key)
}
