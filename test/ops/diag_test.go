package ops

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// slowShape is what of a SLOWLOG GET entry is the same on any server:
// the arguments and the client name; and the peer is checked to be the
// client's own address.
func slowShape(t *testing.T, v resp.Value, peers map[string]bool) []string {
	t.Helper()
	var out []string
	for _, e := range v.Elems {
		testutil.Equal(t, len(e.Elems), 6)
		var args []string
		for _, a := range e.Elems[3].Elems {
			args = append(args, string(a.Str))
		}
		if !peers[string(e.Elems[4].Str)] {
			t.Errorf("entry %v: peer %q is none of the test's clients", args, e.Elems[4].Str)
		}
		out = append(out, fmt.Sprintf("%q name=%q", args, e.Elems[5].Str))
	}
	return out
}

// SLOWLOG logs what Redis logs, in Redis's entry format (arguments cut at
// 32 and 128 bytes, client address and name), obeys
// slowlog-log-slower-than and slowlog-max-len, and answers LEN/RESET/HELP
// and its errors as Redis does.
func TestSlowlogAsRedis(t *testing.T) {
	srvs := both(t)
	shapes := map[string][]string{}
	for _, s := range srvs {
		c := s.node.Dial(t)
		peers := map[string]bool{c.C.LocalAddr().String(): true}
		c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "0")
		c.MustDo(t, "SLOWLOG", "RESET")
		c.MustDo(t, "CLIENT", "SETNAME", "nm")
		c.MustDo(t, "SET", "a", strings.Repeat("x", 300))
		long := []string{"RPUSH", "l"}
		for i := 0; i < 40; i++ {
			long = append(long, strconv.Itoa(i))
		}
		c.MustDo(t, long...)
		c.MustDo(t, "MULTI")
		c.MustDo(t, "INCR", "n")
		c.MustDo(t, "EXEC") // skip_slowlog: only the INCR is logged
		shapes[s.name] = slowShape(t, c.MustDo(t, "SLOWLOG", "GET", "-1"), peers)
		v := c.MustDo(t, "SLOWLOG", "LEN")
		// SLOWLOG RESET, SETNAME, SET, RPUSH, MULTI, INCR and the GET.
		testutil.Equal(t, v.Int, int64(7))
		c.MustDo(t, "CONFIG", "SET", "slowlog-max-len", "2")
		c.MustDo(t, "PING")
		testutil.Equal(t, c.MustDo(t, "SLOWLOG", "LEN").Int, int64(2))
		c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "-1")
		c.MustDo(t, "SLOWLOG", "RESET")
		c.MustDo(t, "PING")
		testutil.Equal(t, c.MustDo(t, "SLOWLOG", "LEN").Int, int64(0))
		c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "100000")
		c.MustDo(t, "PING")
		testutil.Equal(t, c.MustDo(t, "SLOWLOG", "LEN").Int, int64(0))
	}
	testutil.DeepEqual(t, shapes["shoal"], shapes["redis"])
	if len(shapes["shoal"]) < 5 {
		t.Fatalf("too few entries: %v", shapes["shoal"])
	}
	sameReplies(t, srvs, [][]string{
		{"SLOWLOG", "GET", "abc"}, {"SLOWLOG", "GET", "-2"}, {"SLOWLOG", "GET", "1", "2"},
		{"SLOWLOG", "GET", "+1"}, {"SLOWLOG", "GET", "01"},
		{"SLOWLOG", "FOO"}, {"SLOWLOG", "HELP"}, {"SLOWLOG", "LEN", "x"},
	})
}

