package types

import (
	"encoding/binary"
	"slices"
	"strconv"
	"unsafe"
)

// Set is a Redis set. A set of integers is a sorted []int64 ("intset") up to
// set-max-intset-entries members; any other set is a "hashtable", as in
// Redis 7.0 (listpack sets came with 7.2), never converting back to an
// intset. A hashtable set of at most SetPackedEntries members, each at
// most SetPackedValue bytes, is held packed (the members one after
// another, as a small hash's fields): one allocation the collector marks
// without scanning, where a table is four plus one string per member.
// OBJECT ENCODING and the RDB type still say hashtable; only SSCAN shows
// it, returning such a set whole with cursor 0 (SCAN's COUNT is a hint;
// Redis 7.0 does the same for a set of fewer members than COUNT). A packed
// set becomes a table once a member would break those bounds, and never
// packs again.
//
// The three forms share one pointer and two lengths, like Hash, so a set
// header is a 24-byte allocation. As tables, bench-repl.sh's 100k
// three-member sets took ~20 MB more and a quarter of a collection's mark
// time (docs/data-types.md).
type Set struct {
	p    unsafe.Pointer // *int64 (intset), *byte (packed) or *table
	n, c uint32         // the intset's or the packed bytes' length and capacity
	enc  uint8          // setInts, setPacked or setTable
}

const (
	setInts = iota
	setPacked
	setTable
)

// SetPackedEntries and SetPackedValue bound a packed set: a lookup scans
// it, so it stays a few cache lines long.
const (
	SetPackedEntries = 16
	SetPackedValue   = 64
)

// setSlice is the slice s holds in encoding enc (nil in another).
func setSlice[T any](s *Set, enc uint8) []T {
	if s.enc != enc || s.c == 0 {
		return nil
	}
	return unsafe.Slice((*T)(s.p), s.c)[:s.n]
}

// setToSlice makes s hold v in encoding enc.
func setToSlice[T any](s *Set, enc uint8, v []T) {
	s.enc = enc
	if cap(v) == 0 {
		s.p, s.n, s.c = nil, 0, 0
		return
	}
	s.p, s.n, s.c = unsafe.Pointer(unsafe.SliceData(v)), uint32(len(v)), uint32(cap(v))
}

func (s *Set) ints() []int64           { return setSlice[int64](s, setInts) }
func (s *Set) setIntsSlice(v []int64)  { setToSlice(s, setInts, v) }
func (s *Set) setPackedBytes(b []byte) { setToSlice(s, setPacked, b) }

// packed returns the packed bytes: a 2-byte member count, then each
// member as a uvarint length and its bytes (nil unless packed).
func (s *Set) packed() []byte { return setSlice[byte](s, setPacked) }

func (s *Set) tab() *table[struct{}] {
	if s.enc != setTable {
		return nil
	}
	return (*table[struct{}])(s.p)
}

func (s *Set) setTab(t *table[struct{}]) { s.p, s.n, s.c, s.enc = unsafe.Pointer(t), 0, 0, setTable }

// NewSet returns an empty set in the intset encoding (as Redis's
// createIntsetObject, used for SINTERSTORE/SUNIONSTORE destinations).
func NewSet() *Set { return &Set{} }

// NewSetInts returns an intset holding vs (kept, not copied) when vs is
// strictly increasing, as a valid intset's values are; else nil.
func NewSetInts(vs []int64) *Set {
	s := &Set{}
	if !s.ResetInts(vs) {
		return nil
	}
	return s
}

// NewSetFor returns an empty set able to hold first: an intset when first is
// an integer, else a hashtable (Redis 7.0 setTypeCreate), packed while it
// is small.
func NewSetFor(first []byte) *Set {
	if _, ok := ParseInt64(first); ok {
		return &Set{}
	}
	if len(first) <= SetPackedValue {
		return &Set{enc: setPacked}
	}
	s := &Set{}
	s.setTab(newTable[struct{}](0))
	return s
}

// Kind is KindSet.
func (s *Set) Kind() Kind { return KindSet }

// Encoding is "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.enc == setInts {
		return "intset"
	}
	return "hashtable"
}

// Len is the number of members.
func (s *Set) Len() int {
	switch s.enc {
	case setTable:
		return s.tab().n
	case setPacked:
		if s.n == 0 {
			return 0
		}
		return int(binary.LittleEndian.Uint16(s.packed()))
	}
	return int(s.n)
}

// Copy returns an independent copy with the same encoding.
func (s *Set) Copy() Object {
	out := &Set{}
	switch s.enc {
	case setTable:
		out.setTab(s.tab().clone())
	case setPacked:
		out.setPackedBytes(slices.Clone(s.packed()))
	default:
		out.setIntsSlice(slices.Clone(s.ints()))
	}
	return out
}

// IsIntset reports whether the set uses the intset encoding.
func (s *Set) IsIntset() bool { return s.enc == setInts }

