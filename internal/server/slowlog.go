package server

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// SLOWLOG as Redis 7.0 keeps it: every command whose execution took at
// least slowlog-log-slower-than microseconds (negative: none; 0: every
// command) is logged with an id, the unix time, its duration, its
// arguments (at most 32, each cut at 128 bytes), the client's address and
// name; the newest slowlog-max-len entries are kept. Commands flagged
// skip_slowlog (EXEC, AUTH, HELLO, …) are not logged, nor is the first run
// of a command that blocks (it is logged when it is served), nor the AOF's
// replay. The cost on the hot path is one comparison (client.call).

const (
	slowlogMaxArgc = 32  // SLOWLOG_ENTRY_MAX_ARGC
	slowlogMaxStr  = 128 // SLOWLOG_ENTRY_MAX_STRING
)

type slowEntry struct {
	id, unix, usec int64
	args           []string
	peer, name     string
}

type slowlog struct {
	mu      sync.Mutex
	entries []slowEntry // oldest first
	nextID  int64
}

// slowThresholds turns slowlog-log-slower-than (µs) and
// latency-monitor-threshold (ms) into nanosecond thresholds, MaxInt64 when
// off, and the smaller of the two: what client.call compares with.
func slowThresholds(slowUs, latMs int64) (slowNs, latNs, minNs int64) {
	slowNs, latNs = math.MaxInt64, math.MaxInt64
	if slowUs >= 0 && slowUs < math.MaxInt64/1000 {
		slowNs = slowUs * 1000
	}
	if latMs > 0 && latMs < math.MaxInt64/1_000_000 {
		latNs = latMs * 1_000_000
	}
	return slowNs, latNs, min(slowNs, latNs)
}

// noteSlow is called for a command that ran for at least the smaller
// threshold: it feeds the slow log and the latency monitor.
func (c *client) noteSlow(spec *command.Spec, args [][]byte, ns int64, st *settings) {
	if c.session || (c.ctx.Block != nil && !c.inBlockLoop) {
		return
	}
	if ns >= st.latNs {
		ev := "command"
		if spec.Has(command.FlagFast) {
			ev = "fast-command"
		}
		c.srv.latency.add(ev, time.Now().Unix(), ns/1_000_000)
	}
	if ns < st.slowNs || spec.Has(command.FlagSkipSlowlog) {
		return
	}
	e := slowEntry{unix: time.Now().Unix(), usec: ns / 1000, peer: c.conn.RemoteAddr().String()}
	c.metaMu.Lock()
	e.name = c.name
	c.metaMu.Unlock()
	n := min(len(args), slowlogMaxArgc)
	e.args = make([]string, n)
	redact := redactedArgs(args)
	for j := 0; j < n; j++ {
		a := args[j]
		switch {
		case n != len(args) && j == n-1:
			e.args[j] = "... (" + strconv.Itoa(len(args)-n+1) + " more arguments)"
		case redact != nil && redact[j]:
			e.args[j] = "(redacted)"
		case len(a) > slowlogMaxStr:
			e.args[j] = string(a[:slowlogMaxStr]) + "... (" + strconv.Itoa(len(a)-slowlogMaxStr) + " more bytes)"
		default:
			e.args[j] = string(a)
		}
	}
	l := &c.srv.slowlog
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	if max := int(st.slowMaxLen); len(l.entries) > max {
		l.entries = append(l.entries[:0], l.entries[len(l.entries)-max:]...)
	}
	l.mu.Unlock()
}

var slowlogHelp = []string{
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
}

func (s *Server) registerSlowlog() {
	for _, sub := range []string{"get", "len", "reset", "help"} {
		s.handle("slowlog|"+sub, s.slowlogCommand)
	}
}

func (s *Server) slowlogCommand(ctx *command.Ctx) {
	args := ctx.Args
	l := &s.slowlog
	switch sub := strings.ToLower(string(args[1])); {
	case sub == "help" && len(args) == 2:
		helpReply("SLOWLOG", slowlogHelp)(ctx)
	case sub == "reset" && len(args) == 2:
		l.mu.Lock()
		l.entries = nil
		l.mu.Unlock()
		ctx.W.OK()
	case sub == "len" && len(args) == 2:
		l.mu.Lock()
		n := len(l.entries)
		l.mu.Unlock()
		ctx.W.Int(int64(n))
	case sub == "get" && len(args) <= 3:
		count := int64(10)
		if len(args) == 3 {
			n, ok := rnum.ParseInt(args[2]) // string2ll: not "+1" nor "01"
			if !ok || n < -1 {
				ctx.Error(rediserr.SlowlogCount)
				return
			}
			count = n
		}
		l.mu.Lock()
		n := len(l.entries)
		if count >= 0 && int64(n) > count {
			n = int(count)
		}
		ctx.W.Array(n)
		for i := 0; i < n; i++ {
			e := &l.entries[len(l.entries)-1-i]
			ctx.W.Array(6)
			ctx.W.Int(e.id)
			ctx.W.Int(e.unix)
			ctx.W.Int(e.usec)
			ctx.W.Array(len(e.args))
			for _, a := range e.args {
				ctx.W.BulkString(a)
			}
			ctx.W.BulkString(e.peer)
			ctx.W.BulkString(e.name)
		}
		l.mu.Unlock()
	default:
		ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "SLOWLOG"))
	}
}