// The slow log redacts credentials as Redis does: every ACL SETUSER
// argument from the user name on (even when the command fails), the values
// of sensitive directives in CONFIG SET (masterauth, requirepass,
// masteruser; the others kept), MIGRATE's AUTH and AUTH2 arguments.
func TestSlowlogRedactsAsRedis(t *testing.T) {
	srvs := both(t)
	shapes := map[string][]string{}
	for _, s := range srvs {
		c := s.node.Dial(t)
		peers := map[string]bool{c.C.LocalAddr().String(): true}
		c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "0")
		c.MustDo(t, "SLOWLOG", "RESET")
		for _, cmd := range [][]string{
			{"ACL", "SETUSER", "bad user", "+get"},
			{"ACL", "SETUSER", "u1", "on", ">pw", "+get"},
			{"CONFIG", "SET", "masterauth", "secret", "maxmemory-policy", "noeviction"},
			{"CONFIG", "SET", "requirepass", ""},
			{"CONFIG", "SET", "MASTERUSER", "x", "nosuch", "y"},
			{"MIGRATE", "127.0.0.1", "1", "nokey", "0", "100", "AUTH", "pw"},
			{"MIGRATE", "127.0.0.1", "1", "nokey", "0", "100", "COPY", "AUTH2", "u", "pw"},
		} {
			c.Do(cmd...) // replies differ in wording for some; the log is what is compared
		}
		c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "-1")
		shapes[s.name] = slowShape(t, c.MustDo(t, "SLOWLOG", "GET", "-1"), peers)
	}
	testutil.DeepEqual(t, shapes["shoal"], shapes["redis"])
	testutil.True(t, strings.Contains(strings.Join(shapes["redis"], " "), "(redacted)"), "no redaction in redis's log")
}

// LATENCY samples commands over latency-monitor-threshold into the
// "command" class and reports them as Redis does.
func TestLatencyMonitorAsRedis(t *testing.T) {
	srvs := both(t, "--latency-monitor-threshold", "5")
	for _, s := range srvs {
		c := s.node.Dial(t)
		testutil.Equal(t, len(c.MustDo(t, "LATENCY", "LATEST").Elems), 0)
		c.MustDo(t, "DEBUG", "SLEEP", "0.05")
		c.MustDo(t, "PING") // fast, not sampled
		latest := c.MustDo(t, "LATENCY", "LATEST")
		testutil.Equal(t, len(latest.Elems), 1)
		e := latest.Elems[0]
		testutil.Equal(t, string(e.Elems[0].Str), "command")
		if e.Elems[2].Int < 50 || e.Elems[3].Int < e.Elems[2].Int {
			t.Errorf("%s: LATEST %s", s.name, latest.String())
		}
		hist := c.MustDo(t, "LATENCY", "HISTORY", "command")
		testutil.Equal(t, len(hist.Elems), 1)
		testutil.Equal(t, hist.Elems[0].Elems[0].Int, e.Elems[1].Int)
		testutil.Equal(t, len(c.MustDo(t, "LATENCY", "HISTORY", "nosuch").Elems), 0)
		testutil.Equal(t, c.MustDo(t, "LATENCY", "RESET", "nosuch").Int, int64(0))
		testutil.Equal(t, c.MustDo(t, "LATENCY", "RESET").Int, int64(1))
		testutil.Equal(t, len(c.MustDo(t, "LATENCY", "LATEST").Elems), 0)
	}
	sameReplies(t, srvs, [][]string{{"LATENCY", "HELP"}, {"LATENCY", "FOO"}, {"LATENCY", "HISTORY"}})
}

