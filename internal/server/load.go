package server

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/cluster"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/slot"
)

// loadState is a dataset load in progress (startup, DEBUG RELOAD): while
// active, commands without the "loading" flag get -LOADING, and INFO
// shows the progress.
type loadState struct {
	active atomic.Bool
	// async: a replica loads its master's dataset aside while serving the
	// old one (repl-diskless-load swapdb, same replication ID): INFO says
	// async_loading, and only commands flagged no_async_loading get
	// -LOADING (repl_swapdb.go).
	async       atomic.Bool
	start       atomic.Int64 // unix s
	totalBytes  atomic.Int64
	loadedBytes atomic.Int64
	usedMem     atomic.Int64 // the file's used-mem aux field
	// expiredKeys are the keys the last load into the dataset skipped
	// because their TTL had passed (propagateLoadExpired).
	expiredKeys []localKey

	// holdBytes, holdUntil: while fewer bytes than this are loaded (and
	// not past holdUntil, unix ns), commands wait for the load instead of
	// getting -LOADING (loadingHold).
	holdBytes atomic.Int64
	holdUntil atomic.Int64
	// abort stops a full sync's load at its next key (shutdown,
	// repl_replica.go stopSyncLoad).
	abort atomic.Bool

	lastLoaded  atomic.Int64 // rdb_last_load_keys_loaded
	lastExpired atomic.Int64 // rdb_last_load_keys_expired

	// rsi is the replication info of the last RDB loaded (its repl-id,
	// repl-offset and repl-stream-db aux fields); set by the loading
	// goroutine, read after the load.
	rsi replInfo
}

// replInfo is an RDB's replication aux fields (Redis's rdbSaveInfo).
type replInfo struct {
	id  string
	off int64
	db  int
}

func (r replInfo) valid() bool { return len(r.id) == 40 && r.off >= 0 && r.db >= 0 }

// loadingNow: an RDB or AOF load is in progress.
func (s *Server) loadingNow() bool { return s.loading.active.Load() || s.aof.loading.Load() }

// infoLoading writes INFO persistence's loading_* fields during a load.
func (s *Server) infoLoading(w infoWriter) {
	ld := &s.loading
	if !ld.active.Load() && !ld.async.Load() {
		return
	}
	total, loaded, used := ld.totalBytes.Load(), ld.loadedBytes.Load(), ld.usedMem.Load()
	perc, remaining := 0.0, int64(0)
	if total > 0 {
		perc = float64(loaded) / float64(total) * 100
		remaining = total - loaded
	} else if used > 0 {
		perc = float64(loaded) / float64(used) * 100
		remaining = used - loaded
		if perc > 99.99 {
			perc = 99.99
		}
	}
	elapsed := time.Now().Unix() - ld.start.Load()
	eta := int64(1)
	if elapsed > 0 {
		eta = elapsed * remaining / (loaded + 1)
	}
	w.i("loading_start_time", ld.start.Load())
	w.i("loading_total_bytes", total)
	w.i("loading_rdb_used_mem", used)
	w.i("loading_loaded_bytes", loaded)
	w.f("loading_loaded_perc", "%.2f", perc)
	w.i("loading_eta_seconds", eta)
}

// beforeWrite tells a running snapshot that a write command is about to
// change its keys (collections change in place, behind the keyspace's
// back). The command holds their stripes.
func (c *client) beforeWrite(spec *command.Spec, args [][]byte) {
	ks := c.srv.ks
	c.wkeys = spec.KeyPositions(args, c.wkeys[:0])
	for _, i := range c.wkeys {
		ks.BeforeWriteKey(slot.Of(args[i]), args[i])
	}
}

