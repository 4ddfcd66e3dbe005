package acl

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestMigrateAuth2: MIGRATE … AUTH2 logs in to the target as an ACL user;
// a wrong password and a user without the right to RESTORE fail as they
// do between two redis-servers. The source checks the caller's rights to
// the keys (MIGRATE reads and deletes them).
func TestMigrateAuth2(t *testing.T) {
	run := func(start func(t testing.TB, args ...string) *testutil.Node) []string {
		src, dst := start(t), start(t)
		d := testutil.Dial(t, dst.Addr)
		d.MustDo(t, "ACL", "SETUSER", "mig", "on", ">pw", "~*", "+@all")
		d.MustDo(t, "ACL", "SETUSER", "weak", "on", ">pw", "~*", "+@read")
		s := testutil.Dial(t, src.Addr)
		s.MustDo(t, "ACL", "SETUSER", "mover", "on", ">pw", "%R~k*", "+@all")
		port := strconv.Itoa(dst.Port)
		var out []string
		do := func(c *testutil.Conn, args ...string) {
			v, err := c.Do(args...)
			out = append(out, fmt.Sprint(v, err))
		}
		do(s, "SET", "k1", "v1")
		do(s, "SET", "k2", "v2")
		do(s, "SET", "k3", "v3")
		do(s, "MIGRATE", "127.0.0.1", port, "k1", "0", "5000", "AUTH2", "mig", "pw")
		do(s, "MIGRATE", "127.0.0.1", port, "k2", "0", "5000", "AUTH2", "mig", "bad")
		do(s, "MIGRATE", "127.0.0.1", port, "k2", "0", "5000", "AUTH2", "weak", "pw")
		do(d, "GET", "k1")
		do(d, "EXISTS", "k2")
		mover := testutil.Dial(t, src.Addr)
		do(mover, "AUTH", "mover", "pw")
		// mover may read k* but not delete them: MIGRATE is refused.
		do(mover, "MIGRATE", "127.0.0.1", port, "k3", "0", "5000", "AUTH2", "mig", "pw")
		do(s, "EXISTS", "k3")
		return out
	}
	r, s := run(testutil.StartRedis), run(testutil.StartShoal)
	testutil.DeepEqual(t, s, r)
}
