package ops

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

var (
	debugAddr = regexp.MustCompile(`Value at:0x[0-9a-f]+`)
	debugLRU  = regexp.MustCompile(`lru:\d+ lru_seconds_idle:\d+`)
)

// DEBUG subcommands of Redis 7.0.15 answer as redis-server does: OBJECT's
// line (encoding, RDB length, quicklist fields) for each type,
// QUICKLIST-PACKED-THRESHOLD (and its effect: an element over it gets a
// plain node of its own), PAUSE-CRON, DROP-CLUSTER-PACKET-FILTER, and
// Redis's error for what 7.0.15 does not have (STRINGMATCH-LEN,
// CLOSE-CLUSTER-LINK-ON-PACKET-DROP), REPLYBUFFER's settings and errors
// (its effect: clientbuf_test.go).
func TestDebugSubcommandsAsRedis(t *testing.T) {
	srvs := both(t)
	got := map[string][]string{}
	for _, s := range srvs {
		c := s.node.Dial(t)
		var rec []string
		do := func(args ...string) {
			v := c.MustDo(t, args...)
			out := debugLRU.ReplaceAllString(debugAddr.ReplaceAllString(v.String(), "Value at:X"), "lru:N")
			rec = append(rec, strings.Join(args, " ")+" => "+out)
		}
		c.MustDo(t, "SET", "s", "hello")
		c.MustDo(t, "SET", "i", "12345")
		c.MustDo(t, "SET", "long", strings.Repeat("a", 100))
		c.MustDo(t, "RPUSH", "l", "a", "b", "c", "d", "e")
		c.MustDo(t, "HSET", "h", "f", "v", "g", "w")
		c.MustDo(t, "SADD", "st", "1", "2", "3")
		c.MustDo(t, "ZADD", "z", "1", "a", "2", "b")
		many := []string{"RPUSH", "big"}
		for i := 0; i < 3000; i++ {
			many = append(many, fmt.Sprint(i))
		}
		c.MustDo(t, many...)
		for _, k := range []string{"s", "i", "long", "l", "h", "st", "z", "big", "nokey"} {
			do("DEBUG", "OBJECT", k)
		}
		do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc")
		do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb")
		do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1kb")
		c.MustDo(t, "RPUSH", "pl", "a", strings.Repeat("x", 2000), "b")
		do("DEBUG", "OBJECT", "pl")
		do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")
		do("DEBUG", "PAUSE-CRON", "0")
		do("DEBUG", "DROP-CLUSTER-PACKET-FILTER", "x")
		do("DEBUG", "DROP-CLUSTER-PACKET-FILTER", "-1")
		do("DEBUG", "STRINGMATCH-LEN")
		do("DEBUG", "CLOSE-CLUSTER-LINK-ON-PACKET-DROP", "1")
		do("DEBUG", "REPLYBUFFER", "RESIZING", "0")
		do("DEBUG", "REPLYBUFFER", "RESIZING", "1")
		do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never")
		do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "abc")
		do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset")
		do("DEBUG", "REPLYBUFFER", "SIZE", "1")
		do("DEBUG", "REPLYBUFFER", "RESIZING")
		got[s.name] = rec
	}
	testutil.DeepEqual(t, got["shoal"], got["redis"])
}

// DEBUG PAUSE-CRON 1 stops the cron as in Redis: an idle client outlives
// its timeout until the cron runs again.
func TestDebugPauseCronAsRedis(t *testing.T) {
	for _, s := range both(t) {
		ctl := s.node.Dial(t)
		ctl.MustDo(t, "CONFIG", "SET", "timeout", "1")
		ctl.MustDo(t, "DEBUG", "PAUSE-CRON", "1")
		idle := s.node.Dial(t)
		idle.MustDo(t, "PING")
		time.Sleep(2500 * time.Millisecond)
		n := strings.Count(string(ctl.MustDo(t, "CLIENT", "LIST").Str), "\n")
		testutil.Equal(t, n, 2)
		ctl.MustDo(t, "CLIENT", "NO-EVICT", "ON")
		ctl.MustDo(t, "DEBUG", "PAUSE-CRON", "0")
		testutil.CheckFor(t, 10*time.Second, 100*time.Millisecond, func() error {
			if n := strings.Count(string(ctl.MustDo(t, "CLIENT", "LIST").Str), "\n"); n != 1 {
				return fmt.Errorf("%s: %d clients, the idle one not closed", s.name, n)
			}
			return nil
		})
	}
}

