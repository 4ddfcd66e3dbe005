package memory

import (
	"strconv"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// MEMORY USAGE: nil for a missing key, Redis's errors for bad options
// (compared with redis-server), and a size that is positive and grows
// with the value (the figures themselves are each server's estimate).
func TestMemoryUsage(t *testing.T) {
	errs := map[string]string{}
	for _, kind := range []string{"redis", "shoal"} {
		n := testutil.StartKind(t, kind)
		c := n.Dial(t)
		var out []string
		for _, args := range [][]string{
			{"MEMORY", "USAGE", "nokey"},
			{"MEMORY", "USAGE", "nokey", "SAMPLES"},
			{"MEMORY", "USAGE", "nokey", "SAMPLES", "x"},
			{"MEMORY", "USAGE", "nokey", "SAMPLES", "-1"},
			{"MEMORY", "USAGE", "nokey", "FOO", "1"},
			{"MEMORY", "USAGE", "nokey", "SAMPLES", "0"},
		} {
			out = append(out, c.MustDo(t, args...).String())
		}
		errs[kind] = strings.Join(out, "\n")

		c.MustDo(t, "SET", "s", "v")
		small := c.MustDo(t, "MEMORY", "USAGE", "s").Int
		c.MustDo(t, "SET", "s", strings.Repeat("x", 10000))
		big := c.MustDo(t, "MEMORY", "USAGE", "s", "SAMPLES", "5").Int
		testutil.True(t, small > 0 && big > small+10000-1, kind+": "+strconv.Itoa(int(small))+" "+strconv.Itoa(int(big)))
		for i := 0; i < 1000; i++ {
			c.MustDo(t, "HSET", "h", "f"+strconv.Itoa(i), "value")
		}
		h := c.MustDo(t, "MEMORY", "USAGE", "h", "SAMPLES", "0").Int
		testutil.True(t, h > 1000*10, kind+": hash "+strconv.Itoa(int(h)))
	}
	testutil.Equal(t, errs["shoal"], errs["redis"])
}
