package types

import "sort"

// ordMap is an ordered map kept as a list of sorted chunks: lookups,
// inserts and deletes are a binary search over chunks and one within a
// chunk plus a move of at most ordChunk entries, so a pending entries
// list of millions stays cheap to acknowledge from its head (what
// Redis's rax gives the PELs and the consumer and group tables).
type ordMap[K any, V any] struct {
	chunks [][]ordEnt[K, V]
	n      int
	cmp    func(a, b K) int
}

type ordEnt[K any, V any] struct {
	k K
	v V
}

const ordChunk = 128

func newOrdMap[K any, V any](cmp func(a, b K) int) *ordMap[K, V] {
	return &ordMap[K, V]{cmp: cmp}
}

// Len is the number of entries.
func (m *ordMap[K, V]) Len() int {
	if m == nil {
		return 0
	}
	return m.n
}

// seek is the position of the first entry >= k (chunk, index); ci ==
// len(chunks) when there is none.
func (m *ordMap[K, V]) seek(k K) (int, int) {
	ci := sort.Search(len(m.chunks), func(i int) bool {
		c := m.chunks[i]
		return m.cmp(c[len(c)-1].k, k) >= 0
	})
	if ci == len(m.chunks) {
		return ci, 0
	}
	c := m.chunks[ci]
	return ci, sort.Search(len(c), func(i int) bool { return m.cmp(c[i].k, k) >= 0 })
}

// Get returns k's value.
func (m *ordMap[K, V]) Get(k K) (v V, ok bool) {
	if m == nil {
		return v, false
	}
	ci, i := m.seek(k)
	if ci < len(m.chunks) && m.cmp(m.chunks[ci][i].k, k) == 0 {
		return m.chunks[ci][i].v, true
	}
	return v, false
}

// Set stores v under k, replacing any value; it reports whether k was new.
// A chunk never grows past ordChunk (its array is allocated once): a full
// chunk splits in two before the insert, except that a key past the last
// one starts a new chunk, so a PEL filled in ID order (XREADGROUP ">")
// keeps full chunks and moves no entries.
func (m *ordMap[K, V]) Set(k K, v V) bool {
	if nc := len(m.chunks); nc > 0 {
		// Past the last key (IDs delivered in order): no search.
		if last := m.chunks[nc-1]; len(last) < ordChunk && m.cmp(last[len(last)-1].k, k) < 0 {
			m.chunks[nc-1] = append(last, ordEnt[K, V]{k, v})
			m.n++
			return true
		}
	}
	ci, i := m.seek(k)
	if ci < len(m.chunks) && m.cmp(m.chunks[ci][i].k, k) == 0 {
		m.chunks[ci][i].v = v
		return false
	}
	m.n++
	if ci == len(m.chunks) {
		if ci == 0 {
			m.chunks = append(m.chunks, make([]ordEnt[K, V], 0, 8))
		}
		ci = len(m.chunks) - 1
		i = len(m.chunks[ci])
		if i == ordChunk {
			c := make([]ordEnt[K, V], 1, ordChunk)
			c[0] = ordEnt[K, V]{k, v}
			m.chunks = append(m.chunks, c)
			return true
		}
	}
	c := m.chunks[ci]
	if len(c) == ordChunk {
		half := ordChunk / 2
		right := make([]ordEnt[K, V], ordChunk-half, ordChunk)
		copy(right, c[half:])
		clear(c[half:]) // the moved entries' pointers
		c = c[:half]
		m.chunks = append(m.chunks, nil)
		copy(m.chunks[ci+2:], m.chunks[ci+1:])
		m.chunks[ci] = c
		m.chunks[ci+1] = right
		if i > half {
			ci, i, c = ci+1, i-half, right
		}
	}
	c = append(c, ordEnt[K, V]{})
	copy(c[i+1:], c[i:])
	c[i] = ordEnt[K, V]{k, v}
	m.chunks[ci] = c
	return true
}

// Delete removes k and returns its value.
func (m *ordMap[K, V]) Delete(k K) (v V, ok bool) {
	if m == nil {
		return v, false
	}
	ci, i := m.seek(k)
	if ci == len(m.chunks) || m.cmp(m.chunks[ci][i].k, k) != 0 {
		return v, false
	}
	c := m.chunks[ci]
	v = c[i].v
	copy(c[i:], c[i+1:])
	var zero ordEnt[K, V]
	c[len(c)-1] = zero
	c = c[:len(c)-1]
	if len(c) == 0 {
		m.chunks = append(m.chunks[:ci], m.chunks[ci+1:]...)
	} else {
		m.chunks[ci] = c
	}
	m.n--
	return v, true
}

// Ascend calls fn for entries with key >= from (all when from is nil),
// in order, until fn returns false. fn must not change m.
func (m *ordMap[K, V]) Ascend(from *K, fn func(k K, v V) bool) {
	if m == nil {
		return
	}
	ci, i := 0, 0
	if from != nil {
		ci, i = m.seek(*from)
	}
	for ; ci < len(m.chunks); ci, i = ci+1, 0 {
		for c := m.chunks[ci]; i < len(c); i++ {
			if !fn(c[i].k, c[i].v) {
				return
			}
		}
	}
}

// Next is the first entry with key >= k.
func (m *ordMap[K, V]) Next(k K) (key K, v V, ok bool) {
	if m == nil {
		return key, v, false
	}
	ci, i := m.seek(k)
	if ci == len(m.chunks) {
		return key, v, false
	}
	e := m.chunks[ci][i]
	return e.k, e.v, true
}

// First and Last are the smallest and largest entries.
func (m *ordMap[K, V]) First() (k K, v V, ok bool) {
	if m.Len() == 0 {
		return k, v, false
	}
	e := m.chunks[0][0]
	return e.k, e.v, true
}

func (m *ordMap[K, V]) Last() (k K, v V, ok bool) {
	if m.Len() == 0 {
		return k, v, false
	}
	c := m.chunks[len(m.chunks)-1]
	e := c[len(c)-1]
	return e.k, e.v, true
}
