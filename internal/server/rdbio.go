package server

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/snapshot"
)

// RDB file opcodes this file frames chunks with (rdb.h).
const (
	rdbOpAux          = 0xFA
	rdbOpResizeDB     = 0xFB
	rdbOpExpireTimeMs = 0xFC
	rdbOpSelectDB     = 0xFE
	rdbOpEOF          = 0xFF
)

// rdbSettings are the codec settings in force (encoding thresholds, list
// node size, rdbcompression).
func (s *Server) rdbSettings() rdb.Settings {
	c := &s.conf().cmd
	return rdb.Settings{Limits: c.Limits, ListMaxListpackSize: c.ListMaxListpackSize, Compress: c.RDBCompression,
		PackedThreshold: int(s.qlPacked.Load()), SkipChecksum: c.SkipChecksum}
}

// rdbEncoder is the snapshot encoder writing one key as
// rdbSaveKeyValuePair does (no LRU/LFU fields): [EXPIRETIME_MS ms] type
// key value. An rdb.Encoder is not safe for concurrent use and the
// snapshot calls this from the walk and from writers at once, so each call
// borrows one from a pool.
func (s *Server) rdbEncoder() snapshot.Encoder {
	set := s.rdbSettings()
	pool := &sync.Pool{New: func() any { return rdb.NewEncoder(set) }}
	return func(dst []byte, key string, v keyspace.Value, exp int64) ([]byte, error) {
		t := rdb.TypeOf(v)
		if t < 0 {
			// A value the RDB codec cannot write: the save fails rather
			// than write a file that lacks the key.
			return dst, fmt.Errorf("key '%s' is a %s, which Shoal cannot write to an RDB file: %w", key, v.Kind(), rdb.ErrUnsupportedType)
		}
		e := pool.Get().(*rdb.Encoder)
		if exp >= 0 {
			dst = append(dst, rdbOpExpireTimeMs)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(exp))
		}
		dst = append(dst, byte(t))
		dst, _ = e.AppendObject(dst, keyspace.Value{Str: key})
		dst, err := e.AppendObject(dst, v)
		pool.Put(e)
		return dst, err
	}
}

// crcWriter feeds everything written through it to Redis's crc64.
type crcWriter struct {
	w   io.Writer
	crc uint64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc = rdb.CRC64(c.crc, p)
	return c.w.Write(p)
}

// writeRDBFile is writeRDB through a 1 MB buffer onto a file; on an
// error the snapshot is cancelled.
func (s *Server) writeRDBFile(f io.Writer, sn *snapshot.Snapshot) error {
	bw := bufio.NewWriterSize(f, 1<<20)
	err := s.writeRDB(bw, sn)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		sn.Cancel()
	}
	return err
}

// writeRDB writes a whole RDB file of sn to w (rdbSaveRio): header, aux
// fields, each database's keys, EOF and the checksum. SELECTDB (with
// RESIZEDB the first time) precedes a database's first chunk, and again
// whenever chunks of another database came between: slots that writers
// forced out early arrive out of order, which the format allows.
func (s *Server) writeRDB(w io.Writer, sn *snapshot.Snapshot) error {
	return s.writeRDBFiltered(w, sn, 0)
}

// writeRDBFiltered is writeRDB leaving out what a replica's REPLCONF
// rdb-filter-only excluded (Redis's rdbSaveRio with a req): the aux fields
// are always there; the functions and the keys only when asked for (a
// snapshot without keys is cancelled, not walked).
func (s *Server) writeRDBFiltered(w io.Writer, sn *snapshot.Snapshot, req rdbReq) error {
	cw := &crcWriter{w: w}
	e := rdb.NewEncoder(s.rdbSettings())
	defer e.Release()
	aux := func(b []byte, k, v string) []byte {
		b = append(b, rdbOpAux)
		b, _ = e.AppendObject(b, keyspace.Value{Str: k})
		b, _ = e.AppendObject(b, keyspace.Value{Str: v})
		return b
	}
	b := make([]byte, 0, 256)
	b = append(b, "REDIS0010"...)
	b = aux(b, "redis-ver", Version)
	b = aux(b, "redis-bits", "64")
	b = aux(b, "ctime", strconv.FormatInt(time.Now().Unix(), 10))
	b = aux(b, "used-mem", strconv.FormatUint(s.usedMemory(), 10))
	// aof-base comes last, 1 in an AOF base (writeRDBBase), else 0.
	base := "0"
	for _, kv := range sn.Aux {
		if kv[0] == "aof-base" {
			base = kv[1]
			continue
		}
		b = aux(b, kv[0], kv[1])
	}
	b = aux(b, "aof-base", base)
	if req&rdbExcludeFunctions == 0 {
		b = rdb.AppendFunctions(b, s.functionCodes(), s.rdbSettings()) // rdbSaveFunctions
	}
	if _, err := cw.Write(b); err != nil {
		return err
	}
	if req&rdbExcludeData != 0 {
		sn.Cancel()
		return s.writeRDBEnd(w, cw, b)
	}
	cur := -1
	resized := make([]bool, len(sn.Sizes))
	s.cfg.RLock()
	delay := s.cfg.RDBKeySaveDelay
	s.cfg.RUnlock()
	err := sn.Run(func(c snapshot.Chunk) error {
		if delay != 0 {
			// rdb-key-save-delay, per key, outside every lock (Redis's
			// child sleeps; the server goes on), except in a save whose
			// caller holds every stripe (SHUTDOWN, FLUSHALL with save
			// points, the AOF base at startup), which sleeps holding
			// them as Redis's rdbSave in its one thread does: a
			// shutdown's save skipped the delay, and unit/shutdown's
			// second SIGINT found the temporary file already gone.
			for range c.Keys {
				if !saveDelay(sn, delay) {
					return snapshot.ErrCancelled
				}
			}
		}
		if c.DB != cur {
			b = append(b[:0], rdbOpSelectDB)
			b = rdb.AppendLen(b, uint64(c.DB))
			if !resized[c.DB] {
				resized[c.DB] = true
				b = append(b, rdbOpResizeDB)
				b = rdb.AppendLen(b, uint64(sn.Sizes[c.DB].Keys))
				b = rdb.AppendLen(b, uint64(sn.Sizes[c.DB].Volatile))
			}
			if _, err := cw.Write(b); err != nil {
				return err
			}
			cur = c.DB
		}
		_, err := cw.Write(c.Data)
		return err
	})
	if err != nil {
		return err
	}
	return s.writeRDBEnd(w, cw, b)
}

// saveDelay is rdb-key-save-delay for one key of sn, cut short when sn is
// cancelled (a killed writer child, FLUSHALL): false then. A delay of
// seconds per key must not keep a cancelled save going.
func saveDelay(sn *snapshot.Snapshot, us int) bool {
	const step = 10_000 // µs
	for us > step {
		if sn.Cancelled() {
			return false
		}
		debugDelay(step)
		us -= step
	}
	if sn.Cancelled() {
		return false
	}
	debugDelay(us)
	return true
}

// writeRDBEnd writes the EOF opcode and the CRC64 trailer (zero with
// rdbchecksum no); b is scratch.
func (s *Server) writeRDBEnd(w io.Writer, cw *crcWriter, b []byte) error {
	if _, err := cw.Write([]byte{rdbOpEOF}); err != nil {
		return err
	}
	sum := cw.crc
	s.cfg.RLock()
	if !s.cfg.RDBChecksum {
		sum = 0
	}
	s.cfg.RUnlock()
	_, err := w.Write(binary.LittleEndian.AppendUint64(b[:0], sum))
	return err
}
