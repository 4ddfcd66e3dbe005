package types

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// A stream node's entries are packed into one []byte, after the idea of
// Redis's listpack node: against the node's master entry (the first
// entry's ID and its field names) each entry is
//
//	flags byte (packDeleted, packSameFields)
//	uvarint(ms - master.ms)
//	varint(int64(seq - master.seq))   zigzag: seq may fall when ms rises
//	[uvarint(field count)]            unless packSameFields
//	per field: [uvarint(len) field]   unless packSameFields
//	           uvarint(len) value
//	backlen: the entry's length so far, 7 bits a byte, most significant
//	         first, every byte but the first with 0x80 set (read from its
//	         end, as a listpack's backlen, for walking a node backwards)
//
// Entries are never moved or rewritten once packed, except that XDEL and
// trimming set packDeleted in the flags byte. Strings handed out by the
// decoder therefore alias the buffer (value and field bytes never change);
// a buffer that is replaced (sealing, Copy) stays alive while they do.
// The decoder only ever reads what appendEntry wrote (RDB input is parsed
// and checked by internal/persist/rdb, then repacked through AppendNode),
// so it trusts the bytes.
const (
	packDeleted    = 1
	packSameFields = 2
)

// bytesOrString is what an entry's fields and values can be given as.
type bytesOrString interface{ ~string | ~[]byte }

// sameFields reports whether fv's fields are exactly fields.
func sameFields[T bytesOrString](fields []string, fv []T) bool {
	if len(fv)/2 != len(fields) {
		return false
	}
	for i, f := range fields {
		if string(fv[2*i]) != f {
			return false
		}
	}
	return true
}

// appendEntry packs one entry onto n.buf.
func appendEntry[T bytesOrString](n *streamNode, id StreamID, fv []T, same, deleted bool) {
	var flags byte
	if deleted {
		flags |= packDeleted
	}
	if same {
		flags |= packSameFields
	}
	start := len(n.buf)
	b := append(n.buf, flags)
	b = binary.AppendUvarint(b, id.Ms-n.master.Ms)
	b = binary.AppendVarint(b, int64(id.Seq-n.master.Seq))
	if same {
		for i := 1; i < len(fv); i += 2 {
			b = binary.AppendUvarint(b, uint64(len(fv[i])))
			b = append(b, fv[i]...)
		}
	} else {
		b = binary.AppendUvarint(b, uint64(len(fv)/2))
		for _, x := range fv {
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		}
	}
	n.buf = appendBacklen(b, len(b)-start)
}

// backlenSize is how many bytes appendBacklen writes for l (> 0).
func backlenSize(l int) int { return 1 + (bits.Len(uint(l))-1)/7 }

func appendBacklen(b []byte, l int) []byte {
	k := backlenSize(l)
	b = append(b, byte(l>>(7*(k-1)))&0x7f)
	for i := k - 2; i >= 0; i-- {
		b = append(b, byte(l>>(7*i))|0x80)
	}
	return b
}

// prev is the offset of the entry that ends (backlen included) at end.
func (n *streamNode) prev(end int) int {
	p, l, shift := end-1, 0, 0
	for {
		c := n.buf[p]
		l |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			return p - l
		}
		shift += 7
		p--
	}
}

// uvarintAt decodes the uvarint at b[off:] and returns it and the offset after it.
func uvarintAt(b []byte, off int) (uint64, int) {
	if c := b[off]; c < 0x80 {
		return uint64(c), off + 1
	}
	v, k := binary.Uvarint(b[off:])
	return v, off + k
}

// entryHead decodes the flags and ID of the entry at off and returns the
// offset of its fields and values.
func (n *streamNode) entryHead(off int) (id StreamID, flags byte, body int) {
	flags = n.buf[off]
	dms, off := uvarintAt(n.buf, off+1)
	zs, off := uvarintAt(n.buf, off)
	dseq := uint64(int64(zs>>1) ^ -int64(zs&1))
	return StreamID{Ms: n.master.Ms + dms, Seq: n.master.Seq + dseq}, flags, off
}

// next returns the offset of the entry after the one at start (whose
// fields and values are at body).
func (n *streamNode) next(start, body int, flags byte) int {
	off := body
	var l uint64
	if flags&packSameFields != 0 {
		for range n.fields {
			l, off = uvarintAt(n.buf, off)
			off += int(l)
		}
	} else {
		var nf uint64
		nf, off = uvarintAt(n.buf, off)
		for i := uint64(0); i < 2*nf; i++ {
			l, off = uvarintAt(n.buf, off)
			off += int(l)
		}
	}
	return off + backlenSize(off-start)
}

// fieldCount is the number of field-value pairs of the entry whose body is at off.
func (n *streamNode) fieldCount(off int, flags byte) int {
	if flags&packSameFields != 0 {
		return len(n.fields)
	}
	nf, _ := uvarintAt(n.buf, off)
	return int(nf)
}

// strAt is the length-prefixed string at off (aliasing the buffer) and the offset after it.
func (n *streamNode) strAt(off int) (string, int) {
	l, off := uvarintAt(n.buf, off)
	if l == 0 {
		return "", off
	}
	return unsafe.String(&n.buf[off], int(l)), off + int(l)
}

// decodeBody fills fv (len 2*fieldCount) from the body of the entry at
// start and returns the offset of the next entry.
func (n *streamNode) decodeBody(start, body int, flags byte, fv []string) int {
	off := body
	if flags&packSameFields != 0 {
		for i, f := range n.fields {
			fv[2*i] = f
			fv[2*i+1], off = n.strAt(off)
		}
	} else {
		_, off = uvarintAt(n.buf, off)
		for i := range fv {
			fv[i], off = n.strAt(off)
		}
	}
	return off + backlenSize(off-start)
}

// find returns the offset of the first entry of n whose ID is >= id
// (len(n.buf) when none) and that entry's ID.
func (n *streamNode) find(id StreamID) (int, StreamID) {
	off := 0
	for off < len(n.buf) {
		eid, flags, body := n.entryHead(off)
		if !eid.Less(id) {
			return off, eid
		}
		off = n.next(off, body, flags)
	}
	return off, StreamID{}
}

// fvArena hands out FV slices for decoded entries, several from one
// allocation; a slice handed out is never reused, so callers may keep it.
type fvArena struct{ free []string }

func (a *fvArena) get(k int) []string {
	if cap(a.free)-len(a.free) < k {
		a.free = make([]string, 0, max(k, 2*cap(a.free), 16))
	}
	l := len(a.free)
	a.free = a.free[:l+k]
	return a.free[l : l+k : l+k]
}
