// Command benchdump measures a server's CPU per key for DUMP and RESTORE
// (used by scripts/bench-dump.sh against redis-server and shoal-server).
// It loads keys of one kind, DUMPs them all, then RESTOREs every payload
// under a new name (REPLACE), pipelined, and prints the server's CPU time
// (from /proc/PID/stat) per key for each phase, and for loading the keys
// with ordinary writes (SET, RPUSH, HSET…) as a yardstick; -repeat n runs
// the DUMP and RESTORE phases n times (REPLACE on the keys of the last
// round after the first) and divides; -phase restore DUMPs once and runs
// only the RESTORE phase -repeat times (to profile it alone):
//
//	benchdump -addr 127.0.0.1:6379 -pid 1234 -kind hash10 -keys 20000
//	dump_us=1.234 restore_us=2.345 load_us=3.456
//
// With -addr2 and -pid2 it measures a second server beside the first,
// pass by pass (each DUMP or RESTORE pass over all the keys runs on one
// server, then on the other, the first alternating from pass to pass), so
// that both servers' numbers come from the same minutes of a machine
// whose speed drifts; it prints a line for each, the first server's
// first. CPU time is the sum of the server's threads' run time from
// /proc/PID/task/*/schedstat (nanoseconds; /proc/PID/stat's 10 ms ticks
// where schedstat is missing).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// kinds are the value shapes measured.
var kinds = map[string]func(ctx context.Context, p redis.Pipeliner, k string, i int){
	"string": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.Set(ctx, k, "value-"+strconv.Itoa(i), 0)
	},
	"string1k": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.Set(ctx, k, strings.Repeat("payload-"+strconv.Itoa(i%10)+"-", 80), 0)
	},
	"list10": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.RPush(ctx, k, elems("e", i, 10)...)
	},
	"list1000": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.RPush(ctx, k, elems("element-", i, 1000)...)
	},
	"intset10": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		var v []any
		for j := 0; j < 10; j++ {
			v = append(v, i*10+j)
		}
		p.SAdd(ctx, k, v...)
	},
	"set10": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.SAdd(ctx, k, elems("m", i, 10)...)
	},
	"hash10": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.HSet(ctx, k, elems("f", i, 20)...)
	},
	"hash100": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		p.HSet(ctx, k, elems("field", i, 200)...)
	},
	"zset10": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		var z []redis.Z
		for j := 0; j < 10; j++ {
			z = append(z, redis.Z{Score: float64(j) + 0.5, Member: "m" + strconv.Itoa(j)})
		}
		p.ZAdd(ctx, k, z...)
	},
	"zset100": func(ctx context.Context, p redis.Pipeliner, k string, i int) {
		var z []redis.Z
		for j := 0; j < 100; j++ {
			z = append(z, redis.Z{Score: float64(j * 3), Member: "member-" + strconv.Itoa(j)})
		}
		p.ZAdd(ctx, k, z...)
	},
}

func elems(prefix string, i, n int) []any {
	out := make([]any, n)
	for j := range out {
		out[j] = prefix + strconv.Itoa(j) + ":" + strconv.Itoa(i%7)
	}
	return out
}

// procStat returns the process's field i of /proc/PID/stat counted from
// the state field (7: minor faults, 11: utime, 12: stime).
func procStat(pid int, fields ...int) []int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		fail(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	out := make([]int64, len(fields))
	for i, k := range fields {
		out[i], _ = strconv.ParseInt(f[k], 10, 64)
	}
	return out
}

// cpuNanos is the server's CPU time in nanoseconds: its threads' run
// time from schedstat, or its ticks from stat where schedstat is missing.
// A thread that ends between two readings takes its time out of the sum
// (neither server ends threads while it serves; stat would keep it, in
// 10 ms ticks).
func cpuNanos(pid int) int64 {
	proc := "/proc/" + strconv.Itoa(pid)
	if _, err := os.Stat(proc + "/schedstat"); err != nil {
		v := procStat(pid, 11, 12)
		return (v[0] + v[1]) * (1e9 / hz)
	}
	tasks, err := os.ReadDir(proc + "/task")
	if err != nil {
		fail(err)
	}
	var sum int64
	for _, t := range tasks {
		b, err := os.ReadFile(proc + "/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue // a thread that ended meanwhile
		}
		ns, _ := strconv.ParseInt(sum0(b), 10, 64)
		sum += ns
	}
	return sum
}

// sum0 is schedstat's first field.
func sum0(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func minFaults(pid int) int64 { return procStat(pid, 7)[0] }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchdump:", err)
	os.Exit(1)
}

const hz = 100 // CLK_TCK on Linux

