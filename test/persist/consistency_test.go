package persist

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// The consistency check. Each writer sweeps its own K positions over and
// over; in round r it sets position i to r, in a form that depends on
// i mod 5: a string, a hash field (in place), a list push (the list's
// length is the round), a sorted-set score (in place), or — on even
// rounds — a delete. At any instant, then, a writer's positions read
// r,…,r,r-1,…,r-1 in sweep order: one boundary. A snapshot that is not
// one point in time shows a second boundary, a value from another round,
// or a key deleted or present against its round's parity. Odd writers
// change their hashes and lists through EVAL, so the writes a script runs
// are held to the snapshot's rule too.
const (
	writers   = 4
	positions = 2000
)

func posKey(w, i int) string {
	tag := fmt.Sprintf("w%d:%d", w, i)
	switch i % 5 {
	case 0:
		return "s:" + tag
	case 1:
		return "h:" + tag
	case 2:
		return "l:" + tag
	case 3:
		return "z:" + tag
	}
	return "d:" + tag
}

func writeRound(c *redis.Client, w, r int) error {
	for i := 0; i < positions; i++ {
		k := posKey(w, i)
		var err error
		switch i % 5 {
		case 0:
			err = c.Set(ctx, k, r, 0).Err()
		case 1:
			if w%2 == 1 {
				err = c.Eval(ctx, "return redis.call('HSET', KEYS[1], 'round', ARGV[1], 'pad', 'x')", []string{k}, r).Err()
			} else {
				err = c.HSet(ctx, k, "round", r, "pad", "x").Err()
			}
		case 2:
			if w%2 == 1 {
				err = c.Eval(ctx, "return redis.call('RPUSH', KEYS[1], ARGV[1])", []string{k}, r).Err()
			} else {
				err = c.RPush(ctx, k, r).Err()
			}
		case 3:
			err = c.ZAdd(ctx, k, redis.Z{Score: float64(r), Member: "round"}).Err()
		case 4:
			if r%2 == 0 {
				err = c.Del(ctx, k).Err()
			} else {
				err = c.Set(ctx, k, r, time.Hour).Err()
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readPos is position i's round as stored, or -1 for a deleted d-key.
func readPos(t *testing.T, c *redis.Client, w, i int) int {
	k := posKey(w, i)
	var s string
	switch i % 5 {
	case 0, 4:
		v, err := c.Get(ctx, k).Result()
		if err == redis.Nil && i%5 == 4 {
			return -1
		}
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		s = v
	case 1:
		s = c.HGet(ctx, k, "round").Val()
	case 2:
		n := c.LLen(ctx, k).Val()
		last := c.LIndex(ctx, k, -1).Val()
		if strconv.FormatInt(n, 10) != last {
			t.Fatalf("%s: length %d but last element %q: the list is torn", k, n, last)
		}
		s = last
	case 3:
		sc := c.ZScore(ctx, k, "round").Val()
		s = strconv.Itoa(int(sc))
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %q", k, s)
	}
	return n
}

// checkSweep verifies writer w's positions show a single point in time.
func checkSweep(t *testing.T, c *redis.Client, w int) (round int) {
	vals := make([]int, positions)
	for i := range vals {
		vals[i] = readPos(t, c, w, i)
	}
	r := vals[0]
	boundary := positions // first position still at r-1
	for i := 1; i < positions; i++ {
		if vals[i] != -1 && vals[i] != r {
			boundary = i
			break
		}
		if vals[i] == -1 && r%2 == 1 {
			boundary = i
			break
		}
	}
	for i := 0; i < positions; i++ {
		round := r
		if i >= boundary {
			round = r - 1
		}
		want := round
		if i%5 == 4 && round%2 == 0 {
			want = -1
		}
		if round < 1 {
			continue // before the writer's first round
		}
		if vals[i] != want {
			t.Fatalf("writer %d: position %d holds %d, want %d (round %d up to position %d, then %d): not one point in time",
				w, i, vals[i], want, r, boundary, r-1)
		}
	}
	return r
}

// TestBgsaveIsPointInTime: a BGSAVE of ~200k keys while writers change
// keys continuously saves one point in time, checked in redis-server.
func TestBgsaveIsPointInTime(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	sh := testutil.StartShoal(t)
	c := client(t, sh)
	// 200k static keys.
	pipe := c.Pipeline()
	for i := 0; i < 200000; i++ {
		pipe.Set(ctx, "static:"+strconv.Itoa(i), i, 0)
		if i%5000 == 4999 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var rounds [writers]atomic.Int64
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := client(t, sh)
			for r := 1; !stop.Load(); r++ {
				if err := writeRound(wc, w, r); err != nil {
					errs <- err
					return
				}
				rounds[w].Store(int64(r))
			}
		}(w)
	}
	// Let every writer finish two rounds, so all keys exist.
	testutil.CheckFor(t, 60*time.Second, 10*time.Millisecond, func() error {
		for w := range rounds {
			if rounds[w].Load() < 2 {
				return fmt.Errorf("writer %d at round %d", w, rounds[w].Load())
			}
		}
		return nil
	})
	before := c.LastSave(ctx).Val()
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var during [writers]int64
	for w := range during {
		during[w] = rounds[w].Load()
	}
	testutil.CheckFor(t, 60*time.Second, 20*time.Millisecond, func() error {
		info := c.Info(ctx, "persistence").Val()
		if !contains(info, "rdb_bgsave_in_progress:0") {
			return fmt.Errorf("bgsave still running")
		}
		return nil
	})
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	info := c.Info(ctx, "persistence").Val()
	if !contains(info, "rdb_last_bgsave_status:ok") || c.LastSave(ctx).Val() < before {
		t.Fatalf("bgsave did not succeed:\n%s", info)
	}
	t.Logf("writer rounds at BGSAVE: %v; now: %v %v %v %v", during, rounds[0].Load(), rounds[1].Load(), rounds[2].Load(), rounds[3].Load())
	t.Logf("%s", grep(info, "rdb_last_cow_size"))

	rd := testutil.StartRedis(t)
	moveDump(t, sh, rd)
	cr := client(t, rd)
	if n := cr.DBSize(ctx).Val(); n < 200000 {
		t.Fatalf("redis loaded %d keys", n)
	}
	for i := 0; i < 200000; i += 997 {
		if v := cr.Get(ctx, "static:"+strconv.Itoa(i)).Val(); v != strconv.Itoa(i) {
			t.Fatalf("static:%d = %q", i, v)
		}
	}
	for w := 0; w < writers; w++ {
		r := checkSweep(t, cr, w)
		if r < int(during[w]) {
			t.Fatalf("writer %d: file at round %d, before BGSAVE began it was at %d", w, r, during[w])
		}
	}
}

func contains(s, sub string) bool { return len(grep(s, sub)) > 0 }

func grep(s, sub string) string {
	for _, l := range splitLines(s) {
		if len(l) >= len(sub) && l[:len(sub)] == sub {
			return l
		}
	}
	return ""
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			l := s[start:i]
			if len(l) > 0 && l[len(l)-1] == '\r' {
				l = l[:len(l)-1]
			}
			out = append(out, l)
			start = i + 1
		}
	}
	return append(out, s[start:])
}
