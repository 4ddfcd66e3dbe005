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
package main

import (
	"bufio"
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
		m1, err1 := offset(ctx, m, "master_repl_offset")
		ro, err2 := offset(ctx, r, "slave_repl_offset")
		m2, err3 := offset(ctx, m, "master_repl_offset")
		if err1 != nil || err2 != nil || err3 != nil {
			continue // not replicating yet, or a server is gone
		}
		lags = append(lags, max((m1+m2)/2-ro, 0))
	}
}

// offset reads one integer field of INFO replication.
func offset(ctx context.Context, c *redis.Client, field string) (int64, error) {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO replication", field)
}

func report(lags []int64) {
	if len(lags) == 0 {
		fmt.Println("lag_max=- lag_p50=- samples=0")
		return
	}
	slices.Sort(lags)
	fmt.Printf("lag_max=%d lag_p50=%d samples=%d\n", lags[len(lags)-1], lags[len(lags)/2], len(lags))
}
