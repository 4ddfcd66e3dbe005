package command

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// RDBSettings are the rdb settings in force for this command (DUMP,
// RESTORE, MIGRATE): the encoding thresholds, list-max-listpack-size and
// rdbcompression.
func (c *Ctx) RDBSettings() rdb.Settings {
	conf := c.Conf()
	return rdb.Settings{Limits: conf.Limits, ListMaxListpackSize: conf.ListMaxListpackSize, Compress: conf.RDBCompression,
		SkipChecksum: conf.SkipChecksum}
}

// dumpState is the per-call scratch of DUMP, pooled: an encoder (with its
// 256 KB LZF table) and the payload buffer.
type dumpState struct {
	enc *rdb.Encoder
	buf []byte
}

var dumpPool = sync.Pool{New: func() any { return &dumpState{enc: rdb.NewEncoder(rdb.DefaultSettings())} }}

func registerDump(t *Table) {
	t.Handle("dump", cmdDump)
	t.Handle("restore", cmdRestore)
	t.Handle("restore-asking", cmdRestore)
}

// cmdDump is DUMP key: the value serialized as RESTORE takes it (Redis
// dumpCommand), or a null reply when the key does not exist.
func cmdDump(c *Ctx) {
	v, ok := c.DB.Lookup(c.Args[1])
	if !ok {
		c.W.Null()
		return
	}
	st := dumpPool.Get().(*dumpState)
	defer dumpPool.Put(st)
	st.enc.Reset(c.RDBSettings())
	var err error
	st.buf, err = st.enc.AppendDump(st.buf[:0], v)
	if err != nil {
		// A value type the codec cannot write (none today).
		c.Error(rediserr.BadDataFormat)
		return
	}
	c.W.Bulk(st.buf)
	if cap(st.buf) > 1<<20 {
		st.buf = nil // do not pin a large buffer in the pool
	}
}

// cmdRestore is RESTORE and RESTORE-ASKING: key ttl payload [REPLACE]
// [ABSTTL] [IDLETIME seconds] [FREQ frequency], checked in Redis 7.0's
// order (restoreCommand): options, an existing key, the TTL, the payload's
// footer, its content. A TTL already in the past deletes the key (when
// REPLACE found one) and creates nothing. IDLETIME sets the key's LRU
// clock and FREQ its LFU counter, each only under a policy of its kind.
func cmdRestore(c *Ctx) {
	replace, absTTL := false, false
	idleSet, freqSet := false, false
	var idle, freq int64
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		a := string(c.Args[j])
		switch {
		case strings.EqualFold(a, "replace"):
			replace = true
		case strings.EqualFold(a, "absttl"):
			absTTL = true
		case strings.EqualFold(a, "idletime") && more >= 1 && !freqSet:
			v, ok := rnum.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(rediserr.NotInteger)
				return
			}
			if v < 0 {
				c.Error(rediserr.InvalidIdletime)
				return
			}
			idleSet, idle = true, v
			j++
		case strings.EqualFold(a, "freq") && more >= 1 && !idleSet:
			v, ok := rnum.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(rediserr.NotInteger)
				return
			}
			if v < 0 || v > 255 {
				c.Error(rediserr.InvalidFreq)
				return
			}
			freqSet, freq = true, v
			j++
		default:
			c.Error(rediserr.Syntax)
			return
		}
	}
	key := c.Args[1]
	if !replace && c.DB.Exists(key) {
		c.Error(rediserr.BusyKey)
		return
	}
	ttl, ok := rnum.ParseInt(c.Args[2])
	if !ok {
		c.Error(rediserr.NotInteger)
		return
	}
	if ttl < 0 {
		c.Error(rediserr.InvalidTTL)
		return
	}
	// The value may alias the payload or r until Own (below).
	r := restorers.Get().(*rdb.Restorer)
	defer restorers.Put(r)
	v, err := r.Parse(c.Args[3], c.RDBSettings())
	if err != nil {
		if errors.Is(err, rdb.ErrVersionOrChecksum) {
			c.Error(rediserr.DumpVersionOrCRC)
			return
		}
		if reason := rdb.CorruptReason(err); reason != "" {
			// rdbReportCorruptRDB in a RESTORE: logged at verbose level.
			c.Logf('-', "Internal error in RDB reading offset 0, function at rdb.c:0 -> %s", reason)
		}
		c.Error(rediserr.BadDataFormat)
		return
	}
	if ttl != 0 && !absTTL {
		ttl += c.KS.NowMs()
	}
	if ttl != 0 && c.alreadyExpired(ttl) {
		// Already expired: nothing is created; a key REPLACE removed is
		// propagated as DEL (Redis rewrites the command to shared.del).
		if replace && c.DB.Delete(key) {
			c.Propagate(kwDEL, key)
			c.Notify(NotifyGeneric, "del", key)
			c.Dirty++
		}
		c.W.OK()
		return
	}
	when := int64(-1)
	if ttl != 0 {
		when = ttl
		if !absTTL {
			// Propagated with the TTL made absolute and ABSTTL appended,
			// as restoreCommand rewrites its arguments.
			var num [20]byte
			argv := make([][]byte, 0, len(c.Args)+1)
			argv = append(argv, c.Args[0], key, strconv.AppendInt(num[:0], ttl, 10))
			argv = append(argv, c.Args[3:]...)
			c.Propagate(append(argv, kwABSTTL)...)
		}
	}
	// Redis's dbDelete (with REPLACE) and dbAdd in one lookup: the
	// replaced value, referenced by nothing once deleted, lends its memory
	// to the new one when it fits (r.Own; a string's record in Replace).
	// Without REPLACE the key is absent (checked above).
	c.DB.ReplaceIn(c.KeySlot(), key, v, when, r)
	if lfu := c.KS.LFU(); lfu && freqSet {
		c.DB.SetAccessClock(key, c.KS.ClockForFreq(int(freq)))
	} else if !lfu && idleSet {
		c.DB.SetAccessClock(key, c.KS.ClockForIdle(idle))
	}
	c.SignalReady(key)
	c.Notify(NotifyGeneric, "restore", key)
	c.Dirty++
	c.W.OK()
}

var kwABSTTL = []byte("ABSTTL")

// restorers are RESTORE's decoders, with their buffers.
var restorers = sync.Pool{New: func() any { return new(rdb.Restorer) }}
