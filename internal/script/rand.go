package script

import "sync"

// lrand48Max is REDIS_LRAND48_MAX (INT32_MAX).
const lrand48Max = 1<<31 - 1

// lrand48 is redisLrand48 (rand.c): the 48-bit linear congruential
// generator x = (0x5DEECE66D·x + 0xB) mod 2^48, 31 bits out. Redis 7.0
// keeps one generator for the whole process and never reseeds it between
// scripts, so math.random's sequence runs on from one script to the next
// (math.randomseed sets it).
type lrand48 struct {
	mu sync.Mutex
	x  uint64
}

func newLrand48() *lrand48 { return &lrand48{x: 0x1234ABCD330E} }

func (r *lrand48) next() int64 {
	r.mu.Lock()
	r.x = (0x5DEECE66D*r.x + 0xB) & (1<<48 - 1)
	out := int64(r.x >> 17)
	r.mu.Unlock()
	return out
}

func (r *lrand48) seed(s int32) {
	r.mu.Lock()
	r.x = uint64(uint32(s))<<16 | 0x330E
	r.mu.Unlock()
}
