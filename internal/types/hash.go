package types

import (
	"encoding/binary"
	"unsafe"
)

// lpMaxCount is the most pairs the packed encoding can count (its header is
// a uint16, like Redis's listpack element count).
const lpMaxCount = 1<<16 - 1

// Hash is a Redis hash. Small hashes ("listpack") are one byte slice:
// a little-endian uint16 pair count, then field and value alternately, each
// a uvarint length and the bytes, in insertion order as Redis keeps them.
// Past hash-max-listpack-entries pairs, or a field or value longer than
// hash-max-listpack-value, the hash becomes a table ("hashtable") and never
// goes back, as in Redis 7.0.
//
// The struct is 16 bytes (one pointer, two lengths) rather than a slice
// plus a table pointer: a small hash costs this header and its packed bytes,
// which keeps 100k ten-field hashes under Redis's own used_memory.
type Hash struct {
	p unsafe.Pointer // packed bytes, or *table[string] when c == 0
	n uint32         // packed length
	c uint32         // packed capacity; 0 when empty or a table
}

// lp returns the packed bytes (nil for a table or an empty hash).
func (h *Hash) lp() []byte {
	if h.c == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(h.p), h.c)[:h.n]
}

func (h *Hash) setLP(b []byte) {
	if cap(b) == 0 {
		h.p, h.n, h.c = nil, 0, 0
		return
	}
	h.p, h.n, h.c = unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), uint32(cap(b))
}

// tab returns the table, or nil in the listpack encoding.
func (h *Hash) tab() *table[string] {
	if h.c != 0 {
		return nil
	}
	return (*table[string])(h.p)
}

func (h *Hash) setTable(t *table[string]) { h.p, h.n, h.c = unsafe.Pointer(t), 0, 0 }

// NewHash returns an empty hash in the listpack encoding.
func NewHash() *Hash { return &Hash{} }

// Kind is KindHash.
func (h *Hash) Kind() Kind { return KindHash }

// Encoding is "listpack" or "hashtable".
func (h *Hash) Encoding() string {
	if h.tab() != nil {
		return "hashtable"
	}
	return "listpack"
}

// Len is the number of fields.
func (h *Hash) Len() int {
	if h.tab() != nil {
		return h.tab().n
	}
	lp := h.lp()
	if len(lp) < 2 {
		return 0
	}
	return int(binary.LittleEndian.Uint16(lp))
}

// Copy returns an independent copy with the same encoding.
func (h *Hash) Copy() Object {
	if h.tab() != nil {
		c := &Hash{}
		c.setTable(h.tab().clone())
		return c
	}
	c := &Hash{}
	c.setLP(append([]byte(nil), h.lp()...))
	return c
}

// IsTable reports whether the hash uses the hashtable encoding.
func (h *Hash) IsTable() bool { return h.tab() != nil }

// lpNext decodes the entry at off: its bytes and the offset after it.
func lpNext(lp []byte, off int) ([]byte, int) {
	n := int(lp[off])
	off++
	if n >= 0x80 {
		v, k := binary.Uvarint(lp[off-1:])
		n = int(v)
		off += k - 1
	}
	return lp[off : off+n], off + n
}

func uvarintLen(n int) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// lpFind returns the offsets of the pair whose field is f: start of the
// field entry, start of the value entry, end of the pair; start -1 if absent.
func hashLPFind(lp []byte, f []byte) (start, voff, end int) {
	if len(lp) < 2 {
		return -1, 0, 0
	}
	off := 2
	for off < len(lp) {
		start = off
		var k []byte
		k, off = lpNext(lp, off)
		voff = off
		// skip the value
		n := int(lp[off])
		if n < 0x80 {
			off += 1 + n
		} else {
			v, w := binary.Uvarint(lp[off:])
			off += w + int(v)
		}
		if string(k) == string(f) {
			return start, voff, off
		}
	}
	return -1, 0, 0
}

