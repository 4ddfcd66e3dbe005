package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/persist"
	"github.com/shoal-db/shoal/internal/persist/aof"
	"github.com/shoal-db/shoal/internal/persist/nodesconf"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/slot"
	"github.com/shoal-db/shoal/internal/snapshot"
	"github.com/shoal-db/shoal/internal/stream"
	"github.com/shoal-db/shoal/internal/types"
)

// itemsPerCmd is AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD/ZADD/HMSET.
const itemsPerCmd = 64

// serializeDataset writes the dataset as commands, the command-format
// base of rewriteAppendOnlyFileRio: SELECT per database, then per key SET,
// RPUSH, SADD, ZADD, HMSET or a stream's XADD/XSETID/XGROUP/XCLAIM
// (aof_rewrite_stream.go) and PEXPIREAT; keys past their TTL are left
// out. Needs LockAll.
func (s *Server) serializeDataset(stamp bool) ([]byte, error) {
	var out []byte
	if stamp {
		// aof-timestamp-enabled: the base starts with its time, as
		// rewriteAppendOnlyFileRio's forced annotation.
		out = append(strconv.AppendInt(append(out, "#TS:"...), time.Now().Unix(), 10), '\r', '\n')
	}
	var bad error // a value the command form cannot express
	now := s.ks.NowMs()
	var argv [][]byte
	flush := func() {
		out = stream.AppendCommand(out, argv)
	}
	out = s.appendFunctionLoads(out) // rewriteFunctions: libraries first
	for j := 0; j < s.ks.NumDBs(); j++ {
		db := s.ks.DB(j)
		if db.Len() == 0 {
			continue
		}
		out = stream.AppendSelect(out, j)
		for sl := 0; sl < slot.Count && bad == nil; sl++ {
			if db.CountInSlot(sl) == 0 {
				continue
			}
			db.ForEachStored(sl, func(key string, v keyspace.Value, exp int64) bool {
				if exp != -1 && exp < now {
					return true
				}
				k := []byte(key)
				items := func(cmd string, add func(fn func(...[]byte))) {
					argv = append(argv[:0], []byte(cmd), k)
					add(func(parts ...[]byte) {
						argv = append(argv, parts...)
						if len(argv)-2 >= itemsPerCmd*len(parts) {
							flush()
							argv = append(argv[:0], []byte(cmd), k)
						}
					})
					if len(argv) > 2 {
						flush()
					}
				}
				switch o := v.Obj.(type) {
				case nil:
					argv = append(argv[:0], []byte("SET"), k, []byte(v.Str))
					flush()
				case *types.List:
					items("RPUSH", func(add func(...[]byte)) {
						if o.Len() > 0 {
							o.Range(0, o.Len()-1, func(e []byte) bool { add(append([]byte(nil), e...)); return true })
						}
					})
				case *types.Set:
					items("SADD", func(add func(...[]byte)) {
						o.Each(func(m []byte) bool { add(append([]byte(nil), m...)); return true })
					})
				case *types.ZSet:
					items("ZADD", func(add func(...[]byte)) {
						o.Range(0, o.Len(), false, func(m []byte, sc float64) bool {
							add([]byte(fmtScore(sc)), append([]byte(nil), m...))
							return true
						})
					})
				case *types.Hash:
					items("HMSET", func(add func(...[]byte)) {
						o.Each(func(f, val []byte) bool {
							add(append([]byte(nil), f...), append([]byte(nil), val...))
							return true
						})
					})
				case *types.Stream:
					out = appendStreamRewrite(out, k, o)
				default:
					bad = fmt.Errorf("key '%s' is a %s, which Shoal cannot rewrite into the AOF yet", key, v.Kind())
					return false
				}
				if exp != -1 {
					argv = append(argv[:0], []byte("PEXPIREAT"), k, strconv.AppendInt(nil, exp, 10))
					flush()
				}
				return true
			})
		}
	}
	return out, bad
}

