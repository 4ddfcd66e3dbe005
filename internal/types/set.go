package types

import (
	"slices"
	"strconv"
	"unsafe"
)

// Set is a Redis set. A set of integers is a sorted []int64 ("intset") up to
// set-max-intset-entries members; any other set is a table ("hashtable"),
// as in Redis 7.0 (listpack sets came with 7.2). A set never converts back
// from hashtable to intset.
type Set struct {
	is []int64
	ht *table[struct{}]
}

// NewSet returns an empty set in the intset encoding (as Redis's
// createIntsetObject, used for SINTERSTORE/SUNIONSTORE destinations).
func NewSet() *Set { return &Set{} }

// NewSetInts returns an intset holding vs (kept, not copied) when vs is
// strictly increasing, as a valid intset's values are; else nil.
func NewSetInts(vs []int64) *Set {
	for i := 1; i < len(vs); i++ {
		if vs[i] <= vs[i-1] {
			return nil
		}
	}
	return &Set{is: vs}
}

// NewSetFor returns an empty set able to hold first: an intset when first is
// an integer, else a hashtable (Redis 7.0 setTypeCreate).
func NewSetFor(first []byte) *Set {
	if _, ok := ParseInt64(first); ok {
		return &Set{}
	}
	return &Set{ht: newTable[struct{}](0)}
}

// Kind is KindSet.
func (s *Set) Kind() Kind { return KindSet }

// Encoding is "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.ht != nil {
		return "hashtable"
	}
	return "intset"
}

// Len is the number of members.
func (s *Set) Len() int {
	if s.ht != nil {
		return s.ht.n
	}
	return len(s.is)
}

// Copy returns an independent copy with the same encoding.
func (s *Set) Copy() Object {
	if s.ht != nil {
		return &Set{ht: s.ht.clone()}
	}
	return &Set{is: slices.Clone(s.is)}
}

// IsIntset reports whether the set uses the intset encoding.
func (s *Set) IsIntset() bool { return s.ht == nil }

func (s *Set) convert() { s.ConvertSized(len(s.is)) }

// ConvertSized turns an intset into a hashtable sized for hint members
// (RDB loading: the set's count is known before its members); a hashtable
// set is left as it is.
func (s *Set) ConvertSized(hint int) {
	if s.ht != nil {
		return
	}
	t := newTable[struct{}](max(hint, len(s.is)))
	var buf [20]byte
	for _, v := range s.is {
		t.insert(string(strconv.AppendInt(buf[:0], v, 10)), struct{}{})
	}
	s.ht, s.is = t, nil
}

// Add adds m, reporting whether it was new (Redis 7.0 setTypeAdd); an
// intset past lim's set-max-intset-entries becomes a hashtable.
func (s *Set) Add(m []byte, lim *Limits) bool {
	if s.ht == nil {
		v, ok := ParseInt64(m)
		if !ok {
			s.convert()
		} else {
			i, found := slices.BinarySearch(s.is, v)
			if found {
				return false
			}
			s.is = slices.Insert(s.is, i, v)
			if int64(len(s.is)) > lim.SetMaxIntsetEntries {
				s.convert()
			}
			return true
		}
	}
	h := hashBytes(m) // once for the lookup and the insertion
	if s.ht.findHashed(m, h) >= 0 {
		return false
	}
	s.ht.insertHashed(string(m), h, struct{}{})
	return true
}

// Remove deletes m, reporting whether it was present.
func (s *Set) Remove(m []byte) bool {
	if s.ht != nil {
		return s.ht.remove(m)
	}
	v, ok := ParseInt64(m)
	if !ok {
		return false
	}
	i, found := slices.BinarySearch(s.is, v)
	if !found {
		return false
	}
	s.is = slices.Delete(s.is, i, i+1)
	if cap(s.is) > 16 && len(s.is) < cap(s.is)/4 {
		s.is = slices.Clip(slices.Clone(s.is))
	}
	return true
}

// Contains reports whether m is a member.
func (s *Set) Contains(m []byte) bool {
	if s.ht != nil {
		return s.ht.find(m) >= 0
	}
	v, ok := ParseInt64(m)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.is, v)
	return found
}

// ContainsString is Contains for a Go string.
func (s *Set) ContainsString(m string) bool {
	if s.ht != nil {
		return s.ht.findString(m) >= 0
	}
	return s.Contains(unsafe.Slice(unsafe.StringData(m), len(m)))
}