// DEBUG SEGFAULT crashes the process with Redis's crash lines in the log
// (the signal, the address, a stack trace), and it dies by SIGSEGV.
func TestDebugSegfaultCrashReport(t *testing.T) {
	n := testutil.StartShoal(t)
	c := n.Dial(t)
	c.Send("DEBUG", "SEGFAULT")
	waitExited(t, n)
	testutil.True(t, logHas(n, "crashed by signal: 11, si_code: 2"), "no crash line")
	testutil.True(t, logHas(n, "Accessing address: 0x"), "no address line")
	testutil.True(t, logHas(n, "------ STACK TRACE ------"), "no stack trace")
	testutil.True(t, strings.Contains(fmt.Sprint(n.Cmd.ProcessState), "segmentation fault"), fmt.Sprint(n.Cmd.ProcessState))
}

// A SIGABRT sent to the process writes Redis's crash report to the log
// (Redis's sigsegvHandler: "crashed by signal: 6, si_code: 0" and a stack
// trace, which the suite's logging unit waits for), and it dies by
// SIGABRT.
func TestSigabrtCrashReport(t *testing.T) {
	n := testutil.StartShoal(t)
	n.Dial(t).Do("PING") // serving: the handler is installed
	testutil.NoErr(t, n.Cmd.Process.Signal(syscall.SIGABRT))
	waitExited(t, n)
	testutil.True(t, logHas(n, "crashed by signal: 6, si_code: 0"), "no crash line")
	testutil.True(t, logHas(n, "------ STACK TRACE ------"), "no stack trace")
	testutil.True(t, strings.Contains(fmt.Sprint(n.Cmd.ProcessState), "aborted"), fmt.Sprint(n.Cmd.ProcessState))
}

// watchdog-period: a command that keeps its event loop longer than the
// period (here a script spinning for 600 ms) has every goroutine's stack
// logged once, under Redis's "--- WATCHDOG TIMER EXPIRED ---"; a quick
// command logs nothing, and period 0 turns the watch off.
func TestWatchdogPeriodReportsSlowCommand(t *testing.T) {
	n := testutil.StartShoal(t)
	c := n.Dial(t)
	spin := "local t=redis.call('time') local s=t[1]*1000000+t[2] " +
		"while true do local x=redis.call('time') if x[1]*1000000+x[2]-s > 600000 then break end end return 1"
	count := func() int {
		b, _ := os.ReadFile(n.Log)
		return strings.Count(string(b), "--- WATCHDOG TIMER EXPIRED ---")
	}
	want := func(reply string, args ...string) {
		t.Helper()
		if v := c.MustDo(t, args...); string(v.Str) != reply {
			t.Fatalf("%q: %s", args, v.String())
		}
	}
	want("OK", "CONFIG", "SET", "watchdog-period", "200")
	want("PONG", "PING")
	testutil.True(t, count() == 0, "a report without a slow command")
	want("", "EVAL", spin, "0") // :1
	testutil.CheckFor(t, 5*time.Second, 50*time.Millisecond, func() error {
		if count() != 1 {
			return fmt.Errorf("%d watchdog reports after one slow script", count())
		}
		return nil
	})
	testutil.True(t, logHas(n, "evalCommand"), "the slow command's stack is not in the report")
	want("OK", "CONFIG", "SET", "watchdog-period", "0")
	want("", "EVAL", spin, "0")
	time.Sleep(200 * time.Millisecond) // a watchdog tick or more
	testutil.True(t, count() == 1, "a report with watchdog-period 0")
}

