package cluster_test

import (
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Ports of the tests that reproduce what Redis's older cluster suite
// (tests/cluster, scripts/redis-cluster-legacy.sh) checks: 22400-22511,
// clear of the other process tests' 17xxx-21xxx; with their bus ports
// (+10000, 32400-32511) below the kernel's ephemeral ports (32768 on), where
// an outgoing connection of a test in the other CI lane could hold one.
const portsLegacy = 22400

// startPrimaryReplica builds the suite's "create_cluster 1 1": node 0 owns
// every slot, node 1 replicates it, both see the cluster ok and the
// replica's link is up.
func startPrimaryReplica(t *testing.T, base int, kind string, primaryArgs []string, replicaArgs ...string) (primary, replica *testutil.Node) {
	t.Helper()
	primary = testutil.StartKindAt(t, kind, base, append([]string{tutorialConf(t, base, 5000)}, primaryArgs...)...)
	replica = testutil.StartKindAt(t, kind, base+1, append([]string{tutorialConf(t, base+1, 5000)}, replicaArgs...)...)
	nodes := []*testutil.Node{primary, replica}
	p := primary.Dial(t)
	testutil.Equal(t, p.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").String(), "OK")
	testutil.Equal(t, p.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", fmt.Sprint(replica.Port)).String(), "OK")
	pid := myID(t, primary)
	r := replica.Dial(t)
	testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		v, err := r.Do("CLUSTER", "REPLICATE", pid)
		if err != nil || v.String() != "OK" {
			return fmt.Errorf("CLUSTER REPLICATE: %v %v", v, err)
		}
		return nil
	})
	testutil.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		for _, n := range nodes {
			info := n.Dial(t).MustDo(t, "CLUSTER", "INFO").String()
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s: not ok yet", n.Addr)
			}
		}
		if info := r.MustDo(t, "INFO", "replication").String(); !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica link not up")
		}
		return nil
	})
	return primary, replica
}

// On a replica with READONLY, a script that declares flags and not
// no-writes is a write for routing (scriptFlagsToCmdFlags), so it is
// redirected to the primary with MOVED (16-transactions-on-replica "reply
// MOVED when eval from replica for update"); a script without a shebang,
// or one declaring no-writes, runs on the replica. Same for EVALSHA,
// EVAL_RO and functions.
func TestScriptWriteFlagRoutesOnReplica(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	moved := regexp.MustCompile(`MOVED (\d+) 127\.0\.0\.1:\d+`)
	var got [2][]string
	for i, kind := range []string{"shoal", "redis"} {
		primary, replica := startPrimaryReplica(t, portsLegacy+10*i, kind, nil)
		p := primary.Dial(t)
		p.MustDo(t, "SET", "a", "1")
		p.MustDo(t, "SCRIPT", "LOAD", "#!lua\nreturn redis.call('get', KEYS[1])")
		p.MustDo(t, "FUNCTION", "LOAD", "#!lua name=lib\n"+
			"redis.register_function('w', function(k) return redis.call('get', k[1]) end)\n"+
			"redis.register_function{function_name='r', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}")
		testutil.Equal(t, p.MustDo(t, "WAIT", "1", "5000").String(), "(integer) 1")
		r := replica.Dial(t)
		testutil.Equal(t, r.MustDo(t, "READONLY").String(), "OK")
		sha := strings.Trim(r.MustDo(t, "SCRIPT", "LOAD", "#!lua\nreturn redis.call('get', KEYS[1])").String(), `"`)
		for _, cmd := range [][]string{
			{"EVAL", "#!lua\nreturn redis.call('del', KEYS[1])", "1", "a"},
			{"EVAL", "return redis.call('del', KEYS[1])", "1", "a"},
			{"EVAL", "return redis.call('get', KEYS[1])", "1", "a"},
			{"EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "a"},
			{"EVAL_RO", "#!lua\nreturn redis.call('get', KEYS[1])", "1", "a"},
			{"EVAL", "#!lua bad=1\nreturn 1", "1", "a"},
			{"EVALSHA", sha, "1", "a"},
			{"EVALSHA", strings.Repeat("0", 40), "1", "a"},
			{"FCALL", "w", "1", "a"},
			{"FCALL", "r", "1", "a"},
			{"FCALL_RO", "r", "1", "a"},
			{"FCALL", "nosuch", "1", "a"},
		} {
			v, err := r.Do(cmd...)
			testutil.NoErr(t, err)
			line := fmt.Sprintf("%q -> %s", cmd[0], moved.ReplaceAllString(v.String(), "MOVED $1 <primary>"))
			got[i] = append(got[i], line)
		}
		// In a transaction: queued, then EXEC.
		r.MustDo(t, "MULTI")
		q, err := r.Do("EVAL", "#!lua\nreturn redis.call('del', KEYS[1])", "1", "a")
		testutil.NoErr(t, err)
		x, err := r.Do("EXEC")
		testutil.NoErr(t, err)
		got[i] = append(got[i], moved.ReplaceAllString("MULTI EVAL -> "+q.String()+"; EXEC -> "+x.String(), "MOVED $1 <primary>"))
		testutil.Equal(t, p.MustDo(t, "GET", "a").String(), `"1"`)
	}
	for j := range got[1] {
		t.Log(got[0][j])
		if got[0][j] != got[1][j] {
			t.Errorf("shoal: %s\nredis: %s", got[0][j], got[1][j])
		}
	}
	testutil.True(t, strings.Contains(got[1][0], "MOVED"), got[1][0])
}

// CONFIG SET cluster-preferred-endpoint-type takes effect at once: MOVED
// and CLUSTER SLOTS name nodes by hostname, "?" or IP as the setting now
// says (27-endpoints "Verify cluster-preferred-endpoint-type behavior for
// redirects and info").
func TestPreferredEndpointTypeConfigSet(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	port := regexp.MustCompile(`:\d{4,5}\b|\(integer\) \d{4,5}\b|"[0-9a-f]{40}"`)
	var got [2][]string
	for i, kind := range []string{"shoal", "redis"} {
		nodes := startNodes(t, portsLegacy+20+10*i, 5000, kind, kind)
		a, b := nodes[0].Dial(t), nodes[1].Dial(t)
		a.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
		b.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
		a.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", fmt.Sprint(nodes[1].Port))
		b.MustDo(t, "CONFIG", "SET", "cluster-announce-hostname", "them.com")
		testutil.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
			if s := a.MustDo(t, "CLUSTER", "SLOTS").String(); !strings.Contains(s, "them.com") {
				return fmt.Errorf("hostname not propagated: %s", s)
			}
			if !strings.Contains(a.MustDo(t, "CLUSTER", "INFO").String(), "cluster_state:ok") {
				return fmt.Errorf("cluster not ok")
			}
			return nil
		})
		far := keyIn(t, "k", 8192, 16383)
		for _, typ := range []string{"hostname", "unknown-endpoint", "ip"} {
			testutil.Equal(t, a.MustDo(t, "CONFIG", "SET", "cluster-preferred-endpoint-type", typ).String(), "OK")
			v, err := a.Do("SET", far, "x")
			testutil.NoErr(t, err)
			got[i] = append(got[i], typ+": "+port.ReplaceAllString(v.String(), ":P"))
			s := a.MustDo(t, "CLUSTER", "SLOTS").String()
			got[i] = append(got[i], typ+": "+port.ReplaceAllString(s, "P"))
		}
	}
	for j := range got[1] {
		t.Log(got[0][j])
		if got[0][j] != got[1][j] {
			t.Errorf("shoal: %s\nredis: %s", got[0][j], got[1][j])
		}
	}
}

