// Package clock injects time and randomness, so that every decision that
// depends on them (expiry sampling, failure detection, elections) can be
// driven by tests.
package clock

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Fake is a manually advanced clock for tests. It is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Set moves the fake time to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// Rand is the source of randomness decisions draw from.
type Rand interface {
	IntN(n int) int
	Uint64() uint64
}

// NewRand returns a seeded, deterministic Rand (not safe for concurrent use).
func NewRand(seed uint64) Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// NowMs is milliseconds since the Unix epoch, as Redis counts time.
func NowMs(c Clock) int64 { return c.Now().UnixMilli() }
