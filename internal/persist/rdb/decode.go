package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"sync"
	"unsafe"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rnum"
	"github.com/shoal-db/shoal/internal/types"
)

// decoder reads RDB encodings from a byte slice (DUMP payloads) or a
// buffered stream (files). Every length read from the input is checked
// against what the input can still hold before anything is allocated for
// it: in slice mode against the remaining bytes, in stream mode by reading
// long strings in chunks, so a hostile length costs at most what the input
// actually carries.
type decoder struct {
	p   []byte        // slice mode: the unread input
	r   *bufio.Reader // stream mode
	crc uint64        // stream mode: CRC64 of every byte consumed
	n   int64         // stream mode: bytes consumed

	set     Settings
	el      elems  // entries of the listpack being loaded
	scratch []byte // stream mode: long strings
	z       []byte // LZF output
	pk      []byte // a hash's or sorted set's packed form, before its copy
	ibuf    [20]byte

	// view (a Restorer's decoder): a string may alias the payload or z,
	// and viewObj, a listpack hash or sorted set, aliases pk (hview or
	// zview), a list arena, a hashtable set is sset (pset when packed), an
	// intset is iset.
	view    bool
	viewObj types.Object
	arena   []byte
	hview   *types.Hash // the listpack hashes viewObj holds (scratch)
	zview   *types.ZSet // the listpack sorted sets viewObj holds (scratch)
	list    *types.List // the lists viewObj holds (scratch)
	sset    *types.Set  // the hashtable sets viewObj holds (scratch)
	pset    *types.Set  // the packed sets viewObj holds (scratch)
	iset    *types.Set  // the intsets viewObj holds (scratch), on ints
	ints    []int64
}

// decoderPool keeps payload decoders' scratch (entry arena, LZF buffer)
// between calls; nothing a decoded value holds aliases it.
var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

// release returns d to the pool, dropping oversized scratch.
func (d *decoder) release() {
	d.p = nil
	d.trim()
	decoderPool.Put(d)
}

// trim drops oversized scratch.
func (d *decoder) trim() {
	if cap(d.el.arena) > 1<<16 || cap(d.el.ends) > 1<<12 {
		d.el = elems{}
	}
	if cap(d.z) > 1<<16 {
		d.z = nil
	}
	if cap(d.pk) > 1<<16 {
		d.pk = nil
	}
	if cap(d.arena) > 1<<20 {
		d.arena, d.list = nil, nil // the list's nodes hold pieces of it
	}
	if d.sset != nil && d.sset.ScratchTooLarge() {
		d.sset = nil
	}
	if cap(d.ints) > 1<<12 {
		d.ints, d.iset = nil, nil
	}
}

// chunk is the largest piece a long string is read in, in stream mode.
const chunk = 1 << 20

func (d *decoder) stream() bool { return d.r != nil }

// remaining bounds element counts: in slice mode each element takes at
// least one byte; in stream mode nothing is known.
func (d *decoder) remaining() int {
	if d.stream() {
		return math.MaxInt
	}
	return len(d.p)
}

func (d *decoder) readByte() (byte, error) {
	if !d.stream() {
		if len(d.p) == 0 {
			return 0, errBadData
		}
		b := d.p[0]
		d.p = d.p[1:]
		return b, nil
	}
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, truncated(err)
	}
	d.crc = jonesTable[byte(d.crc)^b] ^ d.crc>>8
	d.n++
	return b, nil
}

