package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/persist"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/snapshot"
)

// saveState is RDB persistence: SAVE, BGSAVE, save points, the last
// save's outcome (INFO persistence, MISCONF). A BGSAVE is a snapshot
// (internal/snapshot) walked by a goroutine while commands go on.
type saveState struct {
	mu        sync.Mutex // guards bg, fg, scheduled; never held while waiting for a stripe
	bg        *bgSave    // the BGSAVE running, or nil
	fg        *fgSave    // the SAVE running, or nil
	scheduled bool       // BGSAVE SCHEDULE (or one asked for inside EXEC)

	// turn: SAVE and BGSAVE take turns (one snapshot observer at a time).
	// A save by a caller holding every stripe (FLUSHALL, SHUTDOWN) does not
	// take it: it cancels the others and waits for them instead.
	turn sync.Mutex

	saves      atomic.Int64 // rdb_saves
	lastOK     atomic.Bool  // rdb_last_bgsave_status
	lastTry    atomic.Int64 // unix s of the last BGSAVE attempt
	lastBgSec  atomic.Int64 // rdb_last_bgsave_time_sec
	lastCow    atomic.Int64 // rdb_last_cow_size: bytes writers forced out ahead of the walk
	denyWrites atomic.Bool  // stop-writes-on-bgsave-error in force (MISCONF)
	shutdownMu sync.Mutex
	frozen     atomic.Bool // PrepareShutdown succeeded: every stripe stays held

	// writerExe, if set (UseWriterChild), is the binary a BGSAVE starts as
	// its file writer child (persist.StartWriterChild); forks counts them.
	writerExe string
	forks     atomic.Int64 // total_forks
}

// UseWriterChild makes every BGSAVE write its file through a writer child
// process started from exe (shoal-server with persist.WriterChildArg), as
// Redis's fork child writes it. Called once, before the server runs.
func (s *Server) UseWriterChild(exe string) { s.save.writerExe = exe }

type bgSave struct {
	sn     atomic.Pointer[snapshot.Snapshot] // set at the snapshot point
	start  time.Time
	before int64 // dirty at the snapshot point
	done   chan struct{}
}

type fgSave struct {
	sn   *snapshot.Snapshot
	done chan struct{}
}

const bgsaveRetryDelay = 5 // CONFIG_BGSAVE_RETRY_DELAY, seconds

func (s *Server) initSave() {
	s.save.lastOK.Store(true)
	s.save.lastBgSec.Store(-1)
	s.cfg.OnSet(func(string) { s.refreshDenyWrites() })
	s.handle("save", s.saveCommand)
	// BGSAVE starts the writer child and takes the snapshot point before
	// it replies; off the event loop, so the loop's other clients do not
	// wait for the process start (the parent of a vfork waits until the
	// child has exec'd: 2-16 ms, once 300 ms, on the loaded 2-core machine,
	// with every client of the loop stalled behind it).
	s.handle("bgsave", s.bgsaveCommand).Flags |= command.FlagOffLoop
}

// refreshDenyWrites recomputes writeCommandsDeniedByDiskError for RDB.
func (s *Server) refreshDenyWrites() {
	s.cfg.RLock()
	deny := s.cfg.StopWritesOnBgsaveError && len(s.cfg.Save) > 0
	s.cfg.RUnlock()
	s.save.denyWrites.Store(deny && !s.save.lastOK.Load())
}

// writesDenied is the MISCONF check of processCommand: writes (and PING)
// are refused while the last background save failed.
func (c *client) writesDenied(spec *command.Spec) bool {
	if !c.srv.save.denyWrites.Load() {
		return false
	}
	if spec.Has(command.FlagWrite) || spec.Name == "ping" {
		return true
	}
	if spec.Name == "exec" {
		for _, q := range c.queued {
			if q.spec.Has(command.FlagWrite) {
				return true
			}
		}
	}
	return false
}

// diskWriteError is writeCommandsGetDiskErrorMessage for a write a script
// makes or may make: the MISCONF of a failed save or AOF write, or "".
func (s *Server) diskWriteError(c *client) string {
	if c.session {
		return ""
	}
	if s.save.denyWrites.Load() {
		return rediserr.BgsaveErr
	}
	if w := s.aof.w.Load(); w != nil {
		if err := w.Err(); err != nil {
			return aofMisconf(err)
		}
	}
	return ""
}

