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

func cpuTicks(pid int) int64 {
	v := procStat(pid, 11, 12)
	return v[0] + v[1]
}

func minFaults(pid int) int64 { return procStat(pid, 7)[0] }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchdump:", err)
	os.Exit(1)
}

const hz = 100 // CLK_TCK on Linux

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	pid := flag.Int("pid", 0, "server process id (CPU is read from /proc)")
	kind := flag.String("kind", "string", "value kind")
	n := flag.Int("keys", 20000, "keys")
	batch := flag.Int("pipeline", 100, "commands per pipeline")
	repeat := flag.Int("repeat", 1, "times the DUMP and the RESTORE phases run (more CPU ticks per measure)")
	phase := flag.String("phase", "all", "all, or restore: DUMP once, RESTORE -repeat times (to profile the RESTORE phase alone)")
	flag.Parse()
	fill, ok := kinds[*kind]
	if !ok || *pid == 0 {
		fail(fmt.Errorf("need -pid and a -kind of %v", kinds))
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
	c := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 1})
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		fail(err)
	}
	key := func(i int) string { return "bench:" + strconv.Itoa(i) }
	tl := cpuTicks(*pid)
	for i := 0; i < *n; i += *batch {
		p := c.Pipeline()
		for j := i; j < min(i+*batch, *n); j++ {
			fill(ctx, p, key(j), j)
		}
		if _, err := p.Exec(ctx); err != nil {
			fail(err)
		}
	}
	payloads := make([]string, *n)
	t0, f0 := cpuTicks(*pid), minFaults(*pid)
	load := t0 - tl
	for r := 0; r < dumps; r++ {
		for i := 0; i < *n; i += *batch {
			p := c.Pipeline()
			cmds := make([]*redis.StringCmd, 0, *batch)
			for j := i; j < min(i+*batch, *n); j++ {
				cmds = append(cmds, p.Dump(ctx, key(j)))
			}
			if _, err := p.Exec(ctx); err != nil {
				fail(err)
			}
			for j, cmd := range cmds {
				payloads[i+j] = cmd.Val()
			}
		}
	}
	t1, f1 := cpuTicks(*pid), minFaults(*pid)
	for r := 0; r < *repeat; r++ {
		for i := 0; i < *n; i += *batch {
			p := c.Pipeline()
			for j := i; j < min(i+*batch, *n); j++ {
				p.RestoreReplace(ctx, "r:"+key(j), 0, payloads[j])
			}
			if _, err := p.Exec(ctx); err != nil {
				fail(err)
			}
		}
	}
	t2, f2 := cpuTicks(*pid), minFaults(*pid)
	us := func(ticks int64) float64 { return float64(ticks) / hz * 1e6 / float64(*n) }
	perKey := func(faults int64) float64 { return float64(faults) / float64(*n) / float64(*repeat) }
	fmt.Printf("dump_us=%.3f restore_us=%.3f load_us=%.3f dump_faults=%.3f restore_faults=%.3f\n", us(t1-t0)/float64(dumps), us(t2-t1)/float64(*repeat), us(load),
		perKey(f1-f0)*float64(*repeat)/float64(dumps), perKey(f2-f1))
}
