package types

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unsafe"

	"github.com/shoal-db/shoal/internal/rnum"
)

// Hashes and sorted sets in the listpack encoding are kept in Shoal's own
// packed forms (hash.go, zset_listpack.go), not as Redis's listpack bytes.
// DUMP and RESTORE (RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK) convert
// between the two here, in one pass each way, with list_listpack.go's
// entry codec.

// AppendListpack appends the listpack Redis 7.0 keeps for this hash:
// field, value, … in insertion order, a canonical integer as an integer
// entry (lpAppend). The hash must be in the listpack encoding.
func (h *Hash) AppendListpack(dst []byte) []byte {
	lp := h.lp()
	count := 2 * h.Len()
	start := len(dst)
	// An entry grows by at most 7 bytes (a longer header, the backlen);
	// the word copies write up to 16 bytes from an entry's start.
	dst = slices.Grow(dst, len(lp)+7*count+qlpHeader+1+16)
	out := dst[:cap(dst)]
	w := start + qlpHeader
	for off := 2; off < len(lp); {
		n := int(lp[off])
		if n < 16 && off+16 <= len(lp) && (n == 0 || lp[off+1] != '-' && lp[off+1]-'0' > 9) {
			// A string of up to 15 bytes that cannot be an integer, the
			// common case.
			putShortStr(out, w, lp, off, n)
			w += n + 2
			off += n + 1
			continue
		}
		if n >= 64 { // a long string (or length)
			var e []byte
			e, off = lpNext(lp, off)
			w += len(qlpAppend(out[w:w], e))
			continue
		}
		e := lp[off+1 : off+1+n]
		off += 1 + n
		if n > 0 && (e[0] == '-' || e[0]-'0' <= 9) { // perhaps an integer
			w += len(qlpAppend(out[w:w], e))
			continue
		}
		out[w] = 0x80 | byte(n)
		copy(out[w+1:], e)
		out[w+1+n] = byte(n + 1)
		w += n + 2
	}
	out[w] = qlpEOF
	dst = dst[:w+1]
	qlpSetHeader(dst[start:], count)
	return dst
}

// putShortStr writes the packed string at lp[off], of n < 16 bytes, as a
// listpack string entry (0x80|n, the bytes, the backlen n+1) at out[w]:
// the length byte and the bytes moved as two 8-byte words, then the
// header and the backlen written over their first and last byte. The
// caller ensures 16 bytes can be read at lp[off] and written at out[w].
func putShortStr(out []byte, w int, lp []byte, off, n int) {
	src := unsafe.Add(unsafe.Pointer(unsafe.SliceData(lp)), off)
	o := unsafe.Add(unsafe.Pointer(unsafe.SliceData(out)), w)
	*(*uint64)(o) = *(*uint64)(src)
	*(*uint64)(unsafe.Add(o, 8)) = *(*uint64)(unsafe.Add(src, 8))
	*(*byte)(o) = 0x80 | byte(n)
	*(*byte)(unsafe.Add(o, 1+n)) = byte(n + 1)
}

// qlpAppendShort is qlpAppend with the common case first: a string of
// fewer than 64 bytes that cannot be an integer.
func qlpAppendShort(dst, e []byte) []byte {
	if n := len(e); n < 64 && (n == 0 || e[0] != '-' && e[0]-'0' > 9) {
		dst = append(dst, 0x80|byte(n))
		dst = append(dst, e...)
		return append(dst, byte(n+1))
	}
	return qlpAppend(dst, e)
}