func (s *Server) rdbPath() (path string, compress bool) {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return filepath.Join(s.cfg.Dir, s.cfg.Dbfilename), s.cfg.RDBCompression
}

func (s *Server) savePoints() []config.SavePoint {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return append([]config.SavePoint(nil), s.cfg.Save...)
}

// strerror is errno's text as C's strerror spells it.
func strerror(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		m := en.Error()
		if m != "" {
			return strings.ToUpper(m[:1]) + m[1:]
		}
	}
	return err.Error()
}

// writeSnapshotFile writes sn to the RDB file through tmp (rdbSave): temp
// file, fsync, rename, directory fsync, with Redis's log lines on failure.
func (s *Server) writeSnapshotFile(sn *snapshot.Snapshot, tmp string) error {
	path, _ := s.rdbPath()
	f, err := persist.CreateAtomic(path, tmp)
	if err != nil {
		sn.Cancel()
		cwd, _ := os.Getwd()
		s.Logf('#', "Failed opening the temp RDB file %s (in server root dir %s) for saving: %s", tmp, cwd, strerror(err))
		return err
	}
	if err := s.writeRDBFile(f, sn); err != nil {
		f.Abort()
		s.Logf('#', "Write error saving DB on disk(%s): %s", "rdbSaveRio", strerror(err))
		return err
	}
	if err := f.Commit(); err != nil {
		var op *persist.OpError
		errors.As(err, &op)
		if op != nil && op.Op == "rename" {
			cwd, _ := os.Getwd()
			s.Logf('#', "Error moving temp DB file %s on the final destination %s (in server root dir %s): %s", tmp, filepath.Base(path), cwd, strerror(err))
		} else {
			name := "fsync"
			if op != nil {
				name = op.Op
			}
			s.Logf('#', "Write error saving DB on disk(%s): %s", name, strerror(err))
		}
		return err
	}
	return nil
}

// writeSnapshotChild is writeSnapshotFile through a writer child: the
// child writes and fsyncs temp-<child pid>.rdb, this process renames it.
// If the child dies (kill -9), the walk is cancelled and the save fails
// with the child's signal, as a killed fork child fails Redis's BGSAVE.
func (s *Server) writeSnapshotChild(sn *snapshot.Snapshot, ch *persist.WriterChild) error {
	path, _ := s.rdbPath()
	if err := s.writeThroughChild(sn, ch); err != nil {
		return err
	}
	if err := ch.Commit(path); err != nil {
		cwd, _ := os.Getwd()
		s.Logf('#', "Error moving temp DB file %s on the final destination %s (in server root dir %s): %s", filepath.Base(ch.Tmp), filepath.Base(path), cwd, strerror(err))
		return err
	}
	return nil
}

// startWriterChild starts a writer child for a file named pattern (one
// %d: the child's pid) in dir, counted in total_forks, or logs why not.
func (s *Server) startWriterChild(dir, pattern string) (*persist.WriterChild, error) {
	ch, err := persist.StartWriterChild(s.save.writerExe, filepath.Join(strings.ReplaceAll(dir, "%", "%%"), pattern))
	if err != nil {
		s.Logf('#', "Can't save in background: fork: %s", strerror(err))
		return nil, err
	}
	s.save.forks.Add(1)
	s.setOOMScoreAdj(oomBgChild, ch.Pid)
	return ch, nil
}

// writeThroughChild streams sn's RDB into the writer child and waits for
// it to fsync its file (ch.Tmp). On failure the file is removed: the
// child's own (killed: *persist.ChildExitError) comes first.
func (s *Server) writeThroughChild(sn *snapshot.Snapshot, ch *persist.WriterChild) error {
	finished := make(chan struct{})
	go func() {
		select {
		case <-ch.Done(): // gone before its input ended: stop the walk
			sn.Cancel()
		case <-finished:
		}
	}()
	werr := s.writeRDBFile(ch, sn)
	close(finished)
	if err := ch.Finish(); err != nil {
		ch.Remove()
		return err
	}
	if werr != nil {
		ch.Remove()
		if !errors.Is(werr, snapshot.ErrCancelled) {
			s.Logf('#', "Write error saving DB on disk(%s): %s", "rdbSaveRio", strerror(werr))
		}
		return werr
	}
	return nil
}

