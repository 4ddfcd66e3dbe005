package replication

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// With replica-serve-stale-data no, EXEC of a transaction queued before
// the node became a replica with no link fails with EXECABORT … MASTERDOWN
// when it holds a command without the stale flag (GET, PING), and runs
// when the node is a master again; compared with redis-server.
func TestExecOnStaleReplica(t *testing.T) {
	got := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind)
		c, admin := n.Dial(t), n.Dial(t)
		c.MustDo(t, "CONFIG", "SET", "replica-serve-stale-data", "no")
		c.MustDo(t, "SET", "xx", "1")
		var out []string
		for _, cmd := range []string{"GET", "PING"} {
			c.MustDo(t, "MULTI")
			if cmd == "GET" {
				out = append(out, c.MustDo(t, "GET", "xx").String())
			} else {
				out = append(out, c.MustDo(t, "PING").String())
			}
			admin.MustDo(t, "REPLICAOF", "127.0.0.1", "1") // nothing listens: the link stays down
			out = append(out, c.MustDo(t, "EXEC").String())
			admin.MustDo(t, "REPLICAOF", "NO", "ONE")
		}
		c.MustDo(t, "MULTI")
		admin.MustDo(t, "REPLICAOF", "NO", "ONE")
		c.MustDo(t, "GET", "xx")
		out = append(out, c.MustDo(t, "EXEC").String())
		got[kind] = strings.Join(out, "\n")
	}
	testutil.Equal(t, got["shoal"], got["redis"])
	testutil.True(t, strings.Contains(got["shoal"], "EXECABORT Transaction discarded because of: MASTERDOWN"), got["shoal"])
}
