package testutil

import (
	"fmt"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
)

// Workload drives a random mix of writes over every type, in the forms
// whose propagation Redis 7.0 rewrites (relative expiries, SETEX, GETEX,
// GETDEL, INCRBYFLOAT, HINCRBYFLOAT, SPOP, blocking pops served and timed
// out, [B]LMPOP/[B]ZMPOP, MULTI/EXEC, SELECT, FLUSHDB, expired keys
// reclaimed lazily). It runs the same sequence on any node for one seed.
type Workload struct {
	rnd *rand.Rand
	t   testing.TB
}

// NewWorkload returns the workload of seed.
func NewWorkload(t testing.TB, seed int64) *Workload {
	return &Workload{rnd: rand.New(rand.NewSource(seed)), t: t}
}

func (w *Workload) pick(prefix string, n int) string {
	return prefix + strconv.Itoa(w.rnd.Intn(n))
}

func (w *Workload) num(max int) string { return strconv.Itoa(w.rnd.Intn(max)) }

// Command returns one random write (or a command that may write).
func (w *Workload) Command(nowMs int64) []string {
	s, l, h, z, t, n := w.pick("s", 8), w.pick("l", 5), w.pick("h", 5), w.pick("z", 5), w.pick("t", 5), w.pick("n", 4)
	v := "v" + w.num(1000)
	future := strconv.FormatInt(nowMs+1_000_000+int64(w.rnd.Intn(1000)), 10)
	past := strconv.FormatInt(nowMs-10_000, 10)
	cmds := [][]string{
		{"SET", s, v}, {"SET", s, v, "EX", "1000"}, {"SET", s, v, "PX", "2000000"},
		{"SET", s, v, "EXAT", strconv.FormatInt(nowMs/1000+5000, 10)}, {"SET", s, v, "PXAT", future},
		{"SET", s, v, "KEEPTTL"}, {"SET", s, v, "GET"}, {"SET", s, v, "NX"}, {"SET", s, v, "XX", "EX", "900"},
		{"SETEX", s, "1200", v}, {"PSETEX", s, "1300000", v}, {"SETNX", s, v}, {"GETSET", s, v},
		{"GETDEL", s}, {"GETEX", s, "EX", "700"}, {"GETEX", s, "PERSIST"}, {"GETEX", s, "PXAT", past},
		{"GETEX", s, "EXAT", strconv.FormatInt(nowMs/1000+9000, 10)},
		{"APPEND", s, v}, {"SETRANGE", s, w.num(20), v}, {"MSET", s, v, w.pick("s", 8), v},
		{"MSETNX", w.pick("s", 8), v, w.pick("s", 8), v},
		{"INCR", n}, {"INCRBY", n, w.num(100)}, {"DECR", n}, {"INCRBYFLOAT", n, "1.1"}, {"INCRBYFLOAT", n, "-0.37"},
		{"EXPIRE", s, "1000"}, {"PEXPIRE", l, "3000000"}, {"EXPIREAT", h, strconv.FormatInt(nowMs/1000+4000, 10)},
		{"EXPIREAT", s, strconv.FormatInt(nowMs/1000-100, 10)}, {"PEXPIREAT", z, future}, {"PERSIST", s},
		{"EXPIRE", t, "2000", "NX"}, {"EXPIRE", s, "3000", "GT"},
		{"DEL", s}, {"UNLINK", w.pick("sd", 3)}, {"RENAME", s, w.pick("sd", 3)}, {"COPY", h, w.pick("hd", 3), "REPLACE"},
		{"MOVE", s, "1"},
		{"LPUSH", l, v, v + "a"}, {"RPUSH", l, v}, {"LPOP", l}, {"RPOP", l, "2"}, {"LMOVE", l, w.pick("l", 5), "LEFT", "RIGHT"},
		{"RPOPLPUSH", l, w.pick("l", 5)}, {"LSET", l, "0", v}, {"LREM", l, "1", v}, {"LTRIM", l, "0", "15"},
		{"LINSERT", l, "BEFORE", v, "ins"}, {"BLPOP", l, w.pick("l", 5), "0.01"}, {"BRPOP", l, "0.01"},
		{"BLMOVE", l, w.pick("l", 5), "RIGHT", "LEFT", "0.01"}, {"BLMPOP", "0.01", "2", l, w.pick("l", 5), "LEFT", "COUNT", "2"},
		{"LMPOP", "1", l, "RIGHT"}, {"BRPOPLPUSH", l, w.pick("l", 5), "0.01"},
		{"HSET", h, "f" + w.num(10), v, "g", v}, {"HDEL", h, "f" + w.num(10)}, {"HINCRBY", h, "c", "3"},
		{"HINCRBYFLOAT", h, "fl", "2.5"}, {"HINCRBYFLOAT", h, "fl", "0.1"}, {"HSETNX", h, "f" + w.num(10), v},
		{"SADD", t, w.num(30), w.num(30), "m" + w.num(30)}, {"SREM", t, w.num(30)}, {"SPOP", t}, {"SPOP", t, w.num(4)},
		{"SPOP", w.pick("td", 3), "50"}, {"SMOVE", t, w.pick("t", 5), w.num(30)}, {"SINTERSTORE", w.pick("td", 3), t, w.pick("t", 5)},
		{"SUNIONSTORE", w.pick("td", 3), t, w.pick("t", 5)}, {"SDIFFSTORE", w.pick("td", 3), t, w.pick("t", 5)},
		{"ZADD", z, w.num(100), "m" + w.num(20), "1.5", "m" + w.num(20)}, {"ZINCRBY", z, "0.25", "m" + w.num(20)},
		{"ZREM", z, "m" + w.num(20)}, {"ZPOPMIN", z}, {"ZPOPMAX", z, "2"}, {"BZPOPMIN", z, w.pick("z", 5), "0.01"},
		{"BZMPOP", "0.01", "1", z, "MAX", "COUNT", "2"}, {"ZMPOP", "2", z, w.pick("z", 5), "MIN"},
		{"ZUNIONSTORE", w.pick("zd", 3), "2", z, w.pick("z", 5)}, {"ZRANGESTORE", w.pick("zd", 3), z, "0", "3"},
		{"ZREMRANGEBYSCORE", z, "0", w.num(10)},
		{"SETBIT", "b" + w.num(3), w.num(200), "1"}, {"BITOP", "OR", "b3", "b0", "b1"},
		{"BITFIELD", "b" + w.num(3), "INCRBY", "u8", w.num(40), "7"},
		// the growing kinds again, so the dataset is not all churn
		{"SADD", t, w.num(30), "m" + w.num(30)}, {"ZADD", z, w.num(100), "m" + w.num(20)},
		{"HSET", h, "f" + w.num(10), v}, {"RPUSH", l, v, v}, {"SET", w.pick("s", 8), v, "EX", "5000"},
		{"SORT", l, "ALPHA", "STORE", w.pick("ld", 3)},
	}
	return cmds[w.rnd.Intn(len(cmds))]
}

