package ops

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// statsKeys returns MEMORY STATS's field names in order (a db.N entry
// with its inner names), and the top-level integer fields by name.
func statsKeys(t *testing.T, v resp.Value) ([]string, map[string]int64) {
	t.Helper()
	var names []string
	ints := map[string]int64{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		k, val := string(v.Elems[i].Str), v.Elems[i+1]
		if strings.HasPrefix(k, "db.") {
			var inner []string
			for j := 0; j+1 < len(val.Elems); j += 2 {
				inner = append(inner, string(val.Elems[j].Str)+":"+string(rune(val.Elems[j+1].Kind)))
			}
			k += "{" + strings.Join(inner, ",") + "}"
		}
		names = append(names, k+":"+string(rune(val.Kind)))
		if val.Kind == resp.KindInt {
			ints[k] = val.Int
		}
	}
	return names, ints
}

// MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP answer as
// redis-server 7.0.15 does: STATS has Redis's fields in Redis's order and
// types (RESP2 and RESP3, a db.N entry per non-empty database), and its
// figures keep Redis's relations (overhead + dataset = total, keys.count
// the keys stored); DOCTOR speaks Redis's text; errors are Redis's.
func TestMemoryCommandsAsRedis(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		c := s.node.Dial(t)
		var rec []string
		c.MustDo(t, "SET", "a", "1")
		c.MustDo(t, "SET", "b", strings.Repeat("x", 1000), "EX", "100")
		c.MustDo(t, "SELECT", "3")
		c.MustDo(t, "HSET", "h", "f", "v")
		c.MustDo(t, "SELECT", "0")
		for _, proto := range []string{"2", "3"} {
			c.MustDo(t, "HELLO", proto)
			v := c.MustDo(t, "MEMORY", "STATS")
			names, ints := statsKeys(t, v)
			rec = append(rec, fmt.Sprintf("RESP%s %c %s", proto, v.Kind, strings.Join(names, " ")))
			testutil.Equal(t, ints["keys.count"], int64(3))
			testutil.Equal(t, ints["overhead.total"]+ints["dataset.bytes"], ints["total.allocated"])
			if s.name == "shoal" {
				// (Redis records its peak after each command, so its
				// total may pass it by the running command's bytes.)
				testutil.True(t, ints["peak.allocated"] >= ints["total.allocated"], fmt.Sprintf("peak %d < total %d", ints["peak.allocated"], ints["total.allocated"]))
			}
			testutil.True(t, ints["startup.allocated"] > 0 && ints["startup.allocated"] <= ints["total.allocated"], fmt.Sprintf("%s: startup %d", s.name, ints["startup.allocated"]))
		}
		c.MustDo(t, "HELLO", "2")
		// A nearly empty instance: Redis's text for "too little memory".
		rec = append(rec, "DOCTOR "+c.MustDo(t, "MEMORY", "DOCTOR").String())
		rec = append(rec, "PURGE "+c.MustDo(t, "MEMORY", "PURGE").String())
		rec = append(rec, "HELP "+c.MustDo(t, "MEMORY", "HELP").String())
		for _, bad := range [][]string{{"MEMORY", "STATS", "x"}, {"MEMORY", "DOCTOR", "x"}, {"MEMORY", "PURGE", "x"}, {"MEMORY", "MALLOC-STATS", "x"}, {"MEMORY", "NOPE"}, {"MEMORY"}} {
			rec = append(rec, strings.Join(bad, " ")+" => "+c.MustDo(t, bad...).String())
		}
		ms := c.MustDo(t, "MEMORY", "MALLOC-STATS")
		if s.name == "shoal" {
			// Redis built without jemalloc answers this; Debian's has jemalloc.
			testutil.Equal(t, string(ms.Str), "Stats not supported for the current allocator")
		}
		got[s.name] = rec
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}

// MEMORY DOCTOR past Redis's 5 MB floor: a report in one of Redis's two
// forms (no issue, or the list of issues found on Shoal's figures).
func TestMemoryDoctorPeak(t *testing.T) {
	n := testutil.StartShoal(t)
	c := n.Dial(t)
	c.MustDo(t, "DEBUG", "POPULATE", "100000", "k", "200")
	v := string(c.MustDo(t, "MEMORY", "DOCTOR").Str)
	testutil.True(t, strings.HasPrefix(v, "Hi Sam, I can't find any memory issue") ||
		strings.HasPrefix(v, "Sam, I detected a few issues") && strings.HasSuffix(v, "I want to help you.\n"), v)
}

var (
	reprAddr   = regexp.MustCompile(`addr: 0x[0-9a-f]+`)
	reprTried  = regexp.MustCompile(`attempted_compress: \d`)
	reprMarker = regexp.MustCompile(`^[{}\t]`)
)

