package acl

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestReplicaAsACLUser: a replica logs in to its master with masteruser /
// masterauth as an ACL user that may only PSYNC, REPLCONF and PING — a
// Shoal replica and a redis-server replica of a Shoal master — and a
// replica whose user lacks PSYNC does not sync.
func TestReplicaAsACLUser(t *testing.T) {
	ctx := context.Background()
	master := testutil.StartShoal(t)
	testutil.NoErr(t, client(t, master.Addr).ConfigSet(ctx, "requirepass", "adminpw").Err())
	m := client(t, master.Addr, withPassword("adminpw"))
	testutil.NoErr(t, m.Do(ctx, "ACL", "SETUSER", "repl", "on", ">rpw", "+psync", "+replconf", "+ping").Err())
	testutil.NoErr(t, m.Do(ctx, "ACL", "SETUSER", "nosync", "on", ">rpw", "+replconf", "+ping").Err())
	testutil.NoErr(t, m.Set(ctx, "k", "v1", 0).Err())
	port := strconv.Itoa(master.Port)
	for _, tc := range []struct {
		name  string
		start func(testing.TB, ...string) *testutil.Node
		user  string
		syncs bool
	}{
		{"shoal", testutil.StartShoal, "repl", true},
		{"redis", testutil.StartRedis, "repl", true},
		{"shoal-nopsync", testutil.StartShoal, "nosync", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.start(t, "--replicaof", "127.0.0.1", port, "--masteruser", tc.user, "--masterauth", "rpw")
			rc := client(t, r.Addr)
			if !tc.syncs {
				time.Sleep(2 * time.Second) // a bounded look: it must not sync meanwhile
				if v, _ := rc.Get(ctx, "k").Result(); v == "v1" {
					t.Fatal("a user without PSYNC synced")
				}
				return
			}
			testutil.CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
				v, err := rc.Get(ctx, "k").Result()
				if v != "v1" {
					return fmt.Errorf("replica k=%q %v", v, err)
				}
				return nil
			})
		})
	}
}
