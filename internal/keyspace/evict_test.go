package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func newEvictTest(t *testing.T, lfu bool) (*Keyspace, *Evictor, *[]string) {
	t.Helper()
	ks := New(2)
	ks.SetAccessPolicy(lfu, 10, 1)
	r := rand.New(rand.NewPCG(1, 2))
	ev := NewEvictor(ks, r.IntN)
	var evicted []string
	ev.OnEvict = func(db int, key string) { evicted = append(evicted, fmt.Sprint(db, ":", key)) }
	return ks, ev, &evicted
}

func evSet(ks *Keyspace, db int, k string) {
	ks.LockAll()
	ks.DB(db).SetString([]byte(k), []byte("value"), false)
	ks.UnlockAll()
}

func evGet(ks *Keyspace, db int, k string) bool {
	ks.LockAll()
	defer ks.UnlockAll()
	_, ok := ks.DB(db).Lookup([]byte(k))
	return ok
}

// An approximated LRU keeps the keys used recently: with 1000 keys of which
// 200 were read after the others were last touched, evicting 500 takes
// almost none of the 200.
func TestEvictLRUKeepsHotSet(t *testing.T) {
	ks, ev, evicted := newEvictTest(t, false)
	now := int64(1_700_000_000_000)
	ks.SetClockNow(now)
	for i := 0; i < 1000; i++ {
		evSet(ks, 0, fmt.Sprint("k", i))
	}
	ks.SetClockNow(now + 100_000)
	for i := 0; i < 200; i++ {
		evGet(ks, 0, fmt.Sprint("k", i))
	}
	ks.SetClockNow(now + 200_000)
	for i := 0; i < 500; i++ {
		if _, ok := ev.EvictOne(AllkeysLRU, 5); !ok {
			t.Fatalf("eviction %d found nothing", i)
		}
	}
	hot := 0
	for i := 0; i < 200; i++ {
		if !evGet(ks, 0, fmt.Sprint("k", i)) {
			hot++
		}
	}
	if hot > 10 {
		t.Errorf("%d of 200 hot keys evicted", hot)
	}
	if len(*evicted) != 500 || ks.Stats.EvictedKeys.Load() != 500 || ks.DB(0).Len() != 500 {
		t.Errorf("evicted %d (stat %d), %d keys left", len(*evicted), ks.Stats.EvictedKeys.Load(), ks.DB(0).Len())
	}
}

func TestEvictVolatileOnlyTouchesTTLKeys(t *testing.T) {
	for _, p := range []Policy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL} {
		ks, ev, evicted := newEvictTest(t, p.LFU())
		for i := 0; i < 100; i++ {
			evSet(ks, 1, fmt.Sprint("p", i))
		}
		ks.LockAll()
		for i := 0; i < 20; i++ {
			ks.DB(1).SetStringExpire([]byte(fmt.Sprint("v", i)), []byte("x"), ks.NowMs()+int64(1000*(i+1))*1000)
		}
		ks.UnlockAll()
		n := 0
		for {
			if _, ok := ev.EvictOne(p, 5); !ok {
				break
			}
			if n++; n > 100 {
				t.Fatalf("%v: evicted more than there is", p)
			}
		}
		if n != 20 || ks.DB(1).Len() != 100 || ks.DB(1).Volatile() != 0 {
			t.Errorf("policy %d: evicted %d %v, %d keys left", p, n, *evicted, ks.DB(1).Len())
		}
	}
}

// volatile-ttl evicts the nearest expiry first (the pool keeps the best
// candidates, and with every key sampled the order is exact).
func TestEvictVolatileTTLOrder(t *testing.T) {
	ks, ev, evicted := newEvictTest(t, false)
	ks.LockAll()
	for i := 0; i < 10; i++ {
		ks.DB(0).SetStringExpire([]byte(fmt.Sprint("t", i)), []byte("x"), ks.NowMs()+int64(i+1)*60_000)
	}
	ks.UnlockAll()
	for i := 0; i < 3; i++ {
		ev.EvictOne(VolatileTTL, 64)
	}
	if fmt.Sprint(*evicted) != "[0:t0 0:t1 0:t2]" {
		t.Errorf("evicted %v", *evicted)
	}
}

