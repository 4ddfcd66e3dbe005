package failover

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// opTimeout bounds one go-redis command.
const opTimeout = 2 * time.Second

// clusterClient is a go-redis cluster client seeded with nodes, closed in
// Cleanup.
func clusterClient(t *testing.T, nodes ...*testutil.Node) *redis.ClusterClient {
	t.Helper()
	redis.SetLogger(quietLogger{}) // dial errors while a master is down are expected
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Addr)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        addrs,
		DialTimeout:  opTimeout,
		ReadTimeout:  opTimeout,
		WriteTimeout: opTimeout,
		MaxRedirects: 8,
		MaxRetries:   1,
	})
	t.Cleanup(func() { cc.Close() })
	return cc
}

// load is a go-redis ClusterClient workload: writers SET keys
// prefix:w:i to their own names until stopped, each write with WAIT 1 when
// wait is set. Errors (a master gone, CLUSTERDOWN, MOVED beyond the
// redirects) are counted, not fatal: they are what a failover looks like.
type load struct {
	quit chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	ok   atomic.Int64
	errs atomic.Int64

	mu    sync.Mutex
	acked []string // with wait: keys whose SET was acknowledged by WAIT 1
}

func startLoad(cc *redis.ClusterClient, prefix string, writers int, wait bool) *load {
	l := &load{quit: make(chan struct{})}
	for w := 0; w < writers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.quit:
					return
				default:
				}
				k := prefix + ":" + strconv.Itoa(w) + ":" + strconv.Itoa(i)
				if err := l.write(cc, k, wait); err != nil {
					l.errs.Add(1)
					cc.ReloadState(context.Background())
					select {
					case <-l.quit:
						return
					case <-time.After(20 * time.Millisecond):
					}
					continue
				}
				l.ok.Add(1)
			}
		}()
	}
	return l
}

// write sets k; with wait, SET and WAIT 1 go in one pipeline to k's
// master, and k counts as acknowledged only if WAIT says a replica has it.
func (l *load) write(cc *redis.ClusterClient, k string, wait bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*opTimeout)
	defer cancel()
	if !wait {
		return cc.Set(ctx, k, k, 0).Err()
	}
	m, err := cc.MasterForKey(ctx, k)
	if err != nil {
		return err
	}
	p := m.Pipeline()
	set := p.Set(ctx, k, k, 0)
	wait1 := p.Do(ctx, "WAIT", 1, 1000) // go-redis's Pipeliner has no Wait method
	if _, err := p.Exec(ctx); err != nil {
		return err
	}
	n, err := wait1.Int64()
	if set.Val() != "OK" || err != nil || n < 1 {
		return fmt.Errorf("SET %s: %q, WAIT 1: %d %v", k, set.Val(), n, err)
	}
	l.mu.Lock()
	l.acked = append(l.acked, k)
	l.mu.Unlock()
	return nil
}

// stop ends the writers and returns the keys acknowledged by WAIT 1.
func (l *load) stop() []string {
	l.once.Do(func() { close(l.quit) })
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// ackedSoFar returns a copy of the keys acknowledged by WAIT 1 until now.
func (l *load) ackedSoFar() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// missing returns the keys that do not read back as their own names
// through cc (from their masters), reading in pipelined batches.
func missing(cc *redis.ClusterClient, keys []string) ([]string, error) {
	var out []string
	for lo := 0; lo < len(keys); lo += 500 {
		batch := keys[lo:min(lo+500, len(keys))]
		ctx, cancel := context.WithTimeout(context.Background(), 5*opTimeout)
		p := cc.Pipeline()
		cmds := make([]*redis.StringCmd, len(batch))
		for i, k := range batch {
			cmds[i] = p.Get(ctx, k)
		}
		_, err := p.Exec(ctx)
		cancel()
		if err != nil && err != redis.Nil {
			return nil, err
		}
		for i, c := range cmds {
			if c.Val() != batch[i] {
				out = append(out, batch[i])
			}
		}
	}
	return out, nil
}

// sameDigest waits until a and b report the same DEBUG DIGEST.
func sameDigest(t *testing.T, a, b *testutil.Node) string {
	t.Helper()
	var d string
	testutil.CheckFor(t, failoverTimeout, 100*time.Millisecond, func() error {
		da, err := do(a.Addr, "DEBUG", "DIGEST")
		if err != nil {
			return err
		}
		db, err := do(b.Addr, "DEBUG", "DIGEST")
		if err != nil {
			return err
		}
		if da != db {
			return errorf("DEBUG DIGEST %s %s, %s %s", a.Addr, da, b.Addr, db)
		}
		d = da
		return nil
	})
	return d
}

// quietLogger drops go-redis's log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
