package snapshot

import (
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/types"
)

// testEnc encodes a record as a text line "key\x00value\x00exp\n"; a set is
// its sorted members joined by ",".
func testEnc(dst []byte, key string, v keyspace.Value, exp int64) ([]byte, error) {
	val := v.Str
	if s, ok := v.Obj.(*types.Set); ok {
		var m []string
		s.Members(func(x string) bool { m = append(m, x); return true })
		sort.Strings(m)
		val = "set:" + strings.Join(m, ",")
	}
	dst = append(dst, key...)
	dst = append(dst, 0)
	dst = append(dst, val...)
	dst = append(dst, 0)
	dst = strconv.AppendInt(dst, exp, 10)
	return append(dst, '\n'), nil
}

type rec struct {
	val string
	exp int64
}

// dumpAll is the stop-the-world truth the snapshot must equal. Needs LockAll.
func dumpAll(ks *keyspace.Keyspace) []map[string]rec {
	out := make([]map[string]rec, ks.NumDBs())
	for d := range out {
		out[d] = map[string]rec{}
		for s := 0; s < slot.Count; s++ {
			ks.DB(d).Slot(s).ForEach(func(k string, v keyspace.Value, exp int64) bool {
				line, _ := testEnc(nil, k, v, exp)
				parts := strings.Split(strings.TrimSuffix(string(line), "\n"), "\x00")
				out[d][k] = rec{parts[1], exp}
				return true
			})
		}
	}
	return out
}

func parseChunks(t *testing.T, chunks []Chunk, n int) []map[string]rec {
	out := make([]map[string]rec, n)
	for d := range out {
		out[d] = map[string]rec{}
	}
	for _, c := range chunks {
		lines := strings.Split(strings.TrimSuffix(string(c.Data), "\n"), "\n")
		if len(lines) != c.Keys {
			t.Fatalf("chunk of db %d says %d keys, holds %d", c.DB, c.Keys, len(lines))
		}
		for _, l := range lines {
			p := strings.Split(l, "\x00")
			exp, _ := strconv.ParseInt(p[2], 10, 64)
			if _, dup := out[c.DB][p[0]]; dup {
				t.Fatalf("key %q of db %d emitted twice", p[0], c.DB)
			}
			out[c.DB][p[0]] = rec{p[1], exp}
		}
	}
	return out
}

func compare(t *testing.T, want, got []map[string]rec) {
	t.Helper()
	for d := range want {
		if len(want[d]) != len(got[d]) {
			t.Errorf("db %d: snapshot has %d keys, the point had %d", d, len(got[d]), len(want[d]))
		}
		bad := 0
		for k, w := range want[d] {
			if g, ok := got[d][k]; !ok || g != w {
				if bad++; bad <= 5 {
					t.Errorf("db %d key %q: snapshot %+v (present %v), point %+v", d, k, g, ok, w)
				}
			}
		}
	}
}

// writer changes keys as the server does: lock the stripe, tell the
// keyspace (the dispatcher's guard), change.
func writer(ks *keyspace.Keyspace, seed int64, nkeys int, stop *atomic.Bool, ops *atomic.Int64) {
	r := rand.New(rand.NewSource(seed))
	// Even seeds guard as a slot-wide change does, odd ones as the
	// dispatcher does, for the key the write names.
	guard := func(s int, k []byte) {
		if seed%2 == 0 {
			ks.BeforeWrite(s)
		} else {
			ks.BeforeWriteKey(s, k)
		}
	}
	for !stop.Load() {
		d := r.Intn(3)
		db := ks.DB(d)
		k := []byte("k" + strconv.Itoa(r.Intn(nkeys)))
		s := slot.Of(k)
		ks.LockSlot(s)
		guard(s, k)
		switch op := r.Intn(10); {
		case op < 4:
			v, _ := db.Lookup(k)
			n, _ := strconv.Atoi(v.Str)
			db.SetStringKeepTTL(k, []byte(strconv.Itoa(n+1)))
		case op < 5:
			db.Delete(k)
		case op < 6:
			if db.Exists(k) {
				db.SetExpire(k, 1e13+int64(r.Intn(1000)))
			}
		case op < 7:
			db.Persist(k)
		default:
			sk := []byte("s" + strconv.Itoa(r.Intn(nkeys/10)))
			ss := slot.Of(sk)
			if ss != s {
				ks.UnlockSlot(s)
				ks.LockSlot(ss)
				s = ss
			}
			guard(s, sk)
			v, ok := db.Lookup(sk)
			if !ok {
				db.SetObject(sk, types.NewSet(), false)
				v, _ = db.Lookup(sk)
			}
			set := v.Obj.(*types.Set)
			m := []byte(strconv.Itoa(r.Intn(50)))
			if !set.Add(m, types.DefaultLimits()) {
				set.Remove(m)
				if set.Len() == 0 {
					db.Delete(sk)
				}
			}
		}
		ks.UnlockSlot(s)
		ops.Add(1)
	}
}

