package server

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/command"
)

// MEMORY STATS / DOCTOR / MALLOC-STATS / PURGE / HELP (MEMORY USAGE is a
// keyspace command: internal/command/generic.go). The figures are Shoal's
// own accounting, the ones INFO memory prints (docs/operations.md says
// where they differ from Redis's).

var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

func (s *Server) registerMemory() {
	s.handle("memory|help", helpReply("MEMORY", memoryHelp))
	s.handle("memory|stats", s.memoryStats)
	s.handle("memory|doctor", func(ctx *command.Ctx) { ctx.W.Verbatim(s.memoryDoctor()) })
	s.handle("memory|malloc-stats", func(ctx *command.Ctx) {
		// Redis without jemalloc answers this sentence; Go's allocator
		// has no stats report of jemalloc's kind (its figures are in
		// MEMORY STATS and INFO memory).
		ctx.W.BulkString("Stats not supported for the current allocator")
	})
	s.handle("memory|purge", func(ctx *command.Ctx) {
		// A collection, then the freed pages go back to the OS.
		debug.FreeOSMemory()
		ctx.W.OK()
	})
}

// memDB is one database's overhead (MEMORY STATS db.N).
type memDB struct {
	id                       int
	keys                     int64
	main, expires, slotToKey int64
}

// memOverhead is Redis's redisMemOverhead from Shoal's figures: what INFO
// memory, MEMORY STATS and MEMORY DOCTOR report.
type memOverhead struct {
	used, peak, startup, rss     int64
	allocated, active, resident  int64
	replBacklog, clientsSlaves   int64
	replBuffers                  int64 // mem_total_replication_buffers
	clientsNormal, clusterLinks  int64
	aofBuffer, lua, functions    int64
	dbs                          []memDB
	overheadTotal, dataset, keys int64
	datasetPerc, peakPerc        float32
	bytesPerKey                  int64
}

// memoryOverhead measures now (Redis's getMemoryOverheadData).
func (s *Server) memoryOverhead() *memOverhead {
	s.checkedGC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := s.usedMemory()
	m := &memOverhead{
		used:    int64(used),
		peak:    int64(s.adm.metrics.notePeak(used)),
		startup: int64(min(s.adm.startMemory, used)),
		rss:     int64(rssBytes()),
		// Go's heap stands for the allocator: allocated is used_memory,
		// active the heap's spans in use, resident what the heap holds
		// from the OS and has not given back.
		allocated:     int64(used),
		active:        int64(ms.HeapInuse),
		resident:      int64(ms.HeapSys - ms.HeapReleased),
		clientsNormal: int64(s.clientsMemory()),
		aofBuffer:     s.aofBuffered(),
		replBuffers:   s.replBufferMem(),
		lua:           s.scripts.CacheBytes(),
		functions:     s.scripts.Functions.CacheBytes(),
	}
	m.replBacklog, m.clientsSlaves = m.replBuffers, 0
	if s.replicaCount() > 0 && m.replBuffers > s.backlogSize() {
		// Redis's split of its shared buffer: the excess over the backlog
		// setting is the replicas'.
		m.replBacklog = s.backlogSize()
		m.clientsSlaves = m.replBuffers - m.replBacklog
	}
	total := m.startup + m.replBacklog + m.clientsSlaves + m.clientsNormal + m.clusterLinks +
		m.aofBuffer + m.lua + m.functions
	tables := s.ks.TableOverheads()
	for i, t := range tables {
		db := s.ks.DB(i)
		n := db.Len()
		if n == 0 {
			continue
		}
		// A TTL is 8 bytes in the key's record (Shoal has no expires
		// table); the slot partition is the main tables themselves.
		d := memDB{id: i, keys: n, main: t, expires: db.Volatile() * 8}
		m.dbs = append(m.dbs, d)
		m.keys += n
		total += d.main + d.expires + d.slotToKey
	}
	m.overheadTotal = min(total, m.used)
	m.dataset = m.used - m.overheadTotal
	if m.peak > 0 {
		m.peakPerc = float32(m.used) * 100 / float32(m.peak)
	}
	net := int64(1)
	if m.used > m.startup {
		net = m.used - m.startup
	}
	m.datasetPerc = float32(m.dataset) * 100 / float32(net)
	if m.keys > 0 {
		m.bytesPerKey = net / m.keys
	}
	return m
}

// ratio is a/b as Redis's float division (0 when b is 0, where Redis
// would divide by zero).
func ratio32(a, b int64) float32 {
	if b == 0 {
		return 0
	}
	return float32(a) / float32(b)
}