// AppendListpack appends the listpack Redis 7.0 keeps for this sorted set:
// member, score, … by ascending score, a score that is an integer as an
// integer entry and any other as its d2string text (zzlInsertAt). The set
// must be in the listpack encoding.
func (z *ZSet) AppendListpack(dst []byte) []byte {
	lp := z.bytes()
	n := lpCount(lp)
	start := len(dst)
	// A member grows by at most 7 bytes; a score takes at most 1+24+1;
	// putShortStr writes up to 16 bytes from an entry's start.
	dst = slices.Grow(dst, len(lp)+33*n+qlpHeader+1+16)
	out := dst[:cap(dst)]
	w := start + qlpHeader
	var sbuf [32]byte
	for off := lpHeader; off < len(lp); {
		if l := int(lp[off]); l < 16 && off+16 <= len(lp) && (l == 0 || lp[off+1] != '-' && lp[off+1]-'0' > 9) {
			// a member of up to 15 bytes that cannot be an integer
			putShortStr(out, w, lp, off, l)
			w += l + 2
			off += 1 + l
		} else if l < 64 && (l == 0 || lp[off+1] != '-' && lp[off+1]-'0' > 9) {
			// a short member that cannot be an integer
			out[w] = 0x80 | byte(l)
			copy(out[w+1:], lp[off+1:off+1+l])
			out[w+1+l] = byte(l + 1)
			w += l + 2
			off += 1 + l
		} else {
			var m []byte
			m, off = lpNext(lp, off)
			w += len(qlpAppend(out[w:w], m))
		}
		if b0 := lp[off]; b0 != 0x01 { // an integral score: an integer entry
			// Its uvarint, one or two bytes inline (|score| < 2^12).
			var v uint64
			if b0 < 0x80 {
				v = uint64(b0)
				off++
			} else if b1 := lp[off+1]; b1 < 0x80 {
				v = uint64(b0&0x7F) | uint64(b1)<<7
				off += 2
			} else {
				var k int
				v, k = binary.Uvarint(lp[off:])
				off += k
			}
			zz := v >> 1
			iv := int64(zz>>1) ^ -int64(zz&1)
			if uint64(iv+4096) < 8192 { // 7- or 13-bit integer, inline
				if uint64(iv) < 128 {
					out[w], out[w+1] = byte(iv), 1
					w += 2
				} else {
					u := uint64(iv) & (1<<13 - 1)
					out[w], out[w+1], out[w+2] = byte(u>>8)|0xC0, byte(u), 2
					w += 3
				}
				continue
			}
			w += len(qlpAppendInt(out[w:w], iv))
			continue
		}
		s := math.Float64frombits(binary.LittleEndian.Uint64(lp[off+1:]))
		off += 9
		if a := math.Abs(s); a < 1e6 && a*256 == math.Trunc(a*256) && a != math.Trunc(a) {
			// d2string of a fraction in 1/256ths (2.5, 0.125): never an
			// integer entry, at most 16 bytes, written in place.
			n := putEighths(out, w+1, s)
			out[w] = 0x80 | byte(n)
			out[w+1+n] = byte(n + 1)
			w += n + 2
			continue
		}
		if v, ok := double2ll(s); ok {
			w += len(qlpAppendInt(out[w:w], v))
		} else {
			w += len(qlpAppend(out[w:w], appendD2String(sbuf[:0], s)))
		}
	}
	out[w] = qlpEOF
	dst = dst[:w+1]
	qlpSetHeader(dst[start:], 2*n)
	return dst
}

// NewHashFromListpack returns a hash in the listpack encoding holding the
// pairs of p, a Redis listpack of field, value, … (RDB_TYPE_HASH_LISTPACK),
// in one pass over p. It accepts only a listpack it has checked whole —
// header and terminator, every entry's encoding, bounds and backlen, the
// header's count, an even number of entries, at least one pair, fewer than
// 65535, distinct fields — and returns nil for anything else (the caller
// then takes its general path, which says what is wrong). scratch is
// working space, returned (perhaps grown) for the next call.
func NewHashFromListpack(p, scratch []byte) (*Hash, []byte) {
	h, b := NewHashViewFromListpack(p, scratch, nil)
	if h != nil {
		h.setLP(bytes.Clone(b))
	}
	return h, b
}

// NewHashViewFromListpack is NewHashFromListpack returning a hash whose
// bytes are the returned scratch: it must not be used after scratch is,
// except through Own. The hash is view when view is not nil (a decoder's
// scratch, never stored: Own gives a hash to store), else a new one.
func NewHashViewFromListpack(p, scratch []byte, view *Hash) (*Hash, []byte) {
	b, n, ok := lpToPacked(p, scratch, nil)
	if !ok {
		return nil, b
	}
	binary.LittleEndian.PutUint16(b, uint16(n))
	if view == nil {
		view = &Hash{}
	}
	view.setLP(b[:len(b):len(b)])
	return view, b
}

// Own returns a hash holding the bytes of h, a view
// (NewHashViewFromListpack), in memory of its own: reuse itself, its
// buffer refilled, when reuse is a listpack hash whose buffer fits them
// without much waste (RESTORE REPLACE: the value it replaces, already
// removed from the keyspace and referenced by nothing else), else a new
// hash. h is left empty. Redis's allocator hands the replaced value's
// memory to the next one at once; Go's would only after a collection,
// meanwhile growing the heap into fresh pages.
func (h *Hash) Own(reuse Object) *Hash {
	b := h.lp()
	h.setLP(nil)
	if r, ok := reuse.(*Hash); ok && r != h && r.tab() == nil && fitsReuse(int(r.c), len(b)) {
		dst := unsafe.Slice((*byte)(r.p), r.c)
		r.setLP(dst[:copy(dst, b)])
		return r
	}
	o := &Hash{}
	o.setLP(bytes.Clone(b))
	return o
}

// fitsReuse reports whether a buffer of capacity c should hold n bytes:
// it is large enough and not more than twice as large (plus a little),
// so a small value does not keep a large buffer alive.
func fitsReuse(c, n int) bool { return c >= n && c <= 2*n+64 }

