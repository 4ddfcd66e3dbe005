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
	s, ml, sess, rd := newApplySession(b)
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
	for _, buf := range batches { // the keys exist: steady state
		s.applyBatch(ml, sess, rd, buf)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		buf := batches[i%len(batches)]
		if n, _, err := s.applyBatch(ml, sess, rd, buf); err != nil || n != len(buf) {
			b.Fatalf("applied %d of %d: %v", n, len(buf), err)
		}
	}
	// The machine is shared: the process's CPU time (GC included) per op
	// says more than the wall clock.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// newApplySession is a server with a 1 MB backlog and its master link's
// session, as applyStream sets them up, and the link's parser.
func newApplySession(tb testing.TB) (*Server, *masterLink, *client, *resp.Reader) {
	s := startServer(tb)
	s.stream.SetBacklog(1 << 20)
	ml := &masterLink{stop: make(chan struct{}), done: make(chan struct{})}
	sess := s.newSession(true)
	sess.isMaster = true
	sess.db = s.ks.DB(0)
	rd := &resp.Reader{Limits: resp.Limits{MaxBulkLen: 1 << 40, MaxInline: 64 << 10}}
	return s, ml, sess, rd
}

// processCPU is the user+system CPU time this process used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestReplicaApplyAllocations: a replica applying its master's stream (a
// SELECT, SETs overwriting existing keys, a PING, as a master sends them)
// allocates nothing: the parsed arguments, the reply the master link never
// sends and the bytes passed on to this node's own stream reuse their
// buffers, and each SET writes into the record of the string it replaces
// (a new key costs its record). The lag under a master's write load is the
// replica's CPU per applied command, garbage collection included.
func TestReplicaApplyAllocations(t *testing.T) {
	s, ml, sess, rd := newApplySession(t)
	const sets = 100
	buf := encode("SELECT", "0")
	for i := 0; i < sets; i++ {
		buf = append(buf, encode("SET", "key:"+strconv.Itoa(i), "value-"+strconv.Itoa(1000+i))...)
	}
	buf = append(buf, encode("PING")...)
	apply := func() {
		if n, _, err := s.applyBatch(ml, sess, rd, buf); err != nil || n != len(buf) {
			t.Fatalf("applied %d of %d: %v", n, len(buf), err)
		}
	}
	apply() // the keys exist, the buffers are grown
	if n := testing.AllocsPerRun(200, apply); n != 0 {
		t.Errorf("%v allocations per batch of %d SETs over existing strings, want 0", n, sets)
	}
	if got := s.ks.DB(0).Len(); got != sets {
		t.Errorf("%d keys after the batches, want %d", got, sets)
	}
}
