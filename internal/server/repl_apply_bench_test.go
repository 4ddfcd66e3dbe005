package server

import (
	"strconv"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
)

// BenchmarkReplicaApply: a replica applying its master's stream (the path
// replica lag depends on): batches of 1000 SETs over 200k keys, parsed,
// run in the master session and passed on to the replica's own stream.
// One op is one batch.
func BenchmarkReplicaApply(b *testing.B) {
	s := startServer(b)
	s.stream.SetBacklog(1 << 20)
	ml := &masterLink{stop: make(chan struct{}), done: make(chan struct{})}
	sess := s.newSession(true)
	sess.isMaster = true
	sess.db = s.ks.DB(0)
	const keys, per = 200_000, 1000
	batches := make([][]byte, keys/per)
	for i := range batches {
		var buf []byte
		for j := 0; j < per; j++ {
			k := (i*per + j) * 7919 % keys
			buf = append(buf, encode("SET", "key:"+strconv.Itoa(k), "value-"+strconv.Itoa(k))...)
		}
		batches[i] = buf
	}
	var rd resp.Reader
	rd.Limits = resp.Limits{MaxBulkLen: 1 << 40, MaxInline: 64 << 10}
	for _, buf := range batches { // the keys exist: steady state
		s.applyBatch(ml, sess, &rd, buf)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		buf := batches[i%len(batches)]
		if n, err := s.applyBatch(ml, sess, &rd, buf); err != nil || n != len(buf) {
			b.Fatalf("applied %d of %d: %v", n, len(buf), err)
		}
	}
	// The machine is shared: the process's CPU time (GC included) per op
	// says more than the wall clock.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the user+system CPU time this process used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
