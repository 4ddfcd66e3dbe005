package stream

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
)

// readAll drains r and returns what it read.
func readAll(t *testing.T, r *Reader) []byte {
	t.Helper()
	var out []byte
	for {
		b, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return out
		}
		out = append(out, b...)
	}
}

// commands parses RESP into one string per command ("SET k v").
func commands(t *testing.T, b []byte) []string {
	t.Helper()
	var rd resp.Reader
	var out []string
	for len(b) > 0 {
		args, n, err := rd.Next(b)
		if err != nil || n == 0 {
			t.Fatalf("bad stream at %q: %v", b, err)
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = string(a)
		}
		out = append(out, strings.Join(parts, " "))
		b = b[n:]
	}
	return out
}

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func TestSelectInsertedWhenDBChanges(t *testing.T) {
	s := New(0)
	r, err := s.NewReader(0, true)
	if err != nil {
		t.Fatal(err)
	}
	s.Append(0, bs("SET", "a", "1")...)
	s.Append(0, bs("SET", "b", "2")...)
	s.Append(3, bs("DEL", "a")...)
	s.AppendStrings(3, "DEL", "b")
	end := s.Append(0, bs("INCR", "c")...)
	got := commands(t, readAll(t, r))
	want := []string{"SELECT 0", "SET a 1", "SET b 2", "SELECT 3", "DEL a", "DEL b", "SELECT 0", "INCR c"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if end != s.Offset() || r.Offset() != end {
		t.Fatalf("offsets: append returned %d, stream %d, reader %d", end, s.Offset(), r.Offset())
	}
	// ForceSelect: the next entry restates its database.
	off := s.ForceSelect()
	s.Append(0, bs("INCR", "c")...)
	r2, _ := s.NewReader(off, false)
	if got := commands(t, readAll(t, r2)); fmt.Sprint(got) != fmt.Sprint([]string{"SELECT 0", "INCR c"}) {
		t.Fatalf("after ForceSelect: %q", got)
	}
}

func TestBatchWrapsMoreThanOneCommand(t *testing.T) {
	s := New(100)
	r, _ := s.NewReader(100, true)
	var b Batch
	b.Add(1, bs("SET", "a", "1")...)
	s.AppendBatch(&b) // one command: not wrapped
	b.Reset()
	b.Add(1, bs("SREM", "s", "x")...)
	b.Add(2, bs("SREM", "s", "y")...)
	b.AddStrings(2, "DEL", "z")
	s.AppendBatch(&b)
	b.Reset()
	s.AppendBatch(&b) // empty: nothing
	s.Append(2, bs("INCR", "n")...)
	got := commands(t, readAll(t, r))
	want := []string{"SELECT 1", "SET a 1", "MULTI", "SREM s x", "SELECT 2", "SREM s y", "DEL z", "EXEC", "INCR n"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if s.Offset() != 100+int64(len(joinRESP(want))) {
		t.Fatalf("offset %d: not the count of bytes appended", s.Offset())
	}
}

func joinRESP(cmds []string) []byte {
	var out []byte
	for _, c := range cmds {
		out = AppendCommand(out, bs(strings.Fields(c)...))
	}
	return out
}

// TestConcurrentWritersKeepKeyOrder: writers on different "stripes" append
// while holding their stripe's lock; each key's entries appear in the order
// they were applied, and every MULTI … EXEC unit is contiguous.
func TestConcurrentWritersKeepKeyOrder(t *testing.T) {
	s := New(0)
	r, _ := s.NewReader(0, true)
	const stripes, writers, perWriter = 4, 8, 2000
	var locks [stripes]sync.Mutex
	var applied [stripes]int // the "keyspace": a counter per stripe
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var b Batch
			for i := 0; i < perWriter; i++ {
				st := (w + i) % stripes
				locks[st].Lock()
				applied[st]++
				v := strconv.Itoa(applied[st])
				if i%7 == 0 {
					b.Reset()
					b.AddStrings(w%3, "SET", "k"+strconv.Itoa(st), v)
					b.AddStrings(w%3, "SET", "w"+strconv.Itoa(w), v)
					s.AppendBatch(&b)
				} else {
					s.AppendStrings(w%3, "SET", "k"+strconv.Itoa(st), v)
				}
				locks[st].Unlock()
			}
		}(w)
	}
	wg.Wait()
	got := commands(t, readAll(t, r))
	last := map[string]int{}
	inMulti, n := false, 0
	var unitWriter string
	for _, c := range got {
		f := strings.Fields(c)
		switch f[0] {
		case "MULTI":
			if inMulti {
				t.Fatal("nested MULTI: units interleaved")
			}
			inMulti, unitWriter = true, ""
			continue
		case "EXEC":
			inMulti = false
			continue
		case "SELECT":
			continue
		}
		if f[1][0] == 'w' {
			if !inMulti || unitWriter != "" {
				t.Fatalf("w-key outside its unit: %q", c)
			}
			unitWriter = f[1]
			continue
		}
		v, _ := strconv.Atoi(f[2])
		if v != last[f[1]]+1 {
			t.Fatalf("key %s: %d after %d: stream order disagrees with apply order", f[1], v, last[f[1]])
		}
		last[f[1]] = v
		n++
	}
	if n != writers*perWriter {
		t.Fatalf("%d entries, want %d", n, writers*perWriter)
	}
}

