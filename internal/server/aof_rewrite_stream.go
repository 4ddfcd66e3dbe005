package server

import (
	"math"
	"strconv"

	"github.com/shoal-db/shoal/internal/stream"
	"github.com/shoal-db/shoal/internal/types"
)

// appendStreamRewrite appends the commands that rebuild stream s at key,
// as Redis 7.0's rewriteStreamObject emits them: XADD per entry (an empty
// stream: XADD key MAXLEN 0 0-1 x y), XSETID with ENTRIESADDED and
// MAXDELETEDID, then per group XGROUP CREATE … ENTRIESREAD, and per
// consumer either XCLAIM … TIME RETRYCOUNT JUSTID FORCE for each pending
// entry or XGROUP CREATECONSUMER when it has none.
func appendStreamRewrite(out []byte, key []byte, s *types.Stream) []byte {
	var argv [][]byte
	id := func(x types.StreamID) []byte { return x.Append(nil) }
	num := func(n int64) []byte { return strconv.AppendInt(nil, n, 10) }
	if s.Len() > 0 {
		max := types.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
		s.Range(types.StreamID{}, max, false, func(e *types.StreamEntry) bool {
			argv = append(argv[:0], []byte("XADD"), key, id(e.ID))
			for _, x := range e.FV {
				argv = append(argv, []byte(x))
			}
			out = stream.AppendCommand(out, argv)
			return true
		})
	} else {
		out = stream.AppendCommand(out, [][]byte{[]byte("XADD"), key, []byte("MAXLEN"), []byte("0"), []byte("0-1"), []byte("x"), []byte("y")})
	}
	out = stream.AppendCommand(out, [][]byte{[]byte("XSETID"), key, id(s.LastID),
		[]byte("ENTRIESADDED"), num(int64(s.EntriesAdded)), []byte("MAXDELETEDID"), id(s.MaxDeleted)})
	s.EachGroup(func(name string, g *types.StreamGroup) bool {
		gname := []byte(name)
		out = stream.AppendCommand(out, [][]byte{[]byte("XGROUP"), []byte("CREATE"), key, gname, id(g.LastID),
			[]byte("ENTRIESREAD"), num(g.EntriesRead)})
		g.EachConsumer(func(c *types.StreamConsumer) bool {
			cname := []byte(c.Name)
			if c.PendingCount() == 0 {
				out = stream.AppendCommand(out, [][]byte{[]byte("XGROUP"), []byte("CREATECONSUMER"), key, gname, cname})
				return true
			}
			g.PendingRange(c, types.StreamID{}, func(pid types.StreamID, n *types.StreamNACK) bool {
				out = stream.AppendCommand(out, [][]byte{[]byte("XCLAIM"), key, gname, cname, []byte("0"), id(pid),
					[]byte("TIME"), num(n.DeliveryTime), []byte("RETRYCOUNT"), num(n.DeliveryCount),
					[]byte("JUSTID"), []byte("FORCE")})
				return true
			})
			return true
		})
		return true
	})
	return out
}