// PrepareLoad is the first half of loadDataFromDisk, run before Serve: if
// a dataset will be loaded it marks the server loading (clients that
// connect meanwhile get -LOADING) and returns the loader to run. With
// appendonly yes the AOF is loaded (aof.go) and dump.rdb is ignored, as
// Redis does. The loader logs its failures; an error means exit.
func (s *Server) PrepareLoad() func() error {
	s.cfg.RLock()
	aof := s.cfg.Appendonly
	s.cfg.RUnlock()
	if aof {
		s.aof.loading.Store(true)
		return s.LoadDataFromDisk
	}
	path, _ := s.rdbPath()
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return func() error { return nil }
		}
		return func() error {
			s.Logf('#', "Fatal error loading the DB: %s. Exiting.", strerror(err))
			return err
		}
	}
	s.startLoading(fi.Size())
	return func() error {
		start := time.Now()
		defer s.loading.active.Store(false)
		if err := s.loadRDB(path, false); err != nil {
			s.Logf('#', "%v", err)
			return err
		}
		s.Logf('*', "DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
		s.propagateLoadExpired(s.restoreReplInfo(s.loading.rsi))
		return nil
	}
}

func (s *Server) startLoading(size int64) {
	s.loading.reset(size)
	v, _ := s.cfg.Value("loading-process-events-interval-bytes")
	n, _ := strconv.ParseInt(v, 10, 64)
	s.loading.holdBytes.Store(n)
	s.loading.holdUntil.Store(time.Now().Add(loadingHoldMax).UnixNano())
	s.loading.active.Store(true)
}

// loadingHoldMax bounds how long a command waits for a load (Redis waits
// as long as the load takes; a streamed load may stall on its master):
// then it gets -LOADING.
const loadingHoldMax = 10 * time.Second

// loadingHold reports whether spec must wait for the RDB load in progress
// rather than get -LOADING. Redis loads in its event loop and serves
// clients (with -LOADING) only every loading-process-events-interval-bytes
// (2 MB): a small dataset loads before any client is read, and a command
// sent meanwhile simply waits for it.
func (s *Server) loadingHold(c *client, spec *command.Spec) bool {
	ld := &s.loading
	return ld.active.Load() && !c.session && !spec.Has(command.FlagLoading) &&
		ld.loadedBytes.Load() < ld.holdBytes.Load() && time.Now().UnixNano() < ld.holdUntil.Load()
}

// waitLoading blocks the client's goroutine while loadingHold holds
// (bounded by loadingHoldMax).
func (c *client) waitLoading(spec *command.Spec) {
	c.blockedNow.Store(true)
	defer c.blockedNow.Store(false)
	for c.srv.loadingHold(c, spec) {
		time.Sleep(time.Millisecond)
	}
}

// reset starts the progress INFO reports for a load of size bytes.
func (ld *loadState) reset(size int64) {
	ld.start.Store(time.Now().Unix())
	ld.totalBytes.Store(size)
	ld.loadedBytes.Store(0)
	ld.usedMem.Store(0)
}

// debugDelay is Redis's debugDelay for key-load-delay and
// rdb-key-save-delay: sleep us microseconds; a negative value sleeps 1 µs
// one time in -us.
func debugDelay(us int) {
	if us < 0 {
		if rand.Intn(-us) != 0 {
			return
		}
		us = 1
	}
	time.Sleep(time.Duration(us) * time.Microsecond)
}

// progressReader counts the bytes read for INFO's loading_loaded_bytes.
type progressReader struct {
	r io.Reader
	n *atomic.Int64
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}

// rdbReadAhead decodes an RDB on its own goroutine, a batch ahead of the
// goroutine that stores the keys: decoding is about a third of a load's
// CPU and storing the rest, so on two cores the two overlap. Batches are
// recycled so that the Items themselves are not garbage.
type rdbReadAhead struct {
	full, free chan *rdbBatch
	quit       chan struct{}
	cur        *rdbBatch
	pos        int
	failedAt   int64 // the reader's offset at its error
}

type rdbBatch struct {
	items []rdb.Item
	err   error // after items: io.EOF or the reader's error
	off   int64
}

const rdbBatchLen = 256