func TestReadersAndBacklog(t *testing.T) {
	s := New(0)
	if s.Active() {
		t.Fatal("a stream with no reader and no backlog is active")
	}
	if off := s.Append(0, bs("SET", "a", "1")...); off != 0 || s.Offset() != 0 {
		t.Fatal("an inactive stream kept bytes")
	}
	s.SetBacklog(1 << 10)
	big := bytes.Repeat([]byte("x"), 1000)
	for i := 0; i < 300; i++ { // ~300 KB: several chunks
		s.Append(0, []byte("SET"), []byte("k"), big)
	}
	if s.Start() == 0 {
		t.Fatal("nothing trimmed past the backlog")
	}
	if s.Offset()-s.Start() > 2*chunkSize+1<<10+2048 { // the backlog plus at most two chunks
		t.Fatalf("kept %d bytes for a 1 KB backlog", s.Offset()-s.Start())
	}
	if _, err := s.NewReader(0, false); err != ErrTrimmed {
		t.Fatalf("reader at a trimmed offset: %v", err)
	}
	// A non-pinning reader that falls behind gets ErrTrimmed; a pinning one keeps its bytes.
	soft, _ := s.NewReader(s.Offset(), false)
	for i := 0; i < 300; i++ {
		s.Append(0, []byte("SET"), []byte("k"), big)
	}
	if _, err := soft.Next(); err != ErrTrimmed {
		t.Fatalf("soft reader behind: %v", err)
	}
	hard, _ := s.NewReader(s.Offset(), true)
	from := hard.Offset()
	for i := 0; i < 300; i++ {
		s.Append(0, []byte("SET"), []byte("k"), big)
	}
	b := readAll(t, hard)
	if int64(len(b)) != s.Offset()-from || len(commands(t, b)) != 300 {
		t.Fatalf("pinning reader read %d bytes", len(b))
	}
	hard.Close()
	soft.Close()
	if _, err := hard.Next(); err != ErrClosed {
		t.Fatalf("closed reader: %v", err)
	}
}

func TestWaitWakesOnAppend(t *testing.T) {
	s := New(0)
	r, _ := s.NewReader(0, true)
	ch := r.Wait()
	select {
	case <-ch:
		t.Fatal("woken with nothing to read")
	default:
	}
	s.Append(0, bs("SET", "a", "1")...)
	<-ch // would hang (test timeout) if Append did not wake the reader
	if len(readAll(t, r)) == 0 {
		t.Fatal("nothing to read after the wake-up")
	}
}