// growLP returns a buffer of length n holding lp's bytes, reallocating to
// n rounded up to the allocator's size class when lp is too small (the
// packed encoding grows like a realloc'd listpack, never doubling).
func growLP(lp []byte, n int) []byte {
	if n <= cap(lp) {
		return lp[:n]
	}
	nb := append([]byte(nil), make([]byte, n)...)
	copy(nb, lp)
	return nb
}

func putEntry(dst []byte, b []byte) int {
	k := binary.PutUvarint(dst, uint64(len(b)))
	return k + copy(dst[k:], b)
}

// Get returns the value of field f. The slice aliases the hash: copy it
// before the hash is modified.
func (h *Hash) Get(f []byte) ([]byte, bool) {
	if h.tab() != nil {
		i := h.tab().find(f)
		if i < 0 {
			return nil, false
		}
		v := h.tab().ents[i].val
		return unsafe.Slice(unsafe.StringData(v), len(v)), true
	}
	start, voff, _ := hashLPFind(h.lp(), f)
	if start < 0 {
		return nil, false
	}
	v, _ := lpNext(h.lp(), voff)
	return v, true
}

// Exists reports whether field f is present.
func (h *Hash) Exists(f []byte) bool {
	if h.tab() != nil {
		return h.tab().find(f) >= 0
	}
	start, _, _ := hashLPFind(h.lp(), f)
	return start >= 0
}

// NeedsTable reports whether storing b would force the hashtable encoding.
func (l *Limits) NeedsTable(b []byte) bool { return int64(len(b)) > l.HashMaxListpackValue }

// Set sets field f to v, reporting whether f is new. It converts to the
// hashtable encoding first when f or v is longer than lim's
// hash-max-listpack-value and afterwards when the hash has more than
// hash-max-listpack-entries fields (Redis 7.0 hashTypeSet).
func (h *Hash) Set(f, v []byte, lim *Limits) bool {
	if h.tab() == nil && (lim.NeedsTable(f) || lim.NeedsTable(v)) {
		h.Convert()
	}
	if h.tab() != nil {
		return h.tableSet(f, v)
	}
	added := h.lpSet(f, v)
	if n := h.Len(); int64(n) > lim.HashMaxListpackEntries || n >= lpMaxCount {
		h.Convert()
	}
	return added
}

// pairStrings copies f and v into one allocation and returns both as strings.
func pairStrings(f, v []byte) (string, string) {
	buf := make([]byte, len(f)+len(v))
	copy(buf, f)
	copy(buf[len(f):], v)
	s := unsafe.String(unsafe.SliceData(buf), len(buf))
	return s[:len(f)], s[len(f):]
}

func (h *Hash) tableSet(f, v []byte) bool {
	if i := h.tab().find(f); i >= 0 {
		e := &h.tab().ents[i]
		if e.val != string(v) {
			e.key, e.val = pairStrings(f, v)
		}
		return false
	}
	k, val := pairStrings(f, v)
	h.tab().insert(k, val)
	return true
}

func (h *Hash) lpSet(f, v []byte) bool {
	lp := h.lp()
	start, voff, end := hashLPFind(lp, f)
	if start >= 0 {
		old, _ := lpNext(lp, voff)
		if len(old) == len(v) {
			copy(old, v)
			return false
		}
		oldLen := end - voff
		newLen := uvarintLen(len(v)) + len(v)
		total := len(lp) - oldLen + newLen
		if newLen > oldLen {
			lp = growLP(lp, total)
			copy(lp[voff+newLen:], lp[end:len(lp)-(newLen-oldLen)])
		} else {
			copy(lp[voff+newLen:], lp[end:])
			lp = lp[:total]
		}
		putEntry(lp[voff:], v)
		h.setLP(lp)
		return false
	}
	h.setLP(packedAppend(lp, f, v))
	return true
}

// Delete removes field f, reporting whether it was present.
func (h *Hash) Delete(f []byte) bool {
	if h.tab() != nil {
		return h.tab().remove(f)
	}
	lp := h.lp()
	start, _, end := hashLPFind(lp, f)
	if start < 0 {
		return false
	}
	h.setLP(packedDelete(lp, start, end))
	return true
}

