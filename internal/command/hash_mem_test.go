package command

import (
	"runtime"
	"strconv"
	"testing"
)

// redisHashMemBytes is redis-server 7.0.15's INFO used_memory delta after
// loading the same 100k hashes (HSET h:<i> field0 v<i%1000+0> … field9
// v<i%1000+9>) into an empty instance: 24,375,488 − 939,248.
const redisHashMemBytes = 23_436_240

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestHashMemory measures the heap held by 100k hashes of 10 small fields,
// keyspace included, and checks it is no more than Redis's used_memory for
// the same data.
func TestHashMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement")
	}
	e := newTestEnv(t)
	const n = 100_000
	args := make([]string, 0, 22)
	// warm the keyspace's per-DB structures so they are not counted
	e.do("hset", "warm", "f", "v")
	e.do("del", "warm")
	before := heapInUse()
	for i := range n {
		args = append(args[:0], "hset", "h:"+strconv.Itoa(i))
		for j := range 10 {
			args = append(args, "field"+strconv.Itoa(j), "v"+strconv.Itoa(i%1000+j))
		}
		e.do(args...)
	}
	after := heapInUse()
	used := int64(after) - int64(before)
	t.Logf("100k hashes × 10 fields: shoal %d bytes (%.1f B/hash), redis 7.0.15 %d bytes (%.1f B/hash)",
		used, float64(used)/n, redisHashMemBytes, float64(redisHashMemBytes)/n)
	if used > redisHashMemBytes {
		t.Errorf("shoal uses %d bytes, more than redis's %d", used, redisHashMemBytes)
	}
	runtime.KeepAlive(e)
}