func TestAppendAllocations(t *testing.T) {
	s := New(0)
	argv := bs("SET", "key:000001", "value")
	if n := testing.AllocsPerRun(1000, func() { s.Append(0, argv...) }); n != 0 {
		t.Fatalf("inactive append: %v allocs", n)
	}
	r, _ := s.NewReader(0, false)
	defer r.Close()
	s.SetBacklog(1 << 20)
	// Steady state: one 64 KB chunk per ~2000 entries.
	if n := testing.AllocsPerRun(10000, func() { s.Append(0, argv...) }); n > 0.01 {
		t.Fatalf("active append: %v allocs", n)
	}
}

func TestBatchAllocations(t *testing.T) {
	s := New(0)
	s.SetBacklog(1 << 20)
	var b Batch
	key, val, pxat, ms := []byte("k"), []byte("v"), []byte("PXAT"), []byte("1700000000000")
	set := []byte("SET")
	n := testing.AllocsPerRun(10000, func() {
		b.Reset()
		b.Add(0, set, key, val, pxat, ms)
		b.Add(1, set, key, val)
		s.AppendBatch(&b)
	})
	if n > 0.02 {
		t.Fatalf("batch of two: %v allocs", n)
	}
}

func BenchmarkAppendParallel(b *testing.B) {
	s := New(0)
	s.SetBacklog(1 << 20)
	argv := bs("SET", "key:000001", "value")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Append(0, argv...)
		}
	})
}

func TestAppendRawAndReset(t *testing.T) {
	s := New(100)
	s.SetBacklog(1 << 20)
	r := s.NewReaderAtEnd(true)
	raw := []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$4\r\nPING\r\n")
	if end := s.AppendRaw(3, raw); end != 100+int64(len(raw)) {
		t.Fatalf("end %d", end)
	}
	// The stream is now in db 3: an entry there needs no SELECT.
	s.Append(3, []byte("DEL"), []byte("k"))
	got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := string(raw) + "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"
	if string(got) != want {
		t.Fatalf("got %q want %q", got, want)
	}
	s.Reset(5000)
	if s.Offset() != 5000 || s.Start() != 5000 {
		t.Fatalf("after reset: %d..%d", s.Start(), s.Offset())
	}
	if _, err := r.Next(); err != ErrTrimmed {
		t.Fatalf("old reader after reset: %v", err)
	}
	r2 := s.NewReaderAtEnd(true)
	s.Append(0, []byte("SET"), []byte("a"), []byte("b"))
	got, _ = r2.Next()
	if !strings.HasPrefix(string(got), "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n") {
		t.Fatalf("after reset the first entry must select: %q", got)
	}
}

// TestBacklogWindowInsideLargeEntry: an entry larger than a chunk (a
// transaction of big values) moves the first retained offset to the
// backlog window at once, so an offset before the window cannot continue
// (Redis trims its backlog to repl-backlog-size, not to whole entries).
func TestBacklogWindowInsideLargeEntry(t *testing.T) {
	s := New(0)
	s.SetBacklog(16 << 10)
	s.Append(0, bs("SET", "a", "1")...)
	before := s.Offset()
	var b Batch
	big := bytes.Repeat([]byte("A"), 16<<10)
	for i := 0; i < 10; i++ {
		b.Add(0, []byte("SET"), []byte("k"), big)
	}
	s.AppendBatch(&b)
	if got, want := s.Start(), s.Offset()-16<<10; got != want {
		t.Fatalf("first retained offset %d, want %d (end %d)", got, want, s.Offset())
	}
	if _, err := s.NewReader(before, true); err != ErrTrimmed {
		t.Fatalf("reader before the window: %v", err)
	}
	// A pinning reader keeps its bytes whatever the window.
	s2 := New(0)
	s2.SetBacklog(16 << 10)
	r, _ := s2.NewReader(0, true)
	s2.AppendBatch(&b)
	if s2.Start() != 0 {
		t.Fatalf("first retained offset %d with a pinning reader at 0", s2.Start())
	}
	if got := readAll(t, r); int64(len(got)) != s2.Offset() {
		t.Fatalf("pinning reader read %d of %d bytes", len(got), s2.Offset())
	}
}