// packedDelete removes the bytes [start, end) of one item (a hash's pair,
// a set's member) from packed bytes b, whose 2-byte header counts the
// items, and returns them: nil once the last item is gone, a copy when
// most of the buffer would be unused (memory given back).
func packedDelete(b []byte, start, end int) []byte {
	b = b[:start+copy(b[start:], b[end:])]
	c := binary.LittleEndian.Uint16(b) - 1
	if c == 0 {
		return nil
	}
	binary.LittleEndian.PutUint16(b, c)
	if cap(b) > 64 && len(b) < cap(b)/2 {
		b = append([]byte(nil), b...)
	}
	return b
}

// Convert switches to the hashtable encoding (no-op if already there).
func (h *Hash) Convert() {
	if h.tab() != nil {
		return
	}
	t := newTable[string](h.Len())
	h.lpEach(func(f, v []byte) bool {
		k, val := pairStrings(f, v)
		t.insert(k, val)
		return true
	})
	h.setTable(t)
}

func (h *Hash) lpEach(fn func(f, v []byte) bool) bool {
	lp := h.lp()
	if len(lp) < 2 {
		return true
	}
	for off := 2; off < len(lp); {
		var f, v []byte
		f, off = lpNext(lp, off)
		v, off = lpNext(lp, off)
		if !fn(f, v) {
			return false
		}
	}
	return true
}

// Each calls fn with every field and value until fn returns false; the
// slices alias the hash and must not be kept or modified. Listpack hashes
// are visited in insertion order, as Redis replies with them.
func (h *Hash) Each(fn func(f, v []byte) bool) {
	if h.tab() == nil {
		h.lpEach(fn)
		return
	}
	h.tab().each(func(e *tentry[string]) bool {
		return fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)),
			unsafe.Slice(unsafe.StringData(e.val), len(e.val)))
	})
}

// Random returns a uniformly random field and value (aliasing the hash). The
// hash must not be empty.
func (h *Hash) Random() (f, v []byte) {
	if h.tab() != nil {
		e := &h.tab().ents[h.tab().randomIndex()]
		return unsafe.Slice(unsafe.StringData(e.key), len(e.key)),
			unsafe.Slice(unsafe.StringData(e.val), len(e.val))
	}
	k := RandIntN(h.Len())
	h.lpEach(func(ff, vv []byte) bool {
		if k == 0 {
			f, v = ff, vv
			return false
		}
		k--
		return true
	})
	return f, v
}

// Scan does one step of HSCAN over a hashtable hash: it emits the pairs of
// the bucket at cursor and returns the next cursor. Listpack hashes are
// scanned whole by the caller (Redis returns them in one reply, cursor 0).
func (h *Hash) Scan(cursor uint64, fn func(f, v []byte)) uint64 {
	return h.tab().scanBucket(cursor, func(e *tentry[string]) {
		fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)),
			unsafe.Slice(unsafe.StringData(e.val), len(e.val)))
	})
}

// ScanBucketEmpty reports whether the bucket at cursor is empty (Redis
// bounds a SCAN call by visiting at most 10×COUNT empty buckets).
func (h *Hash) ScanBucketEmpty(cursor uint64) bool { return h.tab().bucketEmpty(cursor) }

// NewHashPacked returns a hash in the listpack encoding holding the given
// pairs, in order, built in one allocation. The fields must be distinct
// and there must be fewer than 65535 pairs; no threshold is checked (RDB
// loading decides the encoding itself, as Redis's rdbLoadObject does).
func NewHashPacked(n int, pair func(i int) (f, v []byte)) *Hash {
	h := &Hash{}
	if n == 0 {
		return h
	}
	size := 2
	for i := 0; i < n; i++ {
		f, v := pair(i)
		size += uvarintLen(len(f)) + len(f) + uvarintLen(len(v)) + len(v)
	}
	lp := make([]byte, size)
	binary.LittleEndian.PutUint16(lp, uint16(n))
	off := 2
	for i := 0; i < n; i++ {
		f, v := pair(i)
		off += putEntry(lp[off:], f)
		off += putEntry(lp[off:], v)
	}
	h.setLP(lp)
	return h
}
