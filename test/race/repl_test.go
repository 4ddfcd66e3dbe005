package race_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestRaceReplication runs a race-enabled master and replica under a
// pipelined write load: the master's event loop writing the stream to the
// replica's socket at its round's end (stream.Reader.SetInline) while the
// link's goroutine may be writing too, the replica reading its link with
// blocking reads (blockingConn) while ACKs go out from two goroutines, the
// link cut and taken again (CLIENT KILL TYPE master) mid-load. It fails on
// any race report, and when the replica does not end up with the
// master's data.
func TestRaceReplication(t *testing.T) {
	master := testutil.StartShoalRace(t)
	replica := testutil.StartShoalRace(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	rc := replica.Dial(t)
	linkUp := func() error {
		if s := infoField(t, rc, "replication", "master_link_status"); s != "up" {
			return fmt.Errorf("master_link_status:%s", s)
		}
		return nil
	}
	testutil.CheckFor(t, 60*time.Second, 100*time.Millisecond, linkUp)
	done := make(chan error, 1)
	go func() {
		done <- benchmark(t, 90*time.Second, strconv.Itoa(master.Port), "-t", "set,incr,lpush", "-P", "16", "-n", "200000", "-r", "10000")
	}()
	for i := 0; i < 3; i++ {
		time.Sleep(time.Second)
		rc.MustDo(t, "CLIENT", "KILL", "TYPE", "master")
	}
	if err := <-done; err != nil {
		t.Fatalf("redis-benchmark: %v", err)
	}
	mc := master.Dial(t)
	testutil.CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		if err := linkUp(); err != nil {
			return err
		}
		mo := infoField(t, mc, "replication", "master_repl_offset")
		ro := infoField(t, rc, "replication", "slave_repl_offset")
		if mo != ro {
			return fmt.Errorf("replica at %s, master at %s", ro, mo)
		}
		return nil
	})
	md := mc.MustDo(t, "DEBUG", "DIGEST")
	rd := rc.MustDo(t, "DEBUG", "DIGEST")
	if string(md.Str) != string(rd.Str) || strings.Trim(string(md.Str), "0") == "" {
		t.Fatalf("digests: master %s, replica %s", md, rd)
	}
	requireAlive(t, master)
	requireAlive(t, replica)
	requireNoRace(t, master, replica)
}
