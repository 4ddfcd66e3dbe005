package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/shoal-db/shoal/internal/keyspace"
)

// RDB file opcodes (rdb.h).
const (
	opFunction2    = 0xF5
	opFunctionPre  = 0xF6
	opModuleAux    = 0xF7
	opIdle         = 0xF8
	opFreq         = 0xF9
	opAux          = 0xFA
	opResizeDB     = 0xFB
	opExpireTimeMs = 0xFC
	opExpireTime   = 0xFD
	opSelectDB     = 0xFE
	opEOF          = 0xFF
)

// AuxInfo is what rdbSaveInfoAuxFields writes at the start of a file.
type AuxInfo struct {
	RedisVer string // "7.0.15"
	Bits     int    // 64
	CTime    int64  // unix seconds
	UsedMem  int64
	AOFBase  bool // the file is an AOF preamble
	// Repl, when set, adds repl-stream-db, repl-id and repl-offset (a
	// file for a replica's full sync or one written with replication info).
	Repl *ReplInfo
}

// ReplInfo is the replication state saved in a file.
type ReplInfo struct {
	StreamDB int
	ID       string
	Offset   int64
}

// Writer writes an RDB version 10 file as rdbSaveRio does, streaming
// through a buffered writer: Header, Aux (or AuxFields), then per database
// SelectDB, ResizeDB and Entry calls, then Close, which writes the EOF
// opcode and the CRC64 (zeros when checksum is off, as with rdbchecksum
// no). The first error sticks and is returned by every later call.
type Writer struct {
	w        *bufio.Writer
	crc      uint64
	checksum bool
	enc      *Encoder
	buf      []byte
	err      error
}

// NewWriter returns a Writer to w with settings s.
func NewWriter(w io.Writer, s Settings, checksum bool) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), checksum: checksum, enc: NewEncoder(s)}
}

// flush writes w.buf and resets it.
func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if w.checksum {
		w.crc = CRC64(w.crc, w.buf)
	}
	_, w.err = w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if cap(w.buf) > 1<<20 {
		w.buf = nil
	}
	return w.err
}

// Header writes the magic "REDIS0010".
func (w *Writer) Header() error {
	w.buf = fmt.Appendf(w.buf[:0], "REDIS%04d", Version)
	return w.flush()
}

// Aux writes one auxiliary field.
func (w *Writer) Aux(key, val string) error {
	w.buf = append(w.buf, opAux)
	w.buf = w.enc.enc.appendString(w.buf, sbytes(key))
	w.buf = w.enc.enc.appendString(w.buf, sbytes(val))
	return w.flush()
}

// AuxFields writes the fields Redis 7.0 writes, in its order.
func (w *Writer) AuxFields(a AuxInfo) error {
	w.Aux("redis-ver", a.RedisVer)
	w.Aux("redis-bits", strconv.Itoa(a.Bits))
	w.Aux("ctime", strconv.FormatInt(a.CTime, 10))
	w.Aux("used-mem", strconv.FormatInt(a.UsedMem, 10))
	if a.Repl != nil {
		w.Aux("repl-stream-db", strconv.Itoa(a.Repl.StreamDB))
		w.Aux("repl-id", a.Repl.ID)
		w.Aux("repl-offset", strconv.FormatInt(a.Repl.Offset, 10))
	}
	base := "0"
	if a.AOFBase {
		base = "1"
	}
	return w.Aux("aof-base", base)
}

// SelectDB starts database db.
func (w *Writer) SelectDB(db int) error {
	w.buf = append(w.buf, opSelectDB)
	w.buf = AppendLen(w.buf, uint64(db))
	return w.flush()
}

// ResizeDB writes the sizing hint of the current database.
func (w *Writer) ResizeDB(keys, expires uint64) error {
	w.buf = append(w.buf, opResizeDB)
	w.buf = AppendLen(w.buf, keys)
	w.buf = AppendLen(w.buf, expires)
	return w.flush()
}

// Entry writes one key (rdbSaveKeyValuePair): its expiry when expireMs ≥ 0,
// then type, key and value. A value the codec cannot encode is an error
// and writes nothing.
func (w *Writer) Entry(key []byte, v keyspace.Value, expireMs int64) error {
	if w.err != nil {
		return w.err
	}
	if expireMs >= 0 {
		w.buf = append(w.buf, opExpireTimeMs)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(expireMs))
	}
	t := TypeOf(v)
	if t < 0 {
		w.buf = w.buf[:0]
		return ErrUnsupportedType
	}
	w.buf = append(w.buf, byte(t))
	w.buf = w.enc.enc.appendString(w.buf, key)
	var err error
	w.buf, err = w.enc.AppendObject(w.buf, v)
	if err != nil {
		w.buf = w.buf[:0]
		return err
	}
	return w.flush()
}

// Close writes the EOF opcode and the checksum and flushes; it does not
// close the underlying writer.
func (w *Writer) Close() error {
	w.buf = append(w.buf, opEOF)
	if w.flush() != nil {
		return w.err
	}
	var crc uint64
	if w.checksum {
		crc = w.crc
	}
	w.buf = binary.LittleEndian.AppendUint64(w.buf, crc)
	if _, w.err = w.w.Write(w.buf); w.err != nil {
		return w.err
	}
	w.buf = w.buf[:0]
	w.enc.Release()
	w.err = w.w.Flush()
	return w.err
}

// ItemKind says what a Reader item is.
type ItemKind uint8

// Item kinds.
const (
	ItemAux      ItemKind = iota + 1 // Aux, AuxValue
	ItemSelectDB                     // DB
	ItemResizeDB                     // DBSize, ExpiresSize
	ItemKey                          // Key, Value, ExpireMs, Idle, Freq
	ItemFunction                     // Function: a FUNCTION library's code (opcode 0xF5)
)