// NewZSetFromListpack returns a sorted set in the listpack encoding
// holding the pairs of p, a Redis listpack of member, score, … in
// ascending (score, member) order (RDB_TYPE_ZSET_LISTPACK), checked as
// NewHashFromListpack checks a hash, and also: members in strictly
// ascending order, every score an integer entry or a string parseScore
// accepts (strtod's rules, no NaN). It returns nil for anything else,
// including a valid listpack out of order (the caller sorts it).
func NewZSetFromListpack(p, scratch []byte, parseScore func([]byte) (float64, bool)) (*ZSet, []byte) {
	z, b := NewZSetViewFromListpack(p, scratch, parseScore, nil)
	if z != nil {
		z.setBytes(bytes.Clone(b))
	}
	return z, b
}

// NewZSetViewFromListpack is NewZSetFromListpack returning a sorted set
// whose bytes are the returned scratch, as NewHashViewFromListpack (view
// likewise).
func NewZSetViewFromListpack(p, scratch []byte, parseScore func([]byte) (float64, bool), view *ZSet) (*ZSet, []byte) {
	b, n, ok := lpToPacked(p, scratch, parseScore)
	if !ok {
		return nil, b
	}
	lpSetCount(b, n)
	if view == nil {
		view = &ZSet{}
	}
	view.setBytes(b[:len(b):len(b)])
	return view, b
}

// Own is Hash.Own for a sorted set view (NewZSetViewFromListpack); reuse
// may be a compact sorted set.
func (z *ZSet) Own(reuse Object) *ZSet {
	b := z.bytes()
	z.setBytes(nil)
	if r, ok := reuse.(*ZSet); ok && r != z && r.skip() == nil && r.p != nil && fitsReuse(int(r.c), len(b)) {
		dst := unsafe.Slice((*byte)(r.p), r.c)
		r.setBytes(dst[:copy(dst, b)])
		return r
	}
	o := &ZSet{}
	o.setBytes(bytes.Clone(b))
	return o
}