// reprLines is what a node printed on stdout for DEBUG LISTPACK and
// QUICKLIST: the lines of the reports, addresses masked.
func reprLines(t *testing.T, n *testutil.Node) []string {
	b, err := os.ReadFile(n.Log)
	testutil.NoErr(t, err)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if reprMarker.MatchString(l) {
			// Shoal never tries to compress a node: attempted_compress
			// is 0 where Redis may have tried (docs/operations.md).
			l = reprTried.ReplaceAllString(l, "attempted_compress: N")
			out = append(out, reprAddr.ReplaceAllString(l, "addr: X"))
		}
	}
	return out
}

// DEBUG LISTPACK and DEBUG QUICKLIST print what redis-server prints, byte
// for byte but for addresses: the listpacks of hashes and sorted sets
// (integers, strings of each length class, scores), a list's quicklist at
// each level of detail, a plain node, and the errors for a missing key or
// another encoding.
func TestDebugListpackQuicklistAsRedis(t *testing.T) {
	replies := map[string][]string{}
	printed := map[string][]string{}
	for _, s := range both(t) {
		c := s.node.Dial(t)
		var rec []string
		do := func(args ...string) {
			rec = append(rec, strings.Join(args, " ")+" => "+c.MustDo(t, args...).String())
		}
		c.MustDo(t, "HSET", "h", "a", "1", "bb", "hello", "n", "-4000", "big", "12345678901", "f", "-3.5", "s", strings.Repeat("z", 70))
		c.MustDo(t, "ZADD", "z", "1", "one", "2.5", "two", "-7", "three", "100000", "four", "1e300", "huge")
		c.MustDo(t, "RPUSH", "l", "a", "b", "1", "300", "-70000", strings.Repeat("x", 50), strings.Repeat("w", 5000))
		many := []string{"RPUSH", "long"}
		for i := 0; i < 400; i++ {
			many = append(many, strconv.Itoa(i*37))
		}
		c.MustDo(t, many...)
		c.MustDo(t, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")
		c.MustDo(t, "RPUSH", "pl", "a", strings.Repeat("p", 200), "b")
		c.MustDo(t, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")
		c.MustDo(t, "SET", "str", "v")
		c.MustDo(t, "SADD", "set", "1")
		for _, k := range []string{"h", "z", "l", "str", "set", "nokey"} {
			do("DEBUG", "LISTPACK", k)
		}
		for _, k := range []string{"l", "long", "pl", "h", "nokey"} {
			do("DEBUG", "QUICKLIST", k)
			do("DEBUG", "QUICKLIST", k, "1")
		}
		do("DEBUG", "QUICKLIST", "l", "2")
		replies[s.name] = rec
		// redis-server's stdout is a buffered file: a log line flushes it.
		c.MustDo(t, "DEBUG", "LOG", "flush")
		testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
			if !logHas(s.node, "DEBUG LOG: flush") {
				return fmt.Errorf("%s: no log line yet", s.name)
			}
			return nil
		})
		printed[s.name] = reprLines(t, s.node)
	}
	testutil.DeepEqual(t, replies["shoal"], replies["redis"])
	testutil.True(t, len(printed["redis"]) > 100, fmt.Sprintf("redis printed %d lines", len(printed["redis"])))
	sh, r := printed["shoal"], printed["redis"]
	for i := 0; i < min(len(sh), len(r)); i++ {
		if sh[i] != r[i] {
			t.Fatalf("stdout line %d: shoal %q, redis %q (context: %q)", i, sh[i], r[i], r[max(i-12, 0):i])
		}
	}
	testutil.Equal(t, len(sh), len(r))
}

// DEBUG CLIENT-EVICTION: Redis's error while maxmemory-clients is 0, then
// its table of 19 buckets, with the clients counted where their memory
// puts them (every client of the test in a bucket).
func TestDebugClientEvictionAsRedis(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		c := s.node.Dial(t)
		var rec []string
		rec = append(rec, c.MustDo(t, "DEBUG", "CLIENT-EVICTION").String())
		c.MustDo(t, "CONFIG", "SET", "maxmemory-clients", "100mb")
		other := s.node.Dial(t)
		other.MustDo(t, "SET", "k", strings.Repeat("v", 100))
		var table string
		testutil.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
			c.MustDo(t, "PING")
			table = string(c.MustDo(t, "DEBUG", "CLIENT-EVICTION").Str)
			total := 0
			for _, m := range regexp.MustCompile(`clients: (\d+)`).FindAllStringSubmatch(table, -1) {
				k, _ := strconv.Atoi(m[1])
				total += k
			}
			if total != 2 {
				return fmt.Errorf("%s: %d clients in the buckets:\n%s", s.name, total, table)
			}
			return nil
		})
		// The bucket ranges, without the figures.
		for _, l := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
			label, _, _ := strings.Cut(l, "tot-mem:")
			rec = append(rec, label)
		}
		got[s.name] = rec
	}
	testutil.Equal(t, len(got["redis"]), 1+19)
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}

