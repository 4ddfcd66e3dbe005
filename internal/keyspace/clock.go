package keyspace

import (
	"math/rand/v2"
	"sync/atomic"
)

// Access clocks. Every entry keeps 24 bits (entry.kl) that mean what
// Redis 7.0's robj.lru means under the policy in force:
//
//   - LRU: the LRU clock when the key was last accessed: unix seconds
//     modulo 2^24 (LRU_CLOCK_RESOLUTION 1000 ms), wrapping every ~194 days;
//   - LFU: the minute of the last decrement (16 bits, unix minutes modulo
//     2^16) above an 8-bit logarithmic access counter.
//
// A key gets a clock when it is created, and a new one on every access
// (Lookup, and a write that replaces the value): under LRU that is one
// atomic load of the published clock and a plain store into the entry,
// under the stripe lock the caller already holds. OBJECT IDLETIME/FREQ read
// the clock without touching it (AccessClock).

// LFUInitVal is the counter a new key starts with under LFU (Redis's LFU_INIT_VAL).
const LFUInitVal = 5

// accessClocks is what entries' clocks are computed from.
type accessClocks struct {
	lruClock atomic.Uint32 // unix seconds & clockMask
	minutes  atomic.Uint32 // unix minutes & 0xFFFF
	lfu      atomic.Bool   // an LFU policy is selected
	lfuLog   atomic.Int32  // lfu-log-factor
	lfuDecay atomic.Int32  // lfu-decay-time, minutes
}

// SetClockNow publishes the time access clocks are taken from; the
// server's cron calls it at hz (Redis refreshes server.lruclock there too).
func (ks *Keyspace) SetClockNow(ms int64) {
	ks.clocks.lruClock.Store(uint32(ms/1000) & clockMask)
	ks.clocks.minutes.Store(uint32(ms/60000) & 0xFFFF)
}

// SetAccessPolicy selects what access clocks track: an LFU counter with
// lfu-log-factor and lfu-decay-time, or (lfu false) the LRU time. As in
// Redis, switching does not convert existing clocks.
func (ks *Keyspace) SetAccessPolicy(lfu bool, logFactor, decayTime int) {
	ks.clocks.lfuLog.Store(int32(min(logFactor, 1<<30)))
	ks.clocks.lfuDecay.Store(int32(min(decayTime, 1<<30)))
	ks.clocks.lfu.Store(lfu)
}

// LFU reports whether clocks are LFU counters.
func (ks *Keyspace) LFU() bool { return ks.clocks.lfu.Load() }

// newClock is the clock of a key just created.
func (ks *Keyspace) newClock() uint32 {
	if ks.clocks.lfu.Load() {
		return ks.clocks.minutes.Load()<<8 | LFUInitVal
	}
	return ks.clocks.lruClock.Load()
}

// accessed is the clock of a key whose clock was c, accessed now.
func (ks *Keyspace) accessed(c uint32) uint32 {
	if !ks.clocks.lfu.Load() {
		return ks.clocks.lruClock.Load()
	}
	return ks.lfuAccessed(c)
}

// lfuAccessed decays the counter, then increments it logarithmically
// (Redis's updateLFU).
func (ks *Keyspace) lfuAccessed(c uint32) uint32 {
	n := ks.lfuDecayed(c)
	if n < 255 {
		base := float64(n) - LFUInitVal
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1.0/(base*float64(ks.clocks.lfuLog.Load())+1) {
			n++
		}
	}
	return ks.clocks.minutes.Load()<<8 | n
}

// lfuDecayed is c's counter less one per lfu-decay-time minutes elapsed
// since its minute stamp (Redis's LFUDecrAndReturn).
func (ks *Keyspace) lfuDecayed(c uint32) uint32 {
	ldt, n := c>>8, c&0xFF
	now := ks.clocks.minutes.Load()
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 0xFFFF - ldt + now
	}
	if d := uint32(ks.clocks.lfuDecay.Load()); d > 0 {
		if p := elapsed / d; p >= n {
			n = 0
		} else {
			n -= p
		}
	}
	return n
}

// IdleMs is how long ago a key with LRU clock c was accessed, in ms
// (Redis's estimateObjectIdleTime).
func (ks *Keyspace) IdleMs(c uint32) int64 {
	now := ks.clocks.lruClock.Load()
	if now >= c {
		return int64(now-c) * 1000
	}
	return int64(now+(clockMask-c)) * 1000
}

// Freq is the decayed LFU counter of clock c (OBJECT FREQ).
func (ks *Keyspace) Freq(c uint32) int { return int(ks.lfuDecayed(c)) }

// ClockForIdle is the LRU clock of a key idle for sec seconds (RESTORE
// IDLETIME; Redis's objectSetLRUOrLFU, wrapping the same way).
func (ks *Keyspace) ClockForIdle(sec int64) uint32 {
	c := int64(ks.clocks.lruClock.Load()) - sec
	if c < 0 {
		c += clockMask
	}
	return uint32(max(c, 0)) & clockMask
}

// ClockForFreq is the LFU clock of a key with counter f (0..255), stamped now.
func (ks *Keyspace) ClockForFreq(f int) uint32 {
	return ks.clocks.minutes.Load()<<8 | uint32(min(max(f, 0), 255))
}

// AccessClock returns key's clock without touching it (Redis's
// LOOKUP_NOTOUCH), expiring the key if its TTL passed.
func (db *DB) AccessClock(key []byte) (uint32, bool) {
	if _, ok := db.peekLive(key); !ok {
		return 0, false
	}
	_, e := db.findEntry(key)
	return e.clock(), true
}

// SetAccessClock sets key's clock (RESTORE IDLETIME/FREQ). The key must exist.
func (db *DB) SetAccessClock(key []byte, c uint32) {
	if _, e := db.findEntry(key); e != nil {
		e.setClock(c & clockMask)
	}
}

// IdleSeconds is key's idle time in seconds (OBJECT IDLETIME), without
// touching it.
func (db *DB) IdleSeconds(key []byte) (int64, bool) {
	c, ok := db.AccessClock(key)
	if !ok {
		return 0, false
	}
	return db.ks.IdleMs(c) / 1000, true
}

// Frequency is key's decayed LFU counter (OBJECT FREQ), without touching it.
func (db *DB) Frequency(key []byte) (int, bool) {
	c, ok := db.AccessClock(key)
	if !ok {
		return 0, false
	}
	return db.ks.Freq(c), true
}
