// Command shoal-server runs one Shoal node. It takes redis-server's command
// line: an optional redis.conf path, then --directive value overrides.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/persist"
	"github.com/shoal-db/shoal/internal/proctitle"
	"github.com/shoal-db/shoal/internal/server"
)

func main() {
	// First: the title is written over the command line's memory, so the
	// arguments and environment move to Go memory before anything keeps them.
	proctitle.Init()
	args := os.Args[1:]
	if len(args) > 0 && args[0] == persist.WriterChildArg {
		os.Exit(persist.RunWriterChild(args[1:]))
	}
	if len(args) == 1 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Println(versionLine())
		return
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Println("Usage: ./shoal-server [/path/to/redis.conf] [options] [-]\n       ./shoal-server - (read config from stdin)\n       ./shoal-server -v or --version\n       ./shoal-server -h or --help\n\nExamples:\n       ./shoal-server (run the server with default conf)\n       ./shoal-server /etc/redis/6379.conf\n       ./shoal-server --port 7777\n       ./shoal-server /etc/myredis.conf --loglevel verbose")
		return
	}
	path := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	cfg, err := config.Load(path, args)
	if err != nil {
		msg := err.Error()
		if !strings.HasSuffix(msg, "\n") {
			msg += "\n"
		}
		fmt.Fprint(os.Stderr, msg)
		os.Exit(1)
	}
	os.Exit(run(cfg))
}

func run(cfg *config.Config) int {
	cfg.RLock()
	logfile, dir, pidfile, port := cfg.Logfile, cfg.Dir, cfg.Pidfile, cfg.Port
	cfg.RUnlock()
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			fmt.Fprintf(os.Stderr, "Can't chdir to '%s': %v\n", dir, err)
			return 1
		}
	}
	// A relative logfile is relative to dir, as in Redis, which opens the
	// log file at each line, after the config's dir took effect.
	var logw io.Writer = os.Stdout
	if logfile != "" {
		f, err := os.OpenFile(logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Can't open the log file: %v\n", err)
			return 1
		}
		defer f.Close()
		logw = f
	}
	// SHOAL_CPUPROFILE=file writes a CPU profile until shutdown (for benchmarking).
	if f := os.Getenv("SHOAL_CPUPROFILE"); f != "" {
		if pf, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(pf)
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
	}
	srv := server.New(cfg, logw)
	if err := srv.ApplyRenames(); err != nil {
		fmt.Fprint(os.Stderr, err.Error())
		return 1
	}
	// BGSAVE's file writer (internal/persist/child.go) is this binary.
	// /proc/self/exe is the running binary even after the file on disk
	// was replaced or deleted (an upgrade), where its path is not.
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		srv.UseWriterChild("/proc/self/exe")
	} else if exe, err := os.Executable(); err == nil {
		srv.UseWriterChild(exe)
	}
	srv.Logf('#', "oO0OoO0OoO0Oo Shoal is starting oO0OoO0OoO0Oo")
	srv.Logf('#', "Shoal (Redis version=%s), bits=64, pid=%d, just started", server.Version, os.Getpid())
	if err := srv.LoadACL(); err != nil {
		srv.Logf('#', "%v", err)
		return 1
	}
	if cfg.ClusterEnabled {
		if err := srv.StartCluster(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				srv.Logf('#', "%s", line) // the bus's "Failed listening …" is two lines
			}
			return 1
		}
		defer srv.StopCluster()
	}
	if err := srv.Listen(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			srv.Logf('#', "%s", line) // the warning, then "Failed listening …"
		}
		return 1
	}
	if pidfile != "" {
		os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		defer os.Remove(pidfile)
	}
	mode := "standalone"
	if cfg.ClusterEnabled {
		mode = "cluster"
	}
	cfg.RLock()
	always := cfg.AlwaysShowLogo
	cfg.RUnlock()
	if showLogo(always, logfile) {
		fmt.Fprint(logw, logo(mode, port, os.Getpid()))
	} else {
		srv.Logf('*', "Running mode=%s, port=%d.", mode, port)
	}
	srv.Logf('#', "Server initialized")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	// A fatal signal sent to the process writes Redis's crash report to
	// the log before the process dies by it (Go's own would go to stderr).
	fatal := make(chan os.Signal, 1)
	signal.Notify(fatal, syscall.SIGABRT)
	go func() { srv.CrashBySignal((<-fatal).(syscall.Signal)) }()
	done := make(chan struct{})
	load := srv.PrepareLoad() // clients connecting during the load get -LOADING
	go func() { srv.Serve(); close(done) }()
	if err := load(); err != nil { // logged by the loader, in Redis's words
		// Redis exits at once (exit(1)): its error stays the log's last
		// line, which Redis's test suite reads.
		return 1
	}
	srv.StartReplication() // after the load: replicaof, or the cluster's view of myself
	srv.Logf('*', "Ready to accept connections")
	if p := srv.UnixSocket(); p != "" {
		srv.Logf('*', "The server is now ready to accept connections at %s", p)
	}
wait:
	for {
		select {
		case sig := <-sigs:
			// As Redis's handler: the next cron tick shuts down (or
			// SHUTDOWN ABORT cancels); ShutdownRequested ends the wait.
			srv.SignalShutdown(sig.(syscall.Signal))
		case <-srv.ShutdownRequested:
			break wait // SHUTDOWN or the cron did the preparing
		case <-done:
			break wait
		}
	}
	srv.Close()
	srv.Logf('#', "Shoal is now ready to exit, bye bye...")
	return 0
}
