package rdb

import (
	"encoding/binary"
	"sync"
	"unsafe"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/types"
)

// RDB value types (rdb.h).
const (
	TypeString           = 0
	TypeList             = 1
	TypeSet              = 2
	TypeZSet             = 3
	TypeHash             = 4
	TypeZSet2            = 5
	TypeModule           = 6
	TypeModule2          = 7
	TypeHashZipmap       = 9
	TypeListZiplist      = 10
	TypeSetIntset        = 11
	TypeZSetZiplist      = 12
	TypeHashZiplist      = 13
	TypeListQuicklist    = 14
	TypeStreamListpacks  = 15
	TypeHashListpack     = 16
	TypeZSetListpack     = 17
	TypeListQuicklist2   = 18
	TypeStreamListpacks2 = 19
)

// Version is the RDB version this package writes (Redis 7.0).
const Version = 10

// quicklist containers (quicklist.h).
const (
	containerPlain  = 1
	containerPacked = 2
)

var lzfTablePool = sync.Pool{New: func() any { return new(lzfTable) }}

// Encoder encodes values as Redis 7.0's rdbSaveObjectType + rdbSaveObject
// write them. An Encoder is not safe for concurrent use; keep one per
// goroutine (it reuses its LZF table and buffers).
type Encoder struct {
	enc   encoder
	set   Settings
	lp    lpBuilder
	lpb   []byte
	nodes []byte // a list's encoded nodes, before their count
}

// NewEncoder returns an Encoder for settings s.
func NewEncoder(s Settings) *Encoder {
	return &Encoder{enc: encoder{compress: s.Compress}, set: s}
}

// Release gives the encoder's scratch space back to a shared pool; the
// encoder remains usable.
func (e *Encoder) Release() { e.enc.release() }

// TypeOf is the RDB type byte Redis 7.0 writes for v (rdbSaveObjectType),
// or -1 for a value this package cannot encode.
func TypeOf(v keyspace.Value) int {
	switch o := v.Obj.(type) {
	case nil:
		return TypeString
	case *types.List:
		return TypeListQuicklist2
	case *types.Set:
		if o.IsIntset() {
			return TypeSetIntset
		}
		return TypeSet
	case *types.Hash:
		if o.IsTable() {
			return TypeHash
		}
		return TypeHashListpack
	case *types.ZSet:
		if o.IsCompact() {
			return TypeZSetListpack
		}
		return TypeZSet2
	case *types.Stream:
		return TypeStreamListpacks2
	}
	return -1
}

// AppendValue appends v's type byte and encoding.
func (e *Encoder) AppendValue(dst []byte, v keyspace.Value) ([]byte, error) {
	t := TypeOf(v)
	if t < 0 {
		return dst, ErrUnsupportedType
	}
	dst = append(dst, byte(t))
	return e.AppendObject(dst, v)
}

// AppendObject appends v's encoding without the type byte (rdbSaveObject).
func (e *Encoder) AppendObject(dst []byte, v keyspace.Value) ([]byte, error) {
	switch o := v.Obj.(type) {
	case nil:
		return e.enc.appendString(dst, sbytes(v.Str)), nil
	case *types.List:
		return e.appendList(dst, o), nil
	case *types.Set:
		return e.appendSet(dst, o), nil
	case *types.Hash:
		return e.appendHash(dst, o), nil
	case *types.ZSet:
		return e.appendZSet(dst, o), nil
	case *types.Stream:
		return e.appendStream(dst, o), nil
	}
	return dst, ErrUnsupportedType
}

// appendList writes a QUICKLIST_2 value: the node count, then each
// node's container and bytes, the list's own listpacks as they are
// (rdbSaveObject: LZF-compressed when that saves, as any string).
func (e *Encoder) appendList(dst []byte, l *types.List) []byte {
	dst = AppendLen(dst, uint64(l.Nodes()))
	l.EachNode(func(b []byte, plain bool, _ int) {
		if plain {
			dst = AppendLen(dst, containerPlain)
		} else {
			dst = AppendLen(dst, containerPacked)
		}
		dst = e.enc.appendString(dst, b)
	})
	return dst
}

// QuicklistNode is one node of a list's quicklist.
type QuicklistNode struct {
	Plain       bool
	Size, Count int // bytes (the listpack's, or the element's), elements
}

// QuicklistNodes is l's quicklist nodes (DEBUG OBJECT's ql_* fields, DEBUG
// QUICKLIST), as the RDB form writes them.
func (e *Encoder) QuicklistNodes(l *types.List) []QuicklistNode {
	var out []QuicklistNode
	l.EachNode(func(b []byte, plain bool, count int) {
		out = append(out, QuicklistNode{Plain: plain, Size: len(b), Count: count})
	})
	return out
}

func (e *Encoder) appendSet(dst []byte, s *types.Set) []byte {
	if s.IsIntset() {
		e.lpb = appendIntset(e.lpb[:0], s.Ints())
		return e.enc.appendString(dst, e.lpb)
	}
	dst = AppendLen(dst, uint64(s.Len()))
	s.Each(func(m []byte) bool {
		dst = e.enc.appendString(dst, m)
		return true
	})
	return dst
}

func (e *Encoder) appendHash(dst []byte, h *types.Hash) []byte {
	if !h.IsTable() {
		return e.enc.appendString(dst, e.hashListpack(h))
	}
	dst = AppendLen(dst, uint64(h.Len()))
	h.Each(func(f, v []byte) bool {
		dst = e.enc.appendString(dst, f)
		dst = e.enc.appendString(dst, v)
		return true
	})
	return dst
}

func (e *Encoder) appendZSet(dst []byte, z *types.ZSet) []byte {
	n := z.Len()
	if z.IsCompact() {
		return e.enc.appendString(dst, e.zsetListpack(z))
	}
	// Greatest to smallest, as Redis walks the skiplist from its tail.
	dst = AppendLen(dst, uint64(n))
	z.Range(0, n, true, func(m []byte, score float64) bool {
		dst = e.enc.appendString(dst, m)
		dst = appendBinaryDouble(dst, score)
		return true
	})
	return dst
}

// AppendDump appends v's DUMP payload (createDumpPayload): the value with
// its type byte, the RDB version as 2 bytes little endian, and the CRC64 of
// everything before it, 8 bytes little endian.
func (e *Encoder) AppendDump(dst []byte, v keyspace.Value) ([]byte, error) {
	start := len(dst)
	dst, err := e.AppendValue(dst, v)
	if err != nil {
		return dst[:start], err
	}
	dst = binary.LittleEndian.AppendUint16(dst, Version)
	crc := CRC64(0, dst[start:])
	return binary.LittleEndian.AppendUint64(dst, crc), nil
}

// AppendDump appends v's DUMP payload with settings s (see
// Encoder.AppendDump); a convenience for one-off calls.
func AppendDump(dst []byte, v keyspace.Value, s Settings) ([]byte, error) {
	e := NewEncoder(s)
	defer e.Release()
	return e.AppendDump(dst, v)
}

// sbytes views s as bytes without copying; the bytes must not be modified.
func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Reset makes the encoder use settings s from now on.
func (e *Encoder) Reset(s Settings) {
	e.set = s
	e.enc.compress = s.Compress
}