// DEBUG SET-SKIP-CHECKSUM-VALIDATION 1 makes RESTORE accept a payload whose
// CRC64 is wrong (and 0 checks it again), on redis-server and Shoal alike.
func TestDebugSkipChecksumValidation(t *testing.T) {
	nodes := map[string]*testutil.Node{
		"redis": testutil.StartRedis(t, "--enable-debug-command", "yes"),
		"shoal": testutil.StartShoal(t),
	}
	for kind, n := range nodes {
		c := n.Dial(t)
		c.MustDo(t, "SET", "k", "hello")
		p := []byte(string(c.MustDo(t, "DUMP", "k").Str))
		p[len(p)-1] ^= 0xff // the CRC64's last byte
		bad := string(p)
		if v := c.MustDo(t, "RESTORE", "k2", "0", bad); !strings.Contains(v.String(), "checksum are wrong") {
			t.Fatalf("%s: RESTORE with a bad CRC: %s", kind, v.String())
		}
		c.MustDo(t, "DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
		if v := c.MustDo(t, "RESTORE", "k2", "0", bad); string(v.Str) != "OK" {
			t.Fatalf("%s: RESTORE skipping the CRC: %s", kind, v.String())
		}
		if v := c.MustDo(t, "GET", "k2"); string(v.Str) != "hello" {
			t.Fatalf("%s: GET k2: %s", kind, v.String())
		}
		c.MustDo(t, "DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0")
		if v := c.MustDo(t, "RESTORE", "k3", "0", bad); !strings.Contains(v.String(), "checksum are wrong") {
			t.Fatalf("%s: RESTORE with the check back on: %s", kind, v.String())
		}
	}
}

// CONFIG SET appendonly yes returns at once, its rewrite in progress; a
// SHUTDOWN while that rewrite has not written the AOF's base yet fails
// ("Writing initial AOF, can't exit.") and the server goes on; on
// redis-server and Shoal alike.
func TestShutdownDuringInitialAOFRewrite(t *testing.T) {
	nodes := map[string]*testutil.Node{
		"redis": testutil.StartRedis(t, "--enable-debug-command", "yes", "--save", ""),
		"shoal": testutil.StartShoal(t, "--save", ""),
	}
	for kind, n := range nodes {
		c := n.Dial(t)
		c.MustDo(t, "SET", "k", "v")
		c.MustDo(t, "CONFIG", "SET", "rdb-key-save-delay", "3000000") // 3 s for the one key
		// CONFIG SET returns at once (the one key takes 3 s to write),
		// the rewrite still in progress.
		if v, err := c.Do("CONFIG", "SET", "appendonly", "yes"); err != nil || v.String() != "OK" {
			t.Fatalf("%s: CONFIG SET appendonly yes: %v %v", kind, v.String(), err)
		}
		if info := c.MustDo(t, "INFO", "persistence").String(); !strings.Contains(info, "aof_rewrite_in_progress:1") {
			t.Fatalf("%s: no rewrite in progress after CONFIG SET appendonly yes:\n%s", kind, info)
		}
		c2 := n.Dial(t)
		testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			if !logHas(n, "Creating AOF incr file") && !logHas(n, "Background append only file rewriting started") {
				return fmt.Errorf("no rewrite started")
			}
			return nil
		})
		if v := c2.MustDo(t, "SHUTDOWN"); !strings.Contains(v.String(), "Errors trying to SHUTDOWN. Check logs.") {
			t.Fatalf("%s: SHUTDOWN during the initial AOF rewrite: %s", kind, v.String())
		}
		testutil.True(t, logHas(n, "Writing initial AOF, can't exit."), kind+": no log line")
		testutil.True(t, n.Running(), kind+": exited")
	}
}
