package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// adminState is the server-wide bookkeeping of the admin commands: INFO's
// identity and counters, MONITOR's subscribers, SHUTDOWN, CLIENT PAUSE.
type adminState struct {
	runID      string // 40 hex, fixed for the life of the process
	executable string
	lastSave   atomic.Int64 // unix seconds: LASTSAVE, rdb_last_save_time

	monitorsMu sync.Mutex
	monitors   []*client
	nMonitors  atomic.Int32 // len(monitors), read on every command

	shutdownOnce sync.Once

	errMu    sync.Mutex
	errStats map[string]int64 // errorstats: error code → count

	metrics metrics // instantaneous_* samples (info.go)

	startMemory uint64 // used_memory at start (used_memory_startup)
}

func randomHex40() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// executablePath is what Redis reports as executable: argv[0] made absolute
// against the working directory at start.
func executablePath() string {
	if len(os.Args) == 0 {
		return ""
	}
	p := os.Args[0]
	if !filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			p = filepath.Join(wd, p)
		}
	}
	return p
}

func (s *Server) registerAdmin() {
	s.adm.runID = randomHex40()
	s.adm.executable = executablePath()
	s.adm.lastSave.Store(s.startTime.Unix())
	s.adm.errStats = map[string]int64{}
	s.adm.startMemory = s.usedMemory()
	// The server's own count in wg, from construction until Close waits:
	// Serve's goroutines are added while it is above zero, never
	// concurrently with a Wait at zero.
	s.wg.Add(1)

	flush := func(all bool) command.Handler {
		return func(ctx *command.Ctx) {
			if len(ctx.Args) > 2 || (len(ctx.Args) == 2 && !strings.EqualFold(string(ctx.Args[1]), "async") && !strings.EqualFold(string(ctx.Args[1]), "sync")) {
				ctx.Error(rediserr.Syntax)
				return
			}
			s.track.flushed()
			// An ASYNC flush (or a plain one with lazyfree-lazy-user-flush)
			// counts its keys in lazyfreed_objects, as Redis's background
			// free of the old tables does.
			async := len(ctx.Args) == 2 && strings.EqualFold(string(ctx.Args[1]), "async")
			if len(ctx.Args) == 1 {
				s.cfg.RLock()
				async = s.cfg.LazyfreeLazyUserFlush
				s.cfg.RUnlock()
			}
			flushDB := func(db *keyspace.DB) int {
				n := db.Flush()
				if async {
					s.ks.Stats.LazyFreed.Add(n)
				}
				return int(n)
			}
			if all {
				for i := 0; i < s.ks.NumDBs(); i++ {
					ctx.Dirty += flushDB(s.ks.DB(i))
					ctx.SignalReadyWholeDB(i) // blocked XREADGROUPs learn their key is gone
				}
				if !async && ctx.Dirty > 0 {
					s.collectFlushed()
				}
				// flushAllDataAndResetRDB: with save points the empty
				// dataset is saved at once, which resets the dirty count.
				if c, ok := ctx.Client.(*client); ok {
					c.flushStats()
				}
				if s.flushAllSave() {
					// The save reset the dirty count. This command's own
					// count, which the caller adds after it returns (and
					// which makes it propagate), is taken back here, so
					// the count stays 0 as in Redis.
					ctx.Dirty++
					s.ks.Dirty.Add(-int64(ctx.Dirty))
					ctx.W.OK()
					return
				}
			} else {
				ctx.Dirty += flushDB(ctx.DB)
				ctx.SignalReadyWholeDB(ctx.DB.Index)
				if !async && ctx.Dirty > 0 {
					s.collectFlushed()
				}
			}
			ctx.Dirty++
			ctx.W.OK()
		}
	}
	s.handle("flushdb", flush(false)).LockAll = true
	s.handle("flushall", flush(true)).LockAll = true
	s.handle("dbsize", func(ctx *command.Ctx) { ctx.W.Int(ctx.DB.Len()) })

	s.handle("time", func(ctx *command.Ctx) {
		now := time.Now()
		ctx.W.Array(2)
		ctx.W.BulkInt(now.Unix())
		ctx.W.BulkInt(int64(now.Nanosecond() / 1000))
	})
	s.handle("lastsave", func(ctx *command.Ctx) { ctx.W.Int(s.adm.lastSave.Load()) })
	s.handle("shutdown", s.shutdownCommand)
	s.registerShutdownWait()

	s.handle("config|get", s.configGet)
	s.handle("config|set", s.configSet)
	s.handle("config|resetstat", func(ctx *command.Ctx) {
		s.resetStats()
		ctx.W.OK()
	})
	s.handle("config|rewrite", func(ctx *command.Ctx) {
		if s.cfg.File() == "" {
			ctx.Error(rediserr.NoConfigFile)
			return
		}
		s.syncConfigUsers() // the users in force become `user` lines (acl.go)
		if err := s.cfg.Rewrite(); err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "ERR ") {
				msg = rediserr.RewriteFailed(msg)
			}
			ctx.Error(msg)
			return
		}
		ctx.W.OK()
	})
	s.handle("config|help", helpReply("CONFIG", configHelp))

	s.registerInfo()
	s.registerClient()
	s.registerTracking()
	s.registerCommandCmd()
	s.registerDebug()
	s.registerSlowlog()
	s.registerLatency()
	s.registerMonitor()
}