func TestEvictRandomAndNoEviction(t *testing.T) {
	ks, ev, _ := newEvictTest(t, false)
	if _, ok := ev.EvictOne(AllkeysRandom, 5); ok {
		t.Fatal("evicted from an empty keyspace")
	}
	evSet(ks, 0, "a")
	evSet(ks, 1, "b")
	if _, ok := ev.EvictOne(NoEviction, 5); ok {
		t.Fatal("noeviction evicted")
	}
	for i := 0; i < 2; i++ {
		if f, ok := ev.EvictOne(AllkeysRandom, 5); !ok || f <= 0 {
			t.Fatalf("random eviction %d: %d %v", i, f, ok)
		}
	}
	if ks.DB(0).Len()+ks.DB(1).Len() != 0 {
		t.Error("keys left")
	}
}

// The LFU counter grows logarithmically (lfu-log-factor 10: ~100 hits
// reach ~10, as Redis's table shows) and decays one per lfu-decay-time
// minutes.
func TestLFUCounter(t *testing.T) {
	ks, _, _ := newEvictTest(t, true)
	now := int64(1_700_000_000_000)
	ks.SetClockNow(now)
	evSet(ks, 0, "k")
	if f, _ := ks.DB(0).Frequency([]byte("k")); f != LFUInitVal {
		t.Fatalf("new key counter %d", f)
	}
	for i := 0; i < 1000; i++ {
		evGet(ks, 0, "k")
	}
	f, _ := ks.DB(0).Frequency([]byte("k"))
	if f < 12 || f > 30 {
		t.Errorf("after 1000 hits the counter is %d", f)
	}
	ks.SetClockNow(now + 3*60_000)
	if g, _ := ks.DB(0).Frequency([]byte("k")); g != f-3 {
		t.Errorf("3 minutes later %d, want %d", g, f-3)
	}
}

func TestIdleSecondsAndRestoreClock(t *testing.T) {
	ks, _, _ := newEvictTest(t, false)
	now := int64(1_700_000_000_000)
	ks.SetClockNow(now)
	evSet(ks, 0, "k")
	ks.SetClockNow(now + 42_000)
	if s, ok := ks.DB(0).IdleSeconds([]byte("k")); !ok || s != 42 {
		t.Errorf("idle %d %v", s, ok)
	}
	// Reading the idle time does not touch the key; a read does.
	if s, _ := ks.DB(0).IdleSeconds([]byte("k")); s != 42 {
		t.Errorf("idle after OBJECT IDLETIME %d", s)
	}
	evGet(ks, 0, "k")
	if s, _ := ks.DB(0).IdleSeconds([]byte("k")); s != 0 {
		t.Errorf("idle after a read %d", s)
	}
	ks.DB(0).SetAccessClock([]byte("k"), ks.ClockForIdle(1000))
	if s, _ := ks.DB(0).IdleSeconds([]byte("k")); s != 1000 {
		t.Errorf("idle after RESTORE IDLETIME 1000: %d", s)
	}
}

// The clock shares its word with the key length: long keys and values
// still round-trip, and the clock survives growth of the table.
func TestClockBesideLengths(t *testing.T) {
	ks, _, _ := newEvictTest(t, false)
	ks.SetClockNow(5_000)
	long := string(make([]byte, 300))
	evSet(ks, 0, long)
	evSet(ks, 0, "short")
	for i := 0; i < 500; i++ {
		evSet(ks, 0, fmt.Sprint("x", i))
	}
	ks.SetClockNow(15_000)
	for _, k := range []string{long, "short"} {
		if s, ok := ks.DB(0).IdleSeconds([]byte(k)); !ok || s != 10 {
			t.Errorf("key of %d bytes: idle %d %v", len(k), s, ok)
		}
		ks.LockAll()
		v, ok := ks.DB(0).Lookup([]byte(k))
		ks.UnlockAll()
		if !ok || v.Str != "value" {
			t.Errorf("key of %d bytes: %q %v", len(k), v.Str, ok)
		}
	}
}
