package keyspace

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

// checkTable verifies a table's invariants: counts, load limit, every live
// key findable at its position, and every position on a live key's probe
// path before it free of empty bytes.
func checkTable(t *testing.T, tb *slotTable, model map[string]string) {
	t.Helper()
	if int(tb.n) != len(model) {
		t.Fatalf("n=%d want %d", tb.n, len(model))
	}
	live, dead := 0, 0
	if c := tb.capacity(); tb.ctrlLen() != max(c, groupSize) && c > 0 || tb.ctrlLen()%groupSize != 0 {
		t.Fatalf("capacity %d with %d control bytes", c, tb.ctrlLen())
	}
	for i := range tb.ctrlLen() {
		c := tb.ctrlAt(i)
		if (c == ctrlPad) != (i >= tb.capacity()) {
			t.Fatalf("position %d of %d: control byte %#x", i, tb.capacity(), c)
		}
		if c&0x80 != 0 && i < tb.capacity() && *tb.at(i) != (entry{}) {
			// A reused chunk must not keep a record alive.
			t.Fatalf("position %d (control byte %#x) holds an entry", i, c)
		}
		switch {
		case c == ctrlPad:
		case c == ctrlDeleted:
			dead++
		case c&0x80 == 0:
			live++
			e := tb.at(i)
			k := e.key()
			if v, ok := model[k]; !ok || e.value().Str != v {
				t.Fatalf("position %d holds %q=%q, model %q,%v", i, k, e.value().Str, v, ok)
			}
			if tagOf(hashKey(k)) != c {
				t.Fatalf("position %d: tag %#x, key's %#x", i, c, tagOf(hashKey(k)))
			}
			if j := tb.find(hashKey(k), k); j != i {
				t.Fatalf("find(%q)=%d, stored at %d", k, j, i)
			}
		case c != ctrlEmpty:
			t.Fatalf("bad control byte %#x", c)
		}
	}
	if live != int(tb.n) || dead != int(tb.dead) {
		t.Fatalf("live %d dead %d, counted n=%d dead=%d", live, dead, tb.n, tb.dead)
	}
	if c := tb.capacity(); c > groupSize && (c%chunkSize != 0 || len(tb.chunks()) != c/chunkSize) {
		t.Fatalf("capacity %d in %d chunks", c, len(tb.chunks()))
	}
	if c := tb.capacity(); c > 0 && int(tb.n+tb.dead) > maxLoad(c) {
		t.Fatalf("load %d+%d over %d of %d", tb.n, tb.dead, maxLoad(c), c)
	}
}

// TestTableAgainstMap drives one slot table and a map[string]string with
// random inserts, overwrites, deletes and lookups, in phases that grow the
// table to thousands of keys and shrink it back, and checks they agree.
func TestTableAgainstMap(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			tb := &slotTable{}
			model := map[string]string{}
			keyspace := 10 + rng.IntN(5000)
			for step := 0; step < 60000; step++ {
				if step%10000 == 0 {
					keyspace = 1 + rng.IntN(8000)
				}
				pInsert := 55
				if (step/5000)%2 == 1 {
					pInsert = 20 // a shrinking phase
				}
				k := fmt.Sprint("k", rng.IntN(keyspace))
				if rng.IntN(7) == 0 {
					k = strings.Repeat("x", rng.IntN(40)) + k // varied lengths, incl. long
				}
				h := hashKey(k)
				switch r := rng.IntN(100); {
				case r < pInsert:
					v := fmt.Sprint("v", step)
					if rng.IntN(10) == 0 {
						v = ""
					}
					i, found := tb.slotFor(h, k)
					_, inModel := model[k]
					if found != inModel {
						t.Fatalf("step %d: slotFor(%q) found=%v, model %v", step, k, found, inModel)
					}
					e, val := newString(k, len(v), false, 0)
					copy(val, v)
					if found {
						*tb.at(i) = e
					} else {
						tb.insertAt(i, h, e)
					}
					model[k] = v
				case r < 85:
					i := tb.find(h, k)
					_, inModel := model[k]
					if (i >= 0) != inModel {
						t.Fatalf("step %d: delete find(%q)=%d, model %v", step, k, i, inModel)
					}
					if i >= 0 {
						tb.eraseAt(i)
						tb.shrinkIfSparse()
						delete(model, k)
					}
				default:
					i := tb.find(h, k)
					v, inModel := model[k]
					if (i >= 0) != inModel || (i >= 0 && tb.at(i).value().Str != v) {
						t.Fatalf("step %d: find(%q)=%d, model %q,%v", step, k, i, v, inModel)
					}
				}
				if step%997 == 0 {
					checkTable(t, tb, model)
				}
			}
			checkTable(t, tb, model)
			for k := range model {
				i := tb.find(hashKey(k), k)
				tb.eraseAt(i)
				tb.shrinkIfSparse()
				delete(model, k)
			}
			checkTable(t, tb, model)
			if tb.capacity() > groupSize {
				t.Fatalf("empty table keeps capacity %d", tb.capacity())
			}
		})
	}
}

