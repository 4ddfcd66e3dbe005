package durability

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

func rounds(short, long int) int {
	if os.Getenv("SHOAL_LONG") != "" {
		return long
	}
	return short
}

// writer issues numbered writes (RPUSH log i, i = next, next+1, …) on its
// own connection until the server goes away, recording each acknowledged
// number and when it was acknowledged.
type writer struct {
	mu    sync.Mutex
	acked []time.Time // acked[i-first]: when write i was acknowledged
	first int
	last  atomic.Int64 // last acknowledged number, -1 if none
	done  chan struct{}
}

func startWriter(t *testing.T, n *testutil.Node, first int) *writer {
	return startWriterOn(t, n, "log", first)
}

func startWriterOn(t *testing.T, n *testutil.Node, key string, first int) *writer {
	w := &writer{first: first, done: make(chan struct{})}
	w.last.Store(int64(first) - 1)
	c := n.Dial(t)
	go func() {
		defer close(w.done)
		defer c.Close()
		for i := first; ; i++ {
			v, err := c.Do("RPUSH", key, strconv.Itoa(i))
			if err != nil || v.Kind != ':' {
				return // the node was killed
			}
			w.mu.Lock()
			w.acked = append(w.acked, time.Now())
			w.mu.Unlock()
			w.last.Store(int64(i))
		}
	}()
	return w
}

// checkLog verifies that the log is exactly 0, 1, …, k for some k ≥ mustHave
// (read in pages: with everysec the log grows to 100k+ entries) and
// returns its length.
func checkLog(t *testing.T, n *testutil.Node, mustHave int) int {
	t.Helper()
	return checkLogOf(t, n, "log", mustHave)
}

func checkLogOf(t *testing.T, n *testutil.Node, key string, mustHave int) int {
	t.Helper()
	c := n.Dial(t)
	defer c.Close()
	total := int(do(t, c, "LLEN", key).Int)
	const page = 5000
	for from := 0; from < total; from += page {
		v := do(t, c, "LRANGE", key, strconv.Itoa(from), strconv.Itoa(from+page-1))
		for i, e := range v.Elems {
			if string(e.Str) != strconv.Itoa(from+i) {
				t.Fatalf("log[%d] = %q: not the sequence of writes", from+i, e.Str)
			}
		}
	}
	if total-1 < mustHave {
		t.Fatalf("after the restart the log ends at %d; write %d was acknowledged", total-1, mustHave)
	}
	return total
}

// TestKill9AppendfsyncAlways: with appendfsync always, every acknowledged
// write survives kill -9 at a random moment, round after round.
func TestKill9AppendfsyncAlways(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewSource(seed))
	n := testutil.StartShoal(t, "--appendonly", "yes", "--appendfsync", "always")
	next := 0
	for r := 0; r < rounds(3, 20); r++ {
		w := startWriter(t, n, next)
		time.Sleep(time.Duration(50+rnd.Intn(400)) * time.Millisecond)
		n.Kill()
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			t.Fatal("writer still running 10 s after kill -9")
		}
		acked := int(w.last.Load())
		if acked < next {
			t.Fatalf("round %d: no write acknowledged", r)
		}
		n.Restart()
		next = checkLog(t, n, acked)
		t.Logf("round %d: %d acknowledged, %d recovered", r, acked+1, next)
	}
	checkAOF(t, n.Dir+"/appendonlydir/appendonly.aof.manifest")
}

// TestKill9AppendfsyncAlwaysManyClients: with appendfsync always and many
// clients writing at once, the replies of a loop's round wait for its one
// fsync (OnTurnEnd); no client sees an acknowledgement for a write that
// kill -9 then loses.
func TestKill9AppendfsyncAlwaysManyClients(t *testing.T) {
	n := testutil.StartShoal(t, "--appendonly", "yes", "--appendfsync", "always")
	killRounds(t, n, 12, rounds(2, 10))
}

// TestKill9KeepsAcknowledged: kill -9 is a crash of the process, not of the
// machine, so with appendfsync everysec or no too every acknowledged write
// is in the file and comes back: Redis writes its AOF buffer before any
// reply leaves, and so does Shoal (the replies of a loop's round wait for
// its one write). Before, a background writer wrote within a millisecond
// of the reply, and a kill in between lost acknowledged writes.
func TestKill9KeepsAcknowledged(t *testing.T) {
	for _, policy := range []string{"everysec", "no"} {
		t.Run(policy, func(t *testing.T) {
			n := testutil.StartShoal(t, "--appendonly", "yes", "--appendfsync", policy)
			killRounds(t, n, 12, rounds(3, 10))
		})
	}
}

// killRounds runs clients writers on n, kills n with SIGKILL after a while,
// restarts it and checks that every acknowledged write is back, rounds
// times.
func killRounds(t *testing.T, n *testutil.Node, clients, rounds int) {
	t.Helper()
	next := make([]int, clients)
	for r := 0; r < rounds; r++ {
		ws := make([]*writer, clients)
		for i := range ws {
			ws[i] = startWriterOn(t, n, "log"+strconv.Itoa(i), next[i])
		}
		// Some write acknowledged first (bounded: a loaded machine may
		// take a while to run the writers), then a while longer.
		testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			for i, w := range ws {
				if int(w.last.Load()) >= next[i] {
					return nil
				}
			}
			return fmt.Errorf("no write acknowledged yet")
		})
		time.Sleep(time.Duration(200+100*r) * time.Millisecond)
		n.Kill()
		acked := 0
		for i, w := range ws {
			select {
			case <-w.done:
			case <-time.After(10 * time.Second):
				t.Fatal("writer still running 10 s after kill -9")
			}
			acked += int(w.last.Load()) + 1 - next[i]
		}
		if acked == 0 {
			t.Fatalf("round %d: no write acknowledged", r)
		}
		n.Restart()
		for i, w := range ws {
			next[i] = checkLogOf(t, n, "log"+strconv.Itoa(i), int(w.last.Load()))
		}
		t.Logf("round %d: %d writes acknowledged by %d clients, all recovered", r, acked, clients)
	}
}
