package keyspace

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/shoal-db/shoal/internal/slot"
)

// TestAgainstMap drives a DB and a plain Go map with the same random
// operations and checks they agree, including TTLs under a fake clock.
func TestAgainstMap(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			now := int64(1000)
			ks := New(2)
			ks.NowMs = func() int64 { return now }
			db := ks.DB(0)
			type entry struct {
				val string
				exp int64
			}
			model := map[string]entry{}
			live := func(k string) (entry, bool) {
				e, ok := model[k]
				if ok && e.exp != 0 && e.exp <= now {
					delete(model, k)
					return entry{}, false
				}
				return e, ok
			}
			for i := 0; i < 20000; i++ {
				k := fmt.Sprintf("k%d", rng.IntN(500))
				switch rng.IntN(6) {
				case 0, 1:
					v := fmt.Sprintf("v%d", rng.IntN(1000))
					keep := rng.IntN(4) == 0
					db.SetString([]byte(k), []byte(v), keep)
					e, ok := live(k)
					if !keep || !ok {
						e.exp = 0
					}
					e.val = v
					model[k] = e
				case 2:
					got := db.Delete([]byte(k))
					_, want := live(k)
					delete(model, k)
					if got != want {
						t.Fatalf("step %d: Delete(%s)=%v want %v", i, k, got, want)
					}
				case 3:
					if _, ok := live(k); ok {
						when := now + int64(rng.IntN(50))
						db.SetExpire([]byte(k), when)
						e := model[k]
						e.exp = when
						model[k] = e
					}
				case 4:
					now += int64(rng.IntN(10))
				case 5:
					v, ok := db.Lookup([]byte(k))
					e, wok := live(k)
					if ok != wok || (ok && v.Str != e.val) {
						t.Fatalf("step %d: Lookup(%s)=%q,%v want %q,%v", i, k, v.Str, ok, e.val, wok)
					}
					if ok {
						want := e.exp
						if want == 0 {
							want = -1
						}
						if got := db.Expire([]byte(k)); got != want {
							t.Fatalf("step %d: Expire(%s)=%d want %d", i, k, got, want)
						}
					}
				}
			}
			// Every model key is present, and the counters agree after reclaiming.
			for k := range model {
				live(k)
			}
			var keys []string
			for s := 0; s < slot.Count; s++ {
				db.ForEachInSlot(s, func(k string, _ Value) bool { keys = append(keys, k); return true })
			}
			var want []string
			for k := range model {
				want = append(want, k)
			}
			sort.Strings(keys)
			sort.Strings(want)
			if fmt.Sprint(keys) != fmt.Sprint(want) {
				t.Fatalf("keys differ:\n got %v\nwant %v", keys, want)
			}
			exp := NewExpirer(ks)
			for exp.Cycle(func() bool { return true }) > 0 {
			}
			for i := 0; i < 10 && int(db.Len()) != len(model); i++ {
				exp.Cycle(func() bool { return true })
			}
			if int(db.Len()) != len(model) {
				t.Fatalf("Len=%d want %d", db.Len(), len(model))
			}
		})
	}
}

func TestSlotIndex(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	for i := 0; i < 1000; i++ {
		db.SetString([]byte(fmt.Sprintf("{tag}%d", i)), []byte("x"), false)
	}
	s := slot.OfString("tag")
	if n := db.CountInSlot(s); n != 1000 {
		t.Fatalf("CountInSlot=%d", n)
	}
	if got := len(db.KeysInSlot(s, 10, nil)); got != 10 {
		t.Fatalf("KeysInSlot limited to %d", got)
	}
	if n := db.FlushSlot(s); n != 1000 || db.Len() != 0 || db.CountInSlot(s) != 0 {
		t.Fatalf("FlushSlot=%d Len=%d", n, db.Len())
	}
}

func TestWatchSeesWritesExpiryAndFlush(t *testing.T) {
	now := int64(0)
	ks := New(1)
	ks.NowMs = func() int64 { return now }
	db := ks.DB(0)
	w := &Watcher{}
	db.SetString([]byte("a"), []byte("1"), false)
	db.Watch([]byte("a"), w)
	db.SetString([]byte("b"), []byte("1"), false)
	if w.Dirty.Load() {
		t.Fatal("write to another key dirtied the watcher")
	}
	db.SetString([]byte("a"), []byte("2"), false)
	if !w.Dirty.Load() {
		t.Fatal("write to watched key not seen")
	}
	w.Dirty.Store(false)
	db.SetExpire([]byte("a"), 10)
	w.Dirty.Store(false)
	now = 20
	db.Lookup([]byte("a"))
	if !w.Dirty.Load() {
		t.Fatal("expiry of watched key not seen")
	}
	w.Dirty.Store(false)
	db.SetString([]byte("a"), []byte("3"), false)
	w.Dirty.Store(false)
	db.Flush()
	if !w.Dirty.Load() {
		t.Fatal("flush of watched key not seen")
	}
	db.Unwatch("a", w)
	w.Dirty.Store(false)
	db.SetString([]byte("a"), []byte("4"), false)
	if w.Dirty.Load() {
		t.Fatal("unwatched key still dirties")
	}
}

