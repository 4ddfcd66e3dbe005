// Command repllag samples how far a replica is behind its master, in
// bytes, while a load runs (used by scripts/bench-repl.sh against
// redis-server and shoal-server pairs). Each sample reads the master's
// master_repl_offset, the replica's slave_repl_offset, then the master's
// again, and counts the replica behind by the mean of the two master
// readings minus its own: the replica's reading falls between them, so
// the skew of reading two servers one after the other cancels out. It
// runs until it receives SIGTERM or SIGINT, then prints the maximum and
// the median of the samples:
//
//	repllag -master 127.0.0.1:6379 -replica 127.0.0.1:6380 -every 20ms
//	lag_max=1234 lag_p50=56 samples=789
//
// With -trace N it also prints every sample of N bytes or more, with its
// wall-clock time (ms precision, as the servers' logs and gctrace can be
// matched against it), as "lag <hh:mm:ss.mmm> <bytes>".
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
	flag.Parse()
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
			return
		case <-tick.C:
		}
		m1, err1 := offsets(ctx, m, "master_repl_offset")
		ro, err2 := offsets(ctx, r, "slave_repl_offset", "slave_read_repl_offset")
		m2, err3 := offsets(ctx, m, "master_repl_offset")
		if err1 != nil || err2 != nil || err3 != nil {
			continue // not replicating yet, or a server is gone
		}
		lag := max((m1[0]+m2[0])/2-ro[0], 0)
		lags = append(lags, lag)
		if *trace > 0 && lag >= *trace {
			// read but not applied yet: the rest is in the sockets or
			// still in the master
			fmt.Printf("lag %s %d unapplied %d\n", time.Now().Format("15:04:05.000"), lag, ro[1]-ro[0])
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
		fmt.Println("lag_max=- lag_p50=- samples=0")
		return
	}
	slices.Sort(lags)
	fmt.Printf("lag_max=%d lag_p50=%d samples=%d\n", lags[len(lags)-1], lags[len(lags)/2], len(lags))
}
