package replication

import (
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// infoOn reads one INFO field on an open connection (a new connection
// per read would add its own buffers to the figures compared).
func infoOn(t *testing.T, c *testutil.Conn, section, field string) int64 {
	t.Helper()
	for _, l := range strings.Split(str(c.MustDo(t, "INFO", section)), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			testutil.NoErr(t, err)
			return n
		}
	}
	t.Fatalf("no %s in INFO %s", field, section)
	return 0
}

// A paused replica's unsent stream is counted as Redis 7.0 counts its
// shared replication buffer (unit/maxmemory's test_slave_buffers): it
// shows in mem_clients_slaves and the replica's omem, mem_not_counted_for_evict
// leaves it out, so used_memory less that stays where it was, and no key
// is evicted for it under a maxmemory 256 KB above the data. Before,
// SETRANGE copied its 100 KB value per command and a full sync's LZF
// tables stayed pooled: the figure moved by 0.1-0.7 MB and keys went.
func TestPausedReplicaBufferNotEvicting(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			m, r := start(t, kind), start(t, kind)
			c := m.Dial(t)
			for j := 0; j < 100; j++ {
				c.MustDo(t, "SETRANGE", "key:"+strconv.Itoa(j), "100000", "asdf")
			}
			c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
			c.MustDo(t, "CONFIG", "SET", "client-output-buffer-limit", "replica 100000000 100000000 300")
			c.MustDo(t, "CONFIG", "SET", "repl-backlog-size", "10240")
			follow(t, r, m)
			before := infoOn(t, c, "memory", "used_memory") - infoOn(t, c, "memory", "mem_not_counted_for_evict")
			c.MustDo(t, "CONFIG", "SET", "maxmemory", strconv.FormatInt(before+256<<10, 10))

			testutil.NoErr(t, r.Cmd.Process.Signal(syscall.SIGSTOP))
			defer r.Cmd.Process.Signal(syscall.SIGCONT)
			// 64k SETRANGEs of 100 bytes (~9 MB of stream), 256 a batch.
			val := strings.Repeat("A", 100)
			var batch []byte
			for i := 0; i < 256; i++ {
				batch = testutil.AppendCommand(batch, "SETRANGE", "key:0", "0", val)
			}
			for k := 0; k < 256; k++ {
				testutil.NoErr(t, c.SendRaw(batch))
				for i := 0; i < 256; i++ {
					v, _, err := c.Read()
					testutil.NoErr(t, err)
					if str(v) != "100004" {
						t.Fatalf("SETRANGE: %q", v.Str)
					}
				}
			}
			after := infoOn(t, c, "memory", "used_memory") - infoOn(t, c, "memory", "mem_not_counted_for_evict")
			slaves := infoOn(t, c, "memory", "mem_clients_slaves")
			t.Logf("used less not counted: %d before, %d after; mem_clients_slaves %d", before, after, slaves)
			testutil.Equal(t, infoOn(t, c, "stats", "evicted_keys"), int64(0))
			testutil.Equal(t, str(c.MustDo(t, "DBSIZE")), "100")
			if slaves < 2<<20 {
				t.Fatalf("mem_clients_slaves %d: the paused replica's buffer is not counted", slaves)
			}
			line := str(c.MustDo(t, "CLIENT", "LIST", "TYPE", "replica"))
			omem := int64(0)
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "omem="); ok {
					omem, _ = strconv.ParseInt(v, 10, 64)
				}
			}
			if omem < 2<<20 {
				t.Fatalf("replica omem %d: %q", omem, line)
			}
			if d := after - before; d > 256<<10 || d < -256<<10 {
				t.Fatalf("used_memory less mem_not_counted_for_evict moved %d bytes", d)
			}
			c.MustDo(t, "CLIENT", "KILL", "TYPE", "replica")
			testutil.Equal(t, str(c.MustDo(t, "DBSIZE")), "100")
		})
	}
}