// server is one server measured: its client and process, the payloads
// its DUMP returned, and the CPU (ns) and minor faults of each phase.
type server struct {
	c                   *redis.Client
	pid                 int
	payloads            []string
	load, dump, restore int64
	dumpFaults, rFaults int64
}

// measure runs f and returns the server's CPU time (ns) and minor faults
// meanwhile.
func (s *server) measure(f func()) (cpu, faults int64) {
	t0, f0 := cpuNanos(s.pid), minFaults(s.pid)
	f()
	return cpuNanos(s.pid) - t0, minFaults(s.pid) - f0
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	pid := flag.Int("pid", 0, "server process id (CPU is read from /proc)")
	addr2 := flag.String("addr2", "", "a second server measured beside the first, pass by pass")
	pid2 := flag.Int("pid2", 0, "the second server's process id")
	kind := flag.String("kind", "string", "value kind")
	n := flag.Int("keys", 20000, "keys")
	batch := flag.Int("pipeline", 100, "commands per pipeline")
	repeat := flag.Int("repeat", 1, "times the DUMP and the RESTORE phases run (more CPU ticks per measure)")
	phase := flag.String("phase", "all", "all, or restore: DUMP once, RESTORE -repeat times (to profile the RESTORE phase alone)")
	flag.Parse()
	fill, ok := kinds[*kind]
	if !ok || *pid == 0 || (*addr2 != "") != (*pid2 != 0) {
		fail(fmt.Errorf("need -pid (and -pid2 with -addr2) and a -kind of %v", kinds))
	}
	dumps := *repeat
	switch *phase {
	case "all":
	case "restore":
		dumps = 1
	default:
		fail(fmt.Errorf("-phase: all or restore, not %q", *phase))
	}
	ctx := context.Background()
	servers := []*server{{c: redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 1}), pid: *pid}}
	if *addr2 != "" {
		servers = append(servers, &server{c: redis.NewClient(&redis.Options{Addr: *addr2, PoolSize: 1}), pid: *pid2})
	}
	key := func(i int) string { return "bench:" + strconv.Itoa(i) }
	// pass runs f on each server in turn, the first alternating.
	pass := func(r int, f func(s *server)) {
		for i := range servers {
			f(servers[(i+r)%len(servers)])
		}
	}
	for _, s := range servers {
		defer s.c.Close()
		if err := s.c.FlushAll(ctx).Err(); err != nil {
			fail(err)
		}
		s.payloads = make([]string, *n)
		s.load, _ = s.measure(func() {
			for i := 0; i < *n; i += *batch {
				p := s.c.Pipeline()
				for j := i; j < min(i+*batch, *n); j++ {
					fill(ctx, p, key(j), j)
				}
				if _, err := p.Exec(ctx); err != nil {
					fail(err)
				}
			}
		})
	}
	for r := 0; r < dumps; r++ {
		pass(r, func(s *server) {
			cpu, faults := s.measure(func() {
				for i := 0; i < *n; i += *batch {
					p := s.c.Pipeline()
					cmds := make([]*redis.StringCmd, 0, *batch)
					for j := i; j < min(i+*batch, *n); j++ {
						cmds = append(cmds, p.Dump(ctx, key(j)))
					}
					if _, err := p.Exec(ctx); err != nil {
						fail(err)
					}
					for j, cmd := range cmds {
						s.payloads[i+j] = cmd.Val()
					}
				}
			})
			s.dump += cpu
			s.dumpFaults += faults
		})
	}
	for r := 0; r < *repeat; r++ {
		pass(r, func(s *server) {
			cpu, faults := s.measure(func() {
				for i := 0; i < *n; i += *batch {
					p := s.c.Pipeline()
					for j := i; j < min(i+*batch, *n); j++ {
						p.RestoreReplace(ctx, "r:"+key(j), 0, s.payloads[j])
					}
					if _, err := p.Exec(ctx); err != nil {
						fail(err)
					}
				}
			})
			s.restore += cpu
			s.rFaults += faults
		})
	}
	us := func(ns int64, passes int) float64 { return float64(ns) / 1e3 / float64(*n) / float64(passes) }
	perKey := func(faults int64, passes int) float64 { return float64(faults) / float64(*n) / float64(passes) }
	for _, s := range servers {
		fmt.Printf("dump_us=%.3f restore_us=%.3f load_us=%.3f dump_faults=%.3f restore_faults=%.3f\n", us(s.dump, dumps), us(s.restore, *repeat), us(s.load, 1),
			perKey(s.dumpFaults, dumps), perKey(s.rFaults, *repeat))
	}
}