func populate(ks *keyspace.Keyspace, nkeys int) {
	ks.LockAll()
	defer ks.UnlockAll()
	for d := 0; d < 3; d++ {
		for i := 0; i < nkeys; i++ {
			k := []byte("k" + strconv.Itoa(i))
			ks.DB(d).SetString(k, []byte("0"), false)
			if i%7 == 0 {
				ks.DB(d).SetExpire(k, 1e13)
			}
		}
	}
}

// TestConsistentUnderWrites: the snapshot equals the dataset at its point
// exactly, while writers set, delete, expire and change sets in place.
func TestConsistentUnderWrites(t *testing.T) {
	const nkeys = 20000
	ks := keyspace.New(4)
	populate(ks, nkeys)
	var stop atomic.Bool
	var ops atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) { defer wg.Done(); writer(ks, int64(w), nkeys, &stop, &ops) }(w)
	}
	for ops.Load() < 5000 {
		// let the writers build sets and TTLs first
	}
	var want []map[string]rec
	sn, _ := Start(ks, testEnc, func(*Snapshot) { want = dumpAll(ks) })
	before := ops.Load()
	var chunks []Chunk
	err := sn.Run(func(c Chunk) error {
		c.Data = append([]byte(nil), c.Data...)
		chunks = append(chunks, c)
		return nil
	})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ks.Observed() {
		t.Fatal("observer still installed after Run")
	}
	got := parseChunks(t, chunks, 4)
	compare(t, want, got)
	st := sn.Stats()
	t.Logf("writes during the walk: %d; stats %+v", ops.Load()-before, st)
	if ops.Load()-before == 0 {
		t.Fatal("no write raced the walk; the test proves nothing")
	}
	if st.ForcedKeys == 0 || st.ForcedSlots == 0 {
		t.Fatalf("forced keys %d, slots %d: both guards must have raced the walk", st.ForcedKeys, st.ForcedSlots)
	}
}

// runCopies runs sn and returns copies of the chunks it emitted.
func runCopies(sn *Snapshot) []Chunk {
	var chunks []Chunk
	sn.Run(func(c Chunk) error {
		chunks = append(chunks, Chunk{c.DB, c.Keys, append([]byte(nil), c.Data...)})
		return nil
	})
	return chunks
}

// TestDetectsMissingGuard shows the check can fail: a writer that skips
// the guard for in-place changes makes the snapshot differ from its point.
func TestDetectsMissingGuard(t *testing.T) {
	ks := keyspace.New(1)
	db := ks.DB(0)
	ks.LockAll()
	for i := 0; i < 100; i++ {
		k := []byte(fmt.Sprintf("s%d", i))
		set := types.NewSet()
		set.Add([]byte("a"), types.DefaultLimits())
		db.SetObject(k, set, false)
	}
	ks.UnlockAll()
	var want []map[string]rec
	sn, _ := Start(ks, testEnc, func(*Snapshot) { want = dumpAll(ks) })
	// An unguarded in-place change after the point.
	k := []byte("s5")
	ks.LockSlot(slot.Of(k))
	v, _ := db.Lookup(k)
	v.Obj.(*types.Set).Add([]byte("b"), types.DefaultLimits())
	ks.UnlockSlot(slot.Of(k))
	got := parseChunks(t, runCopies(sn), 1)
	if got[0]["s5"] == want[0]["s5"] {
		t.Fatal("an unguarded change went unnoticed by the comparison")
	}
	// A guarded change is excluded.
	sn, _ = Start(ks, testEnc, func(*Snapshot) { want = dumpAll(ks) })
	ks.LockSlot(slot.Of(k))
	ks.BeforeWrite(slot.Of(k))
	v, _ = db.Lookup(k)
	v.Obj.(*types.Set).Add([]byte("c"), types.DefaultLimits())
	ks.UnlockSlot(slot.Of(k))
	compare(t, want, parseChunks(t, runCopies(sn), 1))
	if st := sn.Stats(); st.ForcedSlots != 1 {
		t.Fatalf("forced slots %d, want 1", st.ForcedSlots)
	}
	// A change guarded for its key alone: only the key is serialized
	// ahead of the walk, and its slot's other keys are the walk's.
	sn, _ = Start(ks, testEnc, func(*Snapshot) { want = dumpAll(ks) })
	ks.LockSlot(slot.Of(k))
	ks.BeforeWriteKey(slot.Of(k), k)
	ks.BeforeWriteKey(slot.Of(k), k) // a second change: already kept
	v, _ = db.Lookup(k)
	v.Obj.(*types.Set).Add([]byte("d"), types.DefaultLimits())
	ks.UnlockSlot(slot.Of(k))
	compare(t, want, parseChunks(t, runCopies(sn), 1))
	if st := sn.Stats(); st.ForcedSlots != 0 || st.ForcedKeys != 1 {
		t.Fatalf("forced slots %d, keys %d, want 0 and 1", st.ForcedSlots, st.ForcedKeys)
	}
}

