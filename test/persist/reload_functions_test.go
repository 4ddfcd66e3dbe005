package persist

import (
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// DEBUG RELOAD NOSAVE empties the functions with the keys before loading
// the file: a library loaded after the save is gone, the saved one is
// back; compared with redis-server.
func TestDebugReloadFlushesFunctions(t *testing.T) {
	got := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind)
		c := n.Dial(t)
		c.MustDo(t, "FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('func1', function() return 123 end)")
		c.MustDo(t, "SAVE")
		c.MustDo(t, "SET", "should-not-exist", "1")
		c.MustDo(t, "FUNCTION", "LOAD", "#!lua name=late\nredis.register_function('late', function() return 456 end)")
		testutil.Equal(t, c.MustDo(t, "DEBUG", "RELOAD", "NOSAVE").String(), "OK")
		got[kind] = c.MustDo(t, "FUNCTION", "LIST").String() + " " + c.MustDo(t, "GET", "should-not-exist").String()
	}
	testutil.Equal(t, got["shoal"], got["redis"])
}
