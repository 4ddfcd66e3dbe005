package e2e

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// SETBIT and BITFIELD count a change (rdb_changes_since_last_save, and the
// write reaching AOF and replicas) only for a new key, a grown string or a
// field whose value changed, beside redis-server (unit/bitops "SETBIT/
// BITFIELD only increase dirty when the value changed").
func TestBitfieldDirtyOnlyOnChange(t *testing.T) {
	compareKinds(t, func(t *testing.T, n *testutil.Node) []string {
		c := n.Dial(t)
		var out []string
		for _, cmd := range [][]string{
			{"SETBIT", "foo", "0", "0"}, {"BITFIELD", "foo2", "SET", "i5", "0", "0"},
			{"SETBIT", "foo", "0", "0"}, {"BITFIELD", "foo2", "SET", "i5", "0", "0"},
			{"BITFIELD", "foo2", "SET", "i5", "0", "1"}, {"BITFIELD", "foo2", "SET", "i5", "0", "1"},
			{"BITFIELD", "foo2", "INCRBY", "i5", "0", "0"}, {"BITFIELD", "foo2", "INCRBY", "i5", "0", "-1"},
			{"BITFIELD", "foo2", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9", "GET", "u2", "0"},
			{"BITFIELD", "foo2", "SET", "u8", "0", "255", "SET", "u8", "0", "0"},
			{"BITFIELD", "foo2", "SET", "i64", "0", "-1"}, {"BITFIELD", "foo2", "SET", "i64", "0", "-1"},
			{"BITFIELD", "foo2", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9"},
			{"BITFIELD", "foo2", "SET", "u8", "100", "0"},
		} {
			out = append(out, c.MustDo(t, cmd...).String())
			info := string(c.MustDo(t, "INFO", "persistence").Str)
			i := strings.Index(info, "rdb_changes_since_last_save:")
			testutil.True(t, i >= 0, "no rdb_changes_since_last_save")
			line, _, _ := strings.Cut(info[i:], "\r\n")
			out = append(out, strings.Join(cmd, " ")+" → "+line)
		}
		return out
	})
}
