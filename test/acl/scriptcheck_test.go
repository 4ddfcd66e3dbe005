package acl

import (
	"fmt"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestScriptACLCheckCmd: redis.acl_check_cmd answers for the script's
// caller — a command outside the user's categories, or a key outside its
// patterns, is false — and leaves no ACL LOG entry, as on redis-server 7.0
// (unit/scripting "Script ACL check").
func TestScriptACLCheckCmd(t *testing.T) {
	testutil.EachKind(t, func(t *testing.T, n *testutil.Node) {
		c := n.Dial(t)
		c.MustDo(t, "ACL", "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*")
		c.MustDo(t, "AUTH", "bob", "123")
		check := func(script string, keys ...string) string {
			args := append([]string{"EVAL", script, fmt.Sprint(len(keys))}, keys...)
			v := c.MustDo(t, args...)
			return fmt.Sprintf("%c%s%d", v.Kind, v.Str, v.Int)
		}
		testutil.Equal(t, check("return redis.acl_check_cmd('set','xx',1)", "xx"), ":1")
		testutil.Equal(t, check("return redis.acl_check_cmd('hset','xx','f',1)", "xx"), "$0")
		testutil.Equal(t, check("return redis.acl_check_cmd('set','yy',1)"), "$0")
		v, err := c.Do("EVAL", "return redis.acl_check_cmd('invalid-cmd','arg')", "0")
		testutil.NoErr(t, err)
		if v.Kind != '-' {
			t.Fatalf("invalid command: %c %q", v.Kind, v.Str)
		}
		c.MustDo(t, "AUTH", "default", "")
		testutil.Equal(t, len(c.MustDo(t, "ACL", "LOG").Elems), 0)
	})
}