func BenchmarkLookup(b *testing.B) {
	ks := New(1)
	db := ks.DB(0)
	key := []byte("key:000000012345")
	db.SetString(key, []byte("0123456789abcdef"), false)
	b.ReportAllocs()
	for b.Loop() {
		db.Lookup(key)
	}
}

func TestLookupAllocs(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	key := []byte("key:000000012345")
	db.SetString(key, []byte("0123456789abcdef"), false)
	if n := testing.AllocsPerRun(1000, func() { db.Lookup(key) }); n != 0 {
		t.Fatalf("Lookup allocates %v times", n)
	}
	// Over a string whose record fits: the record is reused.
	if n := testing.AllocsPerRun(1000, func() { db.SetString(key, []byte("0123456789abcdef"), false) }); n != 0 {
		t.Fatalf("SetString over a string of the same size allocates %v times, want 0", n)
	}
}

// benchKeys are n distinct 16-byte keys shaped like redis-benchmark's
// "key:%012d", spread over every slot.
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", uint64(i)*2654435761%1_000_000_000))
	}
	return keys
}

const benchN = 1 << 20

// filledBenchDB is a database of benchN benchKeys holding 16-byte values.
func filledBenchDB() ([][]byte, []byte, *DB) {
	keys := benchKeys(benchN)
	val := []byte("0123456789abcdef")
	db := New(1).DB(0)
	for _, k := range keys {
		db.SetString(k, val, false)
	}
	return keys, val, db
}

// BenchmarkSet inserts fresh keys with 16-byte values, a million per
// keyspace (growth included), as the memory benchmark's load does.
func BenchmarkSet(b *testing.B) {
	keys := benchKeys(benchN)
	val := []byte("0123456789abcdef")
	ks := New(1)
	db := ks.DB(0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == benchN {
			b.StopTimer()
			db.Flush()
			i = 0
			b.StartTimer()
		}
		db.SetString(keys[i], val, false)
		i++
	}
}

// BenchmarkSetExisting overwrites keys of a million-key database.
func BenchmarkSetExisting(b *testing.B) {
	keys, val, db := filledBenchDB()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		db.SetString(keys[i&(benchN-1)], val, false)
		i += 7919
	}
}

// BenchmarkGet looks keys up in a million-key database in a scattered order.
func BenchmarkGet(b *testing.B) {
	keys, _, db := filledBenchDB()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := db.Lookup(keys[i&(benchN-1)]); !ok {
			b.Fatal("missing")
		}
		i += 7919
	}
}

// BenchmarkGetMiss looks up absent keys in a million-key database.
func BenchmarkGetMiss(b *testing.B) {
	_, _, db := filledBenchDB()
	miss := benchKeys(benchN)
	for _, k := range miss {
		k[0] = 'K'
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		db.Lookup(miss[i&(benchN-1)])
		i += 7919
	}
}

// TestFewKeysPerSlotCostLittle: 10,000 keys spread over the 16,384 slots
// (most slots hold none or one) must not pay a group-sized table each. The
// keyspace's count (records, tables and their headers, all by allocation)
// per key must stay under Redis 7.0's used_memory per key for the same
// data, 148 bytes (16-byte keys, 32-byte values: dictEntry, key sds, value
// object with its embedded string, buckets), so that unit/memefficiency's
// ratios hold. With a table of 8 positions per slot it was ~220: a 48-byte
// record, and ~0.75 tables a key of a 96-byte header and 136 bytes of
// arrays. FLUSHALL must give back exactly what was counted.
func TestFewKeysPerSlotCostLittle(t *testing.T) {
	ks := New(1)
	db := ks.DB(0)
	val := make([]byte, 32)
	const n = 10000
	before := ks.NetBytes()
	for i := 0; i < n; i++ {
		k := []byte(fmt.Sprintf("key:%012d", i))
		ks.LockSlot(slot.Of(k))
		db.SetString(k, val, false)
		ks.UnlockSlot(slot.Of(k))
	}
	// In whole bytes: the records take exactly 48 a key, so the tables'
	// share is exactly the rest, which a float subtraction may miss.
	total, tables := ks.NetBytes()-before, ks.TableOverhead()
	per := float64(total) / n
	if per > 148 || total-tables < 48*n {
		t.Fatalf("%.1f bytes a key, %.1f of them tables", per, float64(tables)/n)
	}
	t.Logf("%.1f bytes a key", per)
	ks.LockAll()
	db.Flush()
	ks.UnlockAll()
	if d := ks.NetBytes() - before; d != 0 {
		t.Fatalf("FLUSH left %d bytes counted", d)
	}
}
