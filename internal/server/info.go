package server

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shoal-db/shoal/internal/clock"
	"github.com/shoal-db/shoal/internal/command"
)

// INFO: the sections, their order and their field names are Redis 7.0.15's
// (genRedisInfoString). Values are real where Shoal has them; fields for
// machinery Shoal lacks (forks, AOF rewrite, defrag, Lua) hold the values an
// idle Redis reports.

// infoSections is every section, in the order Redis prints them.
var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}

// defaultSections is what INFO and INFO default print.
var defaultSections = map[string]bool{"server": true, "clients": true, "memory": true,
	"persistence": true, "stats": true, "replication": true, "cpu": true, "modules": true,
	"errorstats": true, "cluster": true, "keyspace": true}

func (s *Server) registerInfo() {
	s.handle("info", func(ctx *command.Ctx) {
		ctx.W.Verbatim(s.infoString(ctx.Args[1:]))
	})
}

// infoString builds the INFO text for the requested sections (Redis's
// genInfoSectionDict: "default", "all", "everything", or section names,
// case-insensitive; unknown names are ignored).
func (s *Server) infoString(args [][]byte) string {
	want := map[string]bool{}
	if len(args) == 0 {
		want = defaultSections
	}
	for _, a := range args {
		switch name := strings.ToLower(string(a)); name {
		case "default":
			for k := range defaultSections {
				want[k] = true
			}
		case "all", "everything":
			for _, k := range infoSections {
				want[k] = true
			}
		default:
			want[name] = true
		}
	}
	var b bytes.Buffer
	for _, sec := range infoSections {
		if !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		s.infoSection(&b, sec)
	}
	return b.String()
}

type infoWriter struct{ b *bytes.Buffer }

func (w infoWriter) f(name string, format string, args ...any) {
	w.b.WriteString(name)
	w.b.WriteByte(':')
	fmt.Fprintf(w.b, format, args...)
	w.b.WriteString("\r\n")
}
func (w infoWriter) s(name, v string) { w.b.WriteString(name + ":" + v + "\r\n") }
func (w infoWriter) i(name string, v int64) {
	w.b.WriteString(name)
	w.b.WriteByte(':')
	w.b.WriteString(strconv.FormatInt(v, 10))
	w.b.WriteString("\r\n")
}

func (s *Server) infoSection(b *bytes.Buffer, sec string) {
	w := infoWriter{b}
	switch sec {
	case "server":
		b.WriteString("# Server\r\n")
		s.infoServer(w)
	case "clients":
		b.WriteString("# Clients\r\n")
		s.infoClients(w)
	case "memory":
		b.WriteString("# Memory\r\n")
		s.infoMemory(w)
	case "persistence":
		b.WriteString("# Persistence\r\n")
		s.infoPersistence(w)
	case "stats":
		b.WriteString("# Stats\r\n")
		s.infoStats(w)
	case "replication":
		b.WriteString("# Replication\r\n")
		s.infoReplication(w)
	case "cpu":
		b.WriteString("# CPU\r\n")
		self, children := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN)
		w.s("used_cpu_sys", tvString(self.Stime))
		w.s("used_cpu_user", tvString(self.Utime))
		w.s("used_cpu_sys_children", tvString(children.Stime))
		w.s("used_cpu_user_children", tvString(children.Utime))
		// Go has no main thread: the process figures stand in.
		w.s("used_cpu_sys_main_thread", tvString(self.Stime))
		w.s("used_cpu_user_main_thread", tvString(self.Utime))
	case "modules":
		b.WriteString("# Modules\r\n")
	case "commandstats":
		b.WriteString("# Commandstats\r\n")
		s.infoCommandStats(w)
	case "errorstats":
		b.WriteString("# Errorstats\r\n")
		s.adm.errMu.Lock()
		names := make([]string, 0, len(s.adm.errStats))
		for k := range s.adm.errStats {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			w.f("errorstat_"+k, "count=%d", s.adm.errStats[k])
		}
		s.adm.errMu.Unlock()
	case "latencystats":
		b.WriteString("# Latencystats\r\n")
		s.infoLatencyStats(w)
	case "cluster":
		b.WriteString("# Cluster\r\n")
		if s.clusterEnabled() {
			w.i("cluster_enabled", 1)
			s.infoFailover(w)
		} else {
			w.i("cluster_enabled", 0)
		}
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		for i := 0; i < s.ks.NumDBs(); i++ {
			db := s.ks.DB(i)
			if n := db.Len(); n > 0 {
				w.f("db"+strconv.Itoa(i), "keys=%d,expires=%d,avg_ttl=0", n, db.Volatile())
			}
		}
	}
}