// lpToPacked converts listpack p of pairs into the packed form of a hash
// (parseScore nil) or a sorted set, with a 2-byte count still to be
// written, in scratch. It returns the packed bytes, the number of pairs
// and whether p passed every check of NewHashFromListpack and
// NewZSetFromListpack.
//
// One pass: each entry is checked and copied (a short string, the common
// case, and a 7-bit integer without a call), and each field or member goes
// into the duplicate table as it is copied (distinctSet).
func lpToPacked(p, scratch []byte, parseScore func([]byte) (float64, bool)) ([]byte, int, bool) {
	// Room for the usual case (strings and small integers take about as
	// much as in p), so that the copies below take their fast path.
	b := append(slices.Grow(scratch[:0], len(p)+len(p)/2+32), 0, 0)
	if !qlpHeaderOK(p) {
		return b, 0, false
	}
	// The duplicate table and the keys' offsets (for the fallback) on the
	// stack, zeroed only as large as the header's count needs: ~16 pairs
	// clear 320 bytes, not the 2.5 KB of 128 pairs (~5 % of a hash10's
	// RESTORE decode).
	var dup distinctSet
	var keys []uint32
	switch size := distinctSize(p, 256); {
	case size == 0:
		dup.slots = make([]uint64, distinctSize(p, 0))
		keys = make([]uint32, 0, len(dup.slots)/2)
	case size <= 32:
		var tab [32]uint64
		var keyBuf [16]uint32
		dup.slots, keys = tab[:size], keyBuf[:0]
	default:
		var tab [256]uint64
		var keyBuf [128]uint32
		dup.slots, keys = tab[:size], keyBuf[:0]
	}
	dup.budget = 2*len(dup.slots) + 64
	end := len(p) - 1
	entries := 0
	var prevScore float64
	cur, prev := 0, 0 // offsets in b of this pair's member and the previous one's
	var ibuf [20]byte
	var tail [2 * pairStepRoom]byte
	misses := 0
entryLoop:
	for off := qlpHeader; off < end; entries++ {
		// Runs of common pairs go through pairStep; after a few tries
		// that found none (each a call and a few tests for nothing),
		// every pair goes entry by entry here.
		for entries%2 == 0 && misses < 4 {
			src, base := p, 0
			if off+pairStepRoom > end {
				// The last pairs, from a copy padded with terminator
				// bytes: 0xFF is no entry's header or backlen, so an entry
				// running past the listpack's end fails the step's own
				// checks there, and the step needs no other.
				tail = terminators
				copy(tail[:], p[off:])
				src, base = tail[:], off
			}
			nb, nkeys, st, next, ok := pairStep(src, off-base, len(src)-1, b, keys, pairRun{prevScore: prevScore, prev: prev}, &dup, parseScore != nil)
			next += base
			if !ok {
				return nb, 0, false
			}
			done := len(nkeys) - entries/2
			if done == 0 {
				misses++
				break
			}
			b, keys, prevScore, prev = nb, nkeys, st.prevScore, st.prev
			entries += 2 * done
			if off = next; off >= end {
				break entryLoop
			}
			if base != 0 || off+pairStepRoom <= end {
				// Stopped at a pair it does not take: that one goes
				// entry by entry. (Stopped short of the end for want of
				// room, it goes on from the padded copy.)
				break
			}
		}
		var s []byte
		var iv int64
		isInt := false
		if c := p[off]; c&0xC0 == 0x80 { // a string of up to 63 bytes
			l := int(c & 0x3F)
			next := off + l + 2
			if next > end || p[next-1] != byte(l+1) {
				return b, 0, false
			}
			s = p[off+1 : off+1+l]
			off = next
		} else if c&0x80 == 0 { // an integer of 7 bits
			if off+2 > end || p[off+1] != 1 {
				return b, 0, false
			}
			iv, isInt = int64(c), true
			off += 2
		} else if c&0xE0 == 0xC0 { // an integer of 13 bits
			if off+3 > end || p[off+2] != 2 {
				return b, 0, false
			}
			iv, isInt = int64(c&0x1F)<<8|int64(p[off+1]), true
			if iv >= 1<<12 {
				iv -= 1 << 13
			}
			off += 3
		} else {
			_, next, ok := qlpNextChecked(p, off, end)
			if !ok {
				return b, 0, false
			}
			s, iv, isInt, _ = qlpDecode(p, off)
			off = next
		}
		if entries%2 == 0 || parseScore == nil { // a field, a member or a hash value
			t := s
			if isInt {
				t = strconv.AppendInt(ibuf[:0], iv, 10)
			}
			at := len(b)
			if n := len(t); n < 16 && cap(t) >= 16 && cap(b)-at >= 17 {
				// The common case: a short string copied as one 16-byte
				// word (the bytes past it are overwritten or cut off).
				w := b[:cap(b)]
				w[at] = byte(n)
				*(*[16]byte)(w[at+1:]) = *(*[16]byte)(t[:16])
				b = b[:at+1+n]
			} else {
				if len(t) < 0x80 {
					b = append(b, byte(len(t)))
				} else {
					b = binary.AppendUvarint(b, uint64(len(t)))
				}
				b = append(b, t...)
			}
			if entries%2 == 0 {
				keys = append(keys, uint32(at))
				// The common case inline: a short key, an empty slot.
				var h uint64
				if len(t) <= 16 && cap(t) >= 16 {
					h = hash16(t[:16], len(t))
				} else {
					h = shortHash(t)
				}
				if i := h & uint64(len(dup.slots)-1); dup.slots[i] == 0 && !dup.fallback && 2*len(keys) <= len(dup.slots) {
					dup.slots[i] = h<<32 | uint64(at+1)
				} else if !dup.addHashed(b, at, t, len(keys), h) {
					return b, 0, false
				}
				cur = at
			}
			continue
		}
		score := float64(iv)
		if !isInt {
			var ok bool
			if score, ok = rnum.ParseShortDecimal(s); !ok {
				if score, ok = parseScore(s); !ok {
					return b, 0, false
				}
			}
		}
		if entries > 1 && !(prevScore < score) {
			// Equal scores order by member; anything else is out of order.
			if prevScore != score {
				return b, 0, false
			}
			pm, _ := lpNext(b, prev)
			m, _ := lpNext(b, cur)
			if bytes.Compare(pm, m) >= 0 {
				return b, 0, false
			}
		}
		prevScore, prev = score, cur
		if isInt && uint64(iv+(1<<52)) < 1<<53 {
			// lpAppendScore's integer form, without the float round trip.
			z := (uint64(iv<<1) ^ uint64(iv>>63)) << 1
			if z < 0x80 {
				b = append(b, byte(z))
			} else {
				b = binary.AppendUvarint(b, z)
			}
			continue
		}
		b = lpAppendScore(b, score)
	}
	pairs := entries / 2
	if entries%2 != 0 || pairs == 0 || pairs >= lpMaxCount {
		return b, 0, false
	}
	if c := int(binary.LittleEndian.Uint16(p[4:])); c != qlpCountUnknown && c != entries {
		return b, 0, false
	}
	if dup.fallback {
		return b, pairs, distinctEntries(b, keys)
	}
	return b, pairs, true
}

// pairStepRoom is how much of a listpack must follow a pair for
// pairStep: the 16-byte word copies from each string's first byte, and
// the checks' reads. A listpack's last pairs go through it from a padded
// copy (terminators).
const pairStepRoom = 36

