package rdb

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// elems holds the entries of one listpack or ziplist, copied into one
// arena, so a value can be built from them in one step (one allocation)
// instead of element by element.
type elems struct {
	arena []byte
	ends  []int
	ints  []int64 // value of each entry when isInt
	isInt []bool
}

func (e *elems) reset() {
	e.arena, e.ends, e.ints, e.isInt = e.arena[:0], e.ends[:0], e.ints[:0], e.isInt[:0]
}

func (e *elems) len() int { return len(e.ends) }

func (e *elems) get(i int) []byte {
	start := 0
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.arena[start:e.ends[i]:e.ends[i]]
}

func (e *elems) add(s []byte, iv int64, isInt bool) {
	e.arena = append(e.arena, s...)
	e.ends = append(e.ends, len(e.arena))
	e.ints = append(e.ints, iv)
	e.isInt = append(e.isInt, isInt)
}

// collect reads every entry of a listpack (or ziplist) into e.
func (e *elems) collect(p []byte, ziplist bool) error {
	e.reset()
	if ziplist {
		it, err := newZLIter(p)
		if err != nil {
			return err
		}
		for {
			s, done, err := it.next()
			if err != nil {
				return err
			}
			if done {
				return nil
			}
			e.add(s, 0, false)
		}
	}
	it, hc, err := newLPIter(p)
	if err != nil {
		return err
	}
	for {
		s, iv, isInt, done, err := it.next()
		if err != nil {
			return err
		}
		if done {
			// lpValidateIntegrity: the header's count, when known, agrees.
			if hc != lpCountUnknown && hc != e.len() {
				return errBadData
			}
			return nil
		}
		e.add(s, iv, isInt)
	}
}

// score is entry i read as a sorted set score: an integer entry exactly,
// a string as strtod reads it.
func (e *elems) score(i int) (float64, error) {
	if e.isInt[i] {
		return float64(e.ints[i]), nil
	}
	return parseScore(e.get(i))
}

var dupSeed = maphash.MakeSeed()

