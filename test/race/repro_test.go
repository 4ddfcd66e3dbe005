package race_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestRaceConfigSetUnderBenchmark is issue #18's first reproduction: CONFIG
// SET of the encoding thresholds in a loop on one connection while
// redis-benchmark -t hset,zadd -c 8 runs. Before settings were immutable
// snapshots, CONFIG SET wrote package variables the HSET/ZADD handlers were
// reading. Afterwards the new thresholds must still take effect.
func TestRaceConfigSetUnderBenchmark(t *testing.T) {
	n := testutil.StartShoalRace(t)
	done := make(chan error, 1)
	go func() {
		done <- benchmark(t, 3*time.Minute, strconv.Itoa(n.Port), "-t", "hset,zadd", "-c", "8", "-n", "20000", "-r", "1000")
	}()
	c := n.Dial(t)
	sets := 0
	for running := true; running; sets++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("redis-benchmark: %v", err)
			}
			running = false
		default:
		}
		v := strconv.Itoa(sets%200 + 1)
		for _, name := range []string{"hash-max-listpack-entries", "zset-max-listpack-entries", "hash-max-listpack-value", "zset-max-listpack-value", "set-max-intset-entries"} {
			mustStr(t, "CONFIG SET "+name, c.MustDo(t, "CONFIG", "SET", name, v), "OK")
		}
	}
	t.Logf("%d rounds of CONFIG SET during the benchmark", sets)

	// The snapshot in force is the last one set: thresholds 0 convert at once.
	c.MustDo(t, "CONFIG", "SET", "zset-max-listpack-entries", "0", "hash-max-listpack-entries", "0", "set-max-intset-entries", "0")
	c.MustDo(t, "ZADD", "z:new", "1", "a")
	c.MustDo(t, "HSET", "h:new", "f", "v")
	c.MustDo(t, "SADD", "s:new", "1")
	mustStr(t, "zset encoding", c.MustDo(t, "OBJECT", "ENCODING", "z:new"), "skiplist")
	mustStr(t, "hash encoding", c.MustDo(t, "OBJECT", "ENCODING", "h:new"), "hashtable")
	mustStr(t, "set encoding", c.MustDo(t, "OBJECT", "ENCODING", "s:new"), "hashtable")
	c.MustDo(t, "CONFIG", "SET", "zset-max-listpack-entries", "128", "hash-max-listpack-entries", "512", "set-max-intset-entries", "512")
	c.MustDo(t, "ZADD", "z:new2", "1", "a")
	mustStr(t, "zset encoding", c.MustDo(t, "OBJECT", "ENCODING", "z:new2"), "listpack")

	requireAlive(t, n)
	requireNoRace(t, n)
}

// TestRaceBlockedClientsClosing is issue #18's second reproduction: 20
// clients each send BLPOP bl 0 and close the socket a few milliseconds
// later, 40 times, while another client LPUSHes into bl. A blocked client
// runs on a goroutine of its own; its close used to free its state on the
// event loop while that goroutine was still flushing its counters.
func TestRaceBlockedClientsClosing(t *testing.T) {
	n := testutil.StartShoalRace(t)
	stop := make(chan struct{})
	var pushes sync.WaitGroup
	pushes.Add(1)
	go func() {
		defer pushes.Done()
		p, err := testutil.DialTimeout(n.Addr, 5*time.Second)
		if err != nil {
			t.Errorf("pusher: %v", err)
			return
		}
		defer p.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := p.Do("LPUSH", "bl", strconv.Itoa(i)); err != nil {
				t.Errorf("LPUSH: %v", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for round := range 40 {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := testutil.DialTimeout(n.Addr, 5*time.Second)
				if err != nil {
					t.Errorf("round %d client %d: %v", round, i, err)
					return
				}
				if err := c.Send("BLPOP", "bl", "0"); err != nil {
					t.Errorf("round %d client %d: %v", round, i, err)
				}
				time.Sleep(time.Duration(1+(round+i)%5) * time.Millisecond)
				c.Close()
			}()
		}
		wg.Wait()
	}
	close(stop)
	pushes.Wait()

	c := n.Dial(t)
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if got := infoField(t, c, "clients", "connected_clients"); got != "1" {
			return fmt.Errorf("connected_clients %s, want 1 (the abandoned BLPOPs are gone)", got)
		}
		return nil
	})
	// The server still serves a blocking pop end to end.
	b := n.Dial(t)
	b.Send("BLPOP", "fresh", "5")
	c.MustDo(t, "RPUSH", "fresh", "x")
	v, _, err := b.Read()
	if err != nil || len(v.Elems) != 2 || string(v.Elems[1].Str) != "x" {
		t.Fatalf("BLPOP fresh: %v %v", v, err)
	}
	requireAlive(t, n)
	requireNoRace(t, n)
}