// memoryStats is MEMORY STATS: Redis 7.0's fields, in its order.
func (s *Server) memoryStats(ctx *command.Ctx) {
	m := s.memoryOverhead()
	w := ctx.W
	num := func(k string, v int64) {
		w.BulkString(k)
		w.Int(v)
	}
	dbl := func(k string, v float32) {
		w.BulkString(k)
		w.Double(float64(v)) // Redis's floats, widened
	}
	w.Map(27 + len(m.dbs))
	num("peak.allocated", m.peak)
	num("total.allocated", m.used)
	num("startup.allocated", m.startup)
	num("replication.backlog", m.replBacklog)
	num("clients.slaves", m.clientsSlaves)
	num("clients.normal", m.clientsNormal)
	num("cluster.links", m.clusterLinks)
	num("aof.buffer", m.aofBuffer)
	num("lua.caches", m.lua)
	num("functions.caches", m.functions)
	for _, d := range m.dbs {
		w.BulkString("db." + strconv.Itoa(d.id))
		w.Map(3)
		num("overhead.hashtable.main", d.main)
		num("overhead.hashtable.expires", d.expires)
		num("overhead.hashtable.slot-to-keys", d.slotToKey)
	}
	num("overhead.total", m.overheadTotal)
	num("keys.count", m.keys)
	num("keys.bytes-per-key", m.bytesPerKey)
	num("dataset.bytes", m.dataset)
	dbl("dataset.percentage", m.datasetPerc)
	dbl("peak.percentage", m.peakPerc)
	num("allocator.allocated", m.allocated)
	num("allocator.active", m.active)
	num("allocator.resident", m.resident)
	dbl("allocator-fragmentation.ratio", ratio32(m.active, m.allocated))
	num("allocator-fragmentation.bytes", m.active-m.allocated)
	dbl("allocator-rss.ratio", ratio32(m.resident, m.active))
	num("allocator-rss.bytes", m.resident-m.active)
	dbl("rss-overhead.ratio", ratio32(m.rss, m.resident))
	num("rss-overhead.bytes", m.rss-m.resident)
	dbl("fragmentation", ratio32(m.rss, m.used))
	num("fragmentation.bytes", m.rss-m.used)
}

// Redis's MEMORY DOCTOR texts.
const (
	doctorNone  = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	doctorEmpty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	doctorHead  = "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
	doctorTail  = "I'm here to keep you safe, Sam. I want to help you.\n"

	doctorPeak      = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n"
	doctorFrag      = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"" + memAllocatorName + "\".\n\n"
	doctorAllocFrag = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n"
	doctorAllocRSS  = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n"
	doctorProcRSS   = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n"
	doctorSlaveBuf  = " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n"
	doctorClientBuf = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n"
	doctorScripts   = " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n"
)

// memAllocatorName is INFO's mem_allocator.
const memAllocatorName = "libc"

// memoryDoctor is MEMORY DOCTOR's report: Redis's checks, on Shoal's
// figures.
func (s *Server) memoryDoctor() string {
	m := s.memoryOverhead()
	if m.used < 5<<20 {
		return doctorEmpty
	}
	var found []string
	check := func(cond bool, text string) {
		if cond {
			found = append(found, text)
		}
	}
	check(ratio32(m.peak, m.used) > 1.5, doctorPeak)
	check(ratio32(m.rss, m.used) > 1.4 && m.rss-m.used > 10<<20, doctorFrag)
	check(ratio32(m.active, m.allocated) > 1.1 && m.active-m.allocated > 10<<20, doctorAllocFrag)
	check(ratio32(m.resident, m.active) > 1.1 && m.resident-m.active > 10<<20, doctorAllocRSS)
	check(ratio32(m.rss, m.resident) > 1.1 && m.rss-m.resident > 10<<20, doctorProcRSS)
	s.repl.mu.Lock()
	replicas := 0
	for _, l := range s.repl.replicas {
		if l.state.Load() != replClosed {
			replicas++
		}
	}
	s.repl.mu.Unlock()
	s.clientsMu.Lock()
	clients := max(len(s.clients)-replicas, 1)
	s.clientsMu.Unlock()
	// (Redis's order: replica buffers are reported before client buffers.)
	bigClients := m.clientsNormal/int64(clients) > 200<<10
	check(replicas > 0 && m.clientsSlaves > 10<<20, doctorSlaveBuf)
	check(bigClients, doctorClientBuf)
	check(s.scripts.Len() > 1000, doctorScripts)
	if len(found) == 0 {
		return doctorNone
	}
	var b strings.Builder
	b.WriteString(doctorHead)
	for _, t := range found {
		b.WriteString(t)
	}
	b.WriteString(doctorTail)
	return b.String()
}