// writeRDBBase writes snapshot sn (with the FUNCTION libraries, as
// rdbSaveFunctions) as an RDB-format base file (temp file, fsync, rename)
// and returns its size.
func (s *Server) writeRDBBase(path string, sn *snapshot.Snapshot) (int64, error) {
	f, err := persist.CreateAtomic(path, "temp-rewriteaof-"+filepath.Base(path))
	if err != nil {
		sn.Cancel()
		s.Logf('#', "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %s", aof.ErrText(err))
		return 0, err
	}
	sn.Aux = append(sn.Aux, [2]string{"aof-base", "1"}) // rdbSaveInfoAuxFields' aof_base
	if err := s.writeRDBFile(f, sn); err != nil {
		f.Abort()
		s.Logf('#', "Write error writing append only file on disk: %s", aof.ErrText(err))
		return 0, err
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if err := f.Commit(); err != nil {
		s.Logf('#', "Error moving temp append only file on the final destination: %s", aof.ErrText(err))
		return 0, err
	}
	return size, nil
}

// aofDelHistoryFiles: unless aof-disable-auto-gc, the history files of
// s.aof.man go, then the manifest that no longer lists them is written.
// Needs s.aof.mu.
func (s *Server) aofDelHistoryFiles(p aofPaths) {
	man := s.aof.man
	s.cfg.RLock()
	off := s.cfg.AOFDisableAutoGC
	s.cfg.RUnlock()
	if man == nil || off || len(man.History) == 0 {
		return
	}
	for _, h := range man.History {
		os.Remove(filepath.Join(p.dir, h.Name))
		s.Logf('*', "Removing the history file %s in the background", h.Name)
	}
	man.History = nil
	s.persistManifest(p, man)
}

// writeBaseChild writes the new base file through writer child ch: the
// RDB of sn, or data (the command format) when sn is nil. A killed child
// fails the rewrite, as a killed fork child fails Redis's.
func (s *Server) writeBaseChild(path string, sn *snapshot.Snapshot, data []byte, ch *persist.WriterChild) (int64, error) {
	var err error
	if sn != nil {
		sn.Aux = append(sn.Aux, [2]string{"aof-base", "1"}) // rdbSaveInfoAuxFields' aof_base
		err = s.writeThroughChild(sn, ch)
	} else {
		_, err = ch.Write(data)
		if ferr := ch.Finish(); ferr != nil {
			err = ferr
		}
		if err != nil {
			ch.Remove()
		}
	}
	var ce *persist.ChildExitError
	if errors.As(err, &ce) && ce.Signal != 0 {
		s.Logf('#', "Background AOF rewrite terminated by signal %d", int(ce.Signal))
		return 0, err
	}
	if err != nil {
		s.Logf('#', "Write error writing append only file on disk: %s", aof.ErrText(err))
		return 0, err
	}
	var size int64
	if st, err := os.Stat(ch.Tmp); err == nil {
		size = st.Size()
	}
	if err := ch.Commit(path); err != nil {
		s.Logf('#', "Error moving temp append only file on the final destination: %s", aof.ErrText(err))
		return 0, err
	}
	return size, nil
}

// writeBase writes the dataset as a command-format base file. Needs LockAll.
func (s *Server) writeBase(path string, stamp bool) error {
	data, err := s.serializeDataset(stamp)
	if err != nil {
		s.Logf('#', "Error rewriting the append only file: %v", err)
		return err
	}
	if err := nodesconf.WriteAtomic(path, data); err != nil {
		s.Logf('#', "Write error writing append only file on disk: %s", aof.ErrText(err))
		return err
	}
	return nil
}

// rewriteAOF is BGREWRITEAOF (and the rewrite CONFIG SET appendonly yes
// starts): under LockAll it takes the dataset as commands and switches the
// stream to a new incremental file, so every later write lands there; then,
// with writers running again, it writes the new base, installs it in the
// manifest and deletes what became history. Needs s.aof.mu.
//
// With aof-use-rdb-preamble yes the base is an RDB of a fork-less snapshot
// (DESIGN decision 9): writers go on while it is written. Otherwise the
// dataset is copied as commands while every stripe is locked: writes wait
// for that copy (not for the file I/O).
//
// With enable false and no AOF running (BGREWRITEAOF under appendonly no)
// only the base and the manifest are written, as Redis does.
func (s *Server) rewriteAOF(p aofPaths, enable bool) error {
	return s.rewriteAOFWith(p, enable, nil)
}

// rewriteAOFWith is rewriteAOF whose base file, if ch is not nil, is
// written by that writer child (BGREWRITEAOF's, save.go); a child left
// unused is ended and its file removed.
func (s *Server) rewriteAOFWith(p aofPaths, enable bool, ch *persist.WriterChild) (err error) {
	if ch != nil {
		s.aof.rwChild.Store(ch)
		defer s.aof.rwChild.Store(nil)
		defer func() {
			if ch != nil { // not handed to a base writer
				ch.Finish()
				ch.Remove()
			}
		}()
	}
	start := time.Now()
	prevOK := s.aof.rewriteStart.Load() == 0 || s.aof.lastRewriteOK.Load() // the status shown before
	s.aof.rewriting.Store(true)
	defer s.aof.rewriting.Store(false)
	s.aof.rewriteStart.Store(start.Unix())
	defer s.aof.rwKilled.Store(false)
	fail := func(err error) error {
		if s.aof.rwKilled.Load() {
			// Killed on purpose (appendonly no): not a failure.
			s.aof.lastRewriteOK.Store(prevOK)
			return err
		}
		s.aof.lastRewriteOK.Store(false)
		s.aof.rwFailures.Add(1)
		return err
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		s.Logf('#', "Can't open or create append-only dir %s: %s", p.dir, aof.ErrText(err))
		return fail(err)
	}
	man := s.aof.man
	if man == nil {
		m, err := readManifest(p)
		if err != nil {
			s.logManifestError(err)
			return fail(err)
		}
		man = m
	}
	man = man.Clone()

	attach := enable || s.aof.w.Load() != nil
	var old *aof.Writer
	var openErr error
	// switchIncr runs at the rewrite's point in time, every stripe held:
	// later writes go to a new incremental file.
	switchIncr := func() {
		if !attach {
			return
		}
		incr := man.NewIncr(p.filename)
		f, err := os.OpenFile(filepath.Join(p.dir, incr.Name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			s.Logf('#', "Can't open the append-only file %s: %s", incr.Name, aof.ErrText(err))
			openErr = err
			return
		}
		old = s.aof.w.Swap(nil)
		s.startWriter(f, 0, p)
		s.Logf('*', "Creating AOF incr file %s on background rewrite", incr.Name)
	}
	// aof-use-rdb-preamble yes: the base is an RDB of a fork-less snapshot
	// (writers go on while it is written). Otherwise, or while another
	// snapshot runs, the dataset is copied as commands with every stripe held.
	var sn *snapshot.Snapshot
	var data []byte
	if p.preamble {
		var err error
		if sn, err = snapshot.Start(s.ks, s.rdbEncoder(), func(*snapshot.Snapshot) { switchIncr() }); err != nil {
			sn = nil
		}
	}
	if sn == nil {
		s.ks.LockAll()
		var err error
		if data, err = s.serializeDataset(p.stamp); err == nil {
			switchIncr()
		}
		s.ks.UnlockAll()
		if err != nil {
			s.Logf('#', "Error rewriting the append only file: %v", err)
			return fail(err)
		}
	}
	if openErr != nil {
		if sn != nil {
			sn.Cancel()
		}
		return fail(openErr)
	}
	if old != nil {
		old.Close() // the entries before the switch, flushed and fsynced
		// Until the new base is installed, the manifest lists the old
		// files and the new incremental one: loading them all is correct.
		if err := s.persistManifest(p, man); err != nil {
			return fail(err)
		}
		// That manifest is in force until the new base is installed: a
		// rewrite that fails leaves it (the next one adds another
		// incremental file after this one, as Redis's failed rewrites do).
		s.aof.man = man.Clone()
	}
	base := man.InstallBase(p.filename, sn != nil)
	if !attach { // no incremental file is being written: all are history
		man.PushHistory(man.Incrs...)
		man.Incrs = nil
	}
	var baseSize int64
	if child := ch; child != nil {
		ch = nil
		n, err := s.writeBaseChild(filepath.Join(p.dir, base.Name), sn, data, child)
		if err != nil {
			return fail(err)
		}
		baseSize = n
	} else if sn != nil {
		n, err := s.writeRDBBase(filepath.Join(p.dir, base.Name), sn)
		if err != nil {
			return fail(err)
		}
		baseSize = n
	} else {
		if err := nodesconf.WriteAtomic(filepath.Join(p.dir, base.Name), data); err != nil {
			s.Logf('#', "Write error writing append only file on disk: %s", aof.ErrText(err))
			return fail(err)
		}
		baseSize = int64(len(data))
	}
	if err := s.persistManifest(p, man); err != nil {
		return fail(err)
	}
	s.aof.man = man
	s.aofDelHistoryFiles(p)
	s.aof.baseSize.Store(baseSize)
	s.aof.prevSize.Store(0)
	s.aof.rewrites.Add(1)
	s.aof.lastRewriteOK.Store(true)
	s.aof.rwFailures.Store(0)
	s.aof.lastRewriteSecs.Store(int64(time.Since(start).Seconds()))
	s.Logf('*', "Background AOF rewrite finished successfully")
	return nil
}

// rewriteChild starts the writer child of an AOF rewrite's base file
// (temp-rewriteaof-bg-<pid>.aof in the working directory, as Redis names
// it) and publishes it in s.aof.rwChild, so appendonly no may kill it
// before the rewrite starts; or returns nil: the rewrite then writes the
// file itself. Called before the reply, as Redis forks before replying.
func (s *Server) rewriteChild() *persist.WriterChild {
	if s.save.writerExe == "" {
		return nil
	}
	ch, _ := s.startWriterChild("", "temp-rewriteaof-bg-%d.aof")
	if ch != nil {
		s.aof.rwChild.Store(ch)
	}
	return ch
}

// bgrewriteaof starts a rewrite in the background (BGREWRITEAOF).
func (s *Server) bgrewriteaof() error {
	if !s.aof.rewriting.CompareAndSwap(false, true) {
		return errRewriteRunning
	}
	// Claimed first, then a BGSAVE looked for (startBgsave does the same
	// the other way round): of two racing starts one backs off, and the
	// two snapshots never run at once. A replica's full sync counts as a
	// BGSAVE, as Redis's fork for it does: the rewrite is scheduled after
	// it rather than copying the dataset with every stripe held.
	if s.saveChildActive() {
		s.aof.rewriting.Store(false)
		return errSaveChildActive
	}
	ch := s.rewriteChild()
	go func() {
		s.aof.mu.Lock()
		defer s.aof.mu.Unlock()
		s.rewriteAOFWith(s.aofConfig(), false, ch)
	}()
	return nil
}

// aofRewriteLimited is Redis 7.0's back-off for automatic rewrites after
// three failures in a row: wait 1 minute, then 2, 4, … up to an hour
// between attempts, logging each new delay.
func (s *Server) aofRewriteLimited() bool {
	a := &s.aof
	if a.rwFailures.Load() < 3 {
		a.rwDelayMin, a.rwNextTry = 0, 0
		return false
	}
	now := time.Now().Unix()
	if a.rwNextTry != 0 {
		if now < a.rwNextTry {
			return true
		}
		a.rwNextTry = 0
		return false
	}
	a.rwDelayMin = min(max(a.rwDelayMin*2, 1), 60)
	a.rwNextTry = now + int64(a.rwDelayMin)*60
	s.Logf('#', "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d minutes", a.rwDelayMin)
	return true
}

var errRewriteRunning = errors.New(rediserr.AOFRewriteInProgress)

// errSaveChildActive: bgrewriteaof found a BGSAVE (or a replica's full
// sync) running (saveChildActive); the caller schedules the rewrite
// (aof_rewrite_scheduled).
var errSaveChildActive = errors.New("a BGSAVE or a full sync runs")

// aofRewriteCron is serverCron's automatic rewrite: with the AOF on, no
// rewrite or BGSAVE running, and the files past auto-aof-rewrite-min-size,
// a rewrite starts once they have grown auto-aof-rewrite-percentage over
// the size the last rewrite (or the load) left, as Redis 7.0 decides it.
func (s *Server) aofRewriteCron() {
	a := &s.aof
	if k := a.scheduled.Load(); k != 0 && !a.rewriting.Load() && !s.saveChildActive() && a.scheduled.CompareAndSwap(k, 0) {
		if k == rwEnable {
			go s.applyAOFConfig("appendonly") // the AOF starts with its rewrite
		} else if err := s.bgrewriteaof(); errors.Is(err, errSaveChildActive) {
			a.scheduled.CompareAndSwap(0, k) // one started meanwhile
		} else if err != nil {
			s.Logf('#', "Can't rewrite append only file in background: %v", err)
		}
		return
	}
	wr := a.w.Load()
	if wr == nil || a.rewriting.Load() {
		return
	}
	if s.saveChildActive() {
		return
	}
	s.cfg.RLock()
	perc, minSize := int64(s.cfg.AutoAOFRewritePercentage), s.cfg.AutoAOFRewriteMinSize
	s.cfg.RUnlock()
	cur := a.baseSize.Load() + a.prevSize.Load() + wr.Size()
	if perc == 0 || cur <= minSize {
		return
	}
	base := max(a.baseSize.Load(), 1)
	if growth := cur*100/base - 100; growth >= perc && !s.aofRewriteLimited() {
		s.Logf('*', "Starting automatic rewriting of AOF on %d%% growth", growth)
		if err := s.bgrewriteaof(); err != nil && !errors.Is(err, errSaveChildActive) {
			s.Logf('#', "Can't rewrite append only file in background: %v", err)
		}
	}
}
