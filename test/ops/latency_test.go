package ops

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// latencyLines parses INFO latencystats: command name → the line's value.
func latencyLines(t *testing.T, c *testutil.Conn) map[string]string {
	t.Helper()
	info := string(c.MustDo(t, "INFO", "latencystats").Str)
	lines := strings.Split(strings.TrimRight(info, "\r\n"), "\r\n")
	testutil.Equal(t, lines[0], "# Latencystats")
	out := map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		testutil.True(t, ok && strings.HasPrefix(k, "latency_percentiles_usec_"), "line "+l)
		out[strings.TrimPrefix(k, "latency_percentiles_usec_")] = v
	}
	return out
}

// pctShape checks a latencystats value against the percentile names and
// returns the names joined (p50,p99,p99.9); each value is µs with three
// decimals.
func pctShape(t *testing.T, v string) string {
	t.Helper()
	var names []string
	for _, f := range strings.Split(v, ",") {
		name, val, ok := strings.Cut(f, "=")
		testutil.True(t, ok, "field "+f)
		testutil.True(t, regexp.MustCompile(`^\d+\.\d{3}$`).MatchString(val), "value "+f)
		names = append(names, name)
	}
	return strings.Join(names, ",")
}

// histogramShape turns a LATENCY HISTOGRAM reply into command → calls and
// checks each histogram_usec key is one the HdrHistogram walk can report
// (the top of the bucket holding 2^k ns, k ≥ 10, in µs) with cumulative
// counts rising to the calls.
func histogramShape(t *testing.T, v resp.Value) map[string]int64 {
	t.Helper()
	allowed := map[int64]bool{}
	for k := 10; k < 31; k++ {
		allowed[highestEquivalent(int64(1)<<k)/1000] = true
	}
	out := map[string]int64{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		name := string(v.Elems[i].Str)
		body := v.Elems[i+1].Elems
		testutil.Equal(t, len(body), 4)
		testutil.Equal(t, string(body[0].Str), "calls")
		testutil.Equal(t, string(body[2].Str), "histogram_usec")
		calls := body[1].Int
		rows := body[3].Elems
		var prev int64
		for j := 0; j+1 < len(rows); j += 2 {
			testutil.True(t, allowed[rows[j].Int], name+": bucket "+rows[j].String())
			testutil.True(t, rows[j+1].Int > prev, name+": cumulative not rising")
			prev = rows[j+1].Int
		}
		testutil.Equal(t, prev, calls)
		out[name] = calls
	}
	return out
}

// highestEquivalent is the top of the HdrHistogram counter (1 ns–1 s, two
// significant digits) holding v.
func highestEquivalent(v int64) int64 {
	bits := len(strconv.FormatInt(v|255, 2))
	b := bits - 8
	return (v>>b)<<b + 1<<b - 1
}

