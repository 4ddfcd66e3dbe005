package tls

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// clusterNodes parses CLUSTER NODES into id → "port flags".
func nodesPorts(out string) []string {
	var ports []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		addr := f[1]
		if i := strings.IndexByte(addr, '@'); i >= 0 {
			addr = addr[:i]
		}
		ports = append(ports, addr[strings.LastIndexByte(addr, ':')+1:])
	}
	sort.Strings(ports)
	return ports
}

func portsOf(ns []*node, tlsPorts bool) []string {
	var out []string
	for _, n := range ns {
		if tlsPorts {
			out = append(out, itoa(n.tlsPort))
		} else {
			out = append(out, itoa(n.Port))
		}
	}
	sort.Strings(out)
	return out
}

// TestTLSCluster: three Shoal and three Redis nodes with tls-cluster and
// tls-replication form one cluster with redis-cli --tls --cluster create;
// the bus and the replication links speak TLS; TLS clients are shown TLS
// ports and plaintext clients plaintext ports (CLUSTER NODES/SLOTS, MOVED),
// CLUSTER SHARDS shows both; shoal-cli --tls --cluster check agrees; a
// Shoal master that dies is replaced by its replica.
func TestTLSCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("six-node cluster")
	}
	c := newCerts(t)
	var ns []*node
	for i, kind := range []string{"shoal", "redis", "shoal", "redis", "shoal", "redis"} {
		_ = i
		ns = append(ns, start(t, kind, c, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "3000", "--tls-cluster", "yes", "--tls-replication", "yes",
			"--repl-diskless-sync-delay", "0"))
	}
	args := append(c.cliArgs(), "--cluster", "create")
	for _, n := range ns {
		args = append(args, n.tlsAddr)
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out := mustRun(t, testutil.RedisCLI(), args...)
	if !strings.Contains(out, "[OK] All 16384 slots covered.") {
		t.Fatalf("create:\n%s", out)
	}
	testutil.CheckFor(t, syncTimeout, 100*time.Millisecond, func() error {
		for _, n := range ns {
			if s := clusterState(t, n); s != "ok" {
				return fmt.Errorf("%s node %d: cluster_state %q", n.kind, n.tlsPort, s)
			}
			nodes := cliPlain(t, n, "cluster", "nodes")
			if len(nodesPorts(nodes)) != 6 || strings.Contains(nodes, "handshake") || strings.Contains(nodes, "disconnected") {
				return fmt.Errorf("%s node %d: nodes\n%s", n.kind, n.tlsPort, nodes)
			}
		}
		return nil
	})
	// The check, over TLS, by shoal-cli.
	check := mustRun(t, shoalCLI(t), append(c.cliArgs(), "--cluster", "check", ns[0].tlsAddr)...)
	if !strings.Contains(check, "[OK] All nodes agree about slots configuration.") || strings.Contains(check, "[ERR]") {
		t.Fatalf("check:\n%s", check)
	}
	// Each node shows TLS ports to TLS clients, plaintext ports to others.
	for _, n := range ns {
		plain := nodesPorts(cliPlain(t, n, "cluster", "nodes"))
		testutil.DeepEqual(t, plain, portsOf(ns, false))
		overTLS := nodesPorts(mustRun(t, testutil.RedisCLI(), append(c.cliArgs(), "-p", itoa(n.tlsPort), "cluster", "nodes")...))
		testutil.DeepEqual(t, overTLS, portsOf(ns, true))
		shards := mustRun(t, testutil.RedisCLI(), append(c.cliArgs(), "-p", itoa(n.tlsPort), "cluster", "shards")...)
		if !strings.Contains(shards, "tls-port\n"+itoa(n.tlsPort)) || !strings.Contains(shards, "port\n"+itoa(n.Port)) {
			t.Errorf("%s CLUSTER SHARDS lacks its ports %d/%d:\n%s", n.kind, n.Port, n.tlsPort, shards)
		}
	}
	// MOVED names the port of the client's kind.
	for _, n := range ns {
		for i := range 20 {
			k := fmt.Sprintf("key%d", i)
			r := cliPlain(t, n, "get", k)
			if strings.HasPrefix(r, "MOVED") {
				port := r[strings.LastIndexByte(r, ':')+1:]
				if !contains(portsOf(ns, false), port) {
					t.Errorf("%s: plaintext MOVED to a non-plaintext port: %q", n.kind, r)
				}
				rt := mustRun(t, testutil.RedisCLI(), append(c.cliArgs(), "-p", itoa(n.tlsPort), "get", k)...)
				port = rt[strings.LastIndexByte(rt, ':')+1:]
				if !strings.HasPrefix(rt, "MOVED") || !contains(portsOf(ns, true), port) {
					t.Errorf("%s: TLS MOVED %q", n.kind, rt)
				}
				break
			}
		}
	}
	// go-redis's cluster client over TLS.
	var addrs []string
	for _, n := range ns {
		addrs = append(addrs, n.tlsAddr)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, TLSConfig: c.clientConfig(t, c.clientCert, c.clientKey),
		DialTimeout: replyTimeout, ReadTimeout: replyTimeout, WriteTimeout: replyTimeout})
	defer cc.Close()
	ctx := context.Background()
	for i := range 200 {
		testutil.NoErr(t, cc.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err())
	}
	for i := range 200 {
		v, err := cc.Get(ctx, fmt.Sprintf("k%d", i)).Int()
		testutil.NoErr(t, err)
		testutil.Equal(t, v, i)
	}
	// Replicas hold the data (replication over TLS).
	testutil.CheckFor(t, syncTimeout, 100*time.Millisecond, func() error {
		total := 0
		for _, n := range ns {
			if info(n, "replication", "role") == "slave" {
				if s := info(n, "replication", "master_link_status"); s != "up" {
					return fmt.Errorf("%s replica %d: link %s", n.kind, n.tlsPort, s)
				}
				k := cliPlain(t, n, "dbsize")
				var v int
				fmt.Sscan(k, &v)
				total += v
			}
		}
		if total != 200 {
			return fmt.Errorf("replicas hold %d keys", total)
		}
		return nil
	})
	// A Shoal master dies: its replica takes over.
	var victim *node
	for _, n := range ns {
		if n.kind == "shoal" && info(n, "replication", "role") == "master" {
			victim = n
			break
		}
	}
	if victim == nil {
		t.Fatal("no Shoal master")
	}
	victimID := strings.TrimSpace(cliPlain(t, victim, "cluster", "myid"))
	victim.Kill()
	testutil.CheckFor(t, syncTimeout, 200*time.Millisecond, func() error {
		for _, n := range ns {
			if n == victim {
				continue
			}
			if s := clusterState(t, n); s != "ok" {
				return fmt.Errorf("%s node %d: cluster_state %q", n.kind, n.tlsPort, s)
			}
			for _, line := range strings.Split(cliPlain(t, n, "cluster", "nodes"), "\n") {
				f := strings.Fields(line)
				if len(f) > 2 && f[0] == victimID && !strings.Contains(f[2], "fail") {
					return fmt.Errorf("%s node %d: victim not failed: %s", n.kind, n.tlsPort, line)
				}
				if len(f) > 8 && f[0] == victimID {
					return fmt.Errorf("%s node %d: victim still serves slots: %s", n.kind, n.tlsPort, line)
				}
			}
		}
		return nil
	})
	// A new client (the old one keeps dialling the dead node) over the
	// survivors.
	var live []string
	for _, n := range ns {
		if n != victim {
			live = append(live, n.tlsAddr)
		}
	}
	cc2 := redis.NewClusterClient(&redis.ClusterOptions{Addrs: live, TLSConfig: c.clientConfig(t, c.clientCert, c.clientKey),
		DialTimeout: replyTimeout, ReadTimeout: replyTimeout, WriteTimeout: replyTimeout})
	defer cc2.Close()
	testutil.CheckFor(t, syncTimeout, 200*time.Millisecond, func() error {
		for i := range 200 {
			v, err := cc2.Get(ctx, fmt.Sprintf("k%d", i)).Int()
			if err != nil || v != i {
				return fmt.Errorf("after failover GET k%d = %v, %v", i, v, err)
			}
		}
		return nil
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// clusterState is CLUSTER INFO's cluster_state, asked over the plaintext port.
func clusterState(t *testing.T, n *node) string {
	for _, line := range strings.Split(cliPlain(t, n, "cluster", "info"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
			return v
		}
	}
	return ""
}