// terminators is a listpack tail's padding: listpack terminators.
var terminators = func() (t [2 * pairStepRoom]byte) {
	for i := range t {
		t[i] = qlpEOF
	}
	return t
}()

// pairRun is what lpToPacked carries from pair to pair beside the packed
// bytes and the fields' or members' offsets in them: the previous pair's
// score and member offset. How many pairs are done is the offsets'
// count (one per pair). (The slices are passed on their own: escape
// analysis follows a struct as a whole, and the offsets' array on
// lpToPacked's stack would move to the heap.)
type pairRun struct {
	prevScore float64
	prev      int
}

// pairStep converts the run of common pairs of listpack p from off, each
// as one step, in a loop of its own so that its state stays in
// registers: a member or field of under 16 bytes with a score that is a
// 7- or 13-bit integer entry or a short decimal text of under 16 bytes
// (a sorted set, zset true: zsetPairStep), or a value of under 16 bytes
// (a hash: hashPairStep), while pairStepRoom bytes of p follow and b has
// room. It does lpToPacked's checks (entries and backlens, scores in
// order, distinct fields or members) and returns b, keys and its state
// after the run and where it stopped, or false on a refusal. Each kind
// has its loop: one loop for both carried the other's state in registers
// it needed (hash100's conversion 11-15 % slower). Both test the
// duplicate table's common case inline: as a call (too costly for the
// inliner, hash16 alone being near its budget) the conversion took 14 %
// (hash100) and 27 % (zset100) longer.
func pairStep(p []byte, off, end int, b []byte, keys []uint32, st pairRun, dup *distinctSet, zset bool) ([]byte, []uint32, pairRun, int, bool) {
	if zset {
		return zsetPairStep(p, off, end, b, keys, st, dup)
	}
	return hashPairStep(p, off, end, b, keys, st, dup)
}

// shortEntryAt returns the length of the string entry of under 16 bytes
// at p+off, or -1 if it is none (or its backlen is wrong). Unchecked: the
// pair steps' loop condition leaves room for it.
func shortEntryAt(p unsafe.Pointer, off int) int {
	if l := int(*(*byte)(unsafe.Add(p, off))) - 0x80; uint(l) < 16 && *(*byte)(unsafe.Add(p, off+1+l)) == byte(l+1) {
		return l
	}
	return -1
}

// load64 and store64 read and write the little-endian word at p+off,
// unchecked (as shortEntryAt).
func load64(p unsafe.Pointer, off int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, off))[:])
}

func store64(p unsafe.Pointer, off int, v uint64) {
	binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(p, off))[:], v)
}

// stepTable is what a pair step keeps of the duplicate table in
// registers: its slots' address, the index mask (its length, a power of
// two, less one) and stepLimit.
func stepTable(dup *distinctSet) (unsafe.Pointer, uint64, int) {
	return unsafe.Pointer(unsafe.SliceData(dup.slots)), uint64(len(dup.slots) - 1), stepLimit(dup)
}

// stepSlot is the duplicate table slot a step fills for a key hashed to
// h without a call: the key's own slot if empty, else the next if the own
// holds another hash and the next is empty (addHashed's linear probing,
// one step of it); nil where the key goes through addKeySlow (a slot with
// its hash, which may be its duplicate, or two full slots).
func stepSlot(slots unsafe.Pointer, mask, h uint64) *uint64 {
	i := h & mask
	slot := (*uint64)(unsafe.Add(slots, i*8))
	if e := *slot; e != 0 {
		if e>>32 == h {
			return nil
		}
		if slot = (*uint64)(unsafe.Add(slots, ((i+1)&mask)*8)); *slot != 0 {
			return nil
		}
	}
	return slot
}

// addKeySlow puts key (copied to b[at], hashed to h, the n-th) into the
// duplicate table past the common case the steps test inline (an empty
// slot while the table is under half full). It returns the limit to go
// on with (stepLimit's), or false for a repeated key.
func addKeySlow(dup *distinctSet, b []byte, at int, key []byte, n int, h uint64) (int, bool) {
	if !dup.addHashed(b, at, key, n, h) {
		return 0, false
	}
	return stepLimit(dup), true
}

// stepLimit is how full a step fills the duplicate table inline: half
// of it, -1 (never) after a fall back.
func stepLimit(dup *distinctSet) int {
	if dup.fallback {
		return -1
	}
	return len(dup.slots) / 2
}