func (s *Server) infoServer(w infoWriter) {
	now := time.Now()
	up := int64(s.uptime().Seconds())
	s.cfg.RLock()
	port, hz := s.cfg.Port, s.cfg.Hz
	s.cfg.RUnlock()
	if a := s.plainAddr(); a != nil {
		if _, p, err := splitPort(a.String()); err == nil {
			port = p
		}
	} else if a := s.TLSAddr(); a != nil && port == 0 {
		if _, p, err := splitPort(a.String()); err == nil {
			port = p // tcp_port is tls-port when port is 0
		}
	}
	mode := "standalone"
	if s.clusterEnabled() {
		mode = "cluster"
	}
	w.s("redis_version", Version)
	w.s("redis_git_sha1", "00000000")
	w.s("redis_git_dirty", "0")
	w.s("redis_build_id", "0")
	w.s("redis_mode", mode)
	w.s("os", osString())
	w.i("arch_bits", strconv.IntSize)
	w.s("monotonic_clock", clock.FastSource()) // what times commands
	w.s("multiplexing_api", "epoll")
	w.s("atomicvar_api", "c11-builtin")
	w.s("gcc_version", "0.0.0")
	w.i("process_id", int64(os.Getpid()))
	w.s("process_supervised", "no")
	w.s("run_id", s.adm.runID)
	w.i("tcp_port", int64(port))
	w.i("server_time_usec", now.UnixMicro())
	w.i("uptime_in_seconds", up)
	w.i("uptime_in_days", up/86400)
	w.i("hz", int64(hz))
	w.i("configured_hz", int64(hz))
	w.i("lru_clock", lruClock(now))
	w.s("executable", s.adm.executable)
	w.s("config_file", s.cfg.File())
	w.i("io_threads_active", 0)
	if ms, ok := s.shutdownInMs(); ok {
		w.i("shutdown_in_milliseconds", ms)
	}
}

func splitPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("no port")
	}
	p, err := strconv.Atoi(addr[i+1:])
	return addr[:i], p, err
}

// lruClock is Redis's LRU clock: seconds, modulo 2^24.
func lruClock(now time.Time) int64 { return now.Unix() & (1<<24 - 1) }

func osString() string { return osOnce() }

func (s *Server) infoClients(w infoWriter) {
	s.clientsMu.Lock()
	n := len(s.clients)
	s.clientsMu.Unlock()
	if s.masterClient() != nil {
		n++ // Redis counts its master client
	}
	// and not its replicas (listLength(clients) - listLength(slaves)).
	n = max(n-s.replicaCount(), 0)
	w.i("connected_clients", int64(n))
	w.i("cluster_connections", 0)
	w.i("maxclients", s.conf().maxclients)
	w.i("client_recent_max_input_buffer", 0)
	w.i("client_recent_max_output_buffer", s.maxQueuedOut())               // obuf.go
	w.i("blocked_clients", s.blocking.count.Load()+s.pause.waiting.Load()) // and paused ones, as Redis
	w.i("tracking_clients", s.track.clients.Load())
	w.i("clients_in_timeout_table", s.blocking.timed.Load())
}

// rssBytes reads the resident set size from /proc/self/statm.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

var totalSystemMemory = sync.OnceValue(func() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
})