// syncSave is rdbSave: a snapshot written before returning. Commands go
// on meanwhile (Redis blocks them; the snapshot makes that unneeded).
// The caller holds no stripe.
func (s *Server) syncSave() error {
	st := &s.save
	st.turn.Lock()
	defer st.turn.Unlock()
	fg := &fgSave{done: make(chan struct{})}
	defer close(fg.done)
	defer s.snapshotEncoded()
	var before int64
	sn, err := snapshot.Start(s.ks, s.rdbEncoder(), func(sn *snapshot.Snapshot) {
		before = s.ks.Dirty.Load()
		sn.Aux = s.replAux()
		fg.sn = sn
		st.mu.Lock()
		st.fg = fg
		st.mu.Unlock()
	})
	if err != nil {
		s.Logf('#', "Can't save: %v", err)
		return err
	}
	defer func() {
		st.mu.Lock()
		st.fg = nil
		st.mu.Unlock()
	}()
	return s.finishSyncSave(sn, before)
}

// syncSaveHeld is rdbSave for a caller holding every stripe (FLUSHALL,
// SHUTDOWN): other saves are cancelled, and the walk needs no snapshot
// observer since nothing changes meanwhile.
func (s *Server) syncSaveHeld() error {
	s.cancelSaves()
	sn := snapshot.StartHeld(s.ks, s.rdbEncoder())
	sn.Aux = s.replAux()
	return s.finishSyncSave(sn, s.ks.Dirty.Load())
}

// cancelSaves is killRDBChild, for a caller holding every stripe: a SAVE
// or BGSAVE that took its snapshot point stops (its walk gives up waiting
// for a stripe once cancelled) and is waited for; one still waiting for
// its point will take it after the caller's change.
func (s *Server) cancelSaves() {
	st := &s.save
	st.mu.Lock()
	bg, fg := st.bg, st.fg
	st.mu.Unlock()
	if bg != nil {
		if sn := bg.sn.Load(); sn != nil {
			sn.Cancel()
			<-bg.done
		}
	}
	if fg != nil {
		fg.sn.Cancel()
		<-fg.done
	}
}

func (s *Server) finishSyncSave(sn *snapshot.Snapshot, before int64) error {
	if err := s.writeSnapshotFile(sn, fmt.Sprintf("temp-%d.rdb", os.Getpid())); err != nil {
		return err
	}
	s.Logf('*', "DB saved on disk")
	s.ks.Dirty.Add(-before)
	s.adm.lastSave.Store(time.Now().Unix())
	s.save.lastOK.Store(true)
	s.refreshDenyWrites()
	return nil
}

// bgRunning reports whether a BGSAVE is in progress.
func (s *Server) bgRunning() bool {
	s.save.mu.Lock()
	defer s.save.mu.Unlock()
	return s.save.bg != nil
}

// saveChildActive is Redis's hasActiveChildProcess for an RDB child: a
// BGSAVE runs, or a snapshot for replicas' full sync (which holds the one
// snapshot place as a BGSAVE does).
func (s *Server) saveChildActive() bool {
	return s.bgRunning() || s.repl.syncSaves.Load() > 0
}

// What startBgsave did.
const (
	bgStarted   = iota
	bgRunning   // a BGSAVE runs already
	bgRewriting // an AOF rewrite runs: its snapshot is the one at a time
)

