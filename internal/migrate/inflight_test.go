package migrate

import "testing"

func TestInFlight(t *testing.T) {
	var f InFlight
	if f.Active() || f.Wait(0, []byte("a")) != nil {
		t.Fatal("empty set reports a key")
	}
	// A key named twice by one MIGRATE, and the same key in another db.
	b0 := f.Add(0, [][]byte{[]byte("a"), []byte("a"), []byte("b")})
	b1 := f.Add(1, [][]byte{[]byte("a")})
	wa := f.Wait(0, []byte("a"))
	if !f.Active() || wa == nil || f.Wait(0, []byte("b")) != wa || f.Wait(0, []byte("c")) != nil {
		t.Fatal("in-flight keys not reported")
	}
	// A batch naming a key another batch holds leaves it to that batch.
	b2 := f.Add(0, [][]byte{[]byte("b"), []byte("c")})
	if f.Wait(0, []byte("b")) != wa || f.Wait(0, []byte("c")) == nil {
		t.Fatal("second batch took a key of the first")
	}
	f.Remove(b2, 0, [][]byte{[]byte("b"), []byte("c")})
	if f.Wait(0, []byte("b")) != wa || f.Wait(0, []byte("c")) != nil {
		t.Fatal("second batch's end removed the first batch's key")
	}
	select {
	case <-wa:
		t.Fatal("first batch's waiters woken by the second batch")
	default:
	}
	f.Remove(b0, 0, [][]byte{[]byte("a"), []byte("a"), []byte("b")})
	select {
	case <-wa:
	default:
		t.Fatal("waiter not woken")
	}
	if f.Wait(0, []byte("a")) != nil || f.Wait(0, []byte("b")) != nil || f.Wait(1, []byte("a")) == nil || !f.Active() {
		t.Fatal("wrong keys left in flight")
	}
	f.Remove(b1, 1, [][]byte{[]byte("a")})
	if f.Active() {
		t.Fatal("set not empty")
	}
}

func BenchmarkInFlightBatch(b *testing.B) {
	var f InFlight
	keys := make([][]byte, 100)
	for i := range keys {
		keys[i] = []byte("key:" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	b.ReportAllocs()
	for b.Loop() {
		fl := f.Add(0, keys)
		f.Remove(fl, 0, keys)
	}
}

// Landed counts the batches ended, so a command routed before a batch
// landed can tell under its locks that it must be routed again.
func TestInFlightLanded(t *testing.T) {
	var f InFlight
	before := f.Landed()
	fl := f.Add(0, [][]byte{[]byte("k")})
	if f.Landed() != before {
		t.Fatal("Landed moved when a batch started")
	}
	f.Remove(fl, 0, [][]byte{[]byte("k")})
	if f.Landed() != before+1 {
		t.Fatalf("Landed %d after one batch ended, want %d", f.Landed(), before+1)
	}
}