// bytesToHuman formats n as Redis's bytesToHuman does.
func bytesToHuman(n uint64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatUint(n, 10) + "B"
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", d/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", d/(1024*1024))
	case n < 1024*1024*1024*1024:
		return fmt.Sprintf("%.2fG", d/(1024*1024*1024))
	case n < 1024*1024*1024*1024*1024:
		return fmt.Sprintf("%.2fT", d/(1024*1024*1024*1024))
	case n < 1024*1024*1024*1024*1024*1024:
		return fmt.Sprintf("%.2fP", d/(1024*1024*1024*1024*1024))
	}
	return strconv.FormatUint(n, 10) + "B"
}

func (s *Server) infoMemory(w infoWriter) {
	mo := s.memoryOverhead() // cmd_memory.go, as MEMORY STATS
	used, peak, rss, startup := uint64(mo.used), uint64(mo.peak), uint64(mo.rss), uint64(mo.startup)
	overhead, dataset := uint64(mo.overheadTotal), uint64(mo.dataset)
	clientsNormal := uint64(mo.clientsNormal)
	s.cfg.RLock()
	maxmem, policy := s.cfg.Maxmemory, s.cfg.MaxmemoryPolicy
	s.cfg.RUnlock()
	ratio := func(a, b uint64) string {
		if b == 0 {
			return "0.00"
		}
		return fmt.Sprintf("%.2f", float64(a)/float64(b))
	}
	perc := func(a, b uint64) string {
		if b == 0 {
			return "0.00%"
		}
		return fmt.Sprintf("%.2f%%", float64(a)*100/float64(b))
	}
	active, resident := uint64(mo.active), uint64(mo.resident)
	sys := totalSystemMemory()
	w.i("used_memory", int64(used))
	w.s("used_memory_human", bytesToHuman(used))
	w.i("used_memory_rss", int64(rss))
	w.s("used_memory_rss_human", bytesToHuman(rss))
	w.i("used_memory_peak", int64(peak))
	w.s("used_memory_peak_human", bytesToHuman(peak))
	w.s("used_memory_peak_perc", perc(used, peak))
	w.i("used_memory_overhead", int64(overhead))
	w.i("used_memory_startup", int64(startup))
	w.i("used_memory_dataset", int64(dataset))
	w.s("used_memory_dataset_perc", perc(dataset, used-startup))
	w.i("allocator_allocated", int64(used))
	w.i("allocator_active", int64(active))
	w.i("allocator_resident", int64(resident))
	w.i("total_system_memory", int64(sys))
	w.s("total_system_memory_human", bytesToHuman(sys))
	w.i("used_memory_lua", 32768)
	w.i("used_memory_vm_eval", 32768)
	w.s("used_memory_lua_human", "32.00K")
	w.i("used_memory_scripts_eval", mo.lua)
	libs, funcs := s.scripts.Functions.Counts()
	w.i("number_of_cached_scripts", int64(s.scripts.Len()))
	w.i("number_of_functions", int64(funcs))
	w.i("number_of_libraries", int64(libs))
	w.i("used_memory_vm_functions", 32768)
	w.i("used_memory_vm_total", 65536)
	w.s("used_memory_vm_total_human", "64.00K")
	w.i("used_memory_functions", mo.functions)
	w.i("used_memory_scripts", mo.lua+mo.functions)
	w.s("used_memory_scripts_human", bytesToHuman(uint64(mo.lua+mo.functions)))
	w.i("maxmemory", maxmem)
	w.s("maxmemory_human", bytesToHuman(uint64(maxmem)))
	w.s("maxmemory_policy", policy)
	w.s("allocator_frag_ratio", ratio(active, used))
	w.i("allocator_frag_bytes", int64(active)-int64(used))
	w.s("allocator_rss_ratio", ratio(resident, active))
	w.i("allocator_rss_bytes", int64(resident)-int64(active))
	w.s("rss_overhead_ratio", ratio(rss, resident))
	w.i("rss_overhead_bytes", int64(rss)-int64(resident))
	w.s("mem_fragmentation_ratio", ratio(rss, used))
	w.i("mem_fragmentation_bytes", int64(rss)-int64(used))
	w.i("mem_not_counted_for_evict", s.notCountedForEvict())
	w.i("mem_replication_backlog", mo.replBacklog)
	w.i("mem_total_replication_buffers", mo.replBuffers)
	w.i("mem_clients_slaves", mo.clientsSlaves)
	w.i("mem_clients_normal", int64(clientsNormal))
	w.i("mem_cluster_links", 0)
	w.i("mem_aof_buffer", s.aofBuffered())
	w.s("mem_allocator", memAllocatorName)
	w.i("active_defrag_running", 0)
	w.i("lazyfree_pending_objects", 0)
	w.i("lazyfreed_objects", s.ks.Stats.LazyFreed.Load())
}

