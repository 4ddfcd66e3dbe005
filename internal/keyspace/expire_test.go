package keyspace

import (
	"fmt"
	"testing"
)

// fakeClock is a settable millisecond clock for NowMs.
type fakeClock struct{ now int64 }

func (c *fakeClock) NowMs() int64 { return c.now }

func newTestKeyspace() (*Keyspace, *fakeClock) {
	clk := &fakeClock{now: 1_700_000_000_000}
	ks := New(2)
	ks.NowMs = clk.NowMs
	return ks, clk
}

func set(ks *Keyspace, db int, key string, ttlMs int64) {
	ks.LockAll()
	defer ks.UnlockAll()
	d := ks.DB(db)
	d.SetString([]byte(key), []byte("v"), false)
	if ttlMs > 0 {
		d.SetExpire([]byte(key), ks.NowMs()+ttlMs)
	}
}

// stored reports whether key is still in the table, without lazy expiry.
func stored(ks *Keyspace, db int, key string) bool {
	ks.LockAll()
	defer ks.UnlockAll()
	return ks.DB(db).existsNoExpire(key)
}

func always() bool { return true }

// dbOf spreads volatile keys, expired and live, over both databases.
func dbOf(i int) int { return i % 3 % 2 }

// TestExpirerReclaims: 10k volatile keys (half of them past their TTL) and
// 1k persistent keys, spread over the slots of two databases. Active expiry
// alone, with no lookups, reclaims every expired key and nothing else.
func TestExpirerReclaims(t *testing.T) {
	ks, clk := newTestKeyspace()
	const volatile = 10_000
	for i := 0; i < volatile; i++ {
		ttl := int64(1000) // expires
		if i%2 == 1 {
			ttl = 1_000_000 // stays
		}
		set(ks, dbOf(i), fmt.Sprint("v:", i), ttl)
	}
	for i := 0; i < 1000; i++ {
		set(ks, i%2, fmt.Sprint("p:", i), 0)
	}
	// nothing is due yet: a cycle reclaims nothing
	e := NewExpirer(ks)
	if n := e.Cycle(always); n != 0 {
		t.Fatalf("reclaimed %d keys before any TTL passed", n)
	}
	clk.now += 1000
	total := 0
	for cycles := 0; total < volatile/2; cycles++ {
		if cycles == 100 {
			t.Fatalf("after 100 cycles only %d of %d expired keys reclaimed", total, volatile/2)
		}
		total += e.Cycle(always)
	}
	if total != volatile/2 {
		t.Fatalf("reclaimed %d keys, want %d", total, volatile/2)
	}
	if got := ks.Stats.ExpiredKeys.Load(); got != volatile/2 {
		t.Errorf("expired_keys stat %d, want %d", got, volatile/2)
	}
	for i := 0; i < volatile; i++ {
		db, k := dbOf(i), fmt.Sprint("v:", i)
		if want := i%2 == 1; stored(ks, db, k) != want {
			t.Fatalf("%s stored=%v, want %v", k, !want, want)
		}
	}
	for i := 0; i < 1000; i++ {
		if !stored(ks, i%2, fmt.Sprint("p:", i)) {
			t.Fatalf("persistent key p:%d lost", i)
		}
	}
	if n := ks.DB(0).Len() + ks.DB(1).Len(); n != volatile/2+1000 {
		t.Errorf("key count %d, want %d", n, volatile/2+1000)
	}
	if n := ks.DB(0).Volatile() + ks.DB(1).Volatile(); n != volatile/2 {
		t.Errorf("volatile count %d, want %d", n, volatile/2)
	}
	// the rest expire later
	clk.now += 1_000_000
	for cycles := 0; ks.DB(0).Volatile()+ks.DB(1).Volatile() > 0; cycles++ {
		if cycles == 100 {
			t.Fatal("remaining volatile keys not reclaimed")
		}
		e.Cycle(always)
	}
	if n := ks.DB(0).Len() + ks.DB(1).Len(); n != 1000 {
		t.Errorf("key count %d, want 1000 persistent keys", n)
	}
}

// TestExpirerBudget: a cycle stops as soon as keepGoing says so and resumes
// where it stopped on the next one.
func TestExpirerBudget(t *testing.T) {
	ks, clk := newTestKeyspace()
	for i := 0; i < 2000; i++ {
		set(ks, 0, fmt.Sprint("k", i), 10)
	}
	clk.now += 10
	e := NewExpirer(ks)
	if n := e.Cycle(func() bool { return false }); n != 0 {
		t.Fatalf("a cycle with no budget reclaimed %d", n)
	}
	total, cycles := 0, 0
	for total < 2000 {
		budget := 500 // slots per cycle
		n := e.Cycle(func() bool { budget--; return budget >= 0 })
		total += n
		cycles++
		if cycles > 100 {
			t.Fatalf("only %d reclaimed", total)
		}
	}
	if cycles < 16384/500 {
		t.Errorf("a budget of 500 slots per cycle reclaimed everything in %d cycles", cycles)
	}
}

// TestExpirerDenseSlot: keys sharing a hash tag live in one slot, of which a
// cycle samples a limited number; repeated cycles still reclaim them all and
// keep the live ones.
func TestExpirerDenseSlot(t *testing.T) {
	ks, clk := newTestKeyspace()
	const n = 1000
	for i := 0; i < n; i++ {
		ttl := int64(5)
		if i%2 == 1 {
			ttl = 1_000_000 // volatile too, so samples mix live and expired keys
		}
		set(ks, 0, fmt.Sprint("{user}:", i), ttl)
	}
	clk.now += 5
	e := NewExpirer(ks)
	cycles := 0
	for ; ks.DB(0).Volatile() > n/2; cycles++ {
		if cycles == 100_000 {
			t.Fatalf("dense slot: %d expired keys left", ks.DB(0).Volatile())
		}
		e.Cycle(always)
	}
	t.Logf("dense slot: %d cycles", cycles)
	if got := ks.DB(0).Len(); got != n/2 {
		t.Fatalf("%d keys left, want %d", got, n/2)
	}
	for i := 1; i < n; i += 2 {
		if !stored(ks, 0, fmt.Sprint("{user}:", i)) {
			t.Fatalf("live key {user}:%d lost", i)
		}
	}
}

// A second SetExpire on a volatile key must not leave the caller's buffer
// as the map's key (Go map assignment replaces an existing string key).
func TestSetExpireTwiceOwnsKey(t *testing.T) {
	ks, clk := newTestKeyspace()
	for _, val := range []string{"v", ""} { // "" has no key+value allocation to share
		key := []byte("k")
		ks.LockAll()
		db := ks.DB(0)
		db.SetString(key, []byte(val), false)
		db.SetExpire(key, clk.now+100)
		db.SetExpire(key, clk.now+200)
		copy(key, "x") // the caller reuses its buffer
		when := db.Expire([]byte("k"))
		ks.UnlockAll()
		if when != clk.now+200 {
			t.Fatalf("value %q: Expire after reusing the argument buffer: %d", val, when)
		}
	}
}