func TestDeferredAppendWakesAtWakeDeferred(t *testing.T) {
	s := New(0)
	feed, _ := s.NewReader(0, true) // a replica link
	aof, _ := s.NewReader(0, true)  // the AOF writer, flushed by the appender
	aof.SetSelfServed()
	woken := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	fch, ach := feed.Wait(), aof.Wait()
	s.AppendDeferred(0, bs("SET", "a", "1"))
	var b Batch
	b.Add(0, bs("SET", "b", "2")...)
	s.AppendBatchDeferred(&b)
	if woken(fch) || woken(ach) {
		t.Fatal("a deferred append woke a reader before WakeDeferred")
	}
	s.WakeDeferred()
	if !woken(fch) {
		t.Fatal("WakeDeferred did not wake the replica link's reader")
	}
	if woken(ach) {
		t.Fatal("WakeDeferred woke a self-served reader")
	}
	if got := commands(t, readAll(t, feed)); len(got) != 3 { // SELECT, SET, SET
		t.Fatalf("reader got %q", got)
	}
	// A second Wait while asleep does not list the reader twice, and an
	// ordinary append still wakes a self-served reader.
	aof.Wait()
	s.Append(0, bs("DEL", "a")...)
	if !woken(ach) {
		t.Fatal("Append did not wake the self-served reader")
	}
	if n := len(s.sleepers); n != 0 {
		t.Fatalf("%d sleepers left after a full wake", n)
	}
}

func TestDeferredAppendsWakeAfterManyBytes(t *testing.T) {
	s := New(0)
	feed, _ := s.NewReader(0, true)
	aof, _ := s.NewReader(0, true)
	aof.SetSelfServed()
	fch, ach := feed.Wait(), aof.Wait()
	val := bytes.Repeat([]byte("v"), 1000)
	for i := 0; i < 10; i++ { // ~10 KB: below the threshold
		s.AppendDeferred(0, [][]byte{[]byte("SET"), []byte("k"), val})
	}
	select {
	case <-fch:
		t.Fatal("woken before deferWakeBytes gathered")
	default:
	}
	for i := 0; i < 10; i++ {
		s.AppendDeferred(0, [][]byte{[]byte("SET"), []byte("k"), val})
	}
	select {
	case <-fch:
	default:
		t.Fatal("a round's deferred appends past deferWakeBytes did not wake the replica link")
	}
	select {
	case <-ach:
		t.Fatal("the threshold woke a self-served reader")
	default:
	}
}

// TestInlineReaderServedByAppender: a reader with a serve function
// (SetInline) is fed by the appender at WakeDeferred and at the wake
// threshold, its goroutine left asleep; a serve that cannot take
// everything wakes it; an ordinary append wakes it as any reader.
func TestInlineReaderServedByAppender(t *testing.T) {
	s := New(0)
	feed, _ := s.NewReader(0, true)
	var got []byte
	accept := true
	serves := 0
	feed.SetInline(func() bool {
		serves++
		for accept {
			b, err := feed.Next()
			if err != nil {
				t.Fatalf("Next in serve: %v", err)
			}
			if b == nil {
				return true
			}
			got = append(got, b...)
		}
		return false
	})
	woken := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	ch := feed.Wait()
	s.AppendDeferred(0, bs("SET", "a", "1"))
	if serves != 0 {
		t.Fatal("served before the round's end")
	}
	s.WakeDeferred()
	if serves != 1 || woken(ch) {
		t.Fatalf("WakeDeferred: %d serves, goroutine woken %v; want 1 serve, asleep", serves, woken(ch))
	}
	if c := commands(t, got); len(c) != 2 { // SELECT, SET
		t.Fatalf("served %q", c)
	}
	// Many deferred bytes in one round: served at the threshold.
	for i := 0; serves == 1 && i < 10000; i++ {
		s.AppendDeferred(0, bs("SET", "k", "0123456789012345678901234567890123456789"))
	}
	if serves != 2 || woken(ch) {
		t.Fatalf("at the threshold: %d serves, woken %v", serves, woken(ch))
	}
	// A serve that cannot take everything wakes the goroutine.
	accept = false
	s.AppendDeferred(0, bs("SET", "b", "2"))
	s.WakeDeferred()
	if !woken(ch) {
		t.Fatal("a failed serve did not wake the reader's goroutine")
	}
	// An ordinary append wakes the goroutine, no serve.
	accept = true
	readAll(t, feed)
	n := serves
	ch = feed.Wait()
	s.Append(0, bs("DEL", "a")...)
	if !woken(ch) || serves != n {
		t.Fatalf("Append: woken %v, serves %d → %d", woken(ch), n, serves)
	}
	feed.Close()
	if s.inline.Load() != nil {
		t.Fatal("a closed reader is still served inline")
	}
}