// hashPairStep is pairStep for a hash, unchecked as zsetPairStep is (a
// value's entry, at most 17 bytes, follows the field's within
// pairStepRoom; its 16-byte word is written at most 17 bytes in).
func hashPairStep(p []byte, off, end int, b []byte, keys []uint32, st pairRun, dup *distinctSet) ([]byte, []uint32, pairRun, int, bool) {
	slots, mask, limit := stepTable(dup)
	pp := unsafe.Pointer(unsafe.SliceData(p))
	ok := true
	for off+pairStepRoom <= end && cap(b)-len(b) >= 40 {
		l := shortEntryAt(pp, off)
		if l < 0 {
			break
		}
		v := off + 2 + l // the value entry
		l2 := shortEntryAt(pp, v)
		if l2 < 0 {
			break
		}
		at := len(b)
		wp := unsafe.Pointer(unsafe.SliceData(b))
		*(*[16]byte)(unsafe.Add(wp, at)) = *(*[16]byte)(unsafe.Add(pp, off))
		*(*byte)(unsafe.Add(wp, at)) = byte(l)
		*(*[16]byte)(unsafe.Add(wp, at+1+l)) = *(*[16]byte)(unsafe.Add(pp, v))
		*(*byte)(unsafe.Add(wp, at+1+l)) = byte(l2)
		b = b[:at+2+l+l2]
		keys = append(keys, uint32(at))
		h := hashWords(load64(pp, off+1), load64(pp, off+9), l)
		if slot := stepSlot(slots, mask, h); slot != nil && len(keys) <= limit {
			*slot = h<<32 | uint64(at+1)
		} else if limit, ok = addKeySlow(dup, b, at, p[off+1:off+1+l], len(keys), h); !ok {
			return b, keys, st, off, false
		}
		off = v + 2 + l2
	}
	return b, keys, st, off, true
}

// zsetPairStep is pairStep for a sorted set. Its reads of p, its writes
// to b and its duplicate table loads are unchecked (the bounds checks and
// the lengths they keep took registers the loop spilled for): the loop's
// condition leaves pairStepRoom bytes of p from off, which cover each
// read (the member's 16-byte word and header, the score entry of at most
// 17 bytes after it), and 40 bytes of b's capacity, which cover each
// write (the member's 16-byte word at most 17 bytes in, then at most 9
// score bytes, a double's form, ending at most 26 bytes in; a whole text
// score goes through lpAppendScore, which appends); a table index is
// masked by its length less one, a power of two (distinctSize).
func zsetPairStep(p []byte, off, end int, b []byte, keys []uint32, st pairRun, dup *distinctSet) ([]byte, []uint32, pairRun, int, bool) {
	prevScore, prev := st.prevScore, st.prev
	slots, mask, limit := stepTable(dup)
	pp := unsafe.Pointer(unsafe.SliceData(p))
	at8 := func(i int) byte { return *(*byte)(unsafe.Add(pp, i)) }
	ok := true
	for off+pairStepRoom <= end && cap(b)-len(b) >= 40 {
		l := shortEntryAt(pp, off)
		if l < 0 {
			break
		}
		v := off + 2 + l // the score entry
		next := 0
		var iv int64
		var score float64
		isInt := true
		if c := at8(v); c < 0x80 {
			if at8(v+1) != 1 {
				break
			}
			iv, next = int64(c), v+2
		} else if c&0xE0 == 0xC0 {
			if at8(v+2) != 2 {
				break
			}
			iv, next = int64(c&0x1F)<<8|int64(at8(v+1)), v+3
			if iv >= 1<<12 {
				iv -= 1 << 13
			}
		} else if l2 := int(c) - 0x80; uint(l2) < 16 && at8(v+1+l2) == byte(l2+1) {
			// A score as text in its short decimal form ("1.5");
			// another form goes entry by entry, to parseScore (which p
			// must not flow to: the last pairs come from a copy on
			// lpToPacked's stack).
			if score, ok = rnum.ParseShortDecimal(p[v+1 : v+1+l2]); !ok {
				break
			}
			isInt, next = false, v+2+l2
		} else {
			break
		}
		if isInt {
			score = float64(iv)
		}
		at := len(b)
		if len(keys) > 0 && !(prevScore < score) {
			// Equal scores order by member; anything else is out of order.
			pm, _ := lpNext(b, prev)
			if prevScore != score || bytes.Compare(pm, p[off+1:off+1+l]) >= 0 {
				return b, keys, st, off, false
			}
		}
		prevScore, prev = score, at
		// The member as one 16-byte word over its header, then the
		// score: a small integer's zigzag uvarint (|iv| < 2^12: 1 or 2
		// bytes) written here, any other score by lpAppendScore.
		wp := unsafe.Pointer(unsafe.SliceData(b))
		mw := *(*[16]byte)(unsafe.Add(pp, off))
		*(*[16]byte)(unsafe.Add(wp, at)) = mw
		*(*byte)(unsafe.Add(wp, at)) = byte(l)
		e := at + 1 + l
		if !isInt {
			if score == math.Trunc(score) {
				// lpAppendScore's integer form (a whole text score).
				b = lpAppendScore(b[:e], score)
			} else {
				// Its double form, written here: a call spills the
				// loop's registers.
				*(*byte)(unsafe.Add(wp, e)) = 0x01
				store64(wp, e+1, math.Float64bits(score))
				b = b[:e+9]
			}
		} else if z := (uint64(iv<<1) ^ uint64(iv>>63)) << 1; z < 0x80 {
			*(*byte)(unsafe.Add(wp, e)) = byte(z)
			b = b[:e+1]
		} else {
			*(*[2]byte)(unsafe.Add(wp, e)) = [2]byte{byte(z) | 0x80, byte(z >> 7)}
			b = b[:e+2]
		}
		keys = append(keys, uint32(at))
		h := hashWords(load64(pp, off+1), load64(pp, off+9), l)
		if slot := stepSlot(slots, mask, h); slot != nil && len(keys) <= limit {
			*slot = h<<32 | uint64(at+1)
		} else if limit, ok = addKeySlow(dup, b, at, p[off+1:off+1+l], len(keys), h); !ok {
			return b, keys, st, off, false
		}
		off = next
	}
	return b, keys, pairRun{prevScore: prevScore, prev: prev}, off, true
}