// TestTableTombstonesBounded: churn (insert one, delete one) on a table of
// constant size must not grow it without bound.
func TestTableTombstonesBounded(t *testing.T) {
	tb := &slotTable{}
	for i := 0; i < 100; i++ {
		k := fmt.Sprint("base", i)
		j, _ := tb.slotFor(hashKey(k), k)
		e, _ := newString(k, 0, false, 0)
		tb.insertAt(j, hashKey(k), e)
	}
	c0 := tb.ctrlLen()
	for i := 0; i < 100000; i++ {
		k := fmt.Sprint("churn", i)
		h := hashKey(k)
		j, _ := tb.slotFor(h, k)
		e, _ := newString(k, 0, false, 0)
		tb.insertAt(j, h, e)
		tb.eraseAt(tb.find(h, k))
	}
	if tb.ctrlLen() > 2*c0 {
		t.Fatalf("churn grew the table from %d to %d", c0, tb.ctrlLen())
	}
}

// TestAgainstMapBoxed reruns the keyspace twin test with every key and
// value boxed, as strings over 2 GiB are.
func TestAgainstMapBoxed(t *testing.T) {
	defer func(n int) { inlineMax = n }(inlineMax)
	inlineMax = 2
	TestAgainstMap(t)
}

type fakeObj struct{ n int }

func (o *fakeObj) Kind() types.Kind { return types.KindHash }
func (o *fakeObj) Encoding() string { return "hashtable" }
func (o *fakeObj) Len() int         { return o.n }
func objOf(v Value) *fakeObj        { o, _ := v.Obj.(*fakeObj); return o }
func mustLookup(t *testing.T, db *DB, k string) Value {
	t.Helper()
	v, ok := db.Lookup([]byte(k))
	if !ok {
		t.Fatalf("%s missing", k)
	}
	return v
}

