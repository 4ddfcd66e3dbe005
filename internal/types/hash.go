package types

import (
	"encoding/binary"
	"unsafe"
)

// Encoding thresholds, as Redis 7.0's hash-max-listpack-entries,
// hash-max-listpack-value and set-max-intset-entries. The server sets them
// from config at start-up and on CONFIG SET.
var (
	HashMaxListpackEntries int64 = 512
	HashMaxListpackValue   int64 = 64
	SetMaxIntsetEntries    int64 = 512
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
type Hash struct {
	lp []byte
	ht *table[string]
}

// NewHash returns an empty hash in the listpack encoding.
func NewHash() *Hash { return &Hash{} }

// Kind is KindHash.
func (h *Hash) Kind() Kind { return KindHash }

// Encoding is "listpack" or "hashtable".
func (h *Hash) Encoding() string {
	if h.ht != nil {
		return "hashtable"
	}
	return "listpack"
}

// Len is the number of fields.
func (h *Hash) Len() int {
	if h.ht != nil {
		return h.ht.n
	}
	if len(h.lp) < 2 {
		return 0
	}
	return int(binary.LittleEndian.Uint16(h.lp))
}

// Copy returns an independent copy with the same encoding.
func (h *Hash) Copy() Object {
	if h.ht != nil {
		return &Hash{ht: h.ht.clone()}
	}
	return &Hash{lp: append([]byte(nil), h.lp...)}
}

// IsTable reports whether the hash uses the hashtable encoding.
func (h *Hash) IsTable() bool { return h.ht != nil }

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
func (h *Hash) lpFind(f []byte) (start, voff, end int) {
	lp := h.lp
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
	if h.ht != nil {
		i := h.ht.find(f)
		if i < 0 {
			return nil, false
		}
		v := h.ht.ents[i].val
		return unsafe.Slice(unsafe.StringData(v), len(v)), true
	}
	start, voff, _ := h.lpFind(f)
	if start < 0 {
		return nil, false
	}
	v, _ := lpNext(h.lp, voff)
	return v, true
}

// Exists reports whether field f is present.
func (h *Hash) Exists(f []byte) bool {
	if h.ht != nil {
		return h.ht.find(f) >= 0
	}
	start, _, _ := h.lpFind(f)
	return start >= 0
}

// NeedsTable reports whether storing b would force the hashtable encoding.
func NeedsTable(b []byte) bool { return int64(len(b)) > HashMaxListpackValue }

// Set sets field f to v, reporting whether f is new. It converts to the
// hashtable encoding first when f or v is longer than hash-max-listpack-value
// and afterwards when the hash has more than hash-max-listpack-entries
// fields (Redis 7.0 hashTypeSet).
func (h *Hash) Set(f, v []byte) bool {
	if h.ht == nil && (NeedsTable(f) || NeedsTable(v)) {
		h.Convert()
	}
	if h.ht != nil {
		return h.tableSet(f, v)
	}
	added := h.lpSet(f, v)
	if n := h.Len(); int64(n) > HashMaxListpackEntries || n >= lpMaxCount {
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
	if i := h.ht.find(f); i >= 0 {
		e := &h.ht.ents[i]
		e.key, e.val = pairStrings(f, v)
		return false
	}
	k, val := pairStrings(f, v)
	h.ht.insert(k, val)
	return true
}

func (h *Hash) lpSet(f, v []byte) bool {
	start, voff, end := h.lpFind(f)
	if start >= 0 {
		old, _ := lpNext(h.lp, voff)
		if len(old) == len(v) {
			copy(old, v)
			return false
		}
		oldLen := end - voff
		newLen := uvarintLen(len(v)) + len(v)
		total := len(h.lp) - oldLen + newLen
		if newLen > oldLen {
			h.lp = growLP(h.lp, total)
			copy(h.lp[voff+newLen:], h.lp[end:len(h.lp)-(newLen-oldLen)])
		} else {
			copy(h.lp[voff+newLen:], h.lp[end:])
			h.lp = h.lp[:total]
		}
		putEntry(h.lp[voff:], v)
		return false
	}
	if len(h.lp) == 0 {
		h.lp = growLP(nil, 2)
		h.lp[0], h.lp[1] = 0, 0
	}
	off := len(h.lp)
	h.lp = growLP(h.lp, off+uvarintLen(len(f))+len(f)+uvarintLen(len(v))+len(v))
	off += putEntry(h.lp[off:], f)
	putEntry(h.lp[off:], v)
	binary.LittleEndian.PutUint16(h.lp, binary.LittleEndian.Uint16(h.lp)+1)
	return true
}

// Delete removes field f, reporting whether it was present.
func (h *Hash) Delete(f []byte) bool {
	if h.ht != nil {
		return h.ht.remove(f)
	}
	start, _, end := h.lpFind(f)
	if start < 0 {
		return false
	}
	n := copy(h.lp[start:], h.lp[end:])
	h.lp = h.lp[:start+n]
	c := binary.LittleEndian.Uint16(h.lp) - 1
	if c == 0 {
		h.lp = nil
		return true
	}
	binary.LittleEndian.PutUint16(h.lp, c)
	// give memory back when most of the buffer is unused
	if cap(h.lp) > 64 && len(h.lp) < cap(h.lp)/2 {
		h.lp = append([]byte(nil), h.lp...)
	}
	return true
}

// Convert switches to the hashtable encoding (no-op if already there).
func (h *Hash) Convert() {
	if h.ht != nil {
		return
	}
	t := newTable[string](h.Len())
	h.lpEach(func(f, v []byte) bool {
		k, val := pairStrings(f, v)
		t.insert(k, val)
		return true
	})
	h.ht, h.lp = t, nil
}

func (h *Hash) lpEach(fn func(f, v []byte) bool) bool {
	lp := h.lp
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
	if h.ht == nil {
		h.lpEach(fn)
		return
	}
	h.ht.each(func(e *tentry[string]) bool {
		return fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)),
			unsafe.Slice(unsafe.StringData(e.val), len(e.val)))
	})
}

// Random returns a uniformly random field and value (aliasing the hash). The
// hash must not be empty.
func (h *Hash) Random() (f, v []byte) {
	if h.ht != nil {
		e := &h.ht.ents[h.ht.randomIndex()]
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
	return h.ht.scanBucket(cursor, func(e *tentry[string]) {
		fn(unsafe.Slice(unsafe.StringData(e.key), len(e.key)),
			unsafe.Slice(unsafe.StringData(e.val), len(e.val)))
	})
}

// ScanBucketEmpty reports whether the bucket at cursor is empty (Redis
// bounds a SCAN call by visiting at most 10×COUNT empty buckets).
func (h *Hash) ScanBucketEmpty(cursor uint64) bool { return h.ht.bucketEmpty(cursor) }