// distinctSet finds a repeated field or member while lpToPacked copies
// them: an open-addressing table of (hash, offset in the packed bytes),
// on the stack up to 128 keys. A key of up to 16 bytes is hashed from
// two word loads (which cover all of it) mixed with a per-process seed,
// a longer one with maphash. When the table would be too full (the
// header's count was wrong) or the probes pass a budget linear in the
// keys (keys made to collide), it stops and lpToPacked checks the keys
// it kept with distinctEntries instead, so the check stays linear.
type distinctSet struct {
	slots    []uint64 // hash<<32 | offset+1; 0 is empty
	budget   int      // probes left
	fallback bool
}

var (
	shortSeed1 = maphash.Comparable(distinctSeed, 1)
	shortSeed2 = maphash.Comparable(distinctSeed, 2)
)

// distinctSize is the table size for listpack p's pairs: a power of two
// at least twice their number, or 0 if that is more than limit (limit 0:
// no limit).
func distinctSize(p []byte, limit int) int {
	n := int(binary.LittleEndian.Uint16(p[4:])) / 2 // the header's pairs
	if n >= qlpCountUnknown/2 {
		n = (len(p) - qlpHeader) / 4 // a pair takes at least 4 bytes
	}
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if limit > 0 && size > limit {
		return 0
	}
	return size
}

// add records the key s, at offset at of b and the n-th added, reporting
// false if an equal key was added before.
func (d *distinctSet) add(b []byte, at int, s []byte, n int) bool {
	return d.addHashed(b, at, s, n, shortHash(s))
}

// addHashed is add with s's shortHash h computed by the caller.
func (d *distinctSet) addHashed(b []byte, at int, s []byte, n int, h uint64) bool {
	if d.fallback {
		return true
	}
	if 2*n > len(d.slots) {
		d.fallback = true
		return true
	}
	mask := uint64(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := d.slots[i]
		if e == 0 {
			d.slots[i] = h<<32 | uint64(at+1)
			return true
		}
		if e>>32 == h {
			if k, _ := lpNext(b, int(uint32(e)-1)); string(k) == string(s) {
				return false
			}
		}
		if d.budget--; d.budget < 0 {
			d.fallback = true
			return true
		}
	}
}

// shortHash is distinctSet's hash (32 bits): hash16 for a key of up to
// 16 bytes, maphash beyond.
func shortHash(s []byte) uint64 {
	l := len(s)
	if l > 16 {
		return maphash.Bytes(distinctSeed, s) >> 32
	}
	if cap(s) < 16 {
		var buf [16]byte
		copy(buf[:], s)
		s = buf[:l]
	}
	return hash16(s[:16], l)
}

// hash16 is shortHash of the key w[:l], l ≤ 16, where w holds 16 bytes
// (those past the key are masked off): the key as two words, zero-padded,
// mixed with a per-process seed and its length by one multiplication.
func hash16(w []byte, l int) uint64 {
	return hashWords(binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:16]), l)
}

// hashWords is hash16 of the key whose 16 bytes are the words lo and hi
// (little endian). The pair steps load the words straight from the
// listpack: a 16-byte copy read back as two words went through the stack.
func hashWords(lo, hi uint64, l int) uint64 {
	// Keep the key's bytes only: shifts below 64 (Go's larger shifts
	// need extra instructions), one branch that keys of similar lengths
	// predict.
	if l <= 8 {
		lo &= ^uint64(0) >> (uint(64-8*l) & 63)
		if l == 0 {
			lo = 0
		}
		hi = 0
	} else {
		hi &= ^uint64(0) >> (uint(128-8*l) & 63)
	}
	h, x := bits.Mul64(lo^shortSeed1, hi^shortSeed2^uint64(l))
	return (h ^ x) >> 32
}