// A replica in a full sync reports offset 0 to the cluster, as Redis's
// replicationGetSlaveOffset does with neither a master nor a cached
// master: its master's CLUSTER SLOTS leaves it out and CLUSTER SHARDS
// says "loading" until the load is over (22-replica-in-sync "Replica in
// loading state is hidden", 28-cluster-shards "Test the replica reports a
// loading state while it's loading").
func TestReplicaInFullSyncIsHidden(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for i, kind := range []string{"shoal", "redis"} {
		t.Run(kind, func(t *testing.T) {
			// appendonly yes, as in the suite: the AOF's reader of the write
			// stream must not keep the backlog's bytes for the PSYNC.
			primary, replica := startPrimaryReplica(t, portsLegacy+40+10*i, kind, []string{"--appendonly", "yes"})
			p, r := primary.Dial(t), replica.Dial(t)
			rid := myID(t, replica)
			listed := func() bool { return strings.Contains(p.MustDo(t, "CLUSTER", "SLOTS").String(), rid) }
			health := func() string {
				s := p.MustDo(t, "CLUSTER", "SHARDS").String()
				j := strings.Index(s, rid)
				if j < 0 {
					return "absent"
				}
				m := regexp.MustCompile(`"health", "(\w+)"`).FindStringSubmatch(s[j:])
				if m == nil {
					return "no health"
				}
				return m[1]
			}
			testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
				if !listed() || health() != "online" {
					return fmt.Errorf("replica not listed online yet: %s", health())
				}
				return nil
			})
			p.MustDo(t, "DEBUG", "POPULATE", "1000", "key", "1000")
			p.MustDo(t, "CONFIG", "SET", "repl-backlog-size", "100")
			p.MustDo(t, "CONFIG", "SET", "repl-diskless-sync-delay", "0")
			r.MustDo(t, "CONFIG", "SET", "key-load-delay", "4000")
			r.MustDo(t, "CONFIG", "SET", "loading-process-events-interval-bytes", "1024")
			p.MustDo(t, "MULTI")
			p.MustDo(t, "CLIENT", "KILL", "TYPE", "replica")
			for j := 0; j < 100; j++ {
				p.MustDo(t, "SET", fmt.Sprintf("{0}%d", j), strings.Repeat("A", 1024))
			}
			p.MustDo(t, "EXEC")
			testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
				if listed() || health() != "loading" {
					return fmt.Errorf("replica still listed (%v) or not loading (%s)", listed(), health())
				}
				return nil
			})
			r.MustDo(t, "CONFIG", "SET", "key-load-delay", "0")
			testutil.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				if !listed() || health() != "online" {
					return fmt.Errorf("replica not back: listed %v, %s", listed(), health())
				}
				return nil
			})
		})
	}
}

