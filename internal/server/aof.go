package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/persist"
	"github.com/shoal-db/shoal/internal/persist/aof"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/snapshot"
	"github.com/shoal-db/shoal/internal/stream"
)

// The append-only file (Redis 7.0 multi-part, internal/persist/aof): loading
// at startup, the writer that copies the write stream into the current
// incremental file, CONFIG SET appendonly, BGREWRITEAOF, and the gates
// (-LOADING, MISCONF) commands pass.

// aofState is the server's AOF bookkeeping.
type aofState struct {
	mu sync.Mutex // enabling, disabling, loading and rewriting take turns

	w       atomic.Pointer[aof.Writer] // nil: appendonly no
	loading atomic.Bool                // -LOADING for clients
	man     *aof.Manifest              // guarded by mu

	// baseSize and prevSize are the sizes of the base and of the
	// incremental files before the one being written (aof_current_size).
	baseSize, prevSize atomic.Int64
	rewrites           atomic.Int64
	lastRewriteOK      atomic.Bool
	// rwFailures counts rewrites failed in a row
	// (aof_rewrites_consecutive_failures); from 3 on, automatic rewrites
	// back off (aofRewriteLimited).
	rwFailures atomic.Int64
	// rwDelayMin and rwNextTry are the back-off's state (the cron
	// goroutine's only): minutes of the last delay, unix second of the
	// next attempt.
	rwDelayMin      int
	rwNextTry       int64
	lastRewriteSecs atomic.Int64
	rewriting       atomic.Bool
	// rwChild is the writer child of the running rewrite's base file, if
	// any: appendonly no kills it (killAppendOnlyChild).
	rwChild atomic.Pointer[persist.WriterChild]
	// rwKilled: appendonly no killed the rewrite's child; its failure
	// leaves aof_last_bgrewrite_status as it was (Redis's SIGUSR1 kill).
	rwKilled atomic.Bool
	// waitRewrite: the rewrite CONFIG SET appendonly yes started runs, and
	// the AOF has no base yet (Redis's AOF_WAIT_REWRITE): a shutdown
	// refuses to exit (unless FORCE).
	waitRewrite  atomic.Bool
	rewriteStart atomic.Int64 // unix seconds
	loadStart    atomic.Int64 // unix seconds
	// execSets counts CONFIG SETs running inside EXEC: the transaction
	// holds stripes, so appendonly yes must not start its rewrite (which
	// takes every stripe) before the transaction ends.
	execSets atomic.Int32
	// flushSleep is DEBUG AOF-FLUSH-SLEEP's microseconds (aof.Writer).
	flushSleep atomic.Int64
	// scheduled is a rewrite waiting for a BGSAVE to end
	// (aof_rewrite_scheduled): rwBG for BGREWRITEAOF, rwEnable for CONFIG
	// SET appendonly yes, whose AOF starts with that rewrite.
	scheduled atomic.Int32
}

const (
	rwBG     = 1
	rwEnable = 2
)

// aofMisconf is the MISCONF writes get after an AOF write error.
func aofMisconf(err error) string {
	return rediserr.AOFWriteErr(aof.ErrText(err))
}

// persistGate returns the error a command gets from the persistence state,
// or "": Redis's MISCONF after a failed RDB save (save.go) or an AOF write
// error, for writes and PING; -LOADING while loading (commands flagged
// loading still run).
func (s *Server) persistGate(c *client, spec *command.Spec) string {
	if c.writesDenied(spec) { // save.go: stop-writes-on-bgsave-error
		return rediserr.BgsaveErr
	}
	if msg := s.replGate(c, spec); msg != "" { // replication.go
		return msg
	}
	if s.loadingNow() && !c.session && !spec.Has(command.FlagLoading) {
		return rediserr.Loading
	}
	if s.loading.async.Load() && !c.session && asyncLoadingDenied(c, spec) { // repl_swapdb.go
		return rediserr.Loading
	}
	if w := s.aof.w.Load(); w != nil && (spec.Has(command.FlagWrite) || spec.Name == "ping") {
		if err := w.Err(); err != nil {
			return aofMisconf(err)
		}
	}
	return ""
}