// Each calls fn with every member until fn returns false. The slice is only
// valid during the call. Intsets are visited in ascending order.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.ht == nil {
		var buf [20]byte
		for _, v := range s.is {
			if !fn(strconv.AppendInt(buf[:0], v, 10)) {
				return
			}
		}
		return
	}
	s.ht.each(func(e *tentry[struct{}]) bool {
		return fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)))
	})
}

// Members calls fn with every member until fn returns false; the strings
// may be kept (ZUNIONSTORE and friends read plain sets through it).
func (s *Set) Members(fn func(member string) bool) {
	if s.ht == nil {
		for _, v := range s.is {
			if !fn(strconv.FormatInt(v, 10)) {
				return
			}
		}
		return
	}
	s.ht.each(func(e *tentry[struct{}]) bool { return fn(e.key) })
}

// AppendRandom appends a uniformly random member to dst. The set must not
// be empty.
func (s *Set) AppendRandom(dst []byte) []byte {
	if s.ht == nil {
		return strconv.AppendInt(dst, s.is[RandIntN(len(s.is))], 10)
	}
	return append(dst, s.ht.ents[s.ht.randomIndex()].key...)
}

// Scan does one SSCAN step over a hashtable set (intsets are scanned whole
// by the caller): it emits the bucket at cursor and returns the next cursor.
func (s *Set) Scan(cursor uint64, fn func(m []byte)) uint64 {
	return s.ht.scanBucket(cursor, func(e *tentry[struct{}]) {
		fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)))
	})
}

// ScanBucketEmpty reports whether the bucket at cursor is empty.
func (s *Set) ScanBucketEmpty(cursor uint64) bool { return s.ht.bucketEmpty(cursor) }

// Ints returns the members of an intset set in ascending order (nil for a
// hashtable set). The slice aliases the set: read it, do not keep it.
func (s *Set) Ints() []int64 { return s.is }

// NewSetTable returns an empty set in the hashtable encoding, sized for
// hint members (RDB loading of a set too large for an intset).
func NewSetTable(hint int) *Set { return &Set{ht: newTable[struct{}](hint)} }

// ResetTable empties s into a hashtable set sized for hint members, as
// NewSetTable(hint) would return, keeping its table's memory when it has
// one of about that size: a decoder's scratch set (RESTORE), refilled for
// each value and handed out only through Own.
func (s *Set) ResetTable(hint int) {
	s.is = nil
	if s.ht == nil {
		s.ht = newTable[struct{}](hint)
		return
	}
	s.ht.reset(hint)
}

// ResetInts makes s the intset vs (kept, not copied) when vs is strictly
// increasing, as NewSetInts, reporting false otherwise: a decoder's
// scratch intset, handed out only through Own. s must not hold a table.
func (s *Set) ResetInts(vs []int64) bool {
	for i := 1; i < len(vs); i++ {
		if vs[i] <= vs[i-1] {
			return false
		}
	}
	s.is = vs
	return true
}

// Own returns a set holding the members of s, a decoder's scratch set
// (ResetTable, ResetInts): reuse itself when it has the same encoding
// (RESTORE REPLACE removed it from the keyspace: nothing else references
// it) — a hashtable set takes s's table and leaves its own to s for the
// next value, an intset takes s's values into its slice when it fits them
// with little waste — else a new set with s's table (s then has none) or
// a copy of s's values. See List.Own.
func (s *Set) Own(reuse Object) *Set {
	r, _ := reuse.(*Set)
	if r == s {
		r = nil
	}
	if s.ht == nil {
		if r != nil && r.ht == nil && fitsReuse(cap(r.is), len(s.is)) {
			r.is = append(r.is[:0], s.is...)
			return r
		}
		return &Set{is: slices.Clone(s.is)}
	}
	if r != nil && r.ht != nil {
		r.ht, s.ht = s.ht, r.ht
		if cap(s.ht.ents) > scratchTableMax {
			s.ht = nil // not kept for a small next value
		}
		return r
	}
	out := &Set{ht: s.ht}
	s.ht = nil
	return out
}

// scratchTableMax is the most entries a scratch set's table keeps between
// values.
const scratchTableMax = 4096

// ScratchTooLarge reports whether a scratch set holds a table too large to
// keep between values.
func (s *Set) ScratchTooLarge() bool { return s.ht != nil && cap(s.ht.ents) > scratchTableMax }