// distinct reports whether entries first, first+step, … are all different
// (fields of a hash, members of a sorted set), in O(n).
func (e *elems) distinct(first, step int) bool {
	n := (e.len() - first + step - 1) / step
	if n <= 16 { // comparing pairs beats building a table
		for i := first; i < e.len(); i += step {
			for j := first; j < i; j += step {
				if bytes.Equal(e.get(i), e.get(j)) {
					return false
				}
			}
		}
		return true
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	type slot struct {
		hash uint64
		idx  int32 // entry index + 1; 0 = empty
	}
	slots := make([]slot, size)
	for i := first; i < e.len(); i += step {
		s := e.get(i)
		hv := maphash.Bytes(dupSeed, s)
		h := int(hv) & (size - 1)
		for slots[h].idx != 0 {
			if slots[h].hash == hv && bytes.Equal(e.get(int(slots[h].idx-1)), s) {
				return false
			}
			h = (h + 1) & (size - 1)
		}
		slots[h] = slot{hv, int32(i + 1)}
	}
	return true
}

// sortedPairs returns the pair indexes of a sorted set's (member, score)
// entries in ascending (score, member) order, and the scores; a listpack
// written by Redis is already in order, so this usually only checks.
func (e *elems) sortedPairs() ([]int, []float64, error) {
	n := e.len() / 2
	scores := make([]float64, n)
	order := make([]int, n)
	sorted := true
	for i := 0; i < n; i++ {
		s, err := e.score(2*i + 1)
		if err != nil {
			return nil, nil, err
		}
		if math.IsNaN(s) {
			return nil, nil, errBadData
		}
		scores[i], order[i] = s, i
		if i > 0 && !zlessPair(scores[i-1], e.get(2*i-2), s, e.get(2*i)) {
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(order, func(a, b int) int {
			switch {
			case zlessPair(scores[a], e.get(2*a), scores[b], e.get(2*b)):
				return -1
			case zlessPair(scores[b], e.get(2*b), scores[a], e.get(2*a)):
				return 1
			}
			return 0
		})
	}
	return order, scores, nil
}

// zlessPair orders sorted set elements by score, then member bytes.
func zlessPair(s1 float64, m1 []byte, s2 float64, m2 []byte) bool {
	return s1 < s2 || (s1 == s2 && bytes.Compare(m1, m2) < 0)
}

// pushTo appends the entries to l.
func (e *elems) pushTo(l *types.List, lim *types.Limits) {
	for i := range e.ends {
		l.PushBack(e.get(i), lim)
	}
}

// lpMaxCount is the most entries a packed Shoal hash or zset can count.
const lpMaxCount = 1<<16 - 1

// collectPairs collects the entries of a listpack or ziplist of pairs and
// returns the number of pairs (an odd count is bad data, none an empty key).
func (e *elems) collectPairs(blob []byte, ziplist bool) (int, error) {
	if err := e.collect(blob, ziplist); err != nil {
		return 0, err
	}
	if e.len()%2 != 0 {
		return 0, errBadData
	}
	if e.len() == 0 {
		return 0, ErrEmptyKey
	}
	return e.len() / 2, nil
}

// hashFromPairs loads a HASH_LISTPACK or HASH_ZIPLIST value: a listpack
// hash as Redis keeps it (whatever the values' lengths), a hashtable past
// hash-max-listpack-entries.
func (d *decoder) hashFromPairs(blob []byte, ziplist bool) (keyspace.Value, error) {
	if !ziplist && listpackFits(blob, d.set.HashMaxListpackEntries) {
		// The common case, in one pass: a listpack that needs no
		// conversion, checked whole.
		var h *types.Hash
		if d.view {
			if d.hview == nil {
				d.hview = new(types.Hash)
			}
			if h, d.pk = types.NewHashViewFromListpack(blob, d.pk, d.hview); h != nil {
				d.viewObj = h
				return keyspace.Value{Obj: h}, nil
			}
		} else if h, d.pk = types.NewHashFromListpack(blob, d.pk); h != nil {
			return keyspace.Value{Obj: h}, nil
		}
	}
	e := &d.el
	n, err := e.collectPairs(blob, ziplist)
	if err != nil {
		return keyspace.Value{}, err
	}
	if int64(n) > d.set.HashMaxListpackEntries || n >= lpMaxCount {
		h := types.NewHash()
		h.Convert()
		for i := 0; i < n; i++ {
			if !h.Set(e.get(2*i), e.get(2*i+1), &d.set.Limits) {
				return keyspace.Value{}, errBadData
			}
		}
		return obj(h, nil)
	}
	if !e.distinct(0, 2) {
		return keyspace.Value{}, errBadData
	}
	return obj(types.NewHashPacked(n, func(i int) ([]byte, []byte) { return e.get(2 * i), e.get(2*i + 1) }), nil)
}

// zsetFromPairs loads a ZSET_LISTPACK or ZSET_ZIPLIST value: listpack up to
// zset-max-listpack-entries, skiplist beyond (as rdbLoadObject converts).
func (d *decoder) zsetFromPairs(blob []byte, ziplist bool) (keyspace.Value, error) {
	if !ziplist && listpackFits(blob, d.set.ZSetMaxListpackEntries) {
		// The common case, in one pass: a listpack in order that needs no
		// conversion, checked whole.
		var z *types.ZSet
		if d.view {
			if d.zview == nil {
				d.zview = new(types.ZSet)
			}
			if z, d.pk = types.NewZSetViewFromListpack(blob, d.pk, parseScoreOK, d.zview); z != nil {
				d.viewObj = z
				return keyspace.Value{Obj: z}, nil
			}
		} else if z, d.pk = types.NewZSetFromListpack(blob, d.pk, parseScoreOK); z != nil {
			return keyspace.Value{Obj: z}, nil
		}
	}
	e := &d.el
	n, err := e.collectPairs(blob, ziplist)
	if err != nil {
		return keyspace.Value{}, err
	}
	if !e.distinct(0, 2) {
		return keyspace.Value{}, errBadData
	}
	order, scores, err := e.sortedPairs()
	if err != nil {
		return keyspace.Value{}, err
	}
	if int64(n) > d.set.ZSetMaxListpackEntries || n >= lpMaxCount {
		z := types.NewZSet(math.MaxInt32, 0, &d.set.Limits)
		for i := n - 1; i >= 0; i-- {
			j := order[i]
			z.Insert(e.get(2*j), scores[j], &d.set.Limits)
		}
		return obj(z, nil)
	}
	return obj(types.NewZSetSorted(n, func(i int) ([]byte, float64) {
		j := order[i]
		return e.get(2 * j), scores[j]
	}), nil)
}

// listpackFits reports whether listpack blob's header counts at most
// maxPairs pairs (so it loads as a listpack, no conversion).
func listpackFits(blob []byte, maxPairs int64) bool {
	if len(blob) < lpHeaderSize {
		return false
	}
	c := int(binary.LittleEndian.Uint16(blob[4:]))
	return c != lpCountUnknown && int64(c/2) <= maxPairs
}

// parseScoreOK is parseScore for types.NewZSetFromListpack.
func parseScoreOK(b []byte) (float64, bool) {
	f, err := parseScore(b)
	return f, err == nil
}
