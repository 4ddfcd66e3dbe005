// Command repllag samples how far a replica is behind its master, in
// bytes, while a load runs (used by scripts/bench-repl.sh against
// redis-server and shoal-server pairs). Each sample reads the master's
// master_repl_offset, the replica's slave_repl_offset, then the master's
// again, and counts the replica behind by the mean of the two master
// readings minus its own: the replica's reading falls between them, so
// the skew of reading two servers one after the other cancels out. It
// runs until it receives SIGTERM or SIGINT, then prints the maximum, the
// 90th percentile and the median of the samples:
//
//	repllag -master 127.0.0.1:6379 -replica 127.0.0.1:6380 -every 20ms
//	lag_max=1234 lag_p90=345 lag_p50=56 samples=789
//
// With -trace N it also prints every sample of N bytes or more, with its
// wall-clock time (ms precision, as the servers' logs and gctrace can be
// matched against it), as "lag <hh:mm:ss.mmm> <bytes> unapplied <bytes>
// took <ms>/<ms>" (the sample's three reads, the replica's read). With
// -replica-pid (and -master-pid) each such line also gives, since the
// previous sample, the process's CPU and run-queue wait in ms summed over
// its threads, how many threads ran and how many waited over 1 ms, and
// the link's socket queues (proc.go); the end adds each process's totals.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	master := flag.String("master", "127.0.0.1:6379", "master address")
	replica := flag.String("replica", "127.0.0.1:6380", "replica address")
	every := flag.Duration("every", 20*time.Millisecond, "sampling period")
	trace := flag.Int64("trace", 0, "print each sample of at least this many bytes with its time (0: none)")
	rpid := flag.Int("replica-pid", 0, "with -trace: the replica's pid, to add its threads' CPU and run-queue wait and the link's socket queues")
	mpid := flag.Int("master-pid", 0, "with -trace: the master's pid, to add its threads' CPU and run-queue wait")
	flag.Parse()
	mport := 0
	if i := strings.LastIndexByte(*master, ':'); i >= 0 {
		mport, _ = strconv.Atoi((*master)[i+1:])
	}
	rt, mt := &threads{pid: *rpid}, &threads{pid: *mpid}
	ctx := context.Background()
	m := redis.NewClient(&redis.Options{Addr: *master, Protocol: 2})
	r := redis.NewClient(&redis.Options{Addr: *replica, Protocol: 2})
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var lags []int64
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			report(lags)
			if *rpid > 0 {
				fmt.Printf("replica_cpu_s=%.2f replica_runq_wait_s=%.2f\n", float64(rt.run)/1e9, float64(rt.wait)/1e9)
			}
			if *mpid > 0 {
				fmt.Printf("master_cpu_s=%.2f master_runq_wait_s=%.2f\n", float64(mt.run)/1e9, float64(mt.wait)/1e9)
			}
			return
		case <-tick.C:
		}
		t0 := time.Now()
		m1, err1 := offsets(ctx, m, "master_repl_offset")
		tr := time.Now()
		ro, err2 := offsets(ctx, r, "slave_repl_offset", "slave_read_repl_offset")
		rtook := time.Since(tr)
		m2, err3 := offsets(ctx, m, "master_repl_offset")
		if err1 != nil || err2 != nil || err3 != nil {
			continue // not replicating yet, or a server is gone
		}
		lag := max((m1[0]+m2[0])/2-ro[0], 0)
		lags = append(lags, lag)
		var procs string
		if *rpid > 0 {
			// per interval: ms on a CPU, ms runnable but waiting, threads
			// that ran, threads that waited over 1 ms
			run, wait, ran, waited := rt.step()
			msend, rrecv := linkQueues(*rpid, mport)
			procs = fmt.Sprintf(" replica run %.1f wait %.1f threads %d/%d link master-sendq %d replica-recvq %d", run, wait, ran, waited, msend, rrecv)
		}
		if *mpid > 0 {
			run, wait, ran, waited := mt.step()
			procs += fmt.Sprintf(" master run %.1f wait %.1f threads %d/%d", run, wait, ran, waited)
		}
		if *trace > 0 && lag >= *trace {
			// read but not applied yet: the rest is in the sockets or
			// still in the master
			// took: the sample's three reads and the replica's alone, in
			// ms (a replica that answers late makes them long)
			fmt.Printf("lag %s %d unapplied %d took %.1f/%.1f%s\n", time.Now().Format("15:04:05.000"), lag, ro[1]-ro[0],
				float64(time.Since(t0).Microseconds())/1000, float64(rtook.Microseconds())/1000, procs)
		}
	}
}

// offsets reads integer fields of one INFO replication.
func offsets(ctx context.Context, c *redis.Client, fields ...string) ([]int64, error) {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return nil, err
	}
	vals := make([]int64, len(fields))
	for i, f := range fields {
		k := strings.Index(info, "\n"+f+":")
		if k < 0 {
			return nil, fmt.Errorf("no %s in INFO replication", f)
		}
		v := info[k+len(f)+2:]
		if e := strings.IndexAny(v, "\r\n"); e >= 0 {
			v = v[:e]
		}
		if vals[i], err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

func report(lags []int64) {
	if len(lags) == 0 {
		fmt.Println("lag_max=- lag_p90=- lag_p50=- samples=0")
		return
	}
	slices.Sort(lags)
	fmt.Printf("lag_max=%d lag_p90=%d lag_p50=%d samples=%d\n", lags[len(lags)-1], lags[len(lags)*9/10], lags[len(lags)/2], len(lags))
}
