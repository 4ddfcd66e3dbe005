package migrate

import "testing"

func TestInFlight(t *testing.T) {
	var f InFlight
	if f.Active() || f.Wait(0, []byte("a")) != nil {
		t.Fatal("empty set reports a key")
	}
	// A key named twice by one MIGRATE, and the same key in another db.
	f.Add(0, [][]byte{[]byte("a"), []byte("a"), []byte("b")})
	f.Add(1, [][]byte{[]byte("a")})
	wa := f.Wait(0, []byte("a"))
	if !f.Active() || wa == nil || f.Wait(0, []byte("c")) != nil {
		t.Fatal("in-flight keys not reported")
	}
	f.Remove(0, [][]byte{[]byte("a"), []byte("a"), []byte("b")})
	select {
	case <-wa:
	default:
		t.Fatal("waiter not woken")
	}
	if f.Wait(0, []byte("a")) != nil || f.Wait(1, []byte("a")) == nil || !f.Active() {
		t.Fatal("wrong keys left in flight")
	}
	f.Remove(1, [][]byte{[]byte("a")})
	if f.Active() {
		t.Fatal("set not empty")
	}
}