// TestManyKeysOfASlot: once writers have kept maxKeyed keys of a slot
// one by one, the next one serializes the rest of the slot, and the
// snapshot still equals its point.
func TestManyKeysOfASlot(t *testing.T) {
	ks := keyspace.New(1)
	db := ks.DB(0)
	ks.LockAll()
	for i := 0; i < 40; i++ {
		db.SetString([]byte(fmt.Sprintf("{t}old%d", i)), []byte("v"), false)
	}
	ks.UnlockAll()
	var want []map[string]rec
	sn, _ := Start(ks, testEnc, func(*Snapshot) { want = dumpAll(ks) })
	s := slot.Of([]byte("{t}"))
	ks.LockSlot(s)
	for i := 0; i < maxKeyed+5; i++ {
		// New keys and changed ones, alternately.
		k := []byte(fmt.Sprintf("{t}new%d", i))
		if i%2 == 1 {
			k = []byte(fmt.Sprintf("{t}old%d", i))
		}
		ks.BeforeWriteKey(s, k)
		db.SetString(k, []byte("changed"), false)
	}
	ks.UnlockSlot(s)
	compare(t, want, parseChunks(t, runCopies(sn), 1))
	if st := sn.Stats(); st.ForcedSlots != 1 || st.ForcedKeys != maxKeyed/2 {
		t.Fatalf("forced slots %d, keys %d, want 1 and %d", st.ForcedSlots, st.ForcedKeys, maxKeyed/2)
	}
}