// ScansWhole reports whether SSCAN returns the set in one reply with
// cursor 0 (an intset, or a packed hashtable set); else Scan walks its
// table's buckets.
func (s *Set) ScansWhole() bool { return s.enc != setTable }

// toTable turns an intset or a packed set into a table sized for hint
// members.
func (s *Set) toTable(hint int) {
	t := newTable[struct{}](max(hint, s.Len()))
	s.Each(func(m []byte) bool {
		t.insert(string(m), struct{}{})
		return true
	})
	s.setTab(t)
}

// ConvertSized turns an intset or a packed set into a table sized for hint
// members (RDB loading: the set's count is known before its members); a
// table is left as it is.
func (s *Set) ConvertSized(hint int) {
	if s.enc != setTable {
		s.toTable(hint)
	}
}

// fromInts turns an intset into a hashtable set about to receive m: packed
// when the members and m fit its bounds, else a table.
func (s *Set) fromInts(m []byte) {
	if len(s.ints())+1 > SetPackedEntries || len(m) > SetPackedValue {
		s.toTable(0)
		return
	}
	var b []byte
	var buf [20]byte
	for _, v := range s.ints() {
		b = packedAppend(b, strconv.AppendInt(buf[:0], v, 10))
	}
	s.setPackedBytes(b)
}

// Add adds m, reporting whether it was new (Redis 7.0 setTypeAdd); an
// intset past lim's set-max-intset-entries becomes a hashtable.
func (s *Set) Add(m []byte, lim *Limits) bool {
	if s.enc == setInts {
		v, ok := ParseInt64(m)
		if !ok {
			s.fromInts(m)
		} else {
			is := s.ints()
			i, found := slices.BinarySearch(is, v)
			if found {
				return false
			}
			s.setIntsSlice(slices.Insert(is, i, v))
			if int64(s.n) > lim.SetMaxIntsetEntries {
				s.toTable(0)
			}
			return true
		}
	}
	if s.enc == setPacked {
		pk := s.packed()
		if packedFind(pk, m) >= 0 {
			return false
		}
		if s.Len() < SetPackedEntries && len(m) <= SetPackedValue {
			s.setPackedBytes(packedAppend(pk, m))
			return true
		}
		s.toTable(0)
	}
	t := s.tab()
	h := hashBytes(m) // once for the lookup and the insertion
	if t.findHashed(m, h) >= 0 {
		return false
	}
	t.insertHashed(string(m), h, struct{}{})
	return true
}

// packedAppend adds one item (a set's member; a hash's field and value)
// to packed bytes b (nil: empty), its entries in order, counting it in
// the 2-byte header and growing b as a realloc'd listpack (growLP).
func packedAppend(b []byte, entries ...[]byte) []byte {
	if len(b) == 0 {
		b = growLP(b, 2)
		b[0], b[1] = 0, 0
	}
	off, n := len(b), len(b)
	for _, e := range entries {
		n += uvarintLen(len(e)) + len(e)
	}
	b = growLP(b, n)
	for _, e := range entries {
		off += putEntry(b[off:], e)
	}
	binary.LittleEndian.PutUint16(b, binary.LittleEndian.Uint16(b)+1)
	return b
}

// packedFind returns the offset of member m's entry in packed bytes b, or -1.
func packedFind(b, m []byte) int {
	for off := 2; off < len(b); {
		start := off
		var e []byte
		e, off = lpNext(b, off)
		if string(e) == string(m) {
			return start
		}
	}
	return -1
}

// Remove deletes m, reporting whether it was present.
func (s *Set) Remove(m []byte) bool {
	switch s.enc {
	case setTable:
		return s.tab().remove(m)
	case setPacked:
		b := s.packed()
		start := packedFind(b, m)
		if start < 0 {
			return false
		}
		_, end := lpNext(b, start)
		s.setPackedBytes(packedDelete(b, start, end))
		return true
	}
	v, ok := ParseInt64(m)
	if !ok {
		return false
	}
	is := s.ints()
	i, found := slices.BinarySearch(is, v)
	if !found {
		return false
	}
	is = slices.Delete(is, i, i+1)
	if cap(is) > 16 && len(is) < cap(is)/4 {
		is = slices.Clip(slices.Clone(is))
	}
	s.setIntsSlice(is)
	return true
}

// Contains reports whether m is a member.
func (s *Set) Contains(m []byte) bool {
	switch s.enc {
	case setTable:
		return s.tab().find(m) >= 0
	case setPacked:
		return packedFind(s.packed(), m) >= 0
	}
	v, ok := ParseInt64(m)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.ints(), v)
	return found
}

// ContainsString is Contains for a Go string.
func (s *Set) ContainsString(m string) bool {
	if t := s.tab(); t != nil {
		return t.findString(m) >= 0
	}
	return s.Contains(unsafe.Slice(unsafe.StringData(m), len(m)))
}