// CLIENT LIST and CLIENT INFO show the client's own query buffer (the
// command being run, as Redis: qbuf=26 for CLIENT LIST), multi-mem for a
// client with queued commands, and tot-mem counting them.
func TestClientListMemFields(t *testing.T) {
	field := func(line, name string) int64 {
		m := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `=(-?\d+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("no %s in %q", name, line)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	for _, s := range both(t) {
		c := s.node.Dial(t)
		// The client's own line: the harness's readiness probe may still
		// be listed before it (qbuf=0).
		own := "id=" + strconv.FormatInt(c.MustDo(t, "CLIENT", "ID").Int, 10) + " "
		var line string
		for _, l := range strings.Split(string(c.MustDo(t, "CLIENT", "LIST").Str), "\n") {
			if strings.HasPrefix(l, own) {
				line = l
			}
		}
		testutil.Equal(t, field(line, "qbuf"), int64(26))
		testutil.Equal(t, field(string(c.MustDo(t, "CLIENT", "INFO").Str), "qbuf"), int64(26))
		q := s.node.Dial(t)
		q.MustDo(t, "CLIENT", "SETNAME", "queuer")
		q.MustDo(t, "MULTI")
		for i := 0; i < 50; i++ {
			q.MustDo(t, "SET", "key"+strconv.Itoa(i), strings.Repeat("v", 1000))
		}
		line = ""
		for _, l := range strings.Split(string(c.MustDo(t, "CLIENT", "LIST").Str), "\n") {
			if strings.Contains(l, "name=queuer") {
				line = l
			}
		}
		mm := field(line, "multi-mem")
		testutil.True(t, mm >= 50*1000, fmt.Sprintf("%s: multi-mem=%d for 50 queued 1000-byte SETs", s.name, mm))
		testutil.True(t, field(line, "tot-mem") > mm, fmt.Sprintf("%s: tot-mem=%d, multi-mem=%d", s.name, field(line, "tot-mem"), mm))
		testutil.Equal(t, field(line, "multi"), int64(50))
		q.MustDo(t, "DISCARD")
		testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
			for _, l := range strings.Split(string(c.MustDo(t, "CLIENT", "LIST").Str), "\n") {
				if strings.Contains(l, "name=queuer") && field(l, "multi-mem") != 0 {
					return fmt.Errorf("%s: after DISCARD: %s", s.name, l)
				}
			}
			return nil
		})
	}
}

// CLIENT REPLY ON after CLIENT REPLY SKIP answers +OK (the skip is
// cancelled), as in Redis (unit/introspection "CLIENT REPLY ON: unset
// SKIP flag").
func TestClientReplyOnAfterSkip(t *testing.T) {
	for _, s := range both(t) {
		c := s.node.Dial(t)
		c.Send("CLIENT", "REPLY", "SKIP")
		c.Send("CLIENT", "REPLY", "ON")
		c.Send("PING")
		v, _, err := c.Read()
		testutil.NoErr(t, err)
		testutil.Equal(t, v.String(), "OK")
		v, _, err = c.Read()
		testutil.NoErr(t, err)
		testutil.Equal(t, v.String(), "PONG")
	}
}

var monitorPrefix = regexp.MustCompile(`^\d+\.\d{6} \[(\d+) (lua|[0-9.]+:\d+)\]`)

// MONITOR shows EVAL before the commands the script calls, each as
// "[db lua]", as Redis does (unit/introspection "MONITOR can log commands
// issued by the scripting engine").
func TestMonitorShowsScriptCommands(t *testing.T) {
	got := map[string][]string{}
	for _, s := range both(t) {
		mon := s.node.Dial(t)
		testutil.Equal(t, mon.MustDo(t, "MONITOR").String(), "OK")
		c := s.node.Dial(t)
		c.MustDo(t, "EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "foo", "bar")
		c.MustDo(t, "SET", "after", "1")
		var lines []string
		for len(lines) < 4 {
			v, _, err := mon.Read()
			testutil.NoErr(t, err)
			line := string(v.Str)
			if m := monitorPrefix.FindStringSubmatch(line); m != nil {
				who := "client"
				if m[2] == "lua" {
					who = "lua"
				}
				line = "[" + m[1] + " " + who + "]" + line[len(m[0]):]
			}
			lines = append(lines, line)
		}
		got[s.name] = lines
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}
