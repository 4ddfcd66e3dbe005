package replication

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// TestWritableReplicaAOF: a writable replica's own writes (replica-read-only
// no) stay out of its replication stream but reach its AOF, as Redis's do:
// killed and restarted from the AOF, the replica has its own keys (in
// several databases, one set by a transaction) beside its master's, and a
// sub-replica never saw them. Against Shoal and Redis masters, and with a
// Redis replica as the reference.
func TestWritableReplicaAOF(t *testing.T) {
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"redis", "shoal"}, {"shoal", "redis"}} {
		t.Run(pair[0]+"-to-"+pair[1], func(t *testing.T) {
			m := start(t, pair[0])
			r := start(t, pair[1], "--replica-read-only", "no", "--appendonly", "yes", "--appendfsync", "always")
			sub := start(t, "shoal")
			preload(t, m, 300)
			follow(t, r, m)
			follow(t, sub, r)
			waitAOFIdle(t, r) // the rewrite the full sync started
			c := r.Dial(t)
			defer c.Close()
			for i := 0; i < 30; i++ {
				k := strconv.Itoa(i)
				do(t, m, "SET", "master:"+k, "v"+k)
				c.MustDo(t, "SET", "local:"+k, "mine")
				c.MustDo(t, "SELECT", "3")
				c.MustDo(t, "INCRBY", "local3:"+k, k)
				c.MustDo(t, "SELECT", "0")
			}
			// The master's stream in another database, then a replica
			// transaction across databases.
			mc := m.Dial(t)
			defer mc.Close()
			mc.MustDo(t, "SELECT", "5")
			mc.MustDo(t, "MULTI")
			mc.MustDo(t, "SET", "m5", "x")
			mc.MustDo(t, "SELECT", "6")
			mc.MustDo(t, "SET", "m6", "y")
			mc.MustDo(t, "EXEC")
			c.MustDo(t, "MULTI")
			c.MustDo(t, "SET", "tx0", "a")
			c.MustDo(t, "SELECT", "2")
			c.MustDo(t, "SET", "tx2", "b")
			c.MustDo(t, "EXEC")
			mc.MustDo(t, "SET", "m5b", "z") // in db 6: the EXEC selected it
			caughtUp(t, m, r, sub)
			if v := str(do(t, sub, "EXISTS", "local:1")); v != "0" {
				t.Fatalf("the sub-replica got the replica's own write (EXISTS %s)", v)
			}
			want := digest(t, r)
			if want == digest(t, m) {
				t.Fatal("the replica's own writes are not in its dataset")
			}
			waitAOFIdle(t, r)
			r.Kill()
			r.Restart() // a master now, loading its AOF
			if got := digest(t, r); got != want {
				t.Fatalf("restarted from its AOF: digest %s, before the kill %s", got, want)
			}
			rc := r.Dial(t)
			defer rc.Close()
			for _, kv := range [][3]string{{"0", "local:7", "mine"}, {"3", "local3:7", "7"}, {"0", "tx0", "a"}, {"2", "tx2", "b"}, {"6", "m5b", "z"}, {"5", "m5", "x"}, {"6", "m6", "y"}} {
				rc.MustDo(t, "SELECT", kv[0])
				if v := str(rc.MustDo(t, "GET", kv[1])); v != kv[2] {
					t.Fatalf("db %s %s: %q, want %q", kv[0], kv[1], v, kv[2])
				}
			}
		})
	}
}

// waitAOFIdle waits until no AOF rewrite runs and the AOF buffer is empty.
func waitAOFIdle(t *testing.T, n *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		p := info(t, n, "persistence")
		if p["aof_rewrite_in_progress"] != "0" || p["aof_rewrite_scheduled"] != "0" || p["aof_buffer_length"] != "0" {
			return fmt.Errorf("rewrite in progress %s scheduled %s, aof buffer %s", p["aof_rewrite_in_progress"], p["aof_rewrite_scheduled"], p["aof_buffer_length"])
		}
		return nil
	})
}

// TestWritableReplicaAOFMasterSwitchesDB: a writable replica's own writes
// go on while its master's stream changes database, by SELECT and by
// transactions that end in another one; killed and restarted from its
// AOF, the replica has every key where it was. (A local entry took the
// database of the stream apart from its place: one that landed right
// after the master's EXEC returned to the database the MULTI began in,
// and the master's next command replayed there.)
func TestWritableReplicaAOFMasterSwitchesDB(t *testing.T) {
	m := start(t, "shoal")
	r := start(t, "shoal", "--replica-read-only", "no", "--appendonly", "yes", "--appendfsync", "always")
	follow(t, r, m)
	waitAOFIdle(t, r)
	const rounds = 1000
	errs := make(chan error, 3)
	go func() { // the master: transactions ending in another database, SELECTs
		c, err := testutil.DialTimeout(m.Addr, 5*time.Second)
		if err != nil {
			errs <- err
			return
		}
		defer c.Close()
		db := 0
		for i := 0; i < rounds; i++ {
			k := strconv.Itoa(i)
			var cmds [][]string
			if i%2 == 0 {
				db = (db + 1) % 8
				cmds = [][]string{{"MULTI"}, {"SET", "ma:" + k, k}, {"SELECT", strconv.Itoa(db)}, {"SET", "m:" + k, k}, {"EXEC"}, {"SET", "mb:" + k, k}}
			} else {
				db = (db + 3) % 8
				cmds = [][]string{{"SELECT", strconv.Itoa(db)}, {"SET", "m:" + k, k}}
			}
			// One write per round: the replica applies several commands
			// per read, as under load.
			var buf []byte
			for _, cmd := range cmds {
				buf = testutil.AppendCommand(buf, cmd...)
			}
			if err := c.SendRaw(buf); err != nil {
				errs <- err
				return
			}
			for _, cmd := range cmds {
				if v, _, err := c.Read(); err != nil || v.Kind == resp.KindError {
					errs <- fmt.Errorf("master %v: %v %s", cmd, err, v.Str)
					return
				}
			}
		}
		errs <- nil
	}()
	for w := 0; w < 2; w++ {
		go func() { // the replica's own clients, in databases 8 to 11
			c, err := testutil.DialTimeout(r.Addr, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for i := 0; i < rounds*2; i++ {
				k := strconv.Itoa(w) + ":" + strconv.Itoa(i)
				cmds := [][]string{{"SELECT", strconv.Itoa(8 + i%4)}, {"SET", "l:" + k, k}}
				if i%5 == 0 {
					cmds = [][]string{{"MULTI"}, {"SELECT", "12"}, {"SET", "lt:" + k, k}, {"SELECT", "13"}, {"INCR", "n"}, {"EXEC"}}
				}
				for _, cmd := range cmds {
					if v, err := c.Do(cmd...); err != nil || v.Kind == resp.KindError {
						errs <- fmt.Errorf("replica %v: %v %s", cmd, err, v.Str)
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	caughtUp(t, m, r)
	want := digest(t, r)
	waitAOFIdle(t, r)
	r.Kill()
	r.Restart()
	if got := digest(t, r); got != want {
		t.Fatalf("restarted from its AOF: digest %s, before the kill %s", got, want)
	}
}
