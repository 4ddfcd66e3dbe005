package server

import (
	"sort"
	"strings"
	"sync"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// The latency monitor as Redis 7.0 keeps it: while latency-monitor-threshold
// (ms) is above 0, every event that takes at least that long is sampled
// into its event class (here "command" and "fast-command", from
// client.call), one sample per second holding the second's worst, the
// last 160 kept, plus the class's all-time maximum. LATENCY LATEST,
// HISTORY, RESET and HELP read it. (DOCTOR, GRAPH and HISTOGRAM are not
// offered yet: they answer Redis's unknown-subcommand error.)

const latencyTSLen = 160 // LATENCY_TS_LEN

type latencySample struct{ unix, ms int64 }

type latencySeries struct {
	samples [latencyTSLen]latencySample
	idx     int
	max     int64
}

type latencyMonitor struct {
	mu     sync.Mutex
	events map[string]*latencySeries
}

// add is Redis's latencyAddSample.
func (m *latencyMonitor) add(event string, unix, ms int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*latencySeries{}
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencyTSLen-1)%latencyTSLen]
	if prev.unix == unix {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{unix, ms}
	ts.idx = (ts.idx + 1) % latencyTSLen
}

var latencyHelp = []string{
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}

func (s *Server) registerLatency() {
	for _, sub := range []string{"latest", "history", "reset", "help"} {
		s.handle("latency|"+sub, s.latencyCommand)
	}
}

func (s *Server) latencyCommand(ctx *command.Ctx) {
	args := ctx.Args
	m := &s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	switch sub := strings.ToLower(string(args[1])); {
	case sub == "history" && len(args) == 3:
		ts := m.events[string(args[2])]
		if ts == nil {
			ctx.W.Array(0)
			return
		}
		n := 0
		for _, smp := range ts.samples {
			if smp.unix != 0 {
				n++
			}
		}
		ctx.W.Array(n)
		for j := 0; j < latencyTSLen; j++ {
			smp := ts.samples[(ts.idx+j)%latencyTSLen]
			if smp.unix == 0 {
				continue
			}
			ctx.W.Array(2)
			ctx.W.Int(smp.unix)
			ctx.W.Int(smp.ms)
		}
	case sub == "latest" && len(args) == 2:
		names := make([]string, 0, len(m.events))
		for name := range m.events {
			names = append(names, name)
		}
		sort.Strings(names)
		ctx.W.Array(len(names))
		for _, name := range names {
			ts := m.events[name]
			last := ts.samples[(ts.idx+latencyTSLen-1)%latencyTSLen]
			ctx.W.Array(4)
			ctx.W.BulkString(name)
			ctx.W.Int(last.unix)
			ctx.W.Int(last.ms)
			ctx.W.Int(ts.max)
		}
	case sub == "reset" && len(args) >= 2:
		n := 0
		if len(args) == 2 {
			n = len(m.events)
			m.events = nil
		} else {
			for _, a := range args[2:] {
				if _, ok := m.events[string(a)]; ok {
					delete(m.events, string(a))
					n++
				}
			}
		}
		ctx.W.Int(int64(n))
	case sub == "help" && len(args) == 2:
		helpReply("LATENCY", latencyHelp)(ctx)
	default:
		ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "LATENCY"))
	}
}
