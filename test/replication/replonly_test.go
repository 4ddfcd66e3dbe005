package replication

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestReplicaOnlyCommandsStayOutOfAOF: what Redis sends to replicas only —
// the master's PING, REPLCONF GETACK (WAIT) and a standalone PUBLISH —
// reaches a replica's subscribers but neither the master's AOF nor the
// replica's, which hold only the writes, as redis-server's do (checked on
// a Redis master the same way).
func TestReplicaOnlyCommandsStayOutOfAOF(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			aof := []string{"--appendonly", "yes", "--appendfsync", "always", "--repl-ping-replica-period", "1"}
			m := start(t, kind, aof...)
			r := start(t, "shoal", aof...)
			follow(t, r, m)
			waitAOFIdle(t, m)
			waitAOFIdle(t, r)
			sub := r.Dial(t)
			defer sub.Close()
			sub.MustDo(t, "SUBSCRIBE", "news")
			do(t, m, "SET", "k", "v")
			do(t, m, "PUBLISH", "news", "hello")
			msg, _, err := sub.Read()
			testutil.NoErr(t, err)
			if len(msg.Elems) != 3 || string(msg.Elems[2].Str) != "hello" {
				t.Fatalf("the replica's subscriber got %v", msg)
			}
			if v := str(do(t, m, "WAIT", "1", "2000")); v != "1" {
				t.Fatalf("WAIT 1: %s", v)
			}
			time.Sleep(2500 * time.Millisecond) // two of the master's PINGs
			do(t, m, "SET", "k2", "v2")
			caughtUp(t, m, r)
			for _, n := range []*testutil.Node{m, r} {
				files, _ := filepath.Glob(filepath.Join(n.Dir, "appendonlydir", "*.incr.aof"))
				var all []byte
				for _, f := range files {
					b, err := os.ReadFile(f)
					testutil.NoErr(t, err)
					all = append(all, b...)
				}
				if !bytes.Contains(all, []byte("k2")) {
					t.Fatalf("%s: AOF lacks the last write: %q", n.Addr, all)
				}
				for _, no := range []string{"PING", "ping", "GETACK", "getack", "PUBLISH", "publish"} {
					if bytes.Contains(all, []byte(no)) {
						t.Fatalf("%s (master %s): the AOF has %s: %q", n.Addr, kind, no, all)
					}
				}
			}
		})
	}
}
