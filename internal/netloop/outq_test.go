package netloop

import (
	"bytes"
	"math/rand"
	"testing"
)

// The queue gives back exactly what was pushed, in order, whatever the
// sizes pushed and consumed, and holds about the bytes it owes.
func TestOutQueueOrderAndSize(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var q outQueue
	var want, got []byte
	for i := 0; i < 5000; i++ {
		if rng.Intn(3) > 0 {
			b := make([]byte, rng.Intn(3*outChunk))
			rng.Read(b)
			q.push(b)
			want = append(want, b...)
		} else if q.n > 0 {
			n := 1 + rng.Intn(q.n)
			// what the socket would take: the head of the queue
			took := 0
			for _, c := range q.bufs {
				if took == 0 {
					c = c[q.off:]
				}
				m := min(len(c), n-took)
				got = append(got, c[:m]...)
				took += m
				if took == n {
					break
				}
			}
			q.consume(n)
		}
		if q.n != len(want)-len(got) {
			t.Fatalf("step %d: n %d, owed %d", i, q.n, len(want)-len(got))
		}
		held := 0
		for _, c := range q.bufs {
			held += cap(c)
		}
		if q.n > 0 && held > q.n+q.off+2*outChunk && held > 2*q.n {
			t.Fatalf("step %d: %d bytes held for %d owed", i, held, q.n)
		}
	}
	for _, c := range q.bufs {
		got = append(got, c[q.off:]...)
		q.off = 0
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("bytes out differ from bytes in")
	}
}

func TestOutQueueResetReportsPeak(t *testing.T) {
	var q outQueue
	q.push(make([]byte, 100))
	q.push(make([]byte, 50000))
	q.consume(30000)
	if p := q.reset(); p != 50100 {
		t.Fatalf("peak %d, want 50100", p)
	}
	if q.n != 0 || q.bufs != nil {
		t.Fatalf("not empty after reset")
	}
}