// Each calls fn with every member until fn returns false. The slice is only
// valid during the call. Intsets are visited in ascending order, a packed
// set in the order its members were added.
func (s *Set) Each(fn func(m []byte) bool) {
	switch s.enc {
	case setTable:
		s.tab().each(func(e *tentry[struct{}]) bool {
			return fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)))
		})
	case setPacked:
		b := s.packed()
		for off := 2; off < len(b); {
			var m []byte
			m, off = lpNext(b, off)
			if !fn(m) {
				return
			}
		}
	default:
		var buf [20]byte
		for _, v := range s.ints() {
			if !fn(strconv.AppendInt(buf[:0], v, 10)) {
				return
			}
		}
	}
}

// Members calls fn with every member until fn returns false; the strings
// may be kept (ZUNIONSTORE and friends read plain sets through it).
func (s *Set) Members(fn func(member string) bool) {
	if t := s.tab(); t != nil {
		t.each(func(e *tentry[struct{}]) bool { return fn(e.key) })
		return
	}
	s.Each(func(m []byte) bool { return fn(string(m)) })
}

// AppendRandom appends a uniformly random member to dst. The set must not
// be empty.
func (s *Set) AppendRandom(dst []byte) []byte {
	switch s.enc {
	case setTable:
		t := s.tab()
		return append(dst, t.ents[t.randomIndex()].key...)
	case setPacked:
		k := RandIntN(s.Len())
		s.Each(func(m []byte) bool {
			if k == 0 {
				dst = append(dst, m...)
				return false
			}
			k--
			return true
		})
		return dst
	}
	is := s.ints()
	return strconv.AppendInt(dst, is[RandIntN(len(is))], 10)
}

// Scan does one SSCAN step over a table (a set that ScansWhole is returned
// whole by the caller): it emits the bucket at cursor and returns the next
// cursor.
func (s *Set) Scan(cursor uint64, fn func(m []byte)) uint64 {
	return s.tab().scanBucket(cursor, func(e *tentry[struct{}]) {
		fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)))
	})
}

// ScanBucketEmpty reports whether the bucket at cursor is empty.
func (s *Set) ScanBucketEmpty(cursor uint64) bool { return s.tab().bucketEmpty(cursor) }

// Ints returns the members of an intset set in ascending order (nil for a
// hashtable set). The slice aliases the set: read it, do not keep it.
func (s *Set) Ints() []int64 { return s.ints() }

// NewSetTable returns an empty set in the hashtable encoding, held as a
// table sized for hint members (RDB loading of a set too large to pack).
func NewSetTable(hint int) *Set {
	s := &Set{}
	s.setTab(newTable[struct{}](hint))
	return s
}

// ResetTable empties s into a table sized for hint members, as
// NewSetTable(hint) would return, keeping its table's memory when it has
// one of about that size: a decoder's scratch set (RESTORE), refilled for
// each value and handed out only through Own.
func (s *Set) ResetTable(hint int) {
	if t := s.tab(); t != nil {
		t.reset(hint)
		return
	}
	s.setTab(newTable[struct{}](hint))
}

// ResetPacked empties s into a packed set, keeping its packed bytes'
// memory when it has some: a decoder's scratch set, handed out only
// through Own.
func (s *Set) ResetPacked() {
	if s.enc != setPacked {
		*s = Set{enc: setPacked}
		return
	}
	s.n = 0
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
	s.setIntsSlice(vs)
	return true
}

// Own returns a set holding the members of s, a decoder's scratch set
// (ResetTable, ResetInts): reuse itself when it has the same encoding
// (RESTORE REPLACE removed it from the keyspace: nothing else references
// it) — a table takes s's table and leaves its own to s for the next
// value, an intset takes s's values into its slice when it fits them with
// little waste — else a new set with s's table (s then has none) or a
// copy of s's values. See List.Own.
func (s *Set) Own(reuse Object) *Set {
	r, _ := reuse.(*Set)
	if r == s {
		r = nil
	}
	switch s.enc {
	case setInts:
		if r != nil && r.enc == setInts && fitsReuse(int(r.c), int(s.n)) {
			r.setIntsSlice(append(r.ints()[:0], s.ints()...))
			return r
		}
		out := &Set{}
		out.setIntsSlice(slices.Clone(s.ints()))
		return out
	case setPacked:
		if r != nil && r.enc == setPacked && fitsReuse(int(r.c), int(s.n)) {
			r.setPackedBytes(append(unsafe.Slice((*byte)(r.p), r.c)[:0], s.packed()...))
			return r
		}
		return s.Copy().(*Set)
	}
	if r != nil && r.enc == setTable {
		rt := r.tab()
		r.setTab(s.tab())
		if cap(rt.ents) > scratchTableMax {
			*s = Set{} // not kept for a small next value
		} else {
			s.setTab(rt)
		}
		return r
	}
	out := &Set{}
	out.setTab(s.tab())
	*s = Set{}
	return out
}

// scratchTableMax is the most entries a scratch set's table keeps between
// values.
const scratchTableMax = 4096

// ScratchTooLarge reports whether a scratch set holds a table too large to
// keep between values.
func (s *Set) ScratchTooLarge() bool { t := s.tab(); return t != nil && cap(t.ents) > scratchTableMax }