var configHelp = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}

// helpReply builds a HELP subcommand handler the way Redis's addReplyHelp
// does: a title line, the lines, and a closing HELP entry, as status replies.
func helpReply(cmd string, lines []string) command.Handler {
	all := make([]string, 0, len(lines)+3)
	all = append(all, cmd+" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	all = append(all, lines...)
	all = append(all, "HELP", "    Prints this help.")
	return func(ctx *command.Ctx) {
		ctx.W.Array(len(all))
		for _, l := range all {
			ctx.W.Simple(l)
		}
	}
}

// configGet is CONFIG GET pattern [pattern ...]: a map of name → value
// (a flat array in RESP2).
func (s *Server) configGet(ctx *command.Ctx) {
	pats := make([]string, 0, len(ctx.Args)-2)
	for _, a := range ctx.Args[2:] {
		pats = append(pats, string(a))
	}
	pairs := s.cfg.Get(pats...)
	ctx.W.Map(len(pairs))
	for _, p := range pairs {
		ctx.W.BulkString(p[0])
		ctx.W.BulkString(p[1])
	}
}

// configSet is CONFIG SET name value [name value ...]. The config package
// validates and applies the whole set atomically and returns Redis's error
// text; appliers registered with OnSet (server.refreshConfig) make it live.
func (s *Server) configSet(ctx *command.Ctx) {
	if (len(ctx.Args)-2)%2 != 0 {
		ctx.Error(rediserr.WrongArity("config|set"))
		return
	}
	pairs := make([][2]string, 0, (len(ctx.Args)-2)/2)
	for i := 2; i+1 < len(ctx.Args); i += 2 {
		pairs = append(pairs, [2]string{string(ctx.Args[i]), string(ctx.Args[i+1])})
	}
	set := s.cfg.Set
	if ctx.Client.(*client).isLocal() {
		set = s.cfg.SetLocal // enable-protected-configs local (guard.go)
	}
	if ctx.Client.(*client).inExec {
		s.aof.execSets.Add(1) // appendonly yes waits for EXEC (aof.go)
		defer s.aof.execSets.Add(-1)
	}
	old, tlsArg := s.tlsBackup(pairs)
	lnOld, lnArg := s.configBackup(pairs, "port", "bind")
	oomOld, oomArg := s.configBackup(pairs, "oom-score-adj", "oom-score-adj-values")
	// Every named value as it was: a failed apply puts them all back, the
	// ones whose own apply succeeded included (Redis's restoreBackupConfig).
	before := make([][2]string, 0, len(pairs))
	for _, p := range pairs {
		if v, ok := s.cfg.Value(p[0]); ok {
			before = append(before, [2]string{p[0], v})
		}
	}
	if err := set(pairs); err != nil {
		ctx.Error(err.Error())
		return
	}
	var undo []func()
	fail := func(arg, msg string) {
		if err := set(before); err != nil {
			s.Logf('#', "Failed restoring failed CONFIG SET: %v", err)
		}
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		ctx.Error(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", arg, msg))
	}
	if lnArg != "" {
		if msg := s.applyListen(lnOld); msg != "" {
			fail(lnArg, msg)
			return
		}
		newBind, _ := s.cfg.Value("bind")
		undo = append(undo, func() { s.restoreListen(newBind != lnOld[1][1]) })
	}
	if oomArg != "" {
		if msg := s.applyOOM(oomOld); msg != "" {
			fail(oomArg, msg)
			return
		}
		undo = append(undo, func() { s.setOOMScoreAdj(-1, 0) })
	}
	if tlsArg != "" {
		if msg := s.applyTLSSet(old); msg != "" {
			fail(tlsArg, msg)
			return
		}
	}
	ctx.W.OK()
}

// resetStats is CONFIG RESETSTAT: the counters INFO stats, commandstats and
// errorstats report go back to zero.
func (s *Server) resetStats() {
	st := &s.stats
	st.connections.Store(0)
	st.commands.Store(0)
	st.rejectedConns.Store(0)
	st.netInput.Store(0)
	st.netOutput.Store(0)
	st.pubsubMessages.Store(0)
	st.totalErrorReplies.Store(0)
	s.aof.rewrites.Store(0) // with rdb_saves and the rewrite failures, as Redis
	s.aof.rwFailures.Store(0)
	s.save.saves.Store(0)
	s.repl.syncFull.Store(0) // sync_full, sync_partial_ok, sync_partial_err
	s.repl.syncPartialOK.Store(0)
	s.repl.syncPartialErr.Store(0)
	s.ks.Stats.ExpiredKeys.Store(0)
	s.ks.Stats.EvictedKeys.Store(0)
	s.ks.Stats.Hits.Store(0)
	s.ks.Stats.Misses.Store(0)
	s.ks.Stats.LazyFreed.Store(0)
	for _, spec := range s.allSpecs() {
		spec.Calls.Store(0)
		spec.Usec.Store(0)
		spec.RejectedCalls.Store(0)
		spec.FailedCalls.Store(0)
		spec.Latency.Reset()
	}
	s.cev.evicted.Store(0)
	s.adm.errMu.Lock()
	s.adm.errStats = map[string]int64{}
	s.adm.errMu.Unlock()
	s.adm.metrics.reset()
}

// allSpecs lists every command and subcommand of the table, implemented or not.
func (s *Server) allSpecs() []*command.Spec {
	var out []*command.Spec
	for _, top := range s.table.All() {
		out = append(out, top)
		for _, sub := range top.Subs {
			out = append(out, sub)
		}
	}
	return out
}

// shutdownCommand is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The
// final save happens here (PrepareShutdown); the server then stops (the
// client sees its connection close, without a reply, as with Redis). A
// failed save without FORCE keeps the server running and replies an error.
func (s *Server) shutdownCommand(ctx *command.Ctx) {
	c := ctx.Client.(*client)
	defer c.shutdownUnblock() // counted blocked since its hand-off (client.go)
	var nosave, save, now, force, abort bool
	for _, a := range ctx.Args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now":
			now = true
		case "force":
			force = true
		case "abort":
			abort = true
		default:
			ctx.Error(rediserr.Syntax)
			return
		}
	}
	if (abort && len(ctx.Args) > 2) || (nosave && save) {
		ctx.Error(rediserr.Syntax)
		return
	}
	if abort {
		// A shutdown waiting for replicas (shutdown_wait.go), or a
		// signal's that the cron has not started yet (sigshutdown.go).
		if !s.AbortShutdown() && !s.abortSignalShutdown() {
			ctx.Error(rediserr.NoShutdown)
			return
		}
		ctx.W.OK()
		return
	}
	flags := 0
	if now {
		flags |= ShutdownNow
	}
	if save {
		flags |= ShutdownSave
	}
	if nosave {
		flags |= ShutdownNoSave
	}
	if force {
		flags |= ShutdownForce
	}
	c.flushStats()
	c.shutdownBlock()
	err := s.shutdownFor(flags, c.shutdownSeen)
	c.shutdownUnblock()
	if err != nil {
		ctx.Error(rediserr.ShutdownFailed)
		return
	}
	s.RequestShutdown()
	c.closeAfterReply = true
}

// RequestShutdown closes ShutdownRequested (once) so the process stops.
func (s *Server) RequestShutdown() {
	s.adm.shutdownOnce.Do(func() { close(s.ShutdownRequested) })
}

// uptime is the server's age.
func (s *Server) uptime() time.Duration { return time.Since(s.startTime) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