func readAhead(r *rdb.Reader) *rdbReadAhead {
	ra := &rdbReadAhead{full: make(chan *rdbBatch, 4), free: make(chan *rdbBatch, 6), quit: make(chan struct{})}
	for range cap(ra.free) {
		ra.free <- &rdbBatch{items: make([]rdb.Item, 0, rdbBatchLen)}
	}
	go ra.run(r)
	return ra
}

func (ra *rdbReadAhead) run(r *rdb.Reader) {
	for {
		var b *rdbBatch
		select {
		case b = <-ra.free:
		case <-ra.quit:
			return
		}
		b.items, b.err = b.items[:0], nil
		for len(b.items) < rdbBatchLen && b.err == nil {
			it, err := r.Next()
			if err != nil {
				b.err, b.off = err, r.Offset()
				break
			}
			b.items = append(b.items, *it)
		}
		select {
		case ra.full <- b:
		case <-ra.quit:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// next is Reader.Next through the read-ahead. The Item is valid until the
// call after it.
func (ra *rdbReadAhead) next() (*rdb.Item, error) {
	for {
		if b := ra.cur; b != nil {
			if ra.pos < len(b.items) {
				ra.pos++
				return &b.items[ra.pos-1], nil
			}
			if b.err != nil {
				ra.failedAt = b.off
				return nil, b.err
			}
			clear(b.items) // drop references to the stored values
			ra.free <- b
		}
		ra.cur, ra.pos = <-ra.full, 0
	}
}

// stop ends the decoding goroutine (it may still finish a read in progress
// on a socket; the caller closes that).
func (ra *rdbReadAhead) stop() { close(ra.quit) }

// errLoadFatal is a load failure already logged in Redis's words; the
// server must not start on it (main exits 1).
var errLoadFatal = errors.New("Terminating server after rdb file reading failure.")

// errLoadAborted: a full sync's load stopped for a shutdown.
var errLoadAborted = errors.New("loading aborted by a shutdown")

// loadRDB is rdbLoad: the file's keys go into the (empty) keyspace. A
// key whose TTL has passed is dropped, as a master does. A key already
// present is an error unless allowDup (DEBUG RELOAD MERGE), which replaces
// it. On any error
// every key loaded so far is removed again — a half-loaded dataset is
// never served — and the error is logged as Redis logs it.
func (s *Server) loadRDB(path string, allowDup bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("Fatal error loading the DB: %s. Exiting.", strerror(err))
	}
	defer f.Close()
	return s.loadRDBFrom(f, allowDup)
}

// loadRDBFrom is loadRDB reading from src (a file, or a master's socket).
func (s *Server) loadRDBFrom(src io.Reader, allowDup bool) error {
	return s.loadRDBInto(s.ks, src, allowDup, nil)
}

// loadRDBInto is loadRDBFrom into ks, the server's keyspace or one made
// by NewTemp (a swapdb load, which also passes fns: the payload's function
// libraries are appended there, for the caller to install with the keys,
// instead of replacing this node's now). On error ks is left empty.
func (s *Server) loadRDBInto(ks *keyspace.Keyspace, src io.Reader, allowDup bool, fns *[][]byte) error {
	r := rdb.NewReader(progressReader{src, &s.loading.loadedBytes}, s.rdbSettings())
	r.OnSkip = func(key []byte) { s.Logf('#', "rdbLoadObject skipping empty key: %s", key) }
	flushLoaded := func() {
		if ks == s.ks {
			s.flushLoaded()
		} else {
			s.ks.DropTemp(ks)
		}
	}
	ks.Loading.Store(true) // nothing expires while loading
	defer ks.Loading.Store(false)
	defer func() {
		for i := range ks.NumDBs() {
			ks.DB(i).ExpectKeys(0)
		}
	}()
	db := ks.DB(0)
	now := time.Now().UnixMilli()
	// Only a master drops the keys that expired while on disk; a replica
	// keeps them for its master's DELs (rdbLoadRioWithLoadingCtx's
	// iAmMaster() test), as after a restart from a replica's dump.
	dropExpired := s.iAmMaster()
	s.cfg.RLock()
	delay := s.cfg.KeyLoadDelay
	s.cfg.RUnlock()
	var loaded, expired int64
	var functions [][]byte
	s.loading.rsi = replInfo{off: -1, db: -1}
	s.loading.expiredKeys = nil
	ra := readAhead(r)
	defer ra.stop()
	for {
		it, err := ra.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			flushLoaded()
			return s.loadFailure(err, ra.failedAt)
		}
		switch it.Kind {
		case rdb.ItemAux:
			switch strings.ToLower(it.Aux) {
			case "redis-ver":
				s.Logf('*', "Loading RDB produced by version %s", it.AuxValue)
			case "ctime":
				ct, _ := strconv.ParseInt(it.AuxValue, 10, 64)
				age := time.Now().Unix() - ct
				if age < 0 {
					age = 0
				}
				s.Logf('*', "RDB age %d seconds", age)
			case "repl-id":
				s.loading.rsi.id = it.AuxValue
			case "repl-offset":
				if v, err := strconv.ParseInt(it.AuxValue, 10, 64); err == nil {
					s.loading.rsi.off = v
				}
			case "repl-stream-db":
				if v, err := strconv.Atoi(it.AuxValue); err == nil && v < ks.NumDBs() {
					s.loading.rsi.db = v
				}
			case "used-mem":
				um, _ := strconv.ParseInt(it.AuxValue, 10, 64)
				s.Logf('*', "RDB memory usage when created %.2f Mb", float64(um)/(1024*1024))
				s.loading.usedMem.Store(um)
			}
		case rdb.ItemFunction:
			functions = append(functions, it.Function)
		case rdb.ItemSelectDB:
			if it.DB < 0 || it.DB >= ks.NumDBs() {
				flushLoaded()
				s.Logf('#', "FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting\n", ks.NumDBs())
				return errLoadFatal
			}
			db.ExpectKeys(0)
			db = ks.DB(it.DB)
		case rdb.ItemResizeDB:
			db.ExpectKeys(it.DBSize)
		case rdb.ItemKey:
			if delay != 0 {
				debugDelay(delay)
			}
			if s.loading.abort.Load() {
				flushLoaded()
				return errLoadAborted
			}
			if dropExpired && it.ExpireMs != -1 && it.ExpireMs < now {
				expired++
				if ks == s.ks {
					s.loading.expiredKeys = append(s.loading.expiredKeys, localKey{db.Index, string(it.Key)})
				}
				continue
			}
			sl := slot.Of(it.Key)
			ks.LockSlot(sl)
			dup := false
			if allowDup {
				db.Put(it.Key, it.Value, it.ExpireMs)
			} else {
				dup = !db.PutNew(it.Key, it.Value, it.ExpireMs)
			}
			ks.UnlockSlot(sl)
			if dup {
				flushLoaded()
				s.Logf('#', "RDB has duplicated key '%s' in DB %d", it.Key, db.Index)
				return errLoadFatal
			}
			loaded++
		}
	}
	if fns != nil {
		*fns = functions
	} else if err := s.loadFunctions(functions, allowDup); err != nil {
		flushLoaded()
		return err
	}
	s.loading.lastLoaded.Store(loaded)
	s.loading.lastExpired.Store(expired)
	if r.Skipped > 0 { // read after the reader's last batch: no race
		s.Logf('#', "Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", loaded, expired, r.Skipped)
	} else {
		s.Logf('*', "Done loading RDB, keys loaded: %d, keys expired: %d.", loaded, expired)
	}
	if ks == s.ks {
		s.paceAfterLoad()
	}
	return nil
}

// loadFailure logs a failed load as rdbLoad and loadDataFromDisk do.
func (s *Server) loadFailure(err error, off int64) error {
	var ce *rdb.ChecksumError
	var ve *rdb.VersionError
	internal := func(line int, reason string) error {
		s.Logf('#', "Internal error in RDB reading offset %d, function at rdb.c:%d -> %s", off, line, reason)
		return errLoadFatal
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.Logf('#', "Short read or OOM loading DB. Unrecoverable error, aborting now.")
		return internal(3240, "Unexpected EOF reading RDB file")
	case errors.As(err, &ce):
		s.Logf('#', "Wrong RDB checksum expected: (%x) but got (%x). Aborting now.", ce.Expected, ce.Got)
		return internal(3216, "RDB CRC error")
	case errors.Is(err, rdb.ErrBadMagic), errors.As(err, &ve):
		s.Logf('#', "%s", err.Error())
		return errors.New("Fatal error loading the DB: Invalid argument. Exiting.")
	case errors.Is(err, rdb.ErrUnsupportedType):
		return internal(0, "Unknown RDB encoding type (modules are not supported)")
	}
	if reason := rdb.CorruptReason(err); reason != "" {
		internal(0, reason)
		s.reportCorruptRDB(err, off, reason)
		return errLoadFatal
	}
	return internal(0, "Bad data format ("+err.Error()+")")
}

// reportCorruptRDB prints, after a load failed on corrupt data, the report
// redis-check-rdb prints on stdout when Redis runs it on such a failure:
// where the error was found, the key and its type.
func (s *Server) reportCorruptRDB(err error, off int64, reason string) {
	var b strings.Builder
	b.WriteString("--- RDB ERROR DETECTED ---\n")
	fmt.Fprintf(&b, "[offset %d] Internal error in RDB reading offset %d, function at rdb.c:0 -> %s\n", off, off, reason)
	var ke *rdb.KeyError
	if errors.As(err, &ke) {
		b.WriteString("[additional info] While doing: read-object-value\n")
		fmt.Fprintf(&b, "[additional info] Reading key '%s'\n", ke.Key)
		fmt.Fprintf(&b, "[additional info] Reading type %d (%s)\n", ke.Type, rdb.TypeName(ke.Type))
	}
	os.Stdout.WriteString(b.String())
}

// flushLoaded drops a partly loaded dataset.
// iAmMaster is Redis's iAmMaster(): in a cluster, myself is a master in
// the core's view (nodes.conf at start); otherwise no replicaof is set.
func (s *Server) iAmMaster() bool {
	if n := s.cl.node; n != nil {
		master := true
		n.Query(func(c *cluster.Core) error {
			master = c.Myself().IsMaster()
			return nil
		})
		return master
	}
	if s.repl.started.Load() {
		return !s.isReplica()
	}
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return s.cfg.ReplicaOfHost == ""
}

func (s *Server) flushLoaded() {
	s.ks.LockAll()
	for i := 0; i < s.ks.NumDBs(); i++ {
		s.ks.DB(i).Flush()
	}
	s.ks.UnlockAll()
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, flush,
// load the file back.
func (s *Server) debugReload(ctx *command.Ctx) {
	flush, save, merge := true, true, false
	for _, a := range ctx.Args[2:] {
		switch strings.ToLower(string(a)) {
		case "merge":
			merge = true
		case "noflush":
			flush = false
		case "nosave":
			save = false
		default:
			ctx.Error(rediserr.ReloadOptions)
			return
		}
	}
	if save {
		if err := s.syncSave(); err != nil {
			ctx.Error("ERR")
			return
		}
	}
	if flush {
		// emptyData without EMPTYDB_NOFUNCTIONS: the libraries go too,
		// and come back from the file.
		s.flushLoaded()
		s.scripts.Functions.Flush()
		s.scriptLock.wide.Clear()
	}
	path, _ := s.rdbPath()
	fi, err := os.Stat(path)
	if err != nil {
		ctx.Error(rediserr.ReloadFailed)
		return
	}
	s.startLoading(fi.Size())
	err = s.loadRDB(path, merge)
	s.loading.active.Store(false)
	if err != nil {
		ctx.Error(rediserr.ReloadFailed)
		return
	}
	s.Logf('#', "DB reloaded by DEBUG RELOAD")
	ctx.W.OK()
}
