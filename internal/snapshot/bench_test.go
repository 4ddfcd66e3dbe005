package snapshot

import (
	"encoding/binary"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/types"
)

var (
	walkKSOnce sync.Once
	walkKS     *keyspace.Keyspace
)

// walkKeyspace is scripts/bench-repl.sh's dataset, 1M keys: 60% strings,
// 10% each of small hashes, lists, sets and sorted sets.
func walkKeyspace() *keyspace.Keyspace {
	walkKSOnce.Do(func() {
		lim := types.DefaultLimits()
		ks := keyspace.New(1)
		ks.LockAll()
		db := ks.DB(0)
		for i := range 1000000 {
			n := []byte(strconv.Itoa(i))
			switch m := i % 10; {
			case m < 6:
				db.SetString([]byte("str:"+string(n)), []byte("value-"+string(n)), false)
			case m == 6:
				h := types.NewHashPacked(2, func(j int) (f, v []byte) {
					if j == 0 {
						return []byte("f1"), n
					}
					return []byte("f2"), []byte("x")
				})
				db.SetObject([]byte("hash:"+string(n)), h, false)
			case m == 7:
				l := types.NewList()
				for _, e := range [][]byte{[]byte("a"), n, []byte("c")} {
					l.PushBack(e, lim)
				}
				db.SetObject([]byte("list:"+string(n)), l, false)
			case m == 8:
				s := types.NewSetFor(n)
				for _, e := range [][]byte{n, []byte("m1"), []byte("m2")} {
					s.Add(e, lim)
				}
				db.SetObject([]byte("set:"+string(n)), s, false)
			default:
				z := types.NewZSetSorted(2, func(j int) ([]byte, float64) {
					if j == 0 {
						return n, 1
					}
					return []byte("m"), 2.5
				})
				db.SetObject([]byte("zset:"+string(n)), z, false)
			}
		}
		ks.UnlockAll()
		walkKS = ks
	})
	return walkKS
}

// benchEncoder is internal/server's rdbEncoder for one goroutine.
func benchEncoder() Encoder {
	set := rdb.Settings{Limits: *types.DefaultLimits(), ListMaxListpackSize: -2, Compress: true}
	e := rdb.NewEncoder(set)
	return func(dst []byte, key string, v keyspace.Value, exp int64) ([]byte, error) {
		if exp >= 0 {
			dst = append(dst, 0xFC)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(exp))
		}
		dst = append(dst, byte(rdb.TypeOf(v)))
		dst, _ = e.AppendObject(dst, keyspace.Value{Str: key})
		return e.AppendObject(dst, v)
	}
}

// BenchmarkWalkRDB is a full sync's walk of 1M keys with the RDB encoder
// (as rdbEncoder in internal/server); ns/op is per key.
func BenchmarkWalkRDB(b *testing.B) {
	ks := walkKeyspace()
	enc := benchEncoder()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	keys := 0
	for b.Loop() {
		sn, err := Start(ks, enc, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := sn.Run(func(c Chunk) error { keys += c.Keys; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	// Process CPU per key (GC included) tells more than wall time on a
	// shared machine.
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(keys), "cpu-ns/key")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(keys), "ns/key")
}

// cpuNanos is the process's user+system CPU time.
func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkForcedSlot is a writer reaching a slot ahead of the walk (a
// BGSAVE under random SETs): it serializes the slot's 61 keys of the 1M
// with the RDB encoder before its change, and the walk emits the chunk
// between its own slots. ns/op is per forced slot, the time a write pays.
func BenchmarkForcedSlot(b *testing.B) {
	ks := walkKeyspace()
	enc := benchEncoder()
	emit := func(Chunk) error { return nil }
	var sn *Snapshot
	s := -1
	b.ReportAllocs()
	cpu0 := cpuNanos()
	for b.Loop() {
		if s < 0 {
			if sn != nil {
				sn.Cancel()
			}
			var err error
			if sn, err = Start(ks, enc, nil); err != nil {
				b.Fatal(err)
			}
			s = 16383
		}
		ks.LockSlot(s)
		sn.BeforeSlotWrite(s)
		ks.UnlockSlot(s)
		s--
		if err := sn.drain(emit); err != nil {
			b.Fatal(err)
		}
	}
	sn.Cancel()
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/slot")
}
