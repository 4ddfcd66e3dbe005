package acl

import (
	"context"
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// SORT's BY and GET patterns need read access to every key in some
// selector, as Redis 7.0's sortCommandGeneric checks
// (ACLUserCheckKeyPerm(user, "*")): the replies are compared with
// redis-server for key patterns that do and do not give it.
func TestSortPatternsNeedAllKeys(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	run := func(t *testing.T, n *testutil.Node) []string {
		ctx := context.Background()
		admin := client(t, n.Addr)
		testutil.NoErr(t, admin.Set(ctx, "v1", "1", 0).Err())
		testutil.NoErr(t, admin.LPush(ctx, "mylist", "1").Err())
		var out []string
		for _, rule := range [][]any{{"(+sort ~mylist)"}, {"(+sort ~mylist ~v*)"}, {"(+sort ~mylist %W~*)"}, {"(+sort ~mylist %R~*)"}, {"+sort", "allkeys"}} {
			testutil.NoErr(t, admin.Do(ctx, append([]any{"ACL", "SETUSER", "s", "reset", "on", "nopass"}, rule...)...).Err())
			u := userClient(t, n.Addr, "s", "x", 2)
			for _, cmd := range [][]any{{"SORT", "mylist", "BY", "v*"}, {"SORT", "mylist", "GET", "v*"}, {"SORT", "mylist", "BY", "nosort"}} {
				v, err := u.Do(ctx, cmd...).Result()
				out = append(out, fmt.Sprintf("%s %v: %v %v", rule, cmd, v, err))
			}
			u.Close()
		}
		return out
	}
	want, got := both(t, nil, run)
	testutil.DeepEqual(t, got, want)
}
