package rdb

import (
	"encoding/binary"
	"fmt"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// Listpack is the listpack Redis 7.0 holds in memory for a hash or a
// sorted set in the listpack encoding (the bytes RDB_TYPE_*_LISTPACK
// writes: fields and values, or members and scores, in order), for DEBUG
// LISTPACK; false for any other value. The bytes are the encoder's,
// valid until its next use.
func (e *Encoder) Listpack(v keyspace.Value) ([]byte, bool) {
	switch o := v.Obj.(type) {
	case *types.Hash:
		if !o.IsTable() {
			return e.hashListpack(o), true
		}
	case *types.ZSet:
		if o.IsCompact() {
			return e.zsetListpack(o), true
		}
	}
	return nil, false
}

// hashListpack is a compact hash as Redis's listpack: field, value, …
// (the encoder's buffer, valid until its next use).
func (e *Encoder) hashListpack(h *types.Hash) []byte {
	e.lpb = h.AppendListpack(e.lpb[:0])
	return e.lpb
}

// zsetListpack is a compact sorted set as Redis's listpack: member, score,
// … in order (the encoder's buffer, valid until its next use).
func (e *Encoder) zsetListpack(z *types.ZSet) []byte {
	e.lpb = z.AppendListpack(e.lpb[:0])
	return e.lpb
}

// lpEncodedSize is the size of the encoding header and data of the entry
// starting with lp[off] (lpCurrentEncodedSizeUnsafe), and how many of
// those bytes are the header (lpCurrentEncodedSizeBytes).
func lpEncodedSize(lp []byte, off int) (size, hdr int) {
	c := lp[off]
	switch {
	case c&0x80 == 0:
		return 1, 1
	case c&0xC0 == 0x80:
		return 1 + int(c&0x3F), 1
	case c&0xE0 == 0xC0:
		return 2, 1
	case c&0xF0 == 0xE0:
		return 2 + (int(c&0x0F)<<8 | int(lp[off+1])), 2
	case c == 0xF0:
		return 5 + int(binary.LittleEndian.Uint32(lp[off+1:])), 5
	case c >= 0xF1 && c <= 0xF4:
		return 1 + [...]int{2, 3, 4, 8}[c-0xF1], 1
	}
	return 1, 1
}

// AppendListpackRepr appends Redis's lpRepr text (what DEBUG LISTPACK
// and DEBUG QUICKLIST print) for listpack lp, whose first byte is at
// address addr. A malformed listpack ends the text with a note where
// Redis would crash.
func AppendListpackRepr(dst, lp []byte, addr uintptr) []byte {
	it, count, err := newLPIter(lp)
	if err != nil {
		return append(dst, "{malformed listpack}\n{end}\n\n"...)
	}
	if count == lpCountUnknown {
		count = 0
		for c, _, _ := newLPIter(lp); ; count++ {
			if _, _, _, done, err := c.next(); done || err != nil {
				break
			}
		}
	}
	dst = fmt.Appendf(dst, "{total bytes %d} {num entries %d}\n", len(lp), count)
	for index := 0; ; index++ {
		off := it.off
		v, _, _, done, err := it.next()
		if done {
			break
		}
		if err != nil {
			dst = append(dst, "{malformed entry}\n"...)
			break
		}
		size, hdr := lpEncodedSize(lp, off)
		back := it.off - off - size
		dst = fmt.Appendf(dst, "{\n\taddr: 0x%08x,\n\tindex: %2d,\n\toffset: %1d,\n\thdr+entrylen+backlen: %2d,\n\thdrlen: %3d,\n\tbacklen: %2d,\n\tpayload: %1d\n",
			addr+uintptr(off), index, off, size+back, hdr, back, size-hdr)
		dst = append(dst, "\tbytes: "...)
		for _, b := range lp[off:it.off] {
			dst = fmt.Appendf(dst, "%02x|", b)
		}
		dst = append(dst, "\n\t[str]"...)
		if len(v) > 40 {
			dst = append(dst, v[:40]...)
			dst = append(dst, "..."...)
		} else {
			dst = append(dst, v...)
		}
		dst = append(dst, "\n}\n"...)
	}
	return append(dst, "{end}\n\n"...)
}