// Run applies ops random commands to node n, then reads every short-TTL
// key so that each is reclaimed (lazily, propagated as DEL).
func (w *Workload) Run(n *Node, ops int) {
	t := w.t
	c := n.Dial(t)
	defer c.Close()
	c2 := n.Dial(t) // for served blocking pops
	defer c2.Close()
	now := func() int64 { return time.Now().UnixMilli() }
	expiring := 0
	for i := 0; i < ops; i++ {
		switch r := w.rnd.Intn(100); {
		case r < 3: // MULTI/EXEC of a few writes
			mustDo(t, c, "MULTI")
			k := 2 + w.rnd.Intn(4)
			for j := 0; j < k; j++ {
				mustDo(t, c, w.Command(now())...)
			}
			mustDo(t, c, "EXEC")
		case r < 5: // writes in database 1, then back
			mustDo(t, c, "SELECT", "1")
			mustDo(t, c, w.Command(now())...)
			mustDo(t, c, w.Command(now())...)
			mustDo(t, c, "SELECT", "0")
		case r < 7: // a key that expires at once, reclaimed lazily later
			mustDo(t, c, "SET", "e"+strconv.Itoa(expiring), "gone", "PX", "1")
			expiring++
		case r < 9: // a blocking pop served by another client's push
			key := "bl" + w.num(3)
			mustDo(t, c, "DEL", key)
			var cmd []string
			switch w.rnd.Intn(3) {
			case 0:
				cmd = []string{"BLPOP", key, "5"}
			case 1:
				cmd = []string{"BLMOVE", key, "l0", "LEFT", "LEFT", "5"}
			default:
				cmd = []string{"BLMPOP", "5", "1", key, "RIGHT", "COUNT", "3"}
			}
			if err := c2.Send(cmd...); err != nil {
				t.Fatal(err)
			}
			// Wait (bounded) until the pop is blocked, then serve it.
			CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
				v := mustDo(t, c, "CLIENT", "LIST")
				if !containsCmd(string(v.Str), "cmd="+lower(cmd[0])) {
					return fmt.Errorf("not blocked yet")
				}
				return nil
			})
			mustDo(t, c, "RPUSH", key, "a", "b", "c", "d")
			if _, _, err := c2.Read(); err != nil {
				t.Fatal(err)
			}
		case r < 10: // DUMP a key, RESTORE it elsewhere (relative TTL: propagated ABSTTL)
			v := mustDo(t, c, "DUMP", w.pick("h", 5))
			if !v.Null && v.Kind != '-' {
				ttl := []string{"0", "900000"}[w.rnd.Intn(2)]
				mustDo(t, c, "RESTORE", w.pick("rs", 3), ttl, string(v.Str), "REPLACE")
			}
		case r < 11 && i > ops/2:
			mustDo(t, c, "SELECT", "1")
			mustDo(t, c, "FLUSHDB")
			mustDo(t, c, "SELECT", "0")
		default:
			mustDo(t, c, w.Command(now())...)
		}
	}
	time.Sleep(5 * time.Millisecond)
	for i := 0; i < expiring; i++ { // lazy expiry: propagated as DEL
		mustDo(t, c, "GET", "e"+strconv.Itoa(i))
	}
	mustDo(t, c, "SELECT", "1")
	for i := 0; i < expiring; i++ {
		mustDo(t, c, "GET", "e"+strconv.Itoa(i))
	}
}

func containsCmd(list, cmd string) bool {
	for i := 0; i+len(cmd) <= len(list); i++ {
		if list[i:i+len(cmd)] == cmd && (i+len(cmd) == len(list) || list[i+len(cmd)] == ' ') {
			return true
		}
	}
	return false
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// mustDo runs one command and fails the test on a transport error (an
// error reply is a value: the workload provokes some on purpose).
func mustDo(t testing.TB, c *Conn, args ...string) resp.Value {
	t.Helper()
	v, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}
