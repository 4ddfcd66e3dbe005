package replication

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestShutdownDuringSyncLoad: a replica stopped (SIGTERM) while it loads
// its master's payload exits cleanly, as Redis does, in every
// repl-diskless-load mode, from Shoal and Redis masters: from a temp file
// (disabled, the replica holding a key), while it arrives (disabled, empty),
// from the socket (on-empty-db) and into a keyspace aside (swapdb). The load
// is slowed by key-load-delay; save points are set, as in Redis's suite. A
// process that ignored SIGTERM is SIGKILLed by the harness and never logs
// its last line.
func TestShutdownDuringSyncLoad(t *testing.T) {
	cases := []struct {
		mode   string
		ownKey bool
	}{{"disabled", true}, {"disabled", false}, {"on-empty-db", false}, {"swapdb", true}}
	for _, mk := range []string{"shoal", "redis"} {
		m := start(t, mk)
		do(t, m, "DEBUG", "POPULATE", "2000", "key", "100")
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s-master/%s/ownkey=%v", mk, tc.mode, tc.ownKey), func(t *testing.T) {
				r := start(t, "shoal", "--repl-diskless-load", tc.mode, "--save", "900 1")
				if tc.ownKey {
					do(t, r, "SET", "own", "1")
				}
				do(t, r, "CONFIG", "SET", "key-load-delay", "100000") // 2000 keys: 200 s
				do(t, r, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
				testutil.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
					p := info(t, r, "persistence")
					if p["loading"] != "1" && p["async_loading"] != "1" {
						return fmt.Errorf("not loading yet (loading %s)", p["loading"])
					}
					return nil
				})
				r.Stop()
				log, _ := os.ReadFile(r.Log)
				if !strings.Contains(string(log), "is now ready to exit, bye bye") {
					t.Fatal("the replica did not shut down on SIGTERM during the load")
				}
				if strings.Contains(string(log), "Saving the final RDB snapshot") {
					t.Fatal("a replica stopped during its load saved the partial dataset")
				}
			})
		}
	}
}
