package cli_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/testutil"
)

var lagLineRE = regexp.MustCompile(`(?m)^   127\.0\.0\.1:\d+ replicates 127\.0\.0\.1:\d+: (\d+) bytes behind, last I/O \d+ s ago$`)

// TestCheckReplicaLag: shoal-cli's check, beyond redis-cli's, reports how
// far each replica is behind its master with --cluster-replica-lag (and on
// a terminal), and only then: piped output stays redis-cli's.
func TestCheckReplicaLag(t *testing.T) {
	t.Parallel()
	testutil.SkipIfNoRedis(t)
	cli := shoalCLI(t)
	_, nodes := startNodes(t, "shoal", 6)
	create := append([]string{"--cluster", "create"}, addrs(nodes)...)
	r := run(t, 60*time.Second, "", nil, cli, append(create, "--cluster-replicas", "1", "--cluster-yes")...)
	if r.code != 0 {
		t.Fatalf("create:\n%s", r)
	}
	waitClusterOK(t, nodes)
	waitConsistent(t, cli, nodes[0])
	cl := client.NewCluster([]string{nodes[0].Addr}, client.ClusterOptions{})
	for i := 0; i < 300; i++ {
		v, err := cl.Do("SET", "lag:"+strconv.Itoa(i), strings.Repeat("x", 100))
		testutil.NoErr(t, err)
		testutil.Equal(t, string(v.Str), "OK")
	}
	cl.Close()

	// Once the replicas have caught up, every one of them is listed at 0.
	testutil.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
		r := run(t, 30*time.Second, "", nil, cli, "--cluster", "check", nodes[0].Addr, "--cluster-replica-lag")
		lines := lagLineRE.FindAllStringSubmatch(r.stdout, -1)
		if r.code != 0 || len(lines) != 3 || !strings.Contains(r.stdout, "[OK] All 3 replicas are in sync with their masters.") {
			return fmt.Errorf("not 3 replicas in sync:\n%s", r)
		}
		for _, l := range lines {
			if l[1] != "0" {
				return fmt.Errorf("a replica behind:\n%s", r.stdout)
			}
		}
		return nil
	})
	plain := run(t, 30*time.Second, "", nil, cli, "--cluster", "check", nodes[0].Addr)
	testutil.True(t, !strings.Contains(plain.stdout, "replica lag"), "lag section without the flag:\n"+plain.stdout)

	// A master gone: its replica's link is down, which check says.
	var master *testutil.Node
	for _, n := range nodes {
		if strings.Contains(do(t, n.Addr, "INFO", "replication"), "role:master") {
			master = n
			break
		}
	}
	master.Kill()
	testutil.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
		r := run(t, 30*time.Second, "", nil, cli, "--cluster", "check", nodes[5].Addr, "--cluster-replica-lag")
		if !strings.Contains(r.stdout, "[WARNING] Replica ") || strings.Contains(r.stdout, "[OK] All 3 replicas") {
			return fmt.Errorf("no warning for the replica of the killed master:\n%s", r)
		}
		return nil
	})
}