// Each command's time is its own: a pipelined command may start its
// timing where the one before it in the same batch ended (client.call),
// but never where a command of an earlier batch ended, or across the
// queueing of a transaction. With 100 ms as the slow log's threshold and
// 300 ms pauses between batches, nothing is logged and GET's and
// EXEC's commandstats stay far below one pause, as on Redis.
func TestSlowlogTimesEachCommand(t *testing.T) {
	for _, s := range both(t) {
		c := s.node.Dial(t)
		c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "100000")
		c.MustDo(t, "CONFIG", "RESETSTAT")
		c.MustDo(t, "SLOWLOG", "RESET")
		pipeline := func(cmds ...[]string) {
			t.Helper()
			var b []byte
			for _, a := range cmds {
				b = testutil.AppendCommand(b, a...)
			}
			testutil.NoErr(t, c.SendRaw(b))
			for range cmds {
				if _, _, err := c.Read(); err != nil {
					t.Fatal(err)
				}
			}
		}
		pause := func() { time.Sleep(300 * time.Millisecond) }
		pipeline([]string{"SET", "k", "v"}, []string{"GET", "k"})
		pause()
		pipeline([]string{"GET", "k"}, []string{"GET", "k"})
		pause()
		pipeline([]string{"MULTI"}, []string{"INCR", "n"})
		pause()
		pipeline([]string{"INCR", "n"}, []string{"EXEC"}, []string{"GET", "k"})
		pause()
		pipeline([]string{"GET", "k"})
		pause()
		pipeline([]string{"NOSUCHCOMMAND"}, []string{"GET", "k"})
		testutil.Equal(t, c.MustDo(t, "SLOWLOG", "LEN").Int, int64(0))
		info := string(c.MustDo(t, "INFO", "commandstats").Str)
		for _, stat := range []string{"cmdstat_get:calls=6,usec=", "cmdstat_exec:calls=1,usec="} {
			i := strings.Index(info, stat)
			if i < 0 {
				t.Fatalf("%s: no %s in %q", s.name, stat, info)
			}
			usec, err := strconv.Atoi(strings.SplitN(info[i+len(stat):], ",", 2)[0])
			testutil.NoErr(t, err)
			if usec >= 100000 {
				t.Errorf("%s: %s%d", s.name, stat, usec)
			}
		}
	}
}

// TestCommandTimerTSC: on a CPU with an invariant TSC, Shoal times commands
// with it once it has measured its rate (about a second after start), says
// so in INFO's monotonic_clock as Redis does for its TSC clock, and the times
// it reports still agree with the wall clock: a DEBUG SLEEP of 200 ms is
// logged and counted as 200–300 ms.
func TestCommandTimerTSC(t *testing.T) {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	testutil.NoErr(t, err)
	tsc := runtime.GOARCH == "amd64" && strings.Contains(string(cpuinfo), " constant_tsc") && strings.Contains(string(cpuinfo), " nonstop_tsc")
	n := testutil.StartShoal(t, "--enable-debug-command", "yes")
	c := n.Dial(t)
	defer c.Close()
	clockName := func() string {
		for _, l := range strings.Split(string(c.MustDo(t, "INFO", "server").Str), "\r\n") {
			if v, ok := strings.CutPrefix(l, "monotonic_clock:"); ok {
				return v
			}
		}
		t.Fatal("no monotonic_clock in INFO server")
		return ""
	}
	if !tsc {
		time.Sleep(2 * time.Second)
		testutil.Equal(t, clockName(), "POSIX clock_gettime")
		t.Skip("no invariant TSC: commands are timed with clock_gettime")
	}
	testutil.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		if v := clockName(); !strings.HasPrefix(v, "X86 TSC @ ") || !strings.HasSuffix(v, " ticks/us") {
			return fmt.Errorf("monotonic_clock:%s", v)
		}
		return nil
	})
	c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "100000")
	c.MustDo(t, "CONFIG", "RESETSTAT")
	c.MustDo(t, "SLOWLOG", "RESET")
	c.MustDo(t, "DEBUG", "SLEEP", "0.2")
	e := c.MustDo(t, "SLOWLOG", "GET", "1").Elems
	testutil.Equal(t, len(e), 1)
	if us := e[0].Elems[2].Int; us < 200000 || us > 300000 {
		t.Fatalf("SLOWLOG: DEBUG SLEEP 0.2 took %d µs", us)
	}
	if info := string(c.MustDo(t, "INFO", "commandstats").Str); !strings.Contains(info, "cmdstat_debug:calls=1,usec=2") {
		t.Fatalf("commandstats: %q", info)
	}
}