// Latency tracking as Redis 7.0: INFO latencystats lines per command with
// the configured percentiles, nothing while latency-tracking is off,
// CONFIG RESETSTAT clears them, and LATENCY HISTOGRAM answers the same
// commands with the same calls and Redis's map shape in RESP2 and RESP3.
func TestLatencyTrackingAsRedis(t *testing.T) {
	srvs := both(t)
	got := map[string][]string{}
	for _, s := range srvs {
		c := s.node.Dial(t)
		var rec []string
		note := func(f string, a ...any) {
			rec = append(rec, f)
			for _, x := range a {
				rec = append(rec, toString(x))
			}
		}
		c.MustDo(t, "CONFIG", "RESETSTAT")
		c.MustDo(t, "SET", "a", "b")
		c.MustDo(t, "SET", "c", "d")
		c.MustDo(t, "GET", "a")
		c.MustDo(t, "CLIENT", "ID")
		c.MustDo(t, "HSET", "h", "f", "v")
		lines := latencyLines(t, c)
		names := make([]string, 0, len(lines))
		for n, v := range lines {
			names = append(names, n+"="+pctShape(t, v))
		}
		sort.Strings(names)
		note("info", strings.Join(names, " "))

		all := histogramShape(t, c.MustDo(t, "LATENCY", "HISTOGRAM"))
		note("histogram all", all)
		note("histogram set hset", histogramShape(t, c.MustDo(t, "LATENCY", "HISTOGRAM", "set", "hset", "nosuch")))
		note("histogram client", histogramShape(t, c.MustDo(t, "LATENCY", "HISTOGRAM", "client")))
		note("histogram CLIENT|ID", histogramShape(t, c.MustDo(t, "LATENCY", "HISTOGRAM", "CLIENT|ID")))
		note("histogram unknown", c.MustDo(t, "LATENCY", "HISTOGRAM", "blabla").String())

		c.MustDo(t, "CONFIG", "SET", "latency-tracking-info-percentiles", "0 50 100 99.99")
		note("percentiles", pctShape(t, latencyLines(t, c)["set"]))
		note("bad percentiles", c.MustDo(t, "CONFIG", "SET", "latency-tracking-info-percentiles", "10 101").String())
		c.MustDo(t, "CONFIG", "SET", "latency-tracking", "no")
		note("off", len(latencyLines(t, c)))
		c.MustDo(t, "SET", "a", "x")
		c.MustDo(t, "CONFIG", "SET", "latency-tracking", "yes")
		note("set calls after off", histogramShape(t, c.MustDo(t, "LATENCY", "HISTOGRAM", "set")))

		// RESP3: maps, and the raw frame's types in Redis's order.
		c.MustDo(t, "HELLO", "3")
		c.MustDo(t, "CONFIG", "RESETSTAT")
		c.MustDo(t, "SET", "a", "b")
		c.Send("LATENCY", "HISTOGRAM", "set")
		_, raw, err := c.Read()
		testutil.NoErr(t, err)
		note("resp3", regexp.MustCompile(`:\d+\r\n`).ReplaceAllString(string(raw), ":N\r\n"))
		got[s.name] = rec
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}

func toString(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case map[string]int64:
		keys := make([]string, 0, len(v))
		for k, n := range v {
			keys = append(keys, k+":"+strconv.FormatInt(n, 10))
		}
		sort.Strings(keys)
		return strings.Join(keys, " ")
	}
	panic("toString")
}

// digits replaces every run of digits with N (timings and timestamps).
var digits = regexp.MustCompile(`\d+`)

// LATENCY DOCTOR and GRAPH as Redis: the disabled and no-spike texts byte
// for byte, the report for a command spike with its numbers normalized,
// GRAPH's sparkline for one sample and its error for an unknown event, in
// RESP2 and RESP3 (verbatim string).
func TestLatencyDoctorGraphAsRedis(t *testing.T) {
	srvs := both(t)
	got := map[string][]string{}
	for _, s := range srvs {
		c := s.node.Dial(t)
		var rec []string
		rec = append(rec, c.MustDo(t, "LATENCY", "DOCTOR").String())
		c.MustDo(t, "CONFIG", "SET", "latency-monitor-threshold", "20")
		rec = append(rec, c.MustDo(t, "LATENCY", "DOCTOR").String())
		rec = append(rec, c.MustDo(t, "LATENCY", "GRAPH", "command").String())
		c.MustDo(t, "DEBUG", "SLEEP", "0.05")
		// The labels under the graph say how many seconds ago: both
		// servers are asked within the same second of their sample.
		g := c.MustDo(t, "LATENCY", "GRAPH", "command")
		rec = append(rec, digits.ReplaceAllString(string(g.Str), "N"))
		rec = append(rec, digits.ReplaceAllString(string(c.MustDo(t, "LATENCY", "DOCTOR").Str), "N"))
		c.MustDo(t, "HELLO", "3")
		c.Send("LATENCY", "GRAPH", "command")
		_, raw, err := c.Read()
		testutil.NoErr(t, err)
		rec = append(rec, digits.ReplaceAllString(string(raw[:8]), "N"))
		rec = append(rec, c.MustDo(t, "LATENCY", "GRAPH", "x").String())
		got[s.name] = rec
		time.Sleep(10 * time.Millisecond)
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}
