package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/hdrhist"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// The latency monitor as Redis 7.0 keeps it: while latency-monitor-threshold
// (ms) is above 0, every event that takes at least that long is sampled
// into its event class, one sample per second holding the second's worst,
// the last 160 kept, plus the class's all-time maximum. The classes are
// those of Redis's that Shoal has: "command" and "fast-command" (client.call),
// "expire-cycle" (the cron's active expiry), "eviction-cycle" and
// "eviction-del" (performEvictions), "aof-fsync-always" (a command waiting
// for appendfsync always). Shoal never forks, so "fork" and the
// "*-active-child" classes never appear. LATENCY LATEST, HISTORY, RESET,
// DOCTOR, GRAPH and HELP read it.
//
// Latency tracking (latency-tracking, default yes): every command's
// duration goes into its command's histogram (command.Spec.Latency, an
// HdrHistogram layout: internal/hdrhist), one atomic add with no lock or
// allocation; INFO latencystats prints the percentiles of
// latency-tracking-info-percentiles and LATENCY HISTOGRAM the cumulative
// rows.

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
	for _, sub := range []string{"latest", "history", "reset", "help", "doctor", "graph", "histogram"} {
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
				for name := range m.events { // strcasecmp, as Redis
					if strings.EqualFold(name, string(a)) {
						delete(m.events, name)
						n++
					}
				}
			}
		}
		ctx.W.Int(int64(n))
	case sub == "graph" && len(args) == 3:
		ts := m.events[string(args[2])]
		if ts == nil {
			ctx.Error(rediserr.LatencyNoSamples(string(args[2])))
			return
		}
		ctx.W.Verbatim(latencyGraph(string(args[2]), ts, time.Now().Unix()))
	case sub == "doctor" && len(args) == 2:
		ctx.W.Verbatim(s.latencyReport(m))
	case sub == "histogram":
		s.latencyHistogram(ctx)
	case sub == "help" && len(args) == 2:
		helpReply("LATENCY", latencyHelp)(ctx)
	default:
		ctx.Error(rediserr.SubcommandSyntax(string(args[1]), "LATENCY"))
	}
}

// latencySample adds an event's duration (ns) to the monitor when it is at
// least latency-monitor-threshold (Redis's latencyAddSampleIfNeeded).
func (s *Server) latencySample(event string, ns int64) {
	if ns >= s.conf().latNs {
		s.latency.add(event, time.Now().Unix(), ns/1_000_000)
	}
}

// noteBlockedLatency records a blocked command that ends without being
// served (timeout, CLIENT UNBLOCK ... ERROR): its duration is the run
// that blocked, as Redis's updateStatsOnUnblock counts it.
func (c *client) noteBlockedLatency(spec *command.Spec) {
	if c.srv.conf().latTrack {
		spec.Latency.Record(c.blockRunNs)
	}
}

// infoLatencyStats writes INFO latencystats: one line per command with a
// histogram, `latency_percentiles_usec_<name>:p50=1.003,p99=…`, the
// percentiles in µs with three decimals; nothing while latency-tracking is
// off.
func (s *Server) infoLatencyStats(w infoWriter) {
	st := s.conf()
	if !st.latTrack {
		return
	}
	specs := s.allSpecs()
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	var snap hdrhist.Snapshot
	var b []byte
	for _, sp := range specs {
		if !sp.Latency.Used() {
			continue
		}
		sp.Latency.Snapshot(&snap)
		b = b[:0]
		for i, p := range st.latPercentiles {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, 'p')
			b = append(b, percentileName(p)...)
			b = append(b, '=')
			b = strconv.AppendFloat(b, float64(snap.ValueAtPercentile(p))/1000, 'f', 3, 64)
		}
		w.s("latency_percentiles_usec_"+infoSafe(sp.Name), string(b))
	}
}

