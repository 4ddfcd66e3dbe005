package tls

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// info returns one INFO field of n, over its plaintext port.
func info(n *node, section, field string) string {
	out, err := testutil.Command(n.Addr, replyTimeout, "INFO", section)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// TestReplicationOverTLS: with tls-replication yes a replica syncs from
// its master's TLS port, for every pairing of Shoal and Redis, and keeps
// receiving the write stream.
func TestReplicationOverTLS(t *testing.T) {
	c := newCerts(t)
	for _, pair := range [][2]string{{"shoal", "shoal"}, {"shoal", "redis"}, {"redis", "shoal"}} {
		t.Run(pair[0]+"-master-"+pair[1]+"-replica", func(t *testing.T) {
			m := start(t, pair[0], c, "--repl-diskless-sync-delay", "0")
			for i := range 100 {
				testutil.NoErr(t, errOf(testutil.Command(m.Addr, replyTimeout, "SET", fmt.Sprintf("k%d", i), "v")))
			}
			r := start(t, pair[1], c, "--tls-replication", "yes", "--replicaof", "127.0.0.1", itoa(m.tlsPort),
				"--repl-diskless-sync-delay", "0")
			testutil.CheckFor(t, syncTimeout, 50*time.Millisecond, func() error {
				if s := info(r, "replication", "master_link_status"); s != "up" {
					return fmt.Errorf("master_link_status %q", s)
				}
				return nil
			})
			// The stream: a write after the sync reaches the replica.
			testutil.NoErr(t, errOf(testutil.Command(m.Addr, replyTimeout, "SET", "after", "sync")))
			testutil.CheckFor(t, syncTimeout, 50*time.Millisecond, func() error {
				v, err := testutil.Command(r.Addr, replyTimeout, "GET", "after")
				if err != nil || v != "sync" {
					return fmt.Errorf("GET after = %q, %v", v, err)
				}
				return nil
			})
			testutil.Equal(t, mustRun(t, testutil.RedisCLI(), "-p", itoa(r.Port), "dbsize"), "101")
			// The master sees its replica connected over its TLS port.
			testutil.Equal(t, info(m, "replication", "connected_slaves"), "1")
		})
	}
}

// TestReplicationNeedsTLS: a replica without tls-replication cannot sync
// from a TLS port, and says so in its link status.
func TestReplicationNeedsTLS(t *testing.T) {
	c := newCerts(t)
	m := start(t, "shoal", c)
	r := start(t, "shoal", c, "--replicaof", "127.0.0.1", itoa(m.tlsPort))
	time.Sleep(2 * time.Second) // a few attempts; none may succeed
	testutil.Equal(t, info(r, "replication", "master_link_status"), "down")
	testutil.NoErr(t, testutil.Ping(m.Addr, replyTimeout))
}

func errOf(_ string, err error) error { return err }

// TestMigrateOverTLS: with tls-cluster yes MIGRATE dials the target's TLS
// port over TLS, from Shoal to Redis and back.
func TestMigrateOverTLS(t *testing.T) {
	c := newCerts(t)
	sh := start(t, "shoal", c, "--tls-cluster", "yes")
	rd := start(t, "redis", c, "--tls-cluster", "yes")
	for _, p := range [][2]*node{{sh, rd}, {rd, sh}} {
		from, to := p[0], p[1]
		key := "moved-from-" + from.kind
		testutil.Equal(t, cliPlain(t, from, "set", key, "v"), "OK")
		testutil.Equal(t, cliPlain(t, from, "migrate", "127.0.0.1", itoa(to.tlsPort), key, "0", "5000"), "OK")
		testutil.Equal(t, cliPlain(t, to, "get", key), "v")
		testutil.Equal(t, cliPlain(t, from, "exists", key), "0")
	}
	// Without tls-cluster, MIGRATE to a TLS port (one not in the
	// connection cache) fails, and does not hang past its timeout.
	testutil.Equal(t, cliPlain(t, sh, "config", "set", "tls-cluster", "no"), "OK")
	testutil.Equal(t, cliPlain(t, sh, "set", "stay", "v"), "OK")
	other := start(t, "redis", c)
	if out := cliPlain(t, sh, "migrate", "127.0.0.1", itoa(other.tlsPort), "stay", "0", "1000"); !strings.HasPrefix(out, "IOERR") {
		t.Fatalf("plaintext MIGRATE to a TLS port: %q", out)
	}
}