// startBgsave is rdbSaveBackground. It starts nothing while a BGSAVE or
// an AOF rewrite runs. The caller holds no stripe.
func (s *Server) startBgsave() int {
	st := &s.save
	st.mu.Lock()
	if st.bg != nil {
		st.mu.Unlock()
		return bgRunning
	}
	bg := &bgSave{start: time.Now(), done: make(chan struct{})}
	st.bg = bg
	// Claimed first, then the rewrite checked: bgrewriteaof claims its
	// flag and then looks for a BGSAVE, so of two racing starts at least
	// one sees the other and backs off.
	if s.aof.rewriting.Load() {
		st.bg = nil
		st.mu.Unlock()
		return bgRewriting
	}
	st.saves.Add(1)
	st.lastTry.Store(time.Now().Unix())
	st.scheduled = false
	st.mu.Unlock()
	// The writer child starts now, as Redis forks before BGSAVE replies:
	// a caller sees it at once (pgrep -P).
	var ch *persist.WriterChild
	var chErr error
	pid := os.Getpid()
	if st.writerExe != "" {
		path, _ := s.rdbPath()
		if ch, chErr = s.startWriterChild(filepath.Dir(path), "temp-%d.rdb"); chErr == nil {
			pid = ch.Pid
		}
	}
	atPoint := func(sn *snapshot.Snapshot) {
		bg.before = s.ks.Dirty.Load()
		sn.Aux = s.replAux()
		sn.Pace = s.bgsavePacer().Pace
		bg.sn.Store(sn)
	}
	// The snapshot point is taken now, before BGSAVE replies, as Redis
	// forks before it replies: a write acknowledged after "Background
	// saving started" is not in the file. Only while another walk holds
	// the turn (a replica's full sync) does the point wait for it.
	var sn *snapshot.Snapshot
	var err error
	early := chErr == nil && st.turn.TryLock()
	if early {
		sn, err = snapshot.Start(s.ks, s.rdbEncoder(), atPoint)
	}
	s.Logf('*', "Background saving started by pid %d", pid)
	go func() {
		// Like Redis's fork child: a P and a low-priority thread of its
		// own, given back when this goroutine returns.
		defer snapshot.Background()()
		if !early {
			st.turn.Lock()
		}
		defer st.turn.Unlock()
		if chErr != nil {
			s.bgsaveDone(bg, chErr)
			return
		}
		if !early {
			sn, err = snapshot.Start(s.ks, s.rdbEncoder(), atPoint)
		}
		switch {
		case err != nil && ch != nil:
			ch.Finish()
			ch.Remove()
		case ch != nil:
			err = s.writeSnapshotChild(sn, ch)
		case err == nil:
			err = s.writeSnapshotFile(sn, fmt.Sprintf("temp-%d-bg.rdb", os.Getpid()))
		}
		s.bgsaveDone(bg, err)
		s.snapshotEncoded()
	}()
	return bgStarted
}

// bgsaveDone is backgroundSaveDoneHandlerDisk.
func (s *Server) bgsaveDone(bg *bgSave, err error) {
	st := &s.save
	var childErr *persist.ChildExitError
	switch {
	case err == nil:
		s.Logf('*', "Background saving terminated with success")
		s.ks.Dirty.Add(-bg.before)
		s.adm.lastSave.Store(time.Now().Unix())
		st.lastOK.Store(true)
	case errors.As(err, &childErr) && childErr.Signal != 0:
		// The writer child was killed (Redis: a killed fork child).
		s.Logf('#', "Background saving terminated by signal %d", int(childErr.Signal))
		st.lastOK.Store(false)
	case errors.Is(err, snapshot.ErrCancelled):
		// Stopped on purpose (FLUSHALL, SHUTDOWN): Redis kills the child
		// with SIGUSR1, which leaves the status alone.
		s.Logf('#', "Background saving terminated by signal %d", int(syscall.SIGUSR1))
	default:
		s.Logf('#', "Background saving error")
		st.lastOK.Store(false)
	}
	st.lastBgSec.Store(int64(time.Since(bg.start).Seconds()))
	if sn := bg.sn.Load(); sn != nil {
		st.lastCow.Store(sn.Stats().ForcedBytes)
	}
	s.refreshDenyWrites()
	st.mu.Lock()
	st.bg = nil
	st.mu.Unlock()
	close(bg.done)
}

// saveCommand is SAVE.
func (s *Server) saveCommand(ctx *command.Ctx) {
	if s.bgRunning() {
		ctx.Error(rediserr.BgsaveInProgress)
		return
	}
	s.save.saves.Add(1)
	if c, ok := ctx.Client.(*client); ok {
		c.flushStats()
	}
	if err := s.syncSave(); err != nil {
		ctx.Error(rediserr.SaveFailed)
		return
	}
	ctx.W.OK()
}

// bgsaveCommand is BGSAVE [SCHEDULE].
func (s *Server) bgsaveCommand(ctx *command.Ctx) {
	if len(ctx.Args) > 1 && (len(ctx.Args) > 2 || !strings.EqualFold(string(ctx.Args[1]), "schedule")) {
		ctx.Error(rediserr.Syntax)
		return
	}
	if c, ok := ctx.Client.(*client); ok {
		c.flushStats()
	}
	if s.bgRunning() {
		ctx.Error(rediserr.BgsaveInProgress)
		return
	}
	if !ctx.CanBlock {
		// Inside EXEC the stripes are held, so the snapshot point must
		// wait: Redis schedules a BGSAVE asked for in_exec too.
		s.scheduleBgsave(ctx)
		return
	}
	switch s.startBgsave() {
	case bgStarted:
		ctx.W.Simple("Background saving started")
	case bgRewriting:
		// An AOF rewrite's snapshot is the one that may run at a time:
		// with SCHEDULE the cron starts the BGSAVE once it is done, else
		// Redis's "another child is active".
		if len(ctx.Args) == 2 {
			s.scheduleBgsave(ctx)
		} else {
			ctx.Error(rediserr.BgsaveOtherChild)
		}
	default:
		ctx.Error(rediserr.BgsaveInProgress)
	}
}