func (s *Server) infoPersistence(w infoWriter) {
	s.cfg.RLock()
	aof := s.cfg.Appendonly
	s.cfg.RUnlock()
	w.i("loading", b2i(s.loadingNow()))
	w.i("async_loading", b2i(s.loading.async.Load()))
	s.infoSave(w) // save.go: current_cow_*, current_fork_perc, current_save_*, rdb_*
	w.i("rdb_last_load_keys_expired", s.loading.lastExpired.Load())
	w.i("rdb_last_load_keys_loaded", s.loading.lastLoaded.Load())
	s.infoAOF(w, aof) // aof.go
	w.i("module_fork_in_progress", 0)
	w.i("module_fork_last_cow_size", 0)
	s.infoAOFSizes(w, aof)
	s.infoLoading(w) // load.go
}

func (s *Server) infoStats(w infoWriter) {
	st := &s.stats
	ops, in, out := s.adm.metrics.instantaneous()
	s.pubsub.mu.RLock()
	channels, patterns := len(s.pubsub.channels), len(s.pubsub.patterns)
	s.pubsub.mu.RUnlock()
	w.i("total_connections_received", st.connections.Load())
	w.i("total_commands_processed", st.commands.Load())
	w.i("instantaneous_ops_per_sec", ops)
	w.i("total_net_input_bytes", st.netInput.Load())
	w.i("total_net_output_bytes", st.netOutput.Load())
	w.i("total_net_repl_input_bytes", 0)
	w.i("total_net_repl_output_bytes", 0)
	w.f("instantaneous_input_kbps", "%.2f", float64(in)/1024)
	w.f("instantaneous_output_kbps", "%.2f", float64(out)/1024)
	w.s("instantaneous_input_repl_kbps", "0.00")
	w.s("instantaneous_output_repl_kbps", "0.00")
	w.i("rejected_connections", st.rejectedConns.Load())
	w.i("sync_full", s.repl.syncFull.Load())
	w.i("sync_partial_ok", s.repl.syncPartialOK.Load())
	w.i("sync_partial_err", s.repl.syncPartialErr.Load())
	w.i("expired_keys", s.ks.Stats.ExpiredKeys.Load())
	w.s("expired_stale_perc", "0.00")
	w.i("expired_time_cap_reached_count", 0)
	w.i("expire_cycle_cpu_milliseconds", 0)
	w.i("evicted_keys", s.ks.Stats.EvictedKeys.Load())
	w.i("evicted_clients", s.cev.evicted.Load())
	w.i("total_eviction_exceeded_time", 0)
	w.i("current_eviction_exceeded_time", 0)
	w.i("keyspace_hits", s.ks.Stats.Hits.Load())
	w.i("keyspace_misses", s.ks.Stats.Misses.Load())
	w.i("pubsub_channels", int64(channels))
	w.i("pubsub_patterns", int64(patterns))
	w.i("pubsubshard_channels", 0)
	w.i("latest_fork_usec", 0)
	w.i("total_forks", s.save.forks.Load())
	w.i("migrate_cached_sockets", int64(s.migr.cache.Len()))
	w.i("slave_expires_tracked_keys", 0)
	w.i("active_defrag_hits", 0)
	w.i("active_defrag_misses", 0)
	w.i("active_defrag_key_hits", 0)
	w.i("active_defrag_key_misses", 0)
	w.i("total_active_defrag_time", 0)
	w.i("current_active_defrag_time", 0)
	keys, items, prefixes := s.track.totals()
	w.i("tracking_total_keys", keys)
	w.i("tracking_total_items", items)
	w.i("tracking_total_prefixes", prefixes)
	w.i("unexpected_error_replies", 0)
	w.i("total_error_replies", st.totalErrorReplies.Load())
	w.i("dump_payload_sanitizations", 0)
	w.i("total_reads_processed", 0)
	w.i("total_writes_processed", 0)
	w.i("io_threaded_reads_processed", 0)
	w.i("io_threaded_writes_processed", 0)
	w.i("reply_buffer_shrinks", s.bufs.shrinks.Load())
	w.i("reply_buffer_expands", s.bufs.expands.Load())
}