// TestObjectsAndTTL covers each box (short, medium, long keys; with and
// without a TTL), strings turning into collections and back, KEEPTTL, PERSIST
// and Put, against the expected TTLs and counters.
func TestObjectsAndTTL(t *testing.T) {
	ks, clk := newTestKeyspace()
	ks.LockAll()
	defer ks.UnlockAll()
	db := ks.DB(0)
	for _, k := range []string{"h", strings.Repeat("m", 16), strings.Repeat("l", 17), strings.Repeat("L", 32), strings.Repeat("X", 33), ""} {
		o1, o2 := &fakeObj{1}, &fakeObj{2}
		db.SetObject([]byte(k), o1, false)
		if objOf(mustLookup(t, db, k)) != o1 || db.Expire([]byte(k)) != -1 {
			t.Fatalf("%q: object not stored", k)
		}
		db.SetExpire([]byte(k), clk.now+100)
		db.SetObject([]byte(k), o2, true)
		if objOf(mustLookup(t, db, k)) != o2 || db.Expire([]byte(k)) != clk.now+100 {
			t.Fatalf("%q: KEEPTTL object: %v", k, db.Expire([]byte(k)))
		}
		db.SetObject([]byte(k), o1, false)
		if db.Expire([]byte(k)) != -1 || db.Volatile() != 0 {
			t.Fatalf("%q: TTL survived a plain SetObject", k)
		}
		db.SetExpire([]byte(k), clk.now+50)
		if !db.Persist([]byte(k)) || db.Expire([]byte(k)) != -1 || db.Volatile() != 0 {
			t.Fatalf("%q: Persist", k)
		}
		db.SetExpire([]byte(k), clk.now+10)
		db.SetString([]byte(k), []byte("str"), true)
		if v := mustLookup(t, db, k); v.Obj != nil || v.Str != "str" || db.Expire([]byte(k)) != clk.now+10 {
			t.Fatalf("%q: string over object with KEEPTTL", k)
		}
		db.SetObject([]byte(k), o2, true)
		if objOf(mustLookup(t, db, k)) != o2 || db.Expire([]byte(k)) != clk.now+10 {
			t.Fatalf("%q: object over string with KEEPTTL", k)
		}
		db.Put([]byte(k+"copy"), mustLookup(t, db, k), clk.now+20)
		if objOf(mustLookup(t, db, k+"copy")) != o2 || db.Expire([]byte(k+"copy")) != clk.now+20 {
			t.Fatalf("%q: Put", k)
		}
		seen := 0
		db.ForEachInSlot(slot.OfString(k), func(key string, v Value) bool {
			if key == k {
				seen++
			}
			return true
		})
		if seen != 1 {
			t.Fatalf("%q: ForEachInSlot saw it %d times", k, seen)
		}
		clk.now += 20
		if _, ok := db.Lookup([]byte(k)); ok {
			t.Fatalf("%q: expired object still there", k)
		}
		if _, ok := db.Lookup([]byte(k + "copy")); ok {
			t.Fatalf("%q: expired copy still there", k)
		}
		if db.Len() != 0 || db.Volatile() != 0 {
			t.Fatalf("%q: Len=%d Volatile=%d", k, db.Len(), db.Volatile())
		}
	}
}

// TestValuesOutliveWrites: strings handed out by Lookup, ForEachInSlot and
// KeysInSlot keep their bytes after the key is overwritten by a value its
// record cannot hold, re-expired, deleted, and the table rehashed. (A value
// that fits the record is written into it, as SET and PFADD do: readers
// copy what they keep before the slot lock is released.)
func TestValuesOutliveWrites(t *testing.T) {
	ks, clk := newTestKeyspace()
	db := ks.DB(0)
	db.SetString([]byte("{s}k"), []byte("first"), false)
	db.SetExpire([]byte("{s}k"), clk.now+1000)
	v := mustLookup(t, db, "{s}k").Str
	keys := db.KeysInSlot(slot.OfString("s"), 10, nil)
	db.SetExpire([]byte("{s}k"), clk.now+2000) // rewrites the trailer in place
	db.SetStringKeepTTL([]byte("{s}k"), []byte("second, past the first's record"))
	db.Persist([]byte("{s}k"))
	db.SetExpire([]byte("{s}k"), clk.now+3000) // a new record
	for i := 0; i < 1000; i++ {
		db.SetString([]byte(fmt.Sprint("{s}", i)), []byte("x"), false)
	}
	db.Delete([]byte("{s}k"))
	if v != "first" || len(keys) != 1 || keys[0] != "{s}k" {
		t.Fatalf("handed-out strings changed: %q %q", v, keys)
	}
}

// TestRandomKeyInOneSlot: with every key in one slot, RANDOMKEY must still
// return many different keys (a Go map's iteration order used to do that).
func TestRandomKeyInOneSlot(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	for i := 0; i < 100; i++ {
		db.SetString([]byte(fmt.Sprint("{one}", i)), []byte("v"), false)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		k, ok := db.RandomKey(rng.IntN)
		if !ok {
			t.Fatal("no key")
		}
		seen[k] = true
	}
	if len(seen) < 50 {
		t.Fatalf("1000 RandomKey calls saw only %d of 100 keys", len(seen))
	}
}

