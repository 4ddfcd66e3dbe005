package netloop

// outQueue is a connection's output that the socket has not taken yet. It
// is a list of chunks of at least outChunk bytes (a larger reply gets a
// chunk of its own size), as Redis keeps its reply list of 16 KB blocks: a
// client that does not read costs about the bytes it owes, never the 2-3×
// of a slice that doubles and copies as it grows.
type outQueue struct {
	bufs [][]byte // bufs[0][off:] is the next byte to send
	off  int
	n    int // bytes queued
	// peak is the most bytes queued since the queue was last empty: what
	// is given back when it drains (Releaser).
	peak int
	// alloc is the chunks' capacity: the memory the queue holds.
	alloc int
}

const outChunk = 16 * 1024

// push appends a copy of b.
func (q *outQueue) push(b []byte) {
	q.n += len(b)
	if q.n > q.peak {
		q.peak = q.n
	}
	if k := len(q.bufs); k > 0 {
		last := q.bufs[k-1]
		if room := cap(last) - len(last); room > 0 {
			m := min(room, len(b))
			q.bufs[k-1] = append(last, b[:m]...)
			b = b[m:]
		}
	}
	if len(b) > 0 {
		nb := make([]byte, len(b), max(outChunk, len(b)))
		copy(nb, b)
		q.bufs = append(q.bufs, nb)
		q.alloc += cap(nb)
	}
}

// consume drops the first n queued bytes (sent).
func (q *outQueue) consume(n int) {
	q.n -= n
	for n > 0 {
		left := len(q.bufs[0]) - q.off
		if n < left {
			q.off += n
			return
		}
		n -= left
		q.alloc -= cap(q.bufs[0])
		q.bufs[0] = nil
		q.bufs = q.bufs[1:]
		q.off = 0
	}
	if q.n == 0 {
		q.bufs = nil
		q.alloc = 0
	}
}

// reset drops everything and returns the peak to report as released.
func (q *outQueue) reset() int {
	p := q.peak
	*q = outQueue{}
	return p
}

// chunks is how many chunks are queued (CLIENT LIST's oll).
func (q *outQueue) chunks() int { return len(q.bufs) }