// aofSync makes the stream up to off durable as appendfsync asks before
// replies leave: fsynced with always, written otherwise. Redis writes its
// AOF buffer in beforeSleep, before any reply leaves, so a crash of the
// process (kill -9, the OOM killer), as opposed to the machine's, loses no
// acknowledged write under everysec or no either.
func (s *Server) aofSync(off int64) {
	w := s.aof.w.Load()
	if w == nil {
		return
	}
	if w.Policy() != aof.FsyncAlways {
		w.Flush(off)
		return
	}
	start := clock.Mono()
	w.Sync(off)
	s.latencySample("aof-fsync-always", clock.Mono()-start)
}

// aofPaths is the AOF configuration in force.
type aofPaths struct {
	dir, filename                  string
	loadTruncated, preamble, stamp bool
	policy                         aof.Policy
	on                             bool
	keyLoadDelay                   int
}

func (s *Server) aofConfig() aofPaths {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return aofPaths{dir: s.cfg.Appenddirname, filename: s.cfg.Appendfilename,
		loadTruncated: s.cfg.AOFLoadTruncated, preamble: s.cfg.AOFUseRDBPreamble,
		stamp: s.cfg.AOFTimestampEnabled, policy: aof.ParsePolicy(s.cfg.Appendfsync), on: s.cfg.Appendonly,
		keyLoadDelay: s.cfg.KeyLoadDelay}
}

