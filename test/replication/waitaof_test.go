package replication

import (
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// TestWaitCountsReplicaAOF: with appendfsync always, a replica
// acknowledges an offset (REPLCONF ACK, which WAIT counts) only once its
// AOF holds it, as Redis's replica writes its ACK after beforeSleep's
// flushAppendOnlyFile. The replica's AOF writes are held back 3 seconds
// (DEBUG AOF-FLUSH-SLEEP): its periodic ACK (every second) and its
// answer to WAIT's GETACK counted the write at once, and a kill -9 right
// after WAIT answered 1 lost it.
func TestWaitCountsReplicaAOF(t *testing.T) {
	m := start(t, "shoal")
	r := start(t, "shoal", "--appendonly", "yes", "--appendfsync", "always")
	follow(t, r, m)
	waitAOFIdle(t, r)
	if v := str(do(t, r, "DEBUG", "AOF-FLUSH-SLEEP", "3000000")); v != "OK" {
		t.Fatalf("DEBUG AOF-FLUSH-SLEEP: %q", v)
	}
	c := m.Dial(t)
	defer c.Close()
	// One write: the master may send the SET and WAIT's GETACK together.
	if err := c.SendRaw(testutil.AppendCommand(testutil.AppendCommand(nil, "SET", "acked", "v"), "WAIT", "1", "2000")); err != nil {
		t.Fatal(err)
	}
	read := func() resp.Value {
		t.Helper()
		v, _, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := read(); str(v) != "OK" {
		t.Fatalf("SET: %q", v.Str)
	}
	if v := read(); v.Int != 0 {
		// The replica's AOF is still sleeping: nothing may count it yet.
		r.Kill()
		r.Restart()
		t.Fatalf("WAIT counted the replica (%d) before its AOF had the write; after kill -9 GET acked is %q", v.Int, str(do(t, r, "GET", "acked")))
	}
	if v := c.MustDo(t, "WAIT", "1", "10000"); v.Int != 1 {
		t.Fatalf("WAIT 1 once the replica's AOF wrote: %d", v.Int)
	}
	r.Kill()
	r.Restart() // a master now, loading its AOF
	if v := str(do(t, r, "GET", "acked")); v != "v" {
		t.Fatalf("a write WAIT counted on the replica is not in its AOF after kill -9: GET %q", v)
	}
}
