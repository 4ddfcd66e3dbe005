package replication

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// fakeMaster accepts replicas and answers the handshake, then sends what
// payload says after +FULLRESYNC; it counts the connections it got.
func fakeMaster(t *testing.T, payload string) (port int, conns chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testutil.NoErr(t, err)
	t.Cleanup(func() { ln.Close() })
	conns = make(chan struct{}, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- struct{}{}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					c.SetDeadline(time.Now().Add(10 * time.Second))
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if !strings.HasPrefix(line, "*") {
						continue
					}
					n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
					var args []string
					for i := 0; i < n; i++ {
						br.ReadString('\n')
						a, _ := br.ReadString('\n')
						args = append(args, strings.TrimSpace(a))
					}
					switch strings.ToUpper(args[0]) {
					case "PING":
						c.Write([]byte("+PONG\r\n"))
					case "PSYNC":
						c.Write([]byte("+FULLRESYNC " + strings.Repeat("a", 40) + " 0\r\n" + payload))
						time.Sleep(200 * time.Millisecond)
						return
					default:
						c.Write([]byte("+OK\r\n"))
					}
				}
			}(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, conns
}

// followFakeMaster makes r replicate from a fakeMaster sending payload,
// waits until r has come back for a second attempt, and until it serves
// between attempts (a load may be under way: LOADING).
func followFakeMaster(t *testing.T, r *testutil.Node, payload string) {
	t.Helper()
	port, conns := fakeMaster(t, payload)
	do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(port))
	for i := 0; i < 2; i++ { // it comes back: a retry
		select {
		case <-conns:
		case <-time.After(15 * time.Second):
			t.Fatalf("replica did not (re)connect to the master")
		}
	}
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if v := do(t, r, "PING"); str(v) != "PONG" {
			return fmt.Errorf("replica not serving: %q", str(v))
		}
		return nil
	})
}

// stopFollowing sends REPLICAOF NO ONE until it is taken: a retry of the
// sync may be loading (-LOADING) at that moment.
func stopFollowing(t *testing.T, r *testutil.Node) {
	t.Helper()
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if v := do(t, r, "REPLICAOF", "NO", "ONE"); str(v) != "OK" {
			return fmt.Errorf("REPLICAOF NO ONE: %q", str(v))
		}
		return nil
	})
}

// TestGarbageFromMaster: a master that sends garbage instead of an RDB,
// or an RDB that is cut short or corrupt, makes the replica drop the
// link, log it and retry; it keeps serving. A payload refused before it is
// complete leaves the data alone; one received whole but unloadable has
// replaced it, as in Redis (the old keys were flushed before the load).
func TestGarbageFromMaster(t *testing.T) {
	for name, c := range map[string]struct {
		payload string
		kept    bool
	}{
		"not-a-bulk":    {"hello world\r\n", true},
		"short-rdb":     {"$100\r\nREDIS0010", true},
		"negative-len":  {"$-7\r\n", true},
		"corrupt-rdb":   {"$20\r\nREDIS0010\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", false},
		"garbage-bytes": {"$5\r\n\x00\x01\x02\x03\x04", false},
	} {
		payload := c.payload
		t.Run(name, func(t *testing.T) {
			r := start(t, "shoal")
			do(t, r, "SET", "mine", "kept")
			followFakeMaster(t, r, payload)
			if st := info(t, r, "replication")["master_link_status"]; st != "down" {
				t.Fatalf("link %s after garbage", st)
			}
			stopFollowing(t, r)
			v := do(t, r, "GET", "mine")
			if c.kept && str(v) != "kept" {
				t.Fatalf("a payload refused before it was whole lost the data: GET mine %q", str(v))
			}
			if !c.kept && !v.Null {
				t.Fatalf("an unloadable payload left the old data: GET mine %q", str(v))
			}
			if log, _ := os.ReadFile(r.Log); !strings.Contains(string(log), "MASTER") {
				t.Fatalf("nothing logged about the master")
			}
		})
	}
}

