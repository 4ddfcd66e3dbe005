package e2e

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// errorCounts is INFO errorstats plus total_error_replies, as text.
func errorCounts(t *testing.T, c *testutil.Conn) string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(c.MustDo(t, "INFO", "errorstats").Str), "\r\n") {
		if strings.HasPrefix(l, "errorstat_") {
			out = append(out, l)
		}
	}
	for _, l := range strings.Split(string(c.MustDo(t, "INFO", "stats").Str), "\r\n") {
		if strings.HasPrefix(l, "total_error_replies:") {
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}

// TestErrorstatsScriptAndUnblock: an error a script's command returns
// counts in errorstats and total_error_replies even when redis.pcall
// catches it, and a client freed by CLIENT UNBLOCK … ERROR counts its
// -UNBLOCKED (unit/info "errorstats: failed call within LUA", "errorstats:
// blocking commands"); compared with redis-server.
func TestErrorstatsScriptAndUnblock(t *testing.T) {
	compareKinds(t, func(t *testing.T, n *testutil.Node) []string {
		c, blocked := n.Dial(t), n.Dial(t)
		var out []string
		c.MustDo(t, "CONFIG", "RESETSTAT")
		c.MustDo(t, "EVAL", "redis.pcall('XGROUP', 'CREATECONSUMER', 's1', 'mygroup', 'consumer') return", "0")
		out = append(out, errorCounts(t, c)+"\n")
		c.MustDo(t, "EVAL", "local t = redis.pcall('select', 99) return 1", "0")
		out = append(out, errorCounts(t, c)+"\n")
		c.MustDo(t, "EVAL", "return redis.call('select', 99)", "0")
		out = append(out, errorCounts(t, c)+"\n")

		c.MustDo(t, "CONFIG", "RESETSTAT")
		id := blocked.MustDo(t, "CLIENT", "ID").Int
		testutil.NoErr(t, blocked.Send("BLPOP", "list1{t}", "0"))
		testutil.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			if v := c.MustDo(t, "CLIENT", "UNBLOCK", strconv.FormatInt(id, 10), "ERROR"); v.Int != 1 {
				return errors.New("BLPOP not blocked yet")
			}
			return nil
		})
		_, raw, err := blocked.Read()
		testutil.NoErr(t, err)
		return append(out, string(raw), errorCounts(t, c))
	})
}
