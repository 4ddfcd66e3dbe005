package keyspace

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/shoal-db/shoal/internal/types"
)

// TestPrefetchChangesNothing runs batches over present, absent, expired,
// boxed and collection keys, some under a stripe another holder has, and
// checks that every value reads the same afterwards and that every stripe
// is free again.
func TestPrefetchChangesNothing(t *testing.T) {
	ks := New(1)
	now := int64(1000)
	ks.NowMs = func() int64 { return now }
	db := ks.DB(0)
	keys := benchKeys(300)
	for i, k := range keys {
		switch i % 5 {
		case 0:
			db.SetString(k, []byte(fmt.Sprint("v", i)), false)
		case 1:
			db.SetStringExpire(k, []byte("x"), now+10) // expires below: only a command may remove it
		case 2:
			db.SetObject(k, types.NewSetInts([]int64{int64(i)}), false)
		case 3:
			db.SetString(k, nil, false) // empty value: no record
		}
	}
	long := make([]byte, 300) // boxed key
	for i := range long {
		long[i] = 'k'
	}
	db.SetString(long, []byte("boxed"), false)
	keys = append(keys, long, []byte{})

	before := map[string]Value{}
	for _, k := range keys {
		if v, ok := db.Peek(k); ok {
			before[string(k)] = v
		}
	}
	now += 100 // a fifth of the keys are expired now
	blocked := StripeOf(17)
	ks.stripes[blocked].Lock()
	var p Prefetcher
	for start := 0; start < len(keys); start += PrefetchMax {
		for _, k := range keys[start:min(start+PrefetchMax, len(keys))] {
			if !p.Add(k) {
				t.Fatal("Add refused a key of a batch under PrefetchMax")
			}
		}
		if p.Add([]byte("one too many")) == (start+PrefetchMax <= len(keys)) {
			t.Fatal("Add of a key beyond PrefetchMax")
		}
		p.Run(db)
		if p.Len() != 0 {
			t.Fatal("Run left keys queued")
		}
	}
	ks.stripes[blocked].Unlock()
	for st := range ks.stripes {
		if !ks.stripes[st].TryLock() {
			t.Fatalf("stripe %d still held after Run", st)
		}
		ks.stripes[st].Unlock()
	}
	if n := db.Len(); n != 300*4/5+1 { // expired keys too: only a command expires them
		t.Fatalf("Len %d after prefetching", n)
	}
	now -= 100
	for _, k := range keys {
		v, ok := db.Peek(k)
		w, had := before[string(k)]
		if ok != had || v.Str != w.Str || v.Obj != w.Obj {
			t.Fatalf("key %q changed: %v,%v -> %v,%v", k, w, had, v, ok)
		}
	}
}

// BenchmarkGetBatch looks up 16 keys at a time in a million-key database,
// with and without prefetching the batch first, as a pipelined client's
// reads are served.
func BenchmarkGetBatch(b *testing.B) {
	keys, _, db := filledBenchDB()
	for _, pre := range []bool{false, true} {
		b.Run(fmt.Sprint("prefetch=", pre), func(b *testing.B) {
			var p Prefetcher
			i := 0
			batch := make([][]byte, 0, PrefetchMax)
			for b.Loop() {
				batch = batch[:0]
				for range PrefetchMax {
					batch = append(batch, keys[i&(benchN-1)])
					i += 7919
				}
				if pre {
					for _, k := range batch {
						p.Add(k)
					}
					p.Run(db)
				}
				for _, k := range batch {
					db.ks.LockSlot(0)
					if _, ok := db.Lookup(k); !ok {
						b.Fatal("missing")
					}
					db.ks.UnlockSlot(0)
				}
			}
		})
	}
}

// TestPrefetcherHoldsNoPointers: a Prefetcher lives in its connection's
// client and is written for every batch of pipelined commands; while the
// collector marks, each pointer written there would go through the write
// barrier (on a replica applying its master's stream, a quarter of the
// barrier work). Its state is numbers only.
func TestPrefetcherHoldsNoPointers(t *testing.T) {
	var walk func(tp reflect.Type, path string)
	walk = func(tp reflect.Type, path string) {
		switch tp.Kind() {
		case reflect.Pointer, reflect.UnsafePointer, reflect.String, reflect.Slice,
			reflect.Map, reflect.Chan, reflect.Func, reflect.Interface:
			t.Errorf("%s is a %s: it holds a pointer", path, tp.Kind())
		case reflect.Array:
			walk(tp.Elem(), path+"[]")
		case reflect.Struct:
			for i := 0; i < tp.NumField(); i++ {
				walk(tp.Field(i).Type, path+"."+tp.Field(i).Name)
			}
		}
	}
	walk(reflect.TypeOf(Prefetcher{}), "Prefetcher")
}