// scheduleBgsave has the cron start a BGSAVE when it can
// (rdb_bgsave_scheduled).
func (s *Server) scheduleBgsave(ctx *command.Ctx) {
	s.save.mu.Lock()
	s.save.scheduled = true
	s.save.mu.Unlock()
	ctx.W.Simple("Background saving scheduled")
}

// saveCron is serverCron's persistence part: start a scheduled BGSAVE, or
// one a save point asks for.
func (s *Server) saveCron() {
	st := &s.save
	now := time.Now().Unix()
	st.mu.Lock()
	busy, scheduled := st.bg != nil, st.scheduled
	st.mu.Unlock()
	if busy || s.aof.rewriting.Load() {
		return // as Redis waits for its active child
	}
	retryOK := now-st.lastTry.Load() > bgsaveRetryDelay || st.lastOK.Load()
	if scheduled && retryOK {
		s.startBgsave()
		return
	}
	dirty := s.ks.Dirty.Load()
	for _, sp := range s.savePoints() {
		if dirty >= int64(sp.Changes) && now-s.adm.lastSave.Load() > sp.Seconds && retryOK {
			s.Logf('*', "%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds)
			s.startBgsave()
			return
		}
	}
}

// flushAllSave is FLUSHALL's persistence part (flushAllDataAndResetRDB):
// kill a BGSAVE, and write the (now empty) dataset when save points are
// set. Runs under LockAll.
func (s *Server) flushAllSave() bool {
	if len(s.savePoints()) == 0 {
		s.cancelSaves()
		return false
	}
	s.syncSaveHeld()
	return true
}

// Shutdown flags, as SHUTDOWN's arguments and the signal handler set them.
const (
	ShutdownSave = 1 << iota
	ShutdownNoSave
	ShutdownForce
)

// PrepareShutdown is prepareForShutdown/finishShutdown for RDB: end the
// Lua debugging sessions, kill a BGSAVE, write the final snapshot when
// save points are set (or SAVE), and, once the data is safe, disconnect
// every client so no write is acknowledged that the file does not hold. An error means the server
// must keep running (a failed save without FORCE). After success every
// stripe stays held: the caller must exit.
func (s *Server) PrepareShutdown(flags int) error {
	s.save.shutdownMu.Lock()
	defer s.save.shutdownMu.Unlock()
	if s.loadingNow() {
		flags = flags&^ShutdownSave | ShutdownNoSave
		// A full sync's load holds the AOF and takes stripes key by key:
		// it ends before the stripes are taken for good (repl_replica.go).
		s.stopSyncLoad()
	}
	s.Logf('#', "User requested shutdown...")
	if s.aof.waitRewrite.Load() {
		// finishShutdown: the AOF being turned on has no base yet.
		if flags&ShutdownForce == 0 {
			s.Logf('#', "Writing initial AOF, can't exit.")
			s.Logf('#', "Errors trying to shut down the server. Check the logs for more information.")
			return errors.New("writing initial AOF")
		}
		s.Logf('#', "Writing initial AOF. Exit anyway.")
	}
	save := flags&ShutdownSave != 0 || (len(s.savePoints()) > 0 && flags&ShutdownNoSave == 0)
	if !save && s.scriptBusy.Load() {
		// SHUTDOWN NOSAVE during a script past busy-reply-threshold (the
		// one command BUSY lets through besides SCRIPT/FUNCTION KILL): the
		// script holds stripes it may never give back, and nothing is
		// saved, so the process exits without them, as Redis exits from
		// inside the script's busy loop.
		s.cancelSaves()
		s.save.frozen.Store(true)
		s.closeListeners()
		if s.loops != nil {
			s.loops.Close()
		}
		return nil
	}
	// A debugging session ends as a client that left would, and its
	// script runs to its end, with any stripe it still needs, before the
	// shutdown takes them all.
	s.ldbLive.ending.Store(true)
	if !s.ldbLive.wait(ldbCloseWait) {
		s.Logf('#', "A Lua debugging session did not end in %v: shutting down without it", ldbCloseWait)
	}
	s.ks.LockAll()
	if s.bgRunning() {
		s.Logf('#', "There is a child saving an .rdb. Killing it!")
	}
	s.cancelSaves()
	if save {
		s.Logf('*', "Saving the final RDB snapshot before exiting.")
		if err := s.syncSaveHeld(); err != nil {
			if flags&ShutdownForce == 0 {
				s.ks.UnlockAll()
				s.ldbLive.ending.Store(false)
				s.Logf('#', "Error trying to save the DB, can't exit.")
				s.Logf('#', "Errors trying to shut down the server. Check the logs for more information.")
				return err
			}
			s.Logf('#', "Error trying to save the DB. Exit anyway.")
		}
	}
	// The data is safe. The stripes stay held until the process exits:
	// a command waiting for one never runs, so no write is acknowledged
	// that the file lacks (an event loop may still flush a reply after
	// its connection is closed). Close knows not to wait for them.
	s.save.frozen.Store(true)
	s.closeListeners()
	if s.loops != nil {
		s.loops.Close()
	}
	return nil
}

// infoSave writes the RDB fields of INFO persistence.
func (s *Server) infoSave(w infoWriter) {
	st := &s.save
	st.mu.Lock()
	bg := st.bg
	st.mu.Unlock()
	var processed, total, cow int64
	inProgress, cur := 0, int64(-1)
	if bg != nil {
		inProgress = 1
		cur = int64(time.Since(bg.start).Seconds())
		if sn := bg.sn.Load(); sn != nil {
			stats := sn.Stats()
			processed, cow = stats.Keys, stats.ForcedBytes
			for _, sz := range sn.Sizes {
				total += sz.Keys
			}
		}
	}
	// Redis's copy-on-write of a fork child is, for a fork-less snapshot,
	// what writers serialized ahead of the walk (the extra memory they
	// caused): it only grows while the BGSAVE runs, so peak = size, and it
	// is always current (age 0).
	perc := 0.0
	if total > 0 {
		perc = float64(processed) * 100 / float64(total)
	}
	w.i("current_cow_peak", cow)
	w.i("current_cow_size", cow)
	w.i("current_cow_size_age", 0)
	w.s("current_fork_perc", strconv.FormatFloat(perc, 'f', 2, 64))
	w.i("current_save_keys_processed", processed)
	w.i("current_save_keys_total", total)
	w.i("rdb_changes_since_last_save", s.ks.Dirty.Load())
	if s.repl.syncSaves.Load() > 0 {
		inProgress = 1 // a snapshot for replicas (repl_fullsync.go)
	}
	w.i("rdb_bgsave_in_progress", int64(inProgress))
	w.i("rdb_last_save_time", s.adm.lastSave.Load())
	if st.lastOK.Load() {
		w.s("rdb_last_bgsave_status", "ok")
	} else {
		w.s("rdb_last_bgsave_status", "err")
	}
	w.i("rdb_last_bgsave_time_sec", st.lastBgSec.Load())
	w.i("rdb_current_bgsave_time_sec", cur)
	w.i("rdb_saves", st.saves.Load())
	w.i("rdb_last_cow_size", st.lastCow.Load())
}

// BGSAVE's pacing (snapshot.Pacer): a fifth duty, in 0.2 ms stretches,
// while the server serves at least bgsaveBusyCommands commands per stretch
// (a monitoring client's INFO does not slow a save down). The stretch is
// short because it bounds how long the walk holds a core the event loop
// may want. On 2 cores with the loop and its clients busy (back-to-back
// BGSAVEs of 1M keys, GET at -c 50, the walk on its own low-priority thread:
// snapshot.Background), GET's p99 was 1.25-1.31 ms in 1 ms stretches,
// 0.75-0.90 in 0.5 ms ones and 0.58-0.73 in 0.2 ms ones (one run of eight
// 1.21), Redis 0.54-0.91 in the same rounds; docs/snapshot.md.
const (
	bgsaveWork         = 200 * time.Microsecond
	bgsaveRest         = 800 * time.Microsecond
	bgsaveBusyCommands = 2
)

// bgsavePacer paces a BGSAVE's walk; called on the snapshot's point.
func (s *Server) bgsavePacer() *snapshot.Pacer {
	last := s.stats.commands.Load()
	return &snapshot.Pacer{Work: bgsaveWork, Rest: bgsaveRest, Busy: func() bool {
		n := s.stats.commands.Load()
		busy := n-last >= bgsaveBusyCommands
		last = n
		return busy
	}}
}