// readManifest reads dir's manifest; a missing directory or manifest is an
// empty one.
func readManifest(p aofPaths) (*aof.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(p.dir, aof.ManifestName(p.filename)))
	if errors.Is(err, os.ErrNotExist) {
		return &aof.Manifest{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("Fatal error: can't open the AOF manifest file %s for reading: %s", aof.ManifestName(p.filename), aof.ErrText(err))
	}
	return aof.ParseManifest(data)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// LoadDataFromDisk loads the AOF when appendonly is yes (Redis's
// loadDataFromDisk, AOF part) and opens it for appending. Clients that
// connect meanwhile get -LOADING. An error means Redis would exit.
func (s *Server) LoadDataFromDisk() error {
	p := s.aofConfig()
	if !p.on {
		return nil
	}
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	// Until the AOF is open for appending, clients get -LOADING: a write
	// acknowledged before that would not be in the files.
	s.aof.loading.Store(true)
	defer s.aof.loading.Store(false)
	man, err := readManifest(p)
	if err != nil {
		s.logManifestError(err)
		return errors.New("AOF manifest")
	}
	// A single-file AOF from Redis before 7.0 is moved into the directory
	// and becomes the base (aofUpgradePrepare).
	if fileExists(p.filename) {
		if !dirExists(p.dir) || (man.Base == nil && len(man.Incrs) == 0) ||
			(man.Base != nil && len(man.Incrs) == 0 && man.Base.Name == p.filename && !fileExists(filepath.Join(p.dir, p.filename))) {
			if err := s.aofUpgrade(p, man); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	switch res := s.loadAOFFiles(p, man); res {
	case aof.OK, aof.Truncated:
		s.Logf('*', "DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	case aof.NotExist, aof.Empty:
	default:
		return errors.New("AOF loading failed")
	}
	return s.openAOF(p, man, true)
}

func (s *Server) logManifestError(err error) {
	var me *aof.ManifestError
	if errors.As(err, &me) {
		s.Logf('#', "\n*** FATAL AOF MANIFEST FILE ERROR ***\n")
		if me.Line != "" {
			s.Logf('#', "Reading the manifest file, at line %d\n", me.LineNo)
			s.Logf('#', ">>> '%s'\n", me.Line)
		}
		s.Logf('#', "%s\n", me.Msg)
		return
	}
	s.Logf('#', "%v", err)
}

func (s *Server) aofUpgrade(p aofPaths, man *aof.Manifest) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		s.Logf('#', "Can't open or create append-only dir %s: %s", p.dir, aof.ErrText(err))
		return err
	}
	man.Base = &aof.FileInfo{Name: p.filename, Seq: 1, Type: aof.TypeBase}
	man.BaseSeq = 1
	if err := s.persistManifest(p, man); err != nil {
		return err
	}
	if err := os.Rename(p.filename, filepath.Join(p.dir, p.filename)); err != nil {
		s.Logf('#', "Error trying to move the old AOF file %s into dir %s: %s", p.filename, p.dir, aof.ErrText(err))
		return err
	}
	s.Logf('*', "Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", p.filename, p.dir)
	return nil
}

func (s *Server) persistManifest(p aofPaths, man *aof.Manifest) error {
	if err := nodesconf.WriteAtomic(filepath.Join(p.dir, aof.ManifestName(p.filename)), man.Bytes()); err != nil {
		s.Logf('#', "Can't write the AOF manifest file %s: %s", aof.ManifestName(p.filename), aof.ErrText(err))
		return err
	}
	return nil
}

// loadAOFFiles replays the base and the incremental files in order
// (loadAppendOnlyFiles). Nothing expires while it runs, and what it runs
// is not appended to the stream.
func (s *Server) loadAOFFiles(p aofPaths, man *aof.Manifest) aof.Result {
	files := man.Files()
	if len(files) == 0 {
		return aof.NotExist
	}
	var total int64
	for _, fi := range files {
		st, err := os.Stat(filepath.Join(p.dir, fi.Name))
		if err != nil {
			s.Logf('#', "Unable to obtain the AOF file %s length. stat: %s", fi.Name, aof.ErrText(err))
			return aof.Failed
		}
		total += st.Size()
	}
	if total == 0 {
		return aof.Empty
	}
	s.aof.loading.Store(true)
	s.ks.Loading.Store(true)
	s.aof.loadStart.Store(time.Now().Unix())
	defer s.ks.Loading.Store(false)
	sess := s.newSession(true)
	apply := sess.run
	if d := p.keyLoadDelay; d != 0 {
		// key-load-delay (debugDelay): a negative value sleeps 1 µs one time in -d.
		apply = func(args [][]byte) error {
			debugDelay(d)
			return sess.run(args)
		}
	}
	ld := &aof.Loader{Dir: p.dir, LoadTruncated: p.loadTruncated, Logf: s.Logf,
		Apply: apply, OldStyle: p.filename, RDB: s.loadRDBBase}
	ret := aof.OK
	for i, fi := range files {
		last := i == len(files)-1
		start := time.Now()
		ret = ld.LoadFile(fi.Name)
		kind := "incr"
		if fi.Type == aof.TypeBase {
			kind = "base"
		}
		if ret == aof.OK || (ret == aof.Truncated && last) {
			s.Logf('*', "DB loaded from %s file %s: %.3f seconds", kind, fi.Name, time.Since(start).Seconds())
		}
		if ret == aof.Empty || ret == aof.NotExist && fi.Type != aof.TypeBase {
			ret = aof.OK
		}
		if ret == aof.Truncated && !last {
			s.Logf('#', "Fatal error: the truncated file is not the last file")
			return aof.Failed
		}
		if ret == aof.OpenErr || ret == aof.Failed || ret == aof.NotExist {
			return aof.Failed
		}
	}
	if man.Base != nil {
		if st, err := os.Stat(filepath.Join(p.dir, man.Base.Name)); err == nil {
			s.aof.baseSize.Store(st.Size())
		}
	}
	return ret
}

// openAOF opens the last incremental file for appending (creating the
// base and the file when there are none, as aofOpenIfNeededOnServerStart)
// and attaches the writer to the stream. startup picks the log lines.
func (s *Server) openAOF(p aofPaths, man *aof.Manifest, startup bool) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		s.Logf('#', "Can't open or create append-only dir %s: %s", p.dir, aof.ErrText(err))
		return err
	}
	s.ks.LockAll()
	defer s.ks.UnlockAll()
	if man.Base == nil && len(man.Incrs) == 0 {
		// The base of the dataset as it is: an RDB with
		// aof-use-rdb-preamble yes (every stripe is held, so the walk
		// needs no observer), else commands.
		fi := man.NewBase(p.filename, p.preamble)
		path := filepath.Join(p.dir, fi.Name)
		if p.preamble {
			if _, err := s.writeRDBBase(path, snapshot.StartHeld(s.ks, s.rdbEncoder())); err != nil {
				return err
			}
		} else if err := s.writeBase(path, p.stamp); err != nil {
			return err
		}
		s.Logf('*', "Creating AOF base file %s on server start", fi.Name)
	}
	// History files a crash left behind go (aofDelHistoryFiles).
	for _, h := range man.History {
		os.Remove(filepath.Join(p.dir, h.Name))
		s.Logf('*', "Removing the history file %s in the background", h.Name)
	}
	man.History = nil
	fi, added := man.LastIncr(p.filename)
	path := filepath.Join(p.dir, fi.Name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		s.Logf('#', "Can't open the append-only file %s: %s", fi.Name, aof.ErrText(err))
		return err
	}
	if err := s.persistManifest(p, man); err != nil {
		f.Close()
		return err
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	var prev int64
	for _, in := range man.Incrs[:len(man.Incrs)-1] {
		if st, err := os.Stat(filepath.Join(p.dir, in.Name)); err == nil {
			prev += st.Size()
		}
	}
	if man.Base != nil {
		if st, err := os.Stat(filepath.Join(p.dir, man.Base.Name)); err == nil {
			s.aof.baseSize.Store(st.Size())
		}
	}
	s.aof.prevSize.Store(prev)
	s.aof.man = man
	s.startWriter(f, size, p)
	if startup {
		if added {
			s.Logf('*', "Creating AOF incr file %s on server start", fi.Name)
		} else {
			s.Logf('*', "Opening AOF incr file %s on server start", fi.Name)
		}
	}
	return nil
}

// startWriter attaches a writer for f at the stream's end. Needs LockAll
// (no entry may fall between the data already in the files and the reader).
func (s *Server) startWriter(f *os.File, size int64, p aofPaths) {
	r := s.stream.NewReaderAtEnd(true)
	r.IncludeLocal() // a writable replica's own writes (effects.go)
	// A loop client's entries are deferred (effects.go) and written by the
	// loop itself before the replies leave (aofSync): no wake-up for them.
	r.SetSelfServed()
	w := aof.NewWriter(f, r, size, p.policy)
	if s.ks.ReplicaMode.Load() {
		// A replica's stream is its master's, byte for byte: it selects a
		// database only when the master's does, so the file says which
		// one it starts in.
		w.Prefix(stream.AppendSelect(nil, s.stream.MasterDB()))
	}
	w.SetTimestamps(p.stamp)
	w.FlushSleep = &s.aof.flushSleep
	w.Logf = s.Logf
	w.Fatal = func(string) { os.Exit(1) }
	w.Start()
	s.aof.w.Store(w)
}

// stopAOF detaches and closes the writer (appendonly no, shutdown).
func (s *Server) stopAOF() {
	if w := s.aof.w.Swap(nil); w != nil {
		if err := w.Close(); err != nil {
			s.Logf('#', "Error closing the AOF file: %s", aof.ErrText(err))
		}
	}
}

// applyAOFConfig follows CONFIG SET of the AOF directives.
func (s *Server) applyAOFConfig(name string) {
	p := s.aofConfig()
	switch name {
	case "appendfsync":
		if w := s.aof.w.Load(); w != nil {
			w.SetPolicy(p.policy)
		}
	case "aof-disable-auto-gc":
		s.aof.mu.Lock()
		s.aofDelHistoryFiles(p) // updateAofAutoGCEnabled: at once when turned back on
		s.aof.mu.Unlock()
	case "aof-timestamp-enabled":
		if w := s.aof.w.Load(); w != nil {
			w.SetTimestamps(p.stamp)
		}
	case "appendonly":
		if p.on && s.aof.execSets.Load() > 0 {
			// startAppendOnly with server.in_exec.
			s.Logf('*', "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
			go s.applyAOFConfigScheduled()
			return
		}
		if p.on && s.aof.w.Load() == nil && s.saveChildActive() {
			// startAppendOnly while a BGSAVE or a replica's full sync
			// runs: the rewrite (and the AOF with it) waits for it, as
			// Redis's does for its child.
			s.aof.scheduled.Store(rwEnable)
			s.Logf('*', "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
			return
		}
		if p.on {
			s.startAppendOnly()
			return
		}
		if ch := s.aof.rwChild.Load(); ch != nil && (s.aof.w.Load() != nil || s.aof.waitRewrite.Load()) {
			// stopAppendOnly's killAppendOnlyChild: the rewrite fails at
			// once (its walk stops when the child is gone) rather than
			// holding the AOF until its base is written.
			s.Logf('*', "Killing running AOF rewrite child: %d", ch.Pid)
			s.aof.rwKilled.Store(true)
			syscall.Kill(ch.Pid, syscall.SIGKILL)
		}
		s.aof.mu.Lock()
		defer s.aof.mu.Unlock()
		s.aof.scheduled.CompareAndSwap(rwEnable, 0)
		if s.aof.w.Load() != nil {
			s.stopAOF()
		}
	}
}

// startAppendOnly is Redis's startAppendOnly: a background rewrite
// produces the base of the dataset and attaches the incremental file at
// its snapshot point; until its base is written the AOF is waiting for it
// (AOF_WAIT_REWRITE: a shutdown without FORCE refuses to exit). CONFIG
// SET appendonly yes returns at once, the rewrite in progress (INFO
// aof_rewrite_in_progress), as Redis's returns once it has forked.
func (s *Server) startAppendOnly() {
	if s.aof.w.Load() != nil || !s.aof.waitRewrite.CompareAndSwap(false, true) {
		return // on already, or being turned on
	}
	s.aof.rewriting.Store(true)
	ch := s.rewriteChild()
	go func() {
		s.aof.mu.Lock()
		defer s.aof.mu.Unlock()
		defer s.aof.waitRewrite.Store(false)
		if p := s.aofConfig(); p.on && s.aof.w.Load() == nil {
			if err := s.rewriteAOFWith(p, true, ch); err != nil {
				s.Logf('#', "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
			}
			return
		}
		// Turned off (or on by another path) before the rewrite began.
		s.aof.rewriting.Store(false)
		s.aof.rwKilled.Store(false)
		if ch != nil {
			s.aof.rwChild.CompareAndSwap(ch, nil)
			ch.Finish()
			ch.Remove()
		}
	}()
}

// applyAOFConfigScheduled starts the AOF enabled inside a transaction,
// once no CONFIG SET inside EXEC holds stripes (Redis's scheduled rewrite,
// started by the cron).
func (s *Server) applyAOFConfigScheduled() {
	for s.aof.execSets.Load() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	s.applyAOFConfig("appendonly")
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// infoAOF writes INFO persistence's aof_* fields: what happened, nothing more.
func (s *Server) infoAOF(w infoWriter, enabled bool) {
	a := &s.aof
	w.i("aof_enabled", b2i(enabled))
	w.i("aof_rewrite_in_progress", b2i(a.rewriting.Load()))
	w.i("aof_rewrite_scheduled", b2i(s.aof.scheduled.Load() != 0))
	if a.rewrites.Load() > 0 || !a.lastRewriteOK.Load() && a.rewriteStart.Load() > 0 {
		w.i("aof_last_rewrite_time_sec", a.lastRewriteSecs.Load())
	} else {
		w.i("aof_last_rewrite_time_sec", -1)
	}
	if a.rewriting.Load() {
		w.i("aof_current_rewrite_time_sec", time.Now().Unix()-a.rewriteStart.Load())
	} else {
		w.i("aof_current_rewrite_time_sec", -1)
	}
	if a.rewriteStart.Load() > 0 && !a.rewriting.Load() && !a.lastRewriteOK.Load() {
		w.s("aof_last_bgrewrite_status", "err")
	} else {
		w.s("aof_last_bgrewrite_status", "ok")
	}
	w.i("aof_rewrites", a.rewrites.Load())
	w.i("aof_rewrites_consecutive_failures", a.rwFailures.Load())
	status := "ok"
	if wr := a.w.Load(); wr != nil && wr.Err() != nil {
		status = "err"
	}
	w.s("aof_last_write_status", status)
	w.i("aof_last_cow_size", 0)
}

// infoAOFSizes writes the fields Redis adds when the AOF is on.
func (s *Server) infoAOFSizes(w infoWriter, enabled bool) {
	if !enabled {
		return
	}
	a := &s.aof
	var cur int64
	if wr := a.w.Load(); wr != nil {
		cur = wr.Size()
	}
	buffered := s.aofBuffered()
	w.i("aof_current_size", a.baseSize.Load()+a.prevSize.Load()+cur)
	w.i("aof_base_size", a.baseSize.Load())
	w.i("aof_pending_rewrite", 0)
	w.i("aof_buffer_length", buffered)
	w.i("aof_pending_bio_fsync", 0)
	w.i("aof_delayed_fsync", 0)
}

// debugLoadAOF is DEBUG LOADAOF: flush the AOF, empty the dataset and load
// it again from the files (other clients get -LOADING meanwhile).
func (s *Server) debugLoadAOF() error {
	s.aof.mu.Lock()
	defer s.aof.mu.Unlock()
	p := s.aofConfig()
	s.aof.loading.Store(true)
	defer s.aof.loading.Store(false)
	s.ks.LockAll()
	if w := s.aof.w.Load(); w != nil {
		w.Sync(s.stream.Offset())
	}
	for i := 0; i < s.ks.NumDBs(); i++ {
		s.ks.DB(i).Flush()
	}
	s.ks.UnlockAll()
	man, err := readManifest(p)
	if err != nil {
		s.logManifestError(err)
		return err
	}
	// The manifest on disk is the one in force from now on, as Redis's
	// DEBUG LOADAOF reloads it (aofLoadManifestFromDisk, aofDelHistoryFiles).
	s.aof.man = man
	s.aofDelHistoryFiles(p)
	switch res := s.loadAOFFiles(p, man); res {
	case aof.OK, aof.Truncated, aof.Empty, aof.NotExist:
	default:
		return errors.New("AOF loading failed")
	}
	s.ks.Dirty.Store(0)
	s.Logf('#', "Append Only File loaded by DEBUG LOADAOF")
	return nil
}

func (s *Server) registerAOF() {
	// Off the event loop, as BGSAVE (save.go): it starts a writer child.
	s.handle("bgrewriteaof", func(ctx *command.Ctx) {
		if s.aof.rewriting.Load() {
			ctx.Error(errRewriteRunning.Error())
			return
		}
		if err := s.bgrewriteaof(); errors.Is(err, errSaveChildActive) {
			// A BGSAVE or a full sync runs: the cron starts the
			// rewrite after it.
			s.aof.scheduled.CompareAndSwap(0, rwBG)
			ctx.W.Simple("Background append only file rewriting scheduled")
			return
		} else if err != nil {
			ctx.Error(err.Error())
			return
		}
		if c, ok := ctx.Client.(*client); ok && c.inExec {
			// Redis defers a rewrite asked for inside EXEC and says so;
			// here it starts in the background either way.
			ctx.W.Simple("Background append only file rewriting scheduled")
			return
		}
		ctx.W.Simple("Background append only file rewriting started")
	}).Flags |= command.FlagOffLoop
}

// loadRDBBase loads an RDB-format base (or old-style preamble) with the RDB
// reader, keys with a past TTL included (Redis keeps them when loading an
// AOF preamble; they expire afterwards).
func (s *Server) loadRDBBase(r io.Reader) error {
	var functions [][]byte // FUNCTION libraries, loaded after the keys (rdbFunctionLoad)
	conf := &s.conf().cmd
	rr := rdb.NewReader(r, rdb.Settings{Limits: conf.Limits, ListMaxListpackSize: conf.ListMaxListpackSize, Compress: conf.RDBCompression})
	db := 0
	for {
		it, err := rr.Next()
		if err == io.EOF {
			return s.loadFunctions(functions, true)
		}
		if err != nil {
			return err
		}
		switch it.Kind {
		case rdb.ItemSelectDB:
			if it.DB < 0 || it.DB >= s.ks.NumDBs() {
				return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", s.ks.NumDBs())
			}
			db = it.DB
		case rdb.ItemKey:
			sl := slot.Of(it.Key)
			s.ks.LockSlot(sl)
			s.ks.DB(db).Put(it.Key, it.Value, it.ExpireMs)
			s.ks.UnlockSlot(sl)
		case rdb.ItemFunction:
			functions = append(functions, it.Function)
		}
	}
}

// aofBuffered is how many stream bytes the AOF has not written yet
// (aof_buffer_length, mem_aof_buffer).
func (s *Server) aofBuffered() int64 {
	if wr := s.aof.w.Load(); wr != nil {
		return s.stream.Offset() - wr.Written()
	}
	return 0
}
