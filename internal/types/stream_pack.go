package types

import (
	"encoding/binary"
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
	n.buf = b
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

// skipBody returns the offset after the fields and values at off.
func (n *streamNode) skipBody(off int, flags byte) int {
	var l uint64
	if flags&packSameFields != 0 {
		for range n.fields {
			l, off = uvarintAt(n.buf, off)
			off += int(l)
		}
		return off
	}
	nf, off := uvarintAt(n.buf, off)
	for i := uint64(0); i < 2*nf; i++ {
		l, off = uvarintAt(n.buf, off)
		off += int(l)
	}
	return off
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

// decodeBody fills fv (len 2*fieldCount) from the body at off and returns the offset after it.
func (n *streamNode) decodeBody(off int, flags byte, fv []string) int {
	if flags&packSameFields != 0 {
		for i, f := range n.fields {
			fv[2*i] = f
			fv[2*i+1], off = n.strAt(off)
		}
		return off
	}
	_, off = uvarintAt(n.buf, off)
	for i := range fv {
		fv[i], off = n.strAt(off)
	}
	return off
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
		off = n.skipBody(body, flags)
	}
	return off, StreamID{}
}

// offsets appends the offset of every entry of n to dst.
func (n *streamNode) offsets(dst []int) []int {
	off := 0
	for off < len(n.buf) {
		dst = append(dst, off)
		_, flags, body := n.entryHead(off)
		off = n.skipBody(body, flags)
	}
	return dst
}

// fvArena hands out FV slices for decoded entries, several from one
// allocation; a slice handed out is never reused, so callers may keep it.
type fvArena struct{ free []string }

func (a *fvArena) get(k int) []string {
	if cap(a.free)-len(a.free) < k {
		a.free = make([]string, 0, max(k, 2*cap(a.free)))
	}
	l := len(a.free)
	a.free = a.free[:l+k]
	return a.free[l : l+k : l+k]
}

// decode fills e with the entry at off (FV from a) and returns the offset after it.
func (n *streamNode) decode(off int, e *StreamEntry, a *fvArena) int {
	id, flags, body := n.entryHead(off)
	e.ID = id
	e.deleted = flags&packDeleted != 0
	e.FV = a.get(2 * n.fieldCount(body, flags))
	return n.decodeBody(body, flags, e.FV)
}