// infoCommandStats prints cmdstat_<name> for every command and subcommand
// that was called, rejected or failed.
func (s *Server) infoCommandStats(w infoWriter) {
	specs := s.allSpecs()
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	for _, sp := range specs {
		calls, usec := sp.Calls.Load(), sp.Usec.Load()
		rej, failed := sp.RejectedCalls.Load(), sp.FailedCalls.Load()
		if calls == 0 && rej == 0 && failed == 0 {
			continue
		}
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		w.f("cmdstat_"+sp.Name, "calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			calls, usec, per, rej, failed)
	}
}

func rusage(who int) syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return ru
}

func tvString(tv syscall.Timeval) string {
	return fmt.Sprintf("%d.%06d", tv.Sec, tv.Usec)
}

// noteErrorReply counts an error reply under its code (the text up to the
// first space) for INFO errorstats, as Redis's afterErrorReply does.
func (s *Server) noteErrorReply(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	s.adm.errMu.Lock()
	// Redis stops adding new codes past 128 to bound the table.
	if _, ok := s.adm.errStats[code]; ok || len(s.adm.errStats) < 128 {
		s.adm.errStats[code]++
	}
	s.adm.errMu.Unlock()
}

// metrics samples the instantaneous_* figures as Redis's serverCron does:
// every 100 ms, keep the last 16 per-second rates, report their mean.
type metrics struct {
	mu                       sync.Mutex
	idx                      int
	ops, in, out             [16]int64
	lastT                    time.Time
	lastOps, lastIn, lastOut int64
	peak                     uint64
	// lastCron and cronSamples: the cron's pace (sampleMetrics); only the
	// cron's goroutine touches them.
	lastCron    time.Time
	cronSamples int
}

const metricSamples = 16

func (m *metrics) reset() {
	m.mu.Lock()
	m.ops, m.in, m.out = [16]int64{}, [16]int64{}, [16]int64{}
	m.lastT = time.Time{}
	m.mu.Unlock()
}

func (m *metrics) notePeak(used uint64) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if used > m.peak {
		m.peak = used
	}
	return m.peak
}

func (m *metrics) sample(now time.Time, ops, in, out int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.lastT.IsZero() {
		ms := now.Sub(m.lastT).Milliseconds()
		if ms <= 0 {
			ms = 1
		}
		m.ops[m.idx] = (ops - m.lastOps) * 1000 / ms
		m.in[m.idx] = (in - m.lastIn) * 1000 / ms
		m.out[m.idx] = (out - m.lastOut) * 1000 / ms
		m.idx = (m.idx + 1) % metricSamples
	}
	m.lastT, m.lastOps, m.lastIn, m.lastOut = now, ops, in, out
}

func (m *metrics) instantaneous() (ops, in, out int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := 0; i < metricSamples; i++ {
		ops += m.ops[i]
		in += m.in[i]
		out += m.out[i]
	}
	return ops / metricSamples, in / metricSamples, out / metricSamples
}

// sampleMetrics is the cron's 100 ms sampler of the instantaneous_*
// figures (Redis's run_with_period(100) in serverCron: with hz under 10,
// it samples at the cron's own pace).
func (s *Server) sampleMetrics(now time.Time) {
	m := &s.adm.metrics
	if now.Sub(m.lastCron) < 100*time.Millisecond {
		return
	}
	m.lastCron = now
	m.sample(now, s.stats.commands.Load(), s.stats.netInput.Load(), s.stats.netOutput.Load())
	// The memory peak is tracked once a second (ReadMemStats stops the world briefly).
	if m.cronSamples++; m.cronSamples%10 == 0 {
		m.notePeak(s.usedMemory())
	}
}