// TestGarbageFromReplica: a replica link that sends garbage after PSYNC
// is dropped; the master goes on serving and replicating to others.
func TestGarbageFromReplica(t *testing.T) {
	m, r := start(t, "shoal"), start(t, "shoal")
	follow(t, r, m)
	c, err := net.Dial("tcp", m.Addr)
	testutil.NoErr(t, err)
	defer c.Close()
	fmt.Fprintf(c, "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
	br := bufio.NewReader(c)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := br.ReadString('\n')
	testutil.NoErr(t, err)
	if !strings.HasPrefix(line, "+FULLRESYNC") {
		t.Fatalf("PSYNC reply %q", line)
	}
	c.Write([]byte("*2\r\n$3\r\nfoo\r\n$99999999999999999999\r\n\x00\x01garbage\r\n"))
	testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if n := info(t, m, "replication")["connected_slaves"]; n != "1" {
			return fmt.Errorf("connected_slaves %s", n)
		}
		return nil
	})
	do(t, m, "SET", "after", "1")
	caughtUp(t, m, r)
	if v := do(t, r, "GET", "after"); str(v) != "1" {
		t.Fatalf("replication stopped after a bad replica")
	}
}

// TestReplicaOverOutputLimit: a replica that stops reading is dropped
// once its unsent stream passes client-output-buffer-limit replica, with
// Redis's log line; the master's memory for it stays bounded.
func TestReplicaOverOutputLimit(t *testing.T) {
	m := start(t, "shoal", "--client-output-buffer-limit", "replica 1mb 0 0")
	c, err := net.Dial("tcp", m.Addr)
	testutil.NoErr(t, err)
	defer c.Close()
	fmt.Fprintf(c, "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
	// Read the handshake reply and the (empty) payload, then stop reading.
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+FULLRESYNC") {
		t.Fatalf("PSYNC reply %q %v", line, err)
	}
	testutil.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := info(t, m, "replication")["connected_slaves"]; n != "1" {
			return fmt.Errorf("connected_slaves %s", n)
		}
		return nil
	})
	w := m.Dial(t)
	defer w.Close()
	val := strings.Repeat("x", 10_000)
	testutil.CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		for i := 0; i < 200; i++ { // 2 MB more each try
			w.MustDo(t, "SET", "k"+strconv.Itoa(i), val)
		}
		if n := info(t, m, "replication")["connected_slaves"]; n != "0" {
			return fmt.Errorf("replica not dropped yet (%s connected)", n)
		}
		return nil
	})
	log, _ := os.ReadFile(m.Log)
	if !strings.Contains(string(log), "scheduled to be closed ASAP for overcoming of output buffer limits") {
		t.Fatalf("no output-buffer-limit log line")
	}
}

// TestCutTransferIntoEmptyReplica: a replica with no data loads a
// disk-mode transfer while it arrives (and writes the file as it goes).
// A transfer cut short, or whole but unloadable, leaves it empty, without
// a temp file or a dump.rdb, and logged in Redis's words; it retries.
func TestCutTransferIntoEmptyReplica(t *testing.T) {
	keys := "REDIS0010\xfe\x00"
	for i := 0; i < 10; i++ {
		keys += fmt.Sprintf("\x00\x02k%d\x02v%d", i, i)
	}
	for name, c := range map[string]struct {
		payload, logged string
	}{
		"len-cut":     {"$1000\r\n" + keys, "I/O error trying to sync with MASTER"},
		"eofmark-cut": {"$EOF:" + strings.Repeat("m", 40) + "\r\n" + keys, "I/O error trying to sync with MASTER"},
		"corrupt":     {"$20\r\nREDIS0010\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "Failed trying to load the MASTER synchronization DB from disk"},
	} {
		loadedEarly := strings.HasSuffix(name, "-cut")
		t.Run(name, func(t *testing.T) {
			r := start(t, "shoal")
			followFakeMaster(t, r, c.payload)
			stopFollowing(t, r)
			if n := do(t, r, "DBSIZE"); n.Int != 0 {
				t.Fatalf("DBSIZE %d after a failed transfer into an empty replica", n.Int)
			}
			entries, err := os.ReadDir(r.Dir)
			testutil.NoErr(t, err)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "temp-") || e.Name() == "dump.rdb" {
					t.Fatalf("a failed transfer left %s", e.Name())
				}
			}
			log, _ := os.ReadFile(r.Log)
			if !strings.Contains(string(log), c.logged) {
				t.Fatalf("log has no %q:\n%s", c.logged, log)
			}
			// A cut transfer was being loaded when it broke: the load ran
			// while the bytes arrived (a disk-mode replica holding data
			// loads only after the whole file is in).
			if load := strings.Index(string(log), "Loading DB in memory"); loadedEarly &&
				(load < 0 || load > strings.Index(string(log), c.logged)) {
				t.Fatalf("the cut transfer was not loaded while it arrived:\n%s", log)
			}
		})
	}
}