// Item is one element of an RDB file. The Reader reuses it: copy what you
// keep before the next call (Key and Value may be kept: they are fresh).
type Item struct {
	Kind        ItemKind
	Aux         string
	AuxValue    string
	DB          int
	DBSize      uint64
	ExpiresSize uint64
	Key         []byte
	Value       keyspace.Value
	ExpireMs    int64 // -1: none
	Idle        int64 // -1: none (seconds, OBJECT IDLETIME)
	Freq        int   // -1: none (LFU counter)
	Function    []byte
}

// Reader reads an RDB file of version 1 to 10 as a stream of items,
// verifying the trailing checksum (unless it is zero, as Redis). Empty
// collections are skipped, as Redis skips them (an empty stream is kept); a module value is
// an error (ErrUnsupportedType): the caller must drop what it loaded.
type Reader struct {
	d       decoder
	version int
	item    Item
	done    bool
	// Skipped counts empty keys skipped; OnSkip, when set, is called with
	// each one's key (Redis logs "rdbLoadObject skipping empty key").
	Skipped int
	OnSkip  func(key []byte)
}

// NewReader returns a Reader of r with settings s (which choose the
// loaded values' encodings).
func NewReader(r io.Reader, s Settings) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &Reader{d: decoder{r: br, set: s.norm()}}
}

// Version is the file's RDB version (0 before the first Next).
func (r *Reader) Version() int { return r.version }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.d.n }

func (r *Reader) header() error {
	b, err := r.d.readN(9)
	if err != nil {
		return ErrBadMagic
	}
	if string(b[:5]) != "REDIS" {
		return ErrBadMagic
	}
	v, err := strconv.Atoi(string(b[5:9]))
	if err != nil {
		v = 0
	}
	if v < 1 || v > Version {
		return &VersionError{Version: v}
	}
	r.version = v
	return nil
}

// Next returns the next item, or io.EOF after the EOF opcode and a
// matching checksum. Any other error is final.
func (r *Reader) Next() (*Item, error) {
	if r.done {
		return nil, io.EOF
	}
	if r.version == 0 {
		if err := r.header(); err != nil {
			r.done = true
			return nil, err
		}
	}
	it, err := r.next()
	if err != nil {
		r.done = true
	}
	return it, err
}

func (r *Reader) next() (*Item, error) {
	d := &r.d
	it := &r.item
	*it = Item{ExpireMs: -1, Idle: -1, Freq: -1}
	for {
		op, err := d.readByte()
		if err != nil {
			return nil, err
		}
		switch op {
		case opExpireTime:
			b, err := d.readN(4)
			if err != nil {
				return nil, err
			}
			it.ExpireMs = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
			continue
		case opExpireTimeMs:
			b, err := d.readN(8)
			if err != nil {
				return nil, err
			}
			it.ExpireMs = int64(binary.LittleEndian.Uint64(b))
			continue
		case opFreq:
			b, err := d.readByte()
			if err != nil {
				return nil, err
			}
			it.Freq = int(b)
			continue
		case opIdle:
			n, enc, err := d.readLen()
			if err != nil || enc {
				return nil, orBad(err)
			}
			it.Idle = int64(n)
			continue
		case opEOF:
			return nil, r.finish()
		case opSelectDB:
			n, enc, err := d.readLen()
			if err != nil || enc || n > 1<<31 {
				return nil, orBad(err)
			}
			it.Kind, it.DB = ItemSelectDB, int(n)
			return it, nil
		case opResizeDB:
			a, e1, err := d.readLen()
			if err != nil {
				return nil, err
			}
			b, e2, err := d.readLen()
			if err != nil || e1 || e2 {
				return nil, orBad(err)
			}
			it.Kind, it.DBSize, it.ExpiresSize = ItemResizeDB, a, b
			return it, nil
		case opAux:
			k, err := d.readString()
			if err != nil {
				return nil, err
			}
			ks := string(k)
			v, err := d.readString()
			if err != nil {
				return nil, err
			}
			it.Kind, it.Aux, it.AuxValue = ItemAux, ks, string(v)
			return it, nil
		case opFunction2:
			f, err := d.readString()
			if err != nil {
				return nil, err
			}
			it.Kind, it.Function = ItemFunction, append([]byte(nil), f...)
			return it, nil
		case opFunctionPre, opModuleAux:
			return nil, ErrUnsupportedType
		}
		if !isObjectType(int(op)) {
			return nil, fmt.Errorf("%w: unknown RDB opcode %d", ErrBadData, op)
		}
		k, err := d.readString()
		if err != nil {
			return nil, err
		}
		key := append([]byte(nil), k...)
		v, err := d.readObject(int(op))
		if err != nil && err != ErrEmptyKey && errors.Is(err, ErrBadData) {
			err = &KeyError{Key: key, Type: int(op), Err: err}
		}
		if err == ErrEmptyKey {
			r.Skipped++
			if r.OnSkip != nil {
				r.OnSkip(key)
			}
			*it = Item{ExpireMs: -1, Idle: -1, Freq: -1}
			continue
		}
		if err != nil {
			return nil, err
		}
		it.Kind, it.Key, it.Value = ItemKey, key, v
		return it, nil
	}
}

func orBad(err error) error {
	if err != nil {
		return err
	}
	return errBadData
}

// finish checks the trailing checksum (RDB version ≥ 5).
func (r *Reader) finish() error {
	if r.version < 5 {
		return io.EOF
	}
	expected := r.d.crc
	b, err := r.d.readN(8)
	if err != nil {
		return err
	}
	got := binary.LittleEndian.Uint64(b)
	if got != 0 && got != expected && !r.d.set.SkipChecksum {
		return &ChecksumError{Expected: expected, Got: got}
	}
	return io.EOF
}