// A replica restarted from its own dump keeps the keys that expired while
// it was down: only a master drops them at load (iAmMaster), a replica
// waits for its master's DELs (14-consistency-check "Slave expired keys is
// loaded when restarted: appendonly=no").
func TestReplicaLoadKeepsExpiredKeys(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for i, c := range []struct{ kind, aof string }{{"shoal", "no"}, {"redis", "no"}, {"shoal", "yes"}, {"redis", "yes"}} {
		t.Run(c.kind+"/appendonly="+c.aof, func(t *testing.T) {
			primary, replica := startPrimaryReplica(t, portsLegacy+60+10*i, c.kind, nil, "--appendonly", c.aof)
			p := primary.Dial(t)
			if c.aof == "yes" {
				// The keys reach the AOF as SET ... PXAT after the
				// initial rewrite.
				rc := replica.Dial(t)
				testutil.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
					info := rc.MustDo(t, "INFO", "persistence").String()
					if !strings.Contains(info, "aof_rewrite_in_progress:0") || !strings.Contains(info, "aof_rewrite_scheduled:0") {
						return fmt.Errorf("AOF rewrite not done")
					}
					return nil
				})
			}
			for j := 0; j < 50; j++ {
				p.MustDo(t, "SET", fmt.Sprintf("{t}%d", j), "v", "PX", "2000")
			}
			p.MustDo(t, "SET", "{t}keep", "v")
			testutil.Equal(t, p.MustDo(t, "WAIT", "1", "5000").String(), "(integer) 1")
			r := replica.Dial(t)
			testutil.Equal(t, r.MustDo(t, "DBSIZE").String(), "(integer) 51")
			if c.aof == "no" {
				testutil.Equal(t, r.MustDo(t, "SAVE").String(), "OK")
			}
			replica.Stop()
			p.MustDo(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
			time.Sleep(2500 * time.Millisecond) // the keys expire on disk
			replica.Restart()
			testutil.Equal(t, replica.Dial(t).MustDo(t, "DBSIZE").String(), "(integer) 51")
			p.MustDo(t, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
			testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
				if v := replica.Dial(t).MustDo(t, "DBSIZE").String(); v != "(integer) 1" {
					return fmt.Errorf("replica DBSIZE %s", v)
				}
				return nil
			})
		})
	}
}

// A link whose unsent messages pass cluster-link-sendbuf-limit is freed
// and counted in CLUSTER INFO, and a new link to the peer is made (24-links
// "Disconnect link when send buffer limit reached"): the peer is stopped
// (SIGSTOP) and the node publishes 128 KB messages until it happens.
func TestLinkSendBufLimit(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	for i, kind := range []string{"shoal", "redis"} {
		t.Run(kind, func(t *testing.T) {
			nodes := startNodes(t, portsLegacy+100+10*i, 5000, kind, kind)
			a, b := nodes[0].Dial(t), nodes[1].Dial(t)
			a.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
			b.MustDo(t, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
			a.MustDo(t, "CLUSTER", "MEET", "127.0.0.1", fmt.Sprint(nodes[1].Port))
			waitAgreed(t, nodes)
			a.MustDo(t, "CONFIG", "SET", "cluster-node-timeout", "3600000")
			a.MustDo(t, "CONFIG", "SET", "cluster-link-sendbuf-limit", "262144")
			exceeded := func() string {
				m := regexp.MustCompile(`total_cluster_links_buffer_limit_exceeded:(\d+)`).FindStringSubmatch(a.MustDo(t, "CLUSTER", "INFO").String())
				if m == nil {
					t.Fatal("no total_cluster_links_buffer_limit_exceeded")
				}
				return m[1]
			}
			testutil.Equal(t, exceeded(), "0")
			testutil.NoErr(t, syscall.Kill(nodes[1].Pid, syscall.SIGSTOP))
			t.Cleanup(func() { syscall.Kill(nodes[1].Pid, syscall.SIGCONT) })
			msg := strings.Repeat("x", 128*1024)
			n := 0
			for ; n < 200 && exceeded() == "0"; n++ {
				a.MustDo(t, "PUBLISH", "ch", msg)
				time.Sleep(100 * time.Millisecond)
			}
			testutil.True(t, exceeded() != "0", "no link freed after 200 messages of 128 KB")
			t.Logf("%s: %d messages", kind, n)
			testutil.NoErr(t, syscall.Kill(nodes[1].Pid, syscall.SIGCONT))
			waitAgreed(t, nodes)
		})
	}
}
