package persist

import (
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestDebugReloadNoflushFunctions: DEBUG RELOAD NOFLUSH fails on a library
// that is loaded already (rdbFunctionLoad without ALLOW_DUP), and NOFLUSH
// MERGE replaces it, as redis-server 7.0 (unit/functions "test debug
// reload different options").
func TestDebugReloadNoflushFunctions(t *testing.T) {
	testutil.EachKind(t, func(t *testing.T, n *testutil.Node) {
		c := n.Dial(t)
		c.MustDo(t, "FUNCTION", "LOAD", "#!lua name=test\nredis.register_function('test', function() return 'hello' end)")
		v, err := c.Do("DEBUG", "RELOAD", "NOFLUSH")
		testutil.NoErr(t, err)
		if !strings.Contains(string(v.Str), "Error trying to load the RDB") {
			t.Fatalf("DEBUG RELOAD NOFLUSH with the library loaded: %q", v.Str)
		}
		testutil.Equal(t, string(c.MustDo(t, "DEBUG", "RELOAD", "NOFLUSH", "MERGE").Str), "OK")
		testutil.Equal(t, string(c.MustDo(t, "FCALL", "test", "0").Str), "hello")
		testutil.Equal(t, len(c.MustDo(t, "FUNCTION", "LIST").Elems), 1)
	})
}