func TestWriteAllocs(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	key, val := []byte("key:000000012345"), []byte("0123456789abcdef")
	// Keys live on the heap, as the server's arguments (slices of the read
	// buffer) do: the expiry hook lets a key escape, so a literal made in the
	// closure would count as an allocation of the test's own.
	nope, objKey := []byte("nope"), []byte("obj")
	db.SetString(key, val, false)
	db.SetExpire([]byte("key:000000012345"), 1<<60)
	for name, f := range map[string]func(){
		"Lookup volatile":       func() { db.Lookup(key) },
		"Expire":                func() { db.Expire(key) },
		"SetExpire on volatile": func() { db.SetExpire(key, 1<<60) },
		"Delete missing":        func() { db.Delete(nope) },
		"SetObject over object": nil,
		"RandomKey":             func() { db.RandomKey(func(n int) int { return n / 2 }) },
	} {
		if name == "SetObject over object" {
			db.SetObject(objKey, &fakeObj{}, false)
			o := &fakeObj{}
			f = func() { db.SetObject(objKey, o, false) }
		}
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times", name, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { db.SetStringKeepTTL(key, val) }); n != 0 {
		t.Errorf("SetStringKeepTTL over a string of the same size allocates %v times, want 0 (its record reused)", n)
	}
	if n := testing.AllocsPerRun(100, func() { db.SetStringExpire(key, val, 1<<60) }); n != 0 {
		t.Errorf("SetStringExpire over a string of the same size allocates %v times, want 0 (its record reused)", n)
	}
	if db.Expire(key) != 1<<60 || db.Volatile() != 1 {
		t.Errorf("SetStringExpire: Expire=%d Volatile=%d", db.Expire(key), db.Volatile())
	}
}

// insertNew puts absent key k with string value v in tb and in model.
func insertNew(t *testing.T, tb *slotTable, model map[string]string, k, v string) {
	t.Helper()
	h := hashKey(k)
	j, found := tb.slotFor(h, k)
	if found {
		t.Fatalf("%s found before insert", k)
	}
	e, val := newString(k, len(v), false, 0)
	copy(val, v)
	tb.insertAt(j, h, e)
	model[k] = v
}

// TestSmallTables: a slot's table starts at one position and doubles to a
// group (1, 2, 4, 8) before growing as a large one; a full small table ends
// every probe (its pads), finds each key and no other, and gives positions
// back on delete; a sparse large table shrinks back to a small one.
func TestSmallTables(t *testing.T) {
	tb := &slotTable{}
	model := map[string]string{}
	var caps []int
	for i := 0; i < 40; i++ {
		k := fmt.Sprint("small", i)
		insertNew(t, tb, model, k, "val")
		if c := tb.capacity(); len(caps) == 0 || caps[len(caps)-1] != c {
			caps = append(caps, c)
		}
		checkTable(t, tb, model)
		for m := 0; m < 20; m++ {
			if k := fmt.Sprint("absent", m); tb.find(hashKey(k), k) >= 0 {
				t.Fatalf("%s found in a table of %d", k, tb.capacity())
			}
		}
	}
	if want := "[1 2 4 8 16 32 48]"; fmt.Sprint(caps) != want { // whole chunks above 16
		t.Fatalf("capacities %v, want %s", caps, want)
	}
	for i := 39; i >= 2; i-- {
		k := fmt.Sprint("small", i)
		tb.eraseAt(tb.find(hashKey(k), k))
		tb.shrinkIfSparse()
		delete(model, k)
		checkTable(t, tb, model)
	}
	if tb.capacity() != 4 || tb.arrayBytes() != 16+4*16 {
		t.Fatalf("2 keys left: capacity %d, %d bytes of arrays", tb.capacity(), tb.arrayBytes())
	}
	// A full one-position table: the pads end the probe of a missing key,
	// and the next key grows it.
	one := &slotTable{}
	one.resize(capacityFor(1))
	k := "only"
	j, _ := one.slotFor(hashKey(k), k)
	e, _ := newString(k, 0, false, 0)
	one.insertAt(j, hashKey(k), e)
	if one.capacity() != 1 || one.arrayBytes() != 32 || one.find(hashKey("other"), "other") != -1 {
		t.Fatalf("one key: capacity %d, %d bytes", one.capacity(), one.arrayBytes())
	}
	checkTable(t, one, map[string]string{"only": ""})
	// Most slots of a small dataset hold one key: its table's header is
	// most of what the key costs beyond its record.
	if headerBytes != 48 {
		t.Fatalf("slotTable header takes %d bytes, want 48", headerBytes)
	}
}

