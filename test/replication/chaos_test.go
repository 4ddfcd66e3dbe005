package replication

import (
	"math/rand"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestChaos: a race-enabled Shoal master with a race-enabled Shoal replica
// and a Redis replica, under a random write load, while links are cut at
// random moments (CLIENT KILL TYPE master / replica) and replicas are
// killed with SIGKILL and restarted: at the end every replica has the
// master's digest and no data race was reported.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: long")
	}
	m := testutil.StartShoalRace(t, "--repl-diskless-sync-delay", "0")
	of := []string{"--replicaof", "127.0.0.1", strconv.Itoa(m.Port)}
	rs := testutil.StartShoalRace(t, of...)
	rr := testutil.StartRedis(t, append([]string{"--enable-debug-command", "yes"}, of...)...)
	replicas := []*testutil.Node{rs, rr}
	preload(t, m, 2000)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := m.Dial(t)
		defer c.Close()
		w := testutil.NewWorkload(t, 42)
		for !stop.Load() {
			if _, err := c.Do(w.Command(time.Now().UnixMilli())...); err != nil {
				if !stop.Load() {
					t.Errorf("writer: %v", err)
				}
				return
			}
			writes.Add(1)
		}
	}()

	rounds := 12
	if os.Getenv("SHOAL_LONG") != "" {
		rounds = 60
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < rounds; i++ {
		time.Sleep(time.Duration(200+rng.Intn(500)) * time.Millisecond)
		r := replicas[rng.Intn(len(replicas))]
		switch rng.Intn(4) {
		case 0:
			do(t, r, "CLIENT", "KILL", "TYPE", "master")
		case 1:
			do(t, m, "CLIENT", "KILL", "TYPE", "replica")
		case 2:
			r.Kill()
			r.Restart()
		case 3: // a clean restart from the RDB saved at shutdown
			c := r.Dial(t)
			c.Send("SHUTDOWN", "SAVE")
			c.Read() // the connection closes
			c.Close()
			r.Restart()
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d writes under %d disruptions", writes.Load(), rounds)
	linkUp(t, rs)
	linkUp(t, rr)
	caughtUp(t, m, rs, rr)
	sameData(t, m, rs, rr)
	for _, n := range []*testutil.Node{m, rs} {
		if rep := n.RaceReports(); rep != "" {
			t.Fatalf("data race in %s:\n%s", n.Addr, rep)
		}
	}
}