// A stream moving its backlog along (a replica's own, with no reader)
// reuses the chunk it trims for the next one: appending allocates nothing
// once the backlog is full, and Held stays the backlog's chunks plus the
// spare.
func TestTrimmedChunkReused(t *testing.T) {
	s := New(0)
	s.SetBacklog(4 * chunkSize)
	entry := []byte("*3\r\n$3\r\nSET\r\n$10\r\nkey:000001\r\n$12\r\nvalue-000001\r\n")
	for s.Offset() < 16*chunkSize {
		s.AppendRaw(0, entry)
	}
	held := s.Held()
	if n := testing.AllocsPerRun(20000, func() { s.AppendRaw(0, entry) }); n != 0 {
		t.Errorf("%v allocations per append with the backlog full, want 0", n)
	}
	if s.Held() != held || held > 7*chunkSize { // the window, the chunks it starts and ends in, the spare
		t.Errorf("Held %d after the appends, %d before (backlog %d)", s.Held(), held, 4*chunkSize)
	}
	// The backlog still reads back as appended.
	r, err := s.NewReader(s.Offset()-int64(len(entry))*1000, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, r); !bytes.Equal(got, bytes.Repeat(entry, 1000)) {
		t.Fatalf("backlog read back %d bytes, not the last 1000 entries", len(got))
	}
}

// A chunk whose bytes a reader's last Next returned is not reused while
// the reader may still be writing them out: until its next Next, and for
// good once it is closed.
func TestHeldChunkNotReused(t *testing.T) {
	for _, closeIt := range []bool{false, true} {
		s := New(0)
		s.SetBacklog(chunkSize)
		entry := []byte("*2\r\n$3\r\nGET\r\n$10\r\nkey:000001\r\n")
		r, err := s.NewReader(0, false)
		if err != nil {
			t.Fatal(err)
		}
		for s.Offset() < chunkSize/2 {
			s.AppendRaw(0, entry)
		}
		view, err := r.Next()
		if err != nil || len(view) == 0 {
			t.Fatalf("Next: %d bytes, %v", len(view), err)
		}
		want := bytes.Clone(view)
		if closeIt {
			r.Close()
		}
		// Far past the backlog: the view's chunk is trimmed, others are
		// reused many times over.
		other := []byte("*2\r\n$3\r\nDEL\r\n$10\r\nkey:999999\r\n")
		for s.Offset() < 20*chunkSize {
			s.AppendRaw(0, other)
		}
		if !bytes.Equal(view, want) {
			t.Fatalf("closed %v: the bytes a reader held were overwritten", closeIt)
		}
		if !closeIt {
			if _, err := r.Next(); err != ErrTrimmed {
				t.Fatalf("reader behind the backlog: %v, want ErrTrimmed", err)
			}
		}
	}
}
