package clusternode

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/slot"
)

// Process tests: real shoal-server processes next to real redis-server
// 7.0.15 processes on ports 16751-16769, the same commands sent to both and
// the replies compared byte for byte.

var (
	buildOnce sync.Once
	shoalBin  string
	buildErr  error
)

func shoalServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shoal-clusternode-test")
		if err != nil {
			buildErr = err
			return
		}
		shoalBin = filepath.Join(dir, "shoal-server")
		out, err := exec.Command("go", "build", "-o", shoalBin, "../../cmd/shoal-server").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return shoalBin
}

func myID(t *testing.T, c *conn) string {
	r := c.Do("CLUSTER", "MYID")
	return strings.Split(r, "\r\n")[1]
}

func waitOK(t *testing.T, cs ...*conn) {
	t.Helper()
	checkFor(t, 30*time.Second, 50*time.Millisecond, func() string {
		for _, c := range cs {
			if r := c.Do("CLUSTER", "INFO"); !strings.Contains(r, "cluster_state:ok") {
				return r
			}
		}
		return ""
	})
}

// tagFor returns a hash tag whose keys hash to slot s.
func tagFor(s int) string {
	for i := 0; ; i++ {
		tag := "t" + strconv.Itoa(i)
		if slot.Of([]byte(tag)) == s {
			return tag
		}
	}
}