// TestFlushAndSwapDuringSnapshot: FLUSHDB and SWAPDB after the point leave
// the snapshot as it was.
func TestFlushAndSwapDuringSnapshot(t *testing.T) {
	ks := keyspace.New(3)
	populate(ks, 3000)
	var want []map[string]rec
	sn, _ := Start(ks, testEnc, func(*Snapshot) { want = dumpAll(ks) })
	var chunks []Chunk
	emit := func(c Chunk) error {
		chunks = append(chunks, Chunk{c.DB, c.Keys, append([]byte(nil), c.Data...)})
		return nil
	}
	// Interfere before the walk starts, so every slot is affected.
	ks.LockAll()
	ks.SwapDB(0, 2)
	ks.DB(0).Flush()
	ks.UnlockAll()
	ks.LockAll()
	ks.DB(1).SetString([]byte("new"), []byte("x"), false)
	ks.DB(1).Flush()
	ks.DB(1).SetString([]byte("k1"), []byte("changed"), false)
	ks.DB(1).Flush()
	ks.SwapDB(1, 2)
	ks.UnlockAll()
	if err := sn.Run(emit); err != nil {
		t.Fatal(err)
	}
	compare(t, want, parseChunks(t, chunks, 3))
	if st := sn.Stats(); st.FlushedDBs != 2 || st.SwappedPairs != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCancel(t *testing.T) {
	ks := keyspace.New(3)
	populate(ks, 1000)
	sn, _ := Start(ks, testEnc, nil)
	n := 0
	err := sn.Run(func(c Chunk) error {
		if n++; n == 10 {
			sn.Cancel()
		}
		return nil
	})
	if err != ErrCancelled {
		t.Fatalf("Run after Cancel: %v", err)
	}
	if ks.Observed() {
		t.Fatal("observer still installed after Cancel")
	}
}

// TestBusyAndHeld: a second snapshot is refused while one runs; a held
// snapshot walks without locks or an observer.
func TestBusyAndHeld(t *testing.T) {
	ks := keyspace.New(3)
	populate(ks, 500)
	sn, err := Start(ks, testEnc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(ks, testEnc, nil); err != ErrBusy {
		t.Fatalf("second Start: %v, want ErrBusy", err)
	}
	sn.Cancel()
	ks.LockAll()
	want := dumpAll(ks)
	held := StartHeld(ks, testEnc)
	if ks.Observed() {
		t.Fatal("a held snapshot installed an observer")
	}
	var chunks []Chunk
	if err := held.Run(func(c Chunk) error {
		chunks = append(chunks, Chunk{c.DB, c.Keys, append([]byte(nil), c.Data...)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ks.UnlockAll()
	compare(t, want, parseChunks(t, chunks, 3))
}

// TestCancelWhileStripeHeld: whoever cancels a snapshot may hold the
// stripe the walk waits for (FLUSHALL, SHUTDOWN); the walk gives up.
func TestCancelWhileStripeHeld(t *testing.T) {
	ks := keyspace.New(3)
	populate(ks, 500)
	sn, _ := Start(ks, testEnc, nil)
	ks.LockAll()
	done := make(chan error)
	go func() { done <- sn.Run(func(Chunk) error { return nil }) }()
	sn.Cancel()
	select {
	case err := <-done:
		if err != ErrCancelled {
			t.Fatalf("Run: %v, want ErrCancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the walk still waits for a stripe after Cancel")
	}
	ks.UnlockAll()
}

// TestWalkAllocsPerKey: the walk allocates per slot (its buffers grow a
// few times), never per key. An allocation per key (a variable whose
// address escapes in the per-key callback) made a 1M-key sync spend a
// fifth of its CPU in the GC.
func TestWalkAllocsPerKey(t *testing.T) {
	ks := keyspace.New(3)
	const n = 20000
	populate(ks, n)
	enc := func(dst []byte, key string, v keyspace.Value, exp int64) ([]byte, error) {
		dst = append(dst, key...)
		return append(dst, v.Str...), nil
	}
	sn, err := Start(ks, enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keys := 0
	if err := sn.Run(func(c Chunk) error { keys += c.Keys; return nil }); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if keys != 3*n {
		t.Fatalf("walked %d keys, want %d", keys, 3*n)
	}
	if allocs := after.Mallocs - before.Mallocs; allocs > uint64(keys)/10 {
		t.Fatalf("the walk of %d keys made %d allocations", keys, allocs)
	}
}

// TestForcedSlotsReuseBuffers: a writer that reaches a slot ahead of the
// walk serializes it into the buffer of a chunk the walk already emitted,
// so forcing a slot allocates nothing once the walk has drained a few.
// Each forced slot grew fresh buffers before (a dozen allocations for a
// slot of 60 keys, zeroed, on the event loop: a third of what a BGSAVE
// under random writes cost it).
func TestForcedSlotsReuseBuffers(t *testing.T) {
	ks := keyspace.New(3)
	populate(ks, 200000) // about 12 keys per slot in each of 3 databases
	sn, err := Start(ks, testEnc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Cancel()
	var chunks, keys int
	emit := func(c Chunk) error { chunks++; keys += c.Keys; return nil }
	s := slot.Count - 1 // from the end: the walk (not run here) starts at 0
	force := func() {
		ks.LockSlot(s)
		sn.BeforeSlotWrite(s)
		ks.UnlockSlot(s)
		s--
	}
	for range 8 {
		force()
	}
	if err := sn.drain(emit); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		force()
		if err := sn.drain(emit); err != nil {
			t.Fatal(err)
		}
	})
	if chunks < 3*200 || keys < 200*3*10 {
		t.Fatalf("forced %d chunks of %d keys in all, want at least %d of %d", chunks, keys, 3*200, 200*3*10)
	}
	if allocs > 0.5 {
		t.Fatalf("forcing a slot (3 chunks) made %.1f allocations", allocs)
	}
}

// stalledSlot is a dataset whose slot s (40 keys "{t}N") stalls the
// encoder at its first key until release is closed, as a walk preempted
// mid-slot; entered is closed when it stalls. other is a key of another
// slot of s's stripe.
type stalledSlot struct {
	ks               *keyspace.Keyspace
	s                int
	other            []byte
	enc              Encoder
	entered, release chan struct{}
}

func newStalledSlot() *stalledSlot {
	st := &stalledSlot{ks: keyspace.New(1), s: slot.Of([]byte("{t}")), entered: make(chan struct{}), release: make(chan struct{})}
	for i := 0; st.other == nil; i++ {
		k := []byte("k" + strconv.Itoa(i))
		if o := slot.Of(k); o != st.s && keyspace.StripeOf(o) == keyspace.StripeOf(st.s) {
			st.other = k
		}
	}
	db := st.ks.DB(0)
	st.ks.LockAll()
	for i := range 40 {
		db.SetString([]byte("{t}"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)), false)
	}
	db.SetString(st.other, []byte("x"), false)
	st.ks.UnlockAll()
	var stalled atomic.Bool
	st.enc = func(dst []byte, key string, v keyspace.Value, exp int64) ([]byte, error) {
		if strings.HasPrefix(key, "{t}") && stalled.CompareAndSwap(false, true) {
			close(st.entered)
			<-st.release
		}
		return testEnc(dst, key, v, exp)
	}
	return st
}

// heldUntilRelease checks that ch is not closed while the encoder is
// stalled (100 ms), releases it, and waits for ch.
func (st *stalledSlot) heldUntilRelease(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Error(what + " while the walk was encoding the slot")
	case <-time.After(100 * time.Millisecond):
	}
	close(st.release)
	waitFor(t, ch, what+": still waiting after the slot was encoded")
}

// waitFor fails t unless ch is closed (or sends) within 10 s.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal(what)
	}
	panic("unreachable")
}

// TestWalkEncodesWithStripeFree: the walk holds a slot's stripe only to
// copy its entries, not while it encodes them, so a command on another
// slot of the stripe (a GET, here also a SET) goes on while the encoder
// is stalled mid-slot (as when the kernel preempts the walk's thread); a
// writer of the slot itself waits, and the snapshot keeps its point.
func TestWalkEncodesWithStripeFree(t *testing.T) {
	st := newStalledSlot()
	ks, db, s := st.ks, st.ks.DB(0), st.s
	var want []map[string]rec
	sn, _ := Start(ks, st.enc, func(*Snapshot) { want = dumpAll(ks) })
	var chunks []Chunk
	done := make(chan error, 1)
	go func() {
		done <- sn.Run(func(c Chunk) error {
			chunks = append(chunks, Chunk{c.DB, c.Keys, append([]byte(nil), c.Data...)})
			return nil
		})
	}()
	waitFor(t, st.entered, "the walk never reached the slot")
	if !ks.TryLockSlot(s) {
		close(st.release)
		t.Fatal("the walk holds the stripe while it encodes the slot")
	}
	if v, ok := db.Lookup(st.other); !ok || v.Str != "x" {
		t.Errorf("GET %s = %q %v", st.other, v.Str, ok)
	}
	ks.BeforeWrite(slot.Of(st.other))
	db.SetString(st.other, []byte("y"), false)
	ks.UnlockSlot(s)

	wrote := make(chan struct{})
	go func() {
		ks.LockSlot(s)
		ks.BeforeWrite(s)
		db.SetString([]byte("{t}1"), []byte("changed"), false)
		ks.UnlockSlot(s)
		close(wrote)
	}()
	st.heldUntilRelease(t, wrote, "a writer changed the slot")
	if err := waitFor(t, done, "the walk did not finish"); err != nil {
		t.Fatal(err)
	}
	compare(t, want, parseChunks(t, chunks, 1))
}

// TestCancelWaitsForEncodingSlot: once the observer is cleared, writers
// no longer wait for the walk, so Cancel returns only after the slot the
// walk is encoding unlocked is done.
func TestCancelWaitsForEncodingSlot(t *testing.T) {
	st := newStalledSlot()
	sn, _ := Start(st.ks, st.enc, nil)
	done := make(chan error, 1)
	go func() { done <- sn.Run(func(Chunk) error { return nil }) }()
	waitFor(t, st.entered, "the walk never reached the slot")
	cancelled := make(chan struct{})
	go func() { sn.Cancel(); close(cancelled) }()
	st.heldUntilRelease(t, cancelled, "Cancel returned")
	if err := waitFor(t, done, "the walk did not end"); err != ErrCancelled {
		t.Fatalf("Run: %v, want ErrCancelled", err)
	}
	if st.ks.Observed() {
		t.Fatal("observer still installed after Cancel")
	}
}