// BenchmarkResize rehashes the slot tables of a million-key database one
// after another (each table cold in the cache, as growth under a load of
// new keys finds it): one op is one table of ~64 keys rebuilt at its
// capacity.
func BenchmarkResize(b *testing.B) {
	_, _, db := filledBenchDB()
	tables := db.st().tables
	s := 0
	for b.Loop() {
		for tables[s] == nil {
			s = (s + 1) % len(tables)
		}
		t := tables[s]
		t.resize(t.capacity())
		s = (s + 1) % len(tables)
	}
}

// TestResizeEmptyRecord: the empty key with an empty value has no record
// (a nil pointer); a table holding it grows past one group (resize touches
// each record before hashing the keys again) and still finds it.
func TestResizeEmptyRecord(t *testing.T) {
	db := New(1).DB(0)
	db.SetString([]byte(""), []byte(""), false)
	want := slot.Of([]byte(""))
	added := 0
	for i := 0; added < 100; i++ {
		k := []byte(fmt.Sprintf("k%d", i))
		if slot.Of(k) != want {
			continue
		}
		db.SetString(k, []byte("v"), false)
		added++
	}
	if c := db.st().tables[want].capacity(); c <= groupSize {
		t.Fatalf("slot %d's table holds %d positions, want a grown one", want, c)
	}
	if v, ok := db.Peek([]byte("")); !ok || v.Str != "" {
		t.Fatalf("the empty key after growth: %q, %v", v.Str, ok)
	}
}

// TestGrowthKeepsChunks: a chunked table grows by adding chunks, keeping
// the ones it has (so a growing keyspace drops control bytes and chunk
// pointers, not entries), and shrinks by keeping the first ones.
func TestGrowthKeepsChunks(t *testing.T) {
	tb := &slotTable{}
	model := map[string]string{}
	add := func(k string) { insertNew(t, tb, model, k, "v") }
	i := 0
	for tb.capacity() <= chunkSize {
		add(fmt.Sprint("k", i))
		i++
	}
	grew := 0
	for ; i < 5000; i++ {
		before := tb.chunks()
		kept := before
		add(fmt.Sprint("k", i))
		if after := tb.chunks(); len(after) != len(kept) {
			grew++
			for c := range kept {
				if after[c] != kept[c] {
					t.Fatalf("growth from %d to %d chunks replaced chunk %d", len(kept), len(after), c)
				}
			}
			checkTable(t, tb, model)
		}
	}
	if grew < 10 {
		t.Fatalf("%d growths to 5000 keys", grew)
	}
	first := tb.chunks()[0]
	for j := 0; j < 4990; j++ {
		k := fmt.Sprint("k", j)
		tb.eraseAt(tb.find(hashKey(k), k))
		delete(model, k)
		tb.shrinkIfSparse()
	}
	checkTable(t, tb, model)
	if c := tb.capacity(); c > 4*chunkSize {
		t.Fatalf("10 keys left in %d positions", c)
	}
	if cs := tb.chunks(); len(cs) > 0 && cs[0] != first {
		t.Fatalf("shrinking replaced the first chunk")
	}
}

// chunks is a chunked table's chunks' addresses (nil for a table of up
// to one group).
func (t *slotTable) chunks() []unsafe.Pointer {
	if t.cap <= groupSize {
		return nil
	}
	out := make([]unsafe.Pointer, t.cap/chunkSize)
	for k := range out {
		out[k] = t.chunkEnts(uint(k))
	}
	return out
}