// percentileName is Redis's "%f" then trimDoubleString: 50 → "50",
// 99.9 → "99.9".
func percentileName(p float64) string {
	s := strconv.FormatFloat(p, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// infoSafe replaces the characters INFO cannot carry (# : CR LF) with '_',
// as Redis's getSafeInfoString.
func infoSafe(s string) string {
	if !strings.ContainsAny(s, "#:\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '#', ':', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}

// latencyHistogram is LATENCY HISTOGRAM [command ...]: a map of command
// name to {calls, histogram_usec: {µs: cumulative calls}}, for every
// command with a histogram, or for the ones named (a container command
// brings its subcommands; unknown names are skipped).
func (s *Server) latencyHistogram(ctx *command.Ctx) {
	var specs []*command.Spec
	if len(ctx.Args) == 2 {
		specs = s.allSpecs()
		sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	} else {
		for _, a := range ctx.Args[2:] {
			sp := s.table.Get(strings.ToLower(string(a)))
			if sp == nil {
				continue
			}
			specs = append(specs, sp)
			specs = append(specs, sp.SortedSubs()...)
		}
	}
	var used []*command.Spec
	for _, sp := range specs {
		if sp.Latency.Used() {
			used = append(used, sp)
		}
	}
	w := ctx.W
	w.Map(len(used))
	var snap hdrhist.Snapshot
	for _, sp := range used {
		sp.Latency.Snapshot(&snap)
		w.BulkString(sp.Name)
		w.Map(2)
		w.BulkString("calls")
		w.Int(snap.Total)
		w.BulkString("histogram_usec")
		rows := snap.CDF()
		w.Map(len(rows))
		for _, r := range rows {
			w.Int(r.Micros)
			w.Int(r.Cumulative)
		}
	}
}

// latencyGraphCols is the graph's width (LATENCY_GRAPH_COLS).
const latencyGraphCols = 80

// latencyGraph is LATENCY GRAPH's text: a title line, a rule, and a
// four-row sparkline of the samples, oldest first, each labelled with how
// long ago it was (s, m, h, d) written downwards under it.
func latencyGraph(event string, ts *latencySeries, now int64) string {
	var vals []float64
	var labels []string
	var lo, hi int64
	for j := 0; j < latencyTSLen; j++ {
		smp := ts.samples[(ts.idx+j)%latencyTSLen]
		if smp.unix == 0 {
			continue
		}
		if len(vals) == 0 {
			lo, hi = smp.ms, smp.ms
		} else {
			lo, hi = min(lo, smp.ms), max(hi, smp.ms)
		}
		ago := now - smp.unix
		var label string
		switch {
		case ago < 60:
			label = strconv.FormatInt(ago, 10) + "s"
		case ago < 3600:
			label = strconv.FormatInt(ago/60, 10) + "m"
		case ago < 3600*24:
			label = strconv.FormatInt(ago/3600, 10) + "h"
		default:
			label = strconv.FormatInt(ago/(3600*24), 10) + "d"
		}
		vals = append(vals, float64(smp.ms))
		labels = append(labels, label)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", latencyGraphCols))
	b.WriteByte('\n')
	sparkline(&b, vals, labels, latencyGraphCols, 4)
	return b.String()
}

// sparkline draws values as filled columns `rows` characters high ("_o#",
// '|' below the top), the labels written vertically one line under them,
// in chunks of `cols` columns separated by a blank line (Redis's
// sparklineRender with SPARKLINE_FILL).
func sparkline(b *strings.Builder, vals []float64, labels []string, cols, rows int) {
	if len(vals) == 0 {
		return
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	rel := hi - lo
	if rel == 0 {
		rel = 1
	}
	const fill = "_o#"
	steps := len(fill) * rows
	for off := 0; off < len(vals); off += cols {
		if off != 0 {
			b.WriteByte('\n')
		}
		n := min(cols, len(vals)-off)
		line := make([]byte, n)
		for row := 0; ; row++ {
			more := false
			for j := range line {
				line[j] = ' '
			}
			for j := 0; j < n; j++ {
				v := vals[off+j]
				step := int(float64(int((v-lo)*float64(steps))) / rel)
				step = max(0, min(step, steps-1))
				if row < rows {
					more = true
					ci := step - (rows-row-1)*len(fill)
					if ci >= 0 && ci < len(fill) {
						line[j] = fill[ci]
					} else if ci >= len(fill) {
						line[j] = '|'
					}
					continue
				}
				if row-rows < 1 { // the blank line above the labels
					more = true
					break
				}
				if l := labels[off+j]; len(l) > row-rows-1 {
					more = true
					line[j] = l[row-rows-1]
				}
			}
			if !more {
				break
			}
			b.Write(line)
			b.WriteByte('\n')
		}
	}
}