func writeConf(t *testing.T, dir, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "nodes.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

type step struct {
	args []string
}

func cmd(args ...string) step { return step{args} }

// compare sends the same script to both servers on fresh connections and
// reports every reply that differs.
func compare(t *testing.T, redisPort, shoalPort int, script []step) {
	t.Helper()
	r, s := dial(t, redisPort), dial(t, shoalPort)
	for _, st := range script {
		want, got := r.Do(st.args...), s.Do(st.args...)
		if want != got {
			t.Errorf("%q:\n redis %q\n shoal %q", st.args, want, got)
		}
	}
}

func TestProcessRoutingLikeRedis(t *testing.T) {
	rbin := needRedis(t)
	sbin := shoalServer(t)
	// Reference: two real Redis nodes. A owns 0-8191, B 8192-16383.
	ra := startProc(t, rbin, t.TempDir(), 16751, "--cluster-node-timeout", "5000")
	rb := startProc(t, rbin, t.TempDir(), 16752, "--cluster-node-timeout", "5000")
	_ = rb
	ca, cb := dial(t, 16751), dial(t, 16752)
	mustOK(t, ca.Do("CLUSTER", "MEET", "127.0.0.1", "16752"))
	mustOK(t, ca.Do("CLUSTER", "ADDSLOTSRANGE", "0", "8191"))
	mustOK(t, cb.Do("CLUSTER", "ADDSLOTSRANGE", "8192", "16383"))
	checkFor(t, 30*time.Second, 50*time.Millisecond, func() string {
		for _, c := range []*conn{ca, cb} {
			if n := c.Do("CLUSTER", "NODES"); strings.Count(n, " connected") != 2 || !strings.Contains(n, "127.0.0.1:1675") {
				return n
			}
		}
		return ""
	})
	waitOK(t, ca, cb)
	ida, idb := myID(t, ca), myID(t, cb)

	// Shoal twins: sa sees itself as A's twin and the real B as its peer;
	// sb is B's twin and sees the real A. Their nodes.conf are written by
	// hand, so redirects name the same addresses as Redis's.
	sida, sidb := strings.Repeat("a", 40), strings.Repeat("b", 40)
	da, db := t.TempDir(), t.TempDir()
	writeConf(t, da, sida+" 127.0.0.1:16761@26761 myself,master - 0 0 1 connected 0-8191\n"+
		idb+" 127.0.0.1:16752@26752 master - 0 0 0 connected 8192-16383\nvars currentEpoch 1 lastVoteEpoch 0\n")
	writeConf(t, db, sidb+" 127.0.0.1:16762@26762 myself,master - 0 0 0 connected 8192-16383\n"+
		ida+" 127.0.0.1:16751@26751 master - 0 0 1 connected 0-8191\nvars currentEpoch 1 lastVoteEpoch 0\n")
	startProc(t, sbin, da, 16761)
	startProc(t, sbin, db, 16762)
	sa, sb := dial(t, 16761), dial(t, 16762)
	waitOK(t, sa, sb)

	tag100 := tagFor(100)   // owned by A, will migrate to B
	tag9000 := tagFor(9000) // owned by B, imported by A
	k := func(tag, s string) string { return "{" + tag + "}" + s }

	// Keys present before the migration starts.
	for _, c := range []*conn{ca, sa} {
		mustOK(t, c.Do("SET", k(tag100, "x"), "1"))
		mustOK(t, c.Do("SET", "c", "1"))
	}
	// Marks: A migrates 100 to B and imports 9000 from B; B imports 100.
	for _, p := range []struct {
		c    *conn
		a, b string
	}{{ca, ida, idb}, {sa, ida, idb}} {
		mustOK(t, p.c.Do("CLUSTER", "SETSLOT", "100", "MIGRATING", idb))
		mustOK(t, p.c.Do("CLUSTER", "SETSLOT", "9000", "IMPORTING", idb))
	}
	mustOK(t, cb.Do("CLUSTER", "SETSLOT", "100", "IMPORTING", ida))
	mustOK(t, sb.Do("CLUSTER", "SETSLOT", "100", "IMPORTING", ida))

	// The A side.
	compare(t, 16751, 16761, []step{
		cmd("PING"),
		cmd("GET", "c"),                            // own slot: served
		cmd("GET", "a"),                            // B's slot: MOVED
		cmd("SET", "a", "1"),                       // MOVED
		cmd("DEL", "a", "c"),                       // CROSSSLOT
		cmd("DEL", "c", "z"),                       // CROSSSLOT (both A's)
		cmd("GET", k(tag100, "x")),                 // migrating, key here: served
		cmd("GET", k(tag100, "missing")),           // migrating, key missing: ASK
		cmd("DEL", k(tag100, "x"), k(tag100, "y")), // multi-key, one missing: TRYAGAIN
		cmd("DEL", k(tag100, "y"), k(tag100, "y")), // same missing key twice: ASK
		cmd("SET", k(tag100, "x"), "2"),            // served
		cmd("SET", k(tag100, "new"), "2"),          // ASK
		cmd("GET", k(tag9000, "x")),                // importing without ASKING: MOVED
		cmd("ASKING"), cmd("GET", k(tag9000, "x")), // with ASKING: served
		cmd("GET", k(tag9000, "x")),                     // ASKING is one-shot: MOVED
		cmd("ASKING"), cmd("SET", k(tag9000, "x"), "v"), // served
		cmd("ASKING"), cmd("DEL", k(tag9000, "x"), k(tag9000, "y")), // missing among many: TRYAGAIN
		cmd("ASKING"), cmd("DEL", k(tag9000, "y"), k(tag9000, "y")), // one key: served
		cmd("ASKING"), cmd("NOSUCHCMD"), cmd("GET", k(tag9000, "x")), // a rejected command uses ASKING up
		cmd("ASKING"), cmd("PING"), cmd("GET", k(tag9000, "x")),
		cmd("MULTI"), cmd("GET", "c"), cmd("SET", "c", "3"), cmd("EXEC"),
		cmd("MULTI"), cmd("GET", "c"), cmd("GET", "z"), cmd("EXEC"), // CROSSSLOT at EXEC
		cmd("MULTI"), cmd("GET", "c"), cmd("GET", "a"), cmd("EXEC"), // MOVED when queued, EXECABORT
		cmd("MULTI"), cmd("GET", k(tag100, "x")), cmd("GET", k(tag100, "q")), cmd("EXEC"),
		cmd("MULTI"), cmd("GET", k(tag100, "q")), cmd("EXEC"),
		cmd("ASKING"), cmd("MULTI"), cmd("GET", k(tag9000, "x")), cmd("GET", k(tag9000, "zz")), cmd("EXEC"),
		cmd("ASKING"), cmd("MULTI"), cmd("GET", k(tag9000, "x")), cmd("EXEC"),
		cmd("EXEC"),
		cmd("READONLY"), cmd("GET", "a"), cmd("READWRITE"),
		cmd("SELECT", "1"), cmd("SELECT", "0"),
		cmd("CLUSTER", "COUNTKEYSINSLOT", "100"),
		cmd("CLUSTER", "GETKEYSINSLOT", "100", "10"),
		cmd("CLUSTER", "KEYSLOT", k(tag9000, "x")),
		cmd("CLUSTER", "SETSLOT", "100", "NODE", idb),       // keys still here: refused
		cmd("CLUSTER", "SETSLOT", "100", "IMPORTING", idb),  // I'm the owner
		cmd("CLUSTER", "SETSLOT", "9000", "MIGRATING", idb), // not the owner
		cmd("CLUSTER", "SET-CONFIG-EPOCH", "3"),             // knows another node
		cmd("CLUSTER", "REPLICATE", idb),                    // has slots
		cmd("CLUSTER", "REPLICAS", idb),
		cmd("CLUSTER", "COUNT-FAILURE-REPORTS", idb),
		cmd("CLUSTER", "FLUSHSLOTS"),
		cmd("CLUSTER", "RESET"),
		cmd("CLUSTER", "FAILOVER"),
		cmd("DEL", k(tag100, "x"), k(tag100, "x")), // same key twice, present: served
		cmd("GET", k(tag100, "x")),                 // now missing: ASK
	})

	// The B side: importing slot 100.
	compare(t, 16752, 16762, []step{
		cmd("GET", k(tag100, "x")), // MOVED to A
		cmd("ASKING"), cmd("GET", k(tag100, "x")),
		cmd("ASKING"), cmd("DEL", k(tag100, "x"), k(tag100, "y")),
		cmd("ASKING"), cmd("SET", k(tag100, "z"), "1"),
		cmd("ASKING"), cmd("DEL", k(tag100, "z"), k(tag100, "y")),
		cmd("ASKING"), cmd("DEL", k(tag100, "z"), k(tag100, "z")),
		cmd("GET", "c"),
		cmd("GET", "a"),
	})

	// Cluster down: A gives up a slot, so coverage is lost.
	for _, c := range []*conn{ca, sa} {
		mustOK(t, c.Do("CLUSTER", "DELSLOTS", "5"))
	}
	tag5 := tagFor(5)
	checkFor(t, 10*time.Second, 50*time.Millisecond, func() string {
		for _, c := range []*conn{ca, sa} {
			if r := c.Do("CLUSTER", "INFO"); !strings.Contains(r, "cluster_state:fail") {
				return r
			}
		}
		return ""
	})
	compare(t, 16751, 16761, []step{
		cmd("GET", "c"),          // CLUSTERDOWN The cluster is down
		cmd("GET", k(tag5, "x")), // Hash slot not served
		cmd("SET", "a", "1"),
		cmd("PING"),
		cmd("MULTI"), cmd("GET", "c"), cmd("EXEC"),
		cmd("CLUSTER", "KEYSLOT", "c"),
	})
	_ = ra
}

func TestProcessSingleNodeServesAndRestarts(t *testing.T) {
	rbin := needRedis(t)
	sbin := shoalServer(t)
	dir := t.TempDir()
	s := startProc(t, sbin, dir, 16763)
	r := startProc(t, rbin, t.TempDir(), 16753)
	_ = r
	cs, cr := dial(t, 16763), dial(t, 16753)
	id := myID(t, cs)
	// Before any slot: like Redis.
	compare(t, 16753, 16763, []step{cmd("GET", "foo"), cmd("SET", "foo", "1"), cmd("PING")})
	for _, c := range []*conn{cs, cr} {
		mustOK(t, c.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"))
		if got := c.Do("CLUSTER", "BUMPEPOCH"); got != "+BUMPED 1\r\n" {
			t.Fatalf("bumpepoch %q", got)
		}
	}
	waitOK(t, cs, cr)
	compare(t, 16753, 16763, []step{
		cmd("SET", "foo", "bar"), cmd("GET", "foo"), cmd("SET", "{a}1", "x"),
		cmd("CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot.Of([]byte("a"))), "5"),
		cmd("SET", "{a}2", "y"), cmd("DEL", "a", "b"),
		cmd("CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot.Of([]byte("a")))),
		cmd("DEL", "{a}1", "{a}2", "{a}3"), cmd("DEL", "foo", "bar"),
	})
	// redis-cli --cluster check agrees the node is fine.
	if cli, err := exec.LookPath("redis-cli"); err == nil {
		out, err := exec.Command(cli, "--cluster", "check", "127.0.0.1:16763").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "[OK] All 16384 slots covered.") {
			t.Errorf("redis-cli --cluster check: %v\n%s", err, out)
		}
	}
	// A second node may not share the config file.
	second := exec.Command(sbin, "--port", "16764", "--bind", "127.0.0.1", "--cluster-enabled", "yes")
	second.Dir = dir
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is already used by a different Redis Cluster node") {
		t.Errorf("second node on the same nodes.conf: %v\n%s", err, out)
	}
	before := cs.Do("CLUSTER", "NODES")
	s.stop()
	s = startProc(t, sbin, dir, 16763)
	cs = dial(t, 16763)
	if got := myID(t, cs); got != id {
		t.Fatalf("id after restart %s, want %s", got, id)
	}
	if after := cs.Do("CLUSTER", "NODES"); after != before {
		t.Fatalf("nodes after restart:\n%q\nbefore:\n%q", after, before)
	}
	if info := cs.Do("CLUSTER", "INFO"); !strings.Contains(info, "cluster_current_epoch:1\r\ncluster_my_epoch:1\r\n") {
		t.Fatalf("epochs lost: %q", info)
	}
	waitOK(t, cs)
	if got := cs.Do("GET", "foo"); got != "$-1\r\n" {
		t.Fatalf("GET after restart %q", got)
	}
}

func TestProcessCorruptConfigRefused(t *testing.T) {
	sbin := shoalServer(t)
	dir := t.TempDir()
	writeConf(t, dir, "vars currentEpoch 0 lastVoteEpoch 0\nnot-an-id :1@2 myself,master - 0 0 0 connected\n")
	c := exec.Command(sbin, "--port", "16765", "--bind", "127.0.0.1", "--cluster-enabled", "yes")
	c.Dir = dir
	out, err := c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "corrupted cluster config file") || !strings.Contains(string(out), "line 2") {
		t.Fatalf("%v\n%s", err, out)
	}
}