// double2ll is Redis's double2ll: d as an integer when it is one and
// casting is safe.
func double2ll(d float64) (int64, bool) {
	if d < float64(-math.MaxInt64/2) || d > float64(math.MaxInt64/2) {
		return 0, false
	}
	ll := int64(d)
	return ll, float64(ll) == d
}

// appendD2String appends d as Redis's d2string formats it.
func appendD2String(dst []byte, d float64) []byte {
	switch {
	case math.IsNaN(d):
		return append(dst, "nan"...)
	case math.IsInf(d, 1):
		return append(dst, "inf"...)
	case math.IsInf(d, -1):
		return append(dst, "-inf"...)
	case d == 0:
		if math.Signbit(d) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	if v, ok := double2ll(d); ok {
		return strconv.AppendInt(dst, v, 10)
	}
	if a := math.Abs(d); a < 1e6 && a*256 == math.Trunc(a*256) {
		return appendEighths(dst, d)
	}
	return strconv.AppendFloat(dst, d, 'g', 17, 64) // "%.17g"
}

// appendEighths is "%.17g" of a d that is not an integer, below 1e6 in
// magnitude and a multiple of 1/256 (scores such as 2.5 or 0.125): its
// exact decimal form has at most 6+8 significant digits, so "%.17g" prints
// exactly that, in fixed notation (its exponent is -3..5). See putEighths.
func appendEighths(dst []byte, d float64) []byte {
	n := len(dst)
	dst = slices.Grow(dst, eighthsRoom)
	return dst[:n+putEighths(dst[:cap(dst)], n, d)]
}

// eighthsRoom is the room putEighths needs from where it writes.
const eighthsRoom = 24

// putEighths writes appendEighths's text at out[w:] and returns its length
// (at most 16). It writes through unchecked stores up to eighthsRoom bytes
// from w, which out must have: the integer part's digits, '.', then the
// fraction f/256's digits (f·390625 / 10^8 without its trailing zeros,
// from a table) as one 8-byte word.
func putEighths(out []byte, w int, d float64) int {
	a := math.Abs(d)
	ip := uint64(a) // < 1e6: exact truncation
	f := uint64((a - float64(ip)) * 256)
	o := unsafe.Add(unsafe.Pointer(unsafe.SliceData(out)), w)
	n := 0
	if d < 0 {
		*(*byte)(o) = '-'
		n = 1
	}
	switch {
	case ip < 10:
		*(*byte)(unsafe.Add(o, n)) = '0' + byte(ip)
		n++
	case ip < 100:
		*(*byte)(unsafe.Add(o, n)) = digitPairs[2*ip]
		*(*byte)(unsafe.Add(o, n+1)) = digitPairs[2*ip+1]
		n += 2
	default:
		n += len(strconv.AppendUint(out[w+n:w+n], ip, 10))
	}
	*(*byte)(unsafe.Add(o, n)) = '.'
	e := &eighths[f&0xFF]
	*(*uint64)(unsafe.Add(o, n+1)) = e.digits
	return n + 1 + int(e.n)
}

// eighths[f] is the fraction f/256 in decimal: its digits after the point
// (little endian, up to 8) and how many there are.
var eighths = func() (t [256]struct {
	digits uint64
	n      uint8
}) {
	for f := 1; f < 256; f++ {
		s := strconv.AppendUint(nil, uint64(f*390625+1e8), 10)[1:] // 8 digits
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		var b [8]byte
		copy(b[:], s)
		t[f].digits = binary.LittleEndian.Uint64(b[:])
		t[f].n = uint8(len(s))
	}
	return
}()

// digitPairs is "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

var distinctSeed = maphash.MakeSeed()

// distinctEntries reports whether the packed entries (uvarint length,
// bytes) at offsets offs of b are all different.
func distinctEntries(b []byte, offs []uint32) bool {
	n := len(offs)
	if n <= 12 { // comparing pairs beats building a table
		for i := 1; i < n; i++ {
			ki, _ := lpNext(b, int(offs[i]))
			for j := 0; j < i; j++ {
				if kj, _ := lpNext(b, int(offs[j])); string(ki) == string(kj) {
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
	var tab [256]uint32
	var slots []uint32 // entry index + 1; 0 is empty
	if size <= len(tab) {
		slots = tab[:size]
	} else {
		slots = make([]uint32, size)
	}
	for i, off := range offs {
		k, _ := lpNext(b, int(off))
		h := int(maphash.Bytes(distinctSeed, k)) & (size - 1)
		for slots[h] != 0 {
			if o, _ := lpNext(b, int(offs[slots[h]-1])); string(o) == string(k) {
				return false
			}
			h = (h + 1) & (size - 1)
		}
		slots[h] = uint32(i + 1)
	}
	return true
}
