package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// latencyReport is LATENCY DOCTOR's text: one line per event class with
// its statistics, then the advice Redis 7.0 gives for the classes seen
// (in Redis's words, so tools and people reading it find what they know).
// m.mu is held.
func (s *Server) latencyReport(m *latencyMonitor) string {
	s.cfg.RLock()
	slowUs, thresholdMs := s.cfg.SlowlogLogSlowerThan, s.cfg.LatencyMonitorThreshold
	fsync, hz := s.cfg.Appendfsync, s.cfg.Hz
	s.cfg.RUnlock()
	var b strings.Builder
	if len(m.events) == 0 && thresholdMs == 0 {
		b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
		return b.String()
	}
	var adv struct {
		slowlogEnabled, slowlogTuning, slowlogInspect, scheduler, localDisk, ssd,
		writeback, diskContention, noAppendfsync, relaxFsync, writeLoad, hz,
		largeObjects, massEviction, thp bool
	}
	advices := 0
	names := make([]string, 0, len(m.events))
	for name := range m.events {
		names = append(names, name)
	}
	sort.Strings(names)
	now := time.Now().Unix()
	for i, name := range names {
		ts := m.events[name]
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		n, avg, mad, period := ts.stats(now)
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.",
			i+1, name, n, avg, mad, float64(period)/float64(n), ts.max)
		switch strings.ToLower(name) {
		case "command":
			if slowUs < 0 {
				adv.slowlogEnabled = true
				advices++
			} else if slowUs/1000 > thresholdMs {
				adv.slowlogTuning = true
				advices++
			}
			adv.slowlogInspect, adv.largeObjects = true, true
			advices += 2
		case "fast-command":
			adv.scheduler = true
			advices++
		case "aof-write-pending-fsync":
			adv.localDisk, adv.diskContention, adv.ssd, adv.writeback = true, true, true, true
			advices += 4
		case "aof-write-alone":
			adv.localDisk, adv.writeback, adv.ssd = true, true, true
			advices += 3
		case "aof-fsync-always":
			adv.relaxFsync = true
			advices++
		case "aof-fstat", "rdb-unlink-temp-file":
			adv.diskContention, adv.localDisk = true, true
			advices += 2
		case "aof-rename":
			adv.writeLoad, adv.writeback, adv.ssd, adv.localDisk = true, true, true, true
			advices += 4
		case "expire-cycle":
			adv.hz, adv.largeObjects = true, true
			advices += 2
		case "eviction-del":
			adv.largeObjects = true
			advices++
		case "eviction-cycle":
			adv.massEviction = true
			advices++
		}
		b.WriteByte('\n')
	}
	if anonHugePages() > 0 {
		adv.thp = true
		advices++
	}
	switch {
	case len(names) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	case len(names) > 0 && advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
	default:
		b.WriteString("\nI have a few advices for you:\n\n")
		if adv.slowlogEnabled {
			fmt.Fprintf(&b, "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", thresholdMs*1000)
		}
		if adv.slowlogTuning {
			fmt.Fprintf(&b, "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n", thresholdMs*1000)
		}
		if adv.slowlogInspect {
			b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
		}
		if adv.scheduler {
			b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
				"  1) Lower the system load.\n" +
				"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
				"  3) Check if you have a \"noisy neighbour\" problem.\n" +
				"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
				"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
		}
		if adv.localDisk {
			b.WriteString("- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n")
		}
		if adv.ssd {
			b.WriteString("- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n")
		}
		if adv.writeback {
			b.WriteString("- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n")
		}
		if adv.diskContention {
			b.WriteString("- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n")
		}
		if adv.relaxFsync && fsync == "always" {
			b.WriteString("- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n")
		}
		if adv.writeLoad {
			b.WriteString("- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n")
		}
		if adv.hz && hz < 100 {
			b.WriteString("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n")
		}
		if adv.largeObjects {
			b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
		}
		if adv.massEviction {
			b.WriteString("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n")
		}
		if adv.thp {
			b.WriteString("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n")
		}
	}
	return b.String()
}

// stats is Redis's analyzeLatencyForEvent: the samples held, their
// average and mean absolute deviation (ms, integer), and the seconds since
// the oldest (at least 1).
func (ts *latencySeries) stats(now int64) (n, avg, mad, period int64) {
	var sum, oldest int64
	for _, smp := range ts.samples {
		if smp.unix == 0 {
			continue
		}
		n++
		sum += smp.ms
		if oldest == 0 || smp.unix < oldest {
			oldest = smp.unix
		}
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	avg = sum / n
	period = max(now-oldest, 1)
	var dev int64
	for _, smp := range ts.samples {
		if smp.unix == 0 {
			continue
		}
		d := avg - smp.ms
		if d < 0 {
			d = -d
		}
		dev += d
	}
	return n, avg, dev / n, period
}

// anonHugePages is the process's AnonHugePages in bytes (Linux; 0
// elsewhere or when unreadable), for the THP advice.
func anonHugePages() int64 {
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