func truncated(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readN returns the next n bytes; the slice is valid until the next read.
func (d *decoder) readN(n int) ([]byte, error) {
	if n < 0 {
		return nil, errBadData
	}
	if !d.stream() {
		if n > len(d.p) {
			return nil, errBadData
		}
		b := d.p[:n:n]
		d.p = d.p[n:]
		return b, nil
	}
	var b []byte
	if n <= d.r.Size() {
		var err error
		b, err = d.r.Peek(n)
		if err != nil {
			return nil, truncated(err)
		}
		d.r.Discard(n)
	} else {
		// Grow with what actually arrives, never trusting n up front.
		d.scratch = d.scratch[:0]
		for len(d.scratch) < n {
			k := min(n-len(d.scratch), chunk)
			if cap(d.scratch)-len(d.scratch) < k {
				d.scratch = append(d.scratch[:cap(d.scratch)], make([]byte, max(k, cap(d.scratch)))...)[:len(d.scratch)]
			}
			m, err := io.ReadFull(d.r, d.scratch[len(d.scratch):len(d.scratch)+k])
			d.scratch = d.scratch[:len(d.scratch)+m]
			if err != nil {
				return nil, truncated(err)
			}
		}
		b = d.scratch
	}
	d.crc = CRC64(d.crc, b)
	d.n += int64(n)
	return b, nil
}

// readLen reads an RDB length; isEnc reports a special string encoding
// (the value is then the encoding number).
func (d *decoder) readLen() (n uint64, isEnc bool, err error) {
	c, err := d.readByte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case len6bit:
		return uint64(c & 0x3F), false, nil
	case len14bit:
		c2, err := d.readByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3F)<<8 | uint64(c2), false, nil
	case lenEnc:
		return uint64(c & 0x3F), true, nil
	}
	switch c {
	case len32bit:
		b, err := d.readN(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case len64bit:
		b, err := d.readN(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, errBadData
}

// readCount reads a plain length used as an element count, refusing one
// the remaining input cannot hold (at least minBytes per element).
func (d *decoder) readCount(minBytes int) (int, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if enc || n > uint64(d.remaining()/minBytes) || n > math.MaxInt32*64 {
		return 0, errBadData
	}
	return int(n), nil
}

// readString reads an RDB string (rdbGenericLoadStringObject); the slice
// is valid until the next read.
func (d *decoder) readString() ([]byte, error) { return d.readStringOwned(false) }

// readStringOwned is readString, returning with owned a slice of its own
// (an LZF string decompressed straight into it).
func (d *decoder) readStringOwned(owned bool) ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if !enc {
		if n > math.MaxInt32*16 {
			return nil, errBadData
		}
		b, err := d.readN(int(n))
		if owned && err == nil {
			o := d.own(len(b))
			copy(o, b)
			b = o
		}
		return b, err
	}
	switch n {
	case encInt8, encInt16, encInt32:
		w := 1 << n
		b, err := d.readN(w)
		if err != nil {
			return nil, err
		}
		var v int64
		switch w {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return strconv.AppendInt(d.ibuf[:0], v, 10), nil
	case encLZF:
		clen, e1, err := d.readLen()
		if err != nil {
			return nil, err
		}
		ulen, e2, err := d.readLen()
		if err != nil {
			return nil, err
		}
		if e1 || e2 || clen == 0 || clen > math.MaxInt32*16 {
			return nil, errBadData
		}
		in, err := d.readN(int(clen))
		if err != nil {
			return nil, err
		}
		// A 3-byte back reference expands to at most 264 bytes.
		if ulen == 0 || ulen > clen*88+32 {
			return nil, errBadData
		}
		var out []byte
		if owned {
			out = d.own(int(ulen))
		} else {
			if cap(d.z) < int(ulen) {
				d.z = make([]byte, ulen)
			}
			out = d.z[:ulen]
		}
		if !lzfDecompress(in, out) {
			return nil, corrupt("Invalid LZF compressed string", errBadData)
		}
		return out, nil
	}
	return nil, errBadData
}

// own returns n bytes for a string the value keeps: new memory, or for a
// Restorer a piece of its arena (Restorer.Own copies the value out).
func (d *decoder) own(n int) []byte {
	if !d.view {
		return make([]byte, n)
	}
	if cap(d.arena)-len(d.arena) < n {
		// Pieces already handed out keep the old arena alive.
		d.arena = make([]byte, 0, max(n, 2*cap(d.arena), 1<<14))
	}
	at := len(d.arena)
	d.arena = d.arena[:at+n]
	return d.arena[at : at+n : at+n]
}

// readBinaryDouble reads a ZSET_2 score.
func (d *decoder) readBinaryDouble() (float64, error) {
	b, err := d.readN(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// readOldDouble reads an old ZSET score (rdbLoadDoubleValue): a length
// byte, 253/254/255 for nan/+inf/-inf, else that many ASCII bytes.
func (d *decoder) readOldDouble() (float64, error) {
	n, err := d.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.readN(int(n))
	if err != nil {
		return 0, err
	}
	return parseScore(b)
}

// parseScore parses a score stored as text (strtod). NaN is refused, as
// Redis refuses a NaN score when loading.
func parseScore(b []byte) (float64, error) {
	if f, ok := rnum.ParseShortDecimal(b); ok {
		return f, nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		var ne *strconv.NumError
		if !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
			return 0, errBadData
		}
	}
	if math.IsNaN(f) {
		return 0, errBadData
	}
	return f, nil
}

// isObjectType is rdbIsObjectType for Redis 7.0.
func isObjectType(t int) bool { return (t >= 0 && t <= 7) || (t >= 9 && t <= 19) }

// readObject decodes a value of RDB type t (rdbLoadObject), converting
// encodings as Redis does after loading.
func (d *decoder) readObject(t int) (keyspace.Value, error) {
	switch t {
	case TypeString:
		s, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		return keyspace.Value{Str: string(s)}, nil
	case TypeList:
		return d.readLinkedList()
	case TypeListQuicklist, TypeListQuicklist2:
		return d.readQuicklist(t == TypeListQuicklist2)
	case TypeSet:
		return d.readSet()
	case TypeZSet, TypeZSet2:
		return d.readZSet(t == TypeZSet2)
	case TypeHash:
		return d.readHash()
	case TypeHashZipmap, TypeListZiplist, TypeSetIntset, TypeZSetZiplist,
		TypeHashZiplist, TypeHashListpack, TypeZSetListpack:
		blob, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		v, err := d.readBlob(t, blob)
		return v, corrupt(blobReason(t), err)
	case TypeStreamListpacks, TypeStreamListpacks2:
		return d.readStream(t == TypeStreamListpacks2)
	case TypeModule, TypeModule2:
		return keyspace.Value{}, ErrUnsupportedType
	}
	return keyspace.Value{}, errBadData
}

func obj(o types.Object, err error) (keyspace.Value, error) {
	if err != nil {
		return keyspace.Value{}, err
	}
	if o.Len() == 0 {
		return keyspace.Value{}, ErrEmptyKey
	}
	return keyspace.Value{Obj: o}, nil
}

func (d *decoder) readLinkedList() (keyspace.Value, error) {
	n, err := d.readCount(1)
	if err != nil {
		return keyspace.Value{}, err
	}
	l := types.NewList()
	for i := 0; i < n; i++ {
		s, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		l.PushBack(s, &d.set.Limits)
	}
	return obj(l, nil)
}

func (d *decoder) readQuicklist(v2 bool) (keyspace.Value, error) {
	n, err := d.readCount(2)
	if err != nil {
		return keyspace.Value{}, err
	}
	var l *types.List
	if d.view {
		// The scratch list: Restorer.Own copies it out.
		if d.list == nil {
			d.list = types.NewScratchList()
		}
		l = d.list
		l.ResetScratch()
		d.viewObj = l // its nodes are pieces of d.arena
	} else {
		l = types.NewList()
	}
	for i := 0; i < n; i++ {
		container := uint64(containerPacked)
		if v2 {
			c, enc, err := d.readLen()
			if err != nil {
				return keyspace.Value{}, err
			}
			if enc || (c != containerPacked && c != containerPlain) {
				return keyspace.Value{}, corrupt("Quicklist integrity check failed.", errBadData)
			}
			container = c
		}
		// A v2 packed node becomes a node of the list as it is: the
		// string is read into memory the list keeps.
		owned := v2 && container == containerPacked
		data, err := d.readStringOwned(owned)
		if err != nil {
			return keyspace.Value{}, err
		}
		if len(data) == 0 {
			return keyspace.Value{}, errBadData
		}
		switch {
		case container == containerPlain:
			l.AppendPlain(data)
		case owned:
			if !l.AppendListpack(data) {
				return keyspace.Value{}, corrupt("Listpack integrity check failed.", errBadData)
			}
		default:
			if err := d.el.collect(data, true); err != nil {
				return keyspace.Value{}, corrupt("Ziplist integrity check failed.", err)
			}
			d.el.pushTo(l, &d.set.Limits)
		}
	}
	return obj(l, nil)
}

func (d *decoder) readSet() (keyspace.Value, error) {
	n, err := d.readCount(1)
	if err != nil {
		return keyspace.Value{}, err
	}
	// An intset, a packed set or a table, as the first member and the
	// count say (a small set converts as it is filled, as SADD's would).
	var s *types.Set
	small := n <= types.SetPackedEntries
	if int64(n) > d.set.SetMaxIntsetEntries {
		s = d.newSetTable(min(n, 4096))
	}
	for i := 0; i < n; i++ {
		m, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		if s == nil || s.IsIntset() {
			if _, ok := types.ParseInt64(m); ok {
				if s == nil {
					s = types.NewSet()
				}
			} else if small && len(m) <= types.SetPackedValue {
				if s == nil {
					s = d.newSetPacked()
				}
			} else if s == nil {
				s = d.newSetTable(min(n, 4096))
			} else {
				// The first member that is not an integer: the set
				// becomes a table sized for all n at once (as
				// rdbLoadObject's dictExpand), not grown member by member.
				s.ConvertSized(min(n, 4096))
			}
		}
		if !s.Add(m, &d.set.Limits) {
			return keyspace.Value{}, corrupt("Duplicate set members detected", errBadData)
		}
	}
	if s == nil {
		s = types.NewSet()
	}
	return obj(s, nil)
}

// newSetTable is types.NewSetTable(hint), or for a Restorer its scratch
// set emptied to that shape (Restorer.Own hands it out).
func (d *decoder) newSetTable(hint int) *types.Set {
	if !d.view {
		return types.NewSetTable(hint)
	}
	if d.sset == nil {
		d.sset = types.NewSetTable(hint)
	} else {
		d.sset.ResetTable(hint)
	}
	d.viewObj = d.sset
	return d.sset
}

// newSetPacked is an empty packed set (types.NewSetFor of a short
// member), or for a Restorer its scratch set emptied to that shape.
func (d *decoder) newSetPacked() *types.Set {
	if !d.view {
		return types.NewSetFor(nil)
	}
	if d.pset == nil {
		d.pset = types.NewSetFor(nil)
	} else {
		d.pset.ResetPacked()
	}
	d.viewObj = d.pset
	return d.pset
}

func (d *decoder) readZSet(binary bool) (keyspace.Value, error) {
	n, err := d.readCount(2)
	if err != nil {
		return keyspace.Value{}, err
	}
	z := types.NewZSet(math.MaxInt32, 0, &d.set.Limits)
	for i := 0; i < n; i++ {
		m, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		m = append([]byte(nil), m...)
		var score float64
		if binary {
			score, err = d.readBinaryDouble()
		} else {
			score, err = d.readOldDouble()
		}
		if err != nil {
			return keyspace.Value{}, err
		}
		if math.IsNaN(score) {
			return keyspace.Value{}, corrupt("Zset with NAN score detected", errBadData)
		}
		if _, dup := z.Score(m); dup {
			return keyspace.Value{}, corrupt("Duplicate zset fields detected", errBadData)
		}
		z.Insert(m, score, &d.set.Limits)
	}
	if int64(z.Len()) <= d.set.ZSetMaxListpackEntries {
		z.ConvertToCompactIfSmall(&d.set.Limits)
	}
	return obj(z, nil)
}

func (d *decoder) readHash() (keyspace.Value, error) {
	n, err := d.readCount(2)
	if err != nil {
		return keyspace.Value{}, err
	}
	h := types.NewHash()
	if int64(n) > d.set.HashMaxListpackEntries {
		h.Convert()
	}
	for i := 0; i < n; i++ {
		f, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		f = append([]byte(nil), f...)
		v, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		if !h.Set(f, v, &d.set.Limits) {
			return keyspace.Value{}, corrupt("Duplicate hash fields detected", errBadData)
		}
	}
	return obj(h, nil)
}

// blobReason is what Redis reports when a single-string encoding of type
// t fails its integrity check.
func blobReason(t int) string {
	switch t {
	case TypeHashZipmap:
		return "Zipmap integrity check failed."
	case TypeListZiplist:
		return "List ziplist integrity check failed."
	case TypeSetIntset:
		return "Intset integrity check failed."
	case TypeZSetZiplist:
		return "Zset ziplist integrity check failed."
	case TypeZSetListpack:
		return "Zset listpack integrity check failed."
	case TypeHashZiplist:
		return "Hash ziplist integrity check failed."
	case TypeHashListpack:
		return "Hash listpack integrity check failed."
	}
	return "Unknown RDB encoding type " + strconv.Itoa(t)
}

// readBlob decodes the single-string encodings.
func (d *decoder) readBlob(t int, blob []byte) (keyspace.Value, error) {
	switch t {
	case TypeHashZipmap:
		h := types.NewHash()
		maxlen := 0
		err := zipmapEach(blob, func(f, v []byte) error {
			maxlen = max(maxlen, len(f), len(v))
			if !h.Set(f, v, &d.set.Limits) {
				return &CorruptError{Reason: "Hash zipmap with dup elements, or big length (" + strconv.Itoa(len(f)) + ")"}
			}
			return nil
		})
		if err == nil && (int64(h.Len()) > d.set.HashMaxListpackEntries || int64(maxlen) > d.set.HashMaxListpackValue) {
			h.Convert()
		}
		return obj(h, err)
	case TypeListZiplist:
		if err := d.el.collect(blob, true); err != nil {
			return keyspace.Value{}, err
		}
		l := types.NewList()
		d.el.pushTo(l, &d.set.Limits)
		return obj(l, nil)
	case TypeSetIntset:
		cnt, err := parseIntset(blob, func(int64) {})
		if err != nil {
			return keyspace.Value{}, err
		}
		var s *types.Set
		if int64(cnt) > d.set.SetMaxIntsetEntries {
			s = types.NewSetTable(min(cnt, 4096))
		} else {
			// The common case: the intset as it is, without re-parsing
			// each member (when its values are in order, as Redis keeps them).
			if d.view {
				// Into the Restorer's scratch intset (Restorer.Own).
				vs := d.ints[:0]
				parseIntset(blob, func(v int64) { vs = append(vs, v) })
				d.ints = vs
				if d.iset == nil {
					d.iset = types.NewSet()
				}
				if d.iset.ResetInts(vs) {
					d.viewObj = d.iset
					return obj(d.iset, nil)
				}
			} else {
				vs := make([]int64, 0, cnt)
				parseIntset(blob, func(v int64) { vs = append(vs, v) })
				if s = types.NewSetInts(vs); s != nil {
					return obj(s, nil)
				}
			}
			s = types.NewSet()
		}
		var buf [20]byte
		parseIntset(blob, func(v int64) { s.Add(strconv.AppendInt(buf[:0], v, 10), &d.set.Limits) })
		return obj(s, nil)
	case TypeZSetZiplist, TypeZSetListpack:
		return d.zsetFromPairs(blob, t == TypeZSetZiplist)
	case TypeHashZiplist, TypeHashListpack:
		return d.hashFromPairs(blob, t == TypeHashZiplist)
	}
	return keyspace.Value{}, errBadData
}

// ParseDump checks a DUMP payload's footer (RDB version ≤ 10 and CRC64, as
// verifyDumpPayload) and decodes its value with the encodings settings s
// choose. It never panics; every malformed input is an error (see
// ReplyText).
func ParseDump(payload []byte, s Settings) (keyspace.Value, error) {
	d := decoderPool.Get().(*decoder)
	defer d.release()
	return d.parseDump(payload, s)
}

// A Restorer is ParseDump for RESTORE, saving the copy of the value the
// keyspace does not need: a value Parse returns may alias the payload or
// the Restorer's buffers — a string's bytes, a listpack hash's or sorted
// set's packed bytes, a list (the Restorer's scratch list and its nodes),
// a set (the Restorer's scratch sets) — until Own gives it memory of its
// own. The caller stores a string
// value at once (the keyspace copies it) and calls Own for any other
// before storing it (keyspace.DB.Replace calls it). Not safe for
// concurrent use.
type Restorer struct {
	d    decoder
	view types.Object // the value aliasing d.pk, if any
}

// Parse is ParseDump, with a value that may alias payload or r.
func (r *Restorer) Parse(payload []byte, s Settings) (keyspace.Value, error) {
	r.d.view, r.view = true, nil
	r.d.arena = r.d.arena[:0]
	defer r.d.trim()
	v, err := r.d.parseDump(payload, s)
	r.d.p = nil
	if err == nil && v.Obj != nil && v.Obj == r.d.viewObj {
		r.view = v.Obj
	}
	r.d.viewObj = nil
	return v, err
}

// Own gives v, the last value Parse returned, memory of its own if it
// still aliases r: reuse's memory when reuse is a value of the same
// encoding whose buffer fits (RESTORE REPLACE passes the value it
// replaced, after deleting it: nothing may use reuse afterwards; a list,
// a listpack hash or sorted set returns reuse itself, refilled, a
// hashtable set reuse itself with the scratch set's table, reuse's table
// becoming the scratch, and an intset reuse itself, refilled), else new
// memory. Other values are returned as they are.
func (r *Restorer) Own(v, reuse keyspace.Value) keyspace.Value {
	if v.Obj == nil || v.Obj != r.view {
		return v
	}
	r.view = nil
	switch o := v.Obj.(type) {
	case *types.Hash:
		return keyspace.Value{Obj: o.Own(reuse.Obj)}
	case *types.ZSet:
		return keyspace.Value{Obj: o.Own(reuse.Obj)}
	case *types.List:
		return keyspace.Value{Obj: o.Own(reuse.Obj)}
	case *types.Set:
		return keyspace.Value{Obj: o.Own(reuse.Obj)}
	}
	return v
}

func (d *decoder) parseDump(payload []byte, s Settings) (keyspace.Value, error) {
	if len(payload) < 10 {
		return keyspace.Value{}, ErrVersionOrChecksum
	}
	footer := payload[len(payload)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return keyspace.Value{}, ErrVersionOrChecksum
	}
	if !s.SkipChecksum && CRC64(0, payload[:len(payload)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return keyspace.Value{}, ErrVersionOrChecksum
	}
	d.p, d.set = payload[:len(payload)-10], s.norm()
	t, err := d.readByte()
	if err != nil {
		return keyspace.Value{}, err
	}
	if !isObjectType(int(t)) {
		return keyspace.Value{}, errBadData
	}
	if d.view && t == TypeString {
		// The bytes as they are: in the payload, or LZF output in d.z; an
		// integer's digits (in d.ibuf) are copied to d.z.
		b, err := d.readString()
		if err != nil {
			return keyspace.Value{}, err
		}
		if len(b) > 0 && &b[0] == &d.ibuf[0] {
			d.z = append(d.z[:0], b...)
			b = d.z
		}
		return keyspace.Value{Str: unsafe.String(unsafe.SliceData(b), len(b))}, nil
	}
	return d.readObject(int(t))
}

// PayloadVersion returns the RDB version in a DUMP payload's footer.
func PayloadVersion(payload []byte) (int, bool) {
	if len(payload) < 10 {
		return 0, false
	}
	return int(binary.LittleEndian.Uint16(payload[len(payload)-10:])), true
}
