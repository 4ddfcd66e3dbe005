package server

import (
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestInfoSectionsAndFields(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.expect("+OK\r\n", "set", "k", "v")
	headers := func(body string) []string {
		var h []string
		for _, l := range strings.Split(body, "\r\n") {
			if strings.HasPrefix(l, "# ") {
				h = append(h, l[2:])
			}
		}
		return h
	}
	def := headers(bulkBody(c.do("info")))
	if got := strings.Join(def, ","); got != "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Errorstats,Cluster,Keyspace" {
		t.Errorf("default sections: %s", got)
	}
	all := bulkBody(c.do("info", "everything"))
	if got := strings.Join(headers(all), ","); got != "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Commandstats,Errorstats,Latencystats,Cluster,Keyspace" {
		t.Errorf("everything sections: %s", got)
	}
	// Field names and order are Redis 7.0.15's (testdata captured from redis-server).
	golden, err := os.ReadFile("testdata/info_fields_7.0.15.txt")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(all, "\r\n") {
		if l == "" || strings.HasPrefix(l, "cmdstat_") || strings.HasPrefix(l, "errorstat_") || strings.HasPrefix(l, "latency_percentiles_usec_") || regexp.MustCompile(`^db\d+:`).MatchString(l) {
			continue
		}
		name, _, _ := strings.Cut(l, ":")
		got = append(got, name)
	}
	var want []string
	for _, l := range strings.Split(string(golden), "\n") {
		if l != "" {
			want = append(want, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("INFO fields differ from Redis 7.0.15:\ngot  %v\nwant %v", got, want)
	}
	// Sections in Redis's order whatever the argument order; separated by a blank line.
	c.expect("$76\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n", "info", "KEYSPACE", "cluster")
	c.expect("$0\r\n\r\n", "info", "nosuch")
	for _, want := range []string{"redis_version:7.0.15\r\n", "role:master\r\n", "redis_mode:standalone\r\n",
		"process_id:" + strconv.Itoa(os.Getpid()) + "\r\n", "connected_clients:1\r\n", "rdb_changes_since_last_save:1\r\n",
		"cmdstat_set:calls=1,", "tcp_port:" + strconv.Itoa(s.Addr().(*net.TCPAddr).Port) + "\r\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if !regexp.MustCompile(`\r\nmaster_replid:[0-9a-f]{40}\r\n`).MatchString(all) || !regexp.MustCompile(`\r\nrun_id:[0-9a-f]{40}\r\n`).MatchString(all) {
		t.Error("replid/run_id not 40 hex")
	}
	c.do("hello", "3")
	if got := c.do("info", "cluster"); got != "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n" {
		t.Errorf("RESP3 INFO: %q", got)
	}
}

func TestInfoStatsCounters(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.expect("-ERR wrong number of arguments for 'get' command\r\n", "get")
	c.expect("-ERR unknown subcommand 'x'. Try CONFIG HELP.\r\n", "config", "x")
	c.do("debug", "error", "MYERR boom")
	body := bulkBody(c.do("info", "commandstats", "errorstats"))
	for _, want := range []string{
		"cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n",
		"cmdstat_debug:calls=1,",
		",rejected_calls=0,failed_calls=1\r\n",
		"errorstat_ERR:count=2\r\n",
		"errorstat_MYERR:count=1\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in %q", want, body)
		}
	}
	c.expect("+OK\r\n", "config", "resetstat")
	body = bulkBody(c.do("info", "commandstats", "errorstats"))
	if strings.Contains(body, "cmdstat_get") || strings.Contains(body, "errorstat_") {
		t.Errorf("RESETSTAT left %q", body)
	}
	// instantaneous_ops_per_sec is sampled every 100 ms over 16 samples.
	for i := 0; i < 200; i++ {
		c.send("ping")
	}
	for i := 0; i < 200; i++ {
		c.read()
	}
	checkFor(t, 3*time.Second, func() bool {
		return !strings.Contains(c.do("info", "stats"), "instantaneous_ops_per_sec:0\r\n")
	})
}

func TestClientCommands(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	id := c.do("client", "id")
	if !regexp.MustCompile(`^:\d+\r\n$`).MatchString(id) {
		t.Fatalf("client id %q", id)
	}
	c.expect("$-1\r\n", "client", "getname")
	c.expect("+OK\r\n", "client", "setname", "foo")
	c.expect("$3\r\nfoo\r\n", "client", "getname")
	c.expect("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "client", "setname", "a b")
	c.expect("+OK\r\n", "client", "setinfo", "LIB-NAME", "go-redis(,go1.26)")
	c.expect("+OK\r\n", "client", "setinfo", "lib-ver", "9.0.0")
	c.expect("-ERR Unrecognized option 'foo'\r\n", "client", "setinfo", "foo", "x")
	c.expect("-ERR lib-name cannot contain spaces, newlines or special characters.\r\n", "client", "setinfo", "lib-name", "a b")
	c.expect("-ERR Unknown client type 'foo'\r\n", "client", "list", "type", "foo")
	c.expect("-ERR Invalid client ID\r\n", "client", "list", "id", "x")
	c.expect("-ERR syntax error\r\n", "client", "list", "foo")
	c.expect("$0\r\n\r\n", "client", "list", "type", "pubsub")
	c.expect("-ERR No such client\r\n", "client", "kill", "1.2.3.4:5")
	c.expect(":0\r\n", "client", "kill", "id", "99999")
	c.expect("-ERR client-id should be greater than 0\r\n", "client", "kill", "id", "x")
	c.expect("-ERR No such user 'nobody'\r\n", "client", "kill", "user", "nobody")
	c.expect("-ERR syntax error\r\n", "client", "kill", "skipme", "maybe")
	c.expect("+OK\r\n", "client", "no-evict", "on")
	c.expect("-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n", "client", "pause", "10", "foo")
	c.expect("-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n", "client", "foo")

	line := bulkBody(c.do("client", "info"))
	fields := regexp.MustCompile(`(\S+)=`).FindAllStringSubmatch(line, -1)
	var names []string
	for _, f := range fields {
		names = append(names, f[1])
	}
	want := "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp"
	if strings.Join(names, " ") != want {
		t.Errorf("CLIENT INFO fields:\n%s\nwant\n%s", strings.Join(names, " "), want)
	}
	for _, w := range []string{"id=" + id[1:len(id)-2] + " ", " name=foo ", " flags=e ", " cmd=client|info ", " resp=2\n"} {
		if !strings.Contains(line, w) {
			t.Errorf("CLIENT INFO %q lacks %q", line, w)
		}
	}

	// A second connection shows up in CLIENT LIST and can be killed by id.
	d := dial(t, s)
	d.expect("+OK\r\n", "select", "3")
	did := strings.TrimSuffix(d.do("client", "id")[1:], "\r\n")
	list := bulkBody(c.do("client", "list"))
	if strings.Count(list, "\n") != 2 || !strings.Contains(list, "id="+did+" ") || !strings.Contains(list, " db=3 ") {
		t.Errorf("CLIENT LIST: %q", list)
	}
	c.expect(":1\r\n", "client", "kill", "id", did)
	d.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := d.r.ReadByte(); err == nil {
		t.Error("killed connection still open")
	}
	// SKIPME yes (the default) protects the caller.
	c.expect(":0\r\n", "client", "kill", "type", "normal")
}

func TestClientReply(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.send("client", "reply", "off")
	c.send("ping")
	c.send("client", "reply", "on")
	if got := c.read(); got != "+OK\r\n" {
		t.Fatalf("after OFF…ON: %q", got)
	}
	c.send("client", "reply", "skip")
	c.send("echo", "skipped")
	c.send("echo", "seen")
	if got := c.read(); got != "$4\r\nseen\r\n" {
		t.Fatalf("after SKIP: %q", got)
	}
}

func TestCommandCommand(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	n := len(s.implementedTop())
	c.expect(":"+strconv.Itoa(n)+"\r\n", "command", "count")
	if got := c.do("command"); !strings.HasPrefix(got, "*"+strconv.Itoa(n)+"\r\n") {
		t.Errorf("COMMAND: %q…", got[:20])
	}
	get := s.table.Get("get")
	c.expect("*2\r\n"+get.Info(2)+"$-1\r\n", "command", "info", "GET", "nosuch")
	c.expect("*1\r\n"+s.full(s.table.Get("config|get")).Info(2), "command", "info", "config|get")
	c.expect("*2\r\n$3\r\nget\r\n"+get.Docs(2), "command", "docs", "get", "nosuch")
	c.expect("*1\r\n$1\r\na\r\n", "command", "getkeys", "set", "a", "b")
	c.expect("-ERR Invalid command specified\r\n", "command", "getkeys", "nosuch", "a")
	c.expect("-ERR Invalid number of arguments specified for command\r\n", "command", "getkeys", "set", "a")
	c.expect("-ERR The command has no key arguments\r\n", "command", "getkeys", "time", "x")
	c.expect("-ERR Invalid arguments specified for command\r\n", "command", "getkeys", "zunionstore", "d", "5", "a")
	c.expect("*0\r\n", "command", "getkeys", "eval", "x", "0")
	c.expect("*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n", "command", "getkeysandflags", "set", "a", "b")
	c.expect("*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n", "command", "getkeysandflags", "set", "a", "b", "get")
	c.expect("*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n",
		"command", "getkeysandflags", "lmove", "a", "b", "left", "right")
	// Keys of getkeys functions take the flags Redis's procs set.
	c.expect("*2\r\n*2\r\n$2\r\nk1\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$2\r\nk2\r\n*2\r\n+OW\r\n+update\r\n",
		"command", "getkeysandflags", "sort", "k1", "store", "k2")
	c.expect("*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n",
		"command", "getkeysandflags", "migrate", "h", "1", "", "0", "10", "keys", "a", "b")
	c.expect("*1\r\n$3\r\nget\r\n", "command", "list", "filterby", "pattern", "ge?")
	c.expect("*0\r\n", "command", "list", "filterby", "module", "x")
	c.expect("-ERR syntax error\r\n", "command", "list", "filterby", "foo", "x")
	if got := c.do("command", "list", "filterby", "aclcat", "dangerous"); !strings.Contains(got, "$8\r\nflushall\r\n") || strings.Contains(got, "$3\r\nget\r\n") {
		t.Errorf("ACLCAT dangerous: %q", got)
	}
	c.do("hello", "3")
	c.expect("*2\r\n"+get.Info(3)+"_\r\n", "command", "info", "get", "nosuch")
	c.expect("%1\r\n$3\r\nget\r\n"+get.Docs(3), "command", "docs", "get")
	c.expect("*1\r\n*2\r\n$1\r\na\r\n~2\r\n+OW\r\n+update\r\n", "command", "getkeysandflags", "set", "a", "b")
}

func TestConfigTimeLastsave(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.expect("*0\r\n", "config", "get", "nosuch") // the config shim knows no parameters
	c.expect("-ERR wrong number of arguments for 'config|set' command\r\n", "config", "set", "a", "b", "c")
	c.expect("-ERR The server is running without a config file\r\n", "config", "rewrite")
	if got := c.do("config", "help"); !strings.HasPrefix(got, "*11\r\n+CONFIG <subcommand>") {
		t.Errorf("CONFIG HELP %q", got)
	}
	m := regexp.MustCompile(`^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$`).FindStringSubmatch(c.do("time"))
	if m == nil {
		t.Fatal("TIME reply")
	}
	if sec, _ := strconv.ParseInt(m[1], 10, 64); sec < time.Now().Unix()-5 || sec > time.Now().Unix()+5 {
		t.Errorf("TIME seconds %d", sec)
	}
	c.expect(":"+strconv.FormatInt(s.startTime.Unix(), 10)+"\r\n", "lastsave")
}

func TestShutdown(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.expect("-ERR No shutdown in progress.\r\n", "shutdown", "abort")
	c.expect("-ERR syntax error\r\n", "shutdown", "nosave", "save")
	c.expect("-ERR syntax error\r\n", "shutdown", "foo")
	c.send("shutdown", "nosave", "now")
	c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if b, err := c.r.ReadByte(); err == nil {
		t.Errorf("SHUTDOWN replied %q", b)
	}
	select {
	case <-s.ShutdownRequested:
	case <-time.After(2 * time.Second):
		t.Fatal("ShutdownRequested not closed")
	}
}

func TestMonitor(t *testing.T) {
	s := startServer(t)
	m := dial(t, s)
	m.expect("+OK\r\n", "monitor")
	c := dial(t, s)
	c.expect("+OK\r\n", "set", "k", "a \"b\"\n\x01\xff")
	c.expect("+OK\r\n", "select", "2")
	c.do("auth", "secret")
	c.do("config", "get", "port") // admin: not shown
	c.expect("+PONG\r\n", "ping")
	addr := regexp.QuoteMeta(c.nc.LocalAddr().String())
	for _, want := range []string{
		`^\+\d+\.\d{6} \[0 ` + addr + `\] "set" "k" "a \\"b\\"\\n\\x01\\xff"\r\n$`,
		`^\+\d+\.\d{6} \[2 ` + addr + `\] "select" "2"\r\n$`,
		`^\+\d+\.\d{6} \[2 ` + addr + `\] "auth" "\(redacted\)"\r\n$`,
		`^\+\d+\.\d{6} \[2 ` + addr + `\] "ping"\r\n$`,
	} {
		if got := m.read(); !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("monitor line %q, want %s", got, want)
		}
	}
	// The monitor's own command: reply first, then its line.
	m.send("ping")
	if got := m.read(); got != "+PONG\r\n" {
		t.Errorf("monitor ping: %q", got)
	}
	if got := m.read(); !strings.HasSuffix(got, `] "ping"`+"\r\n") {
		t.Errorf("monitor own line: %q", got)
	}
	m.expect("+RESET\r\n", "reset")
	checkFor(t, time.Second, func() bool { return s.adm.nMonitors.Load() == 0 })
	c.expect("+OK\r\n", "multi")
	c.expect("+QUEUED\r\n", "monitor")
	c.expect("*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n", "exec")
}

func TestDebug(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	c.expect("+OK\r\n", "set", "foo", "bar")
	c.expect("+OK\r\n", "set", "n", "12345")
	c.expect("-ERR no such key\r\n", "debug", "object", "nosuch")
	re := regexp.MustCompile(`^\+Value at:0x[0-9a-f]+ refcount:1 encoding:(\w+) serializedlength:(\d+) lru:\d+ lru_seconds_idle:\d+\r\n$`)
	if m := re.FindStringSubmatch(c.do("debug", "object", "foo")); m == nil || m[1] != "embstr" || m[2] != "4" {
		t.Errorf("DEBUG OBJECT foo: %v", m)
	}
	if m := re.FindStringSubmatch(c.do("debug", "object", "n")); m == nil || m[1] != "int" || m[2] != "3" {
		t.Errorf("DEBUG OBJECT n: %v", m)
	}
	start := time.Now()
	c.expect("+OK\r\n", "debug", "sleep", "0.1")
	if time.Since(start) < 100*time.Millisecond {
		t.Error("DEBUG SLEEP did not sleep")
	}
	c.expect("+OK\r\n", "debug", "set-active-expire", "0")
	if !s.noActiveExpire.Load() {
		t.Error("active expire still on")
	}
	c.expect("+OK\r\n", "debug", "set-active-expire", "1")
	c.expect("-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n", "debug", "FOO")
	c.expect("-ERR unknown subcommand or wrong number of arguments for 'object'. Try DEBUG HELP.\r\n", "debug", "object")
	if got := c.do("debug", "help"); !strings.HasPrefix(got, "*106\r\n") {
		t.Errorf("DEBUG HELP: %q", got[:10])
	}
}

func TestHelpers(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{{0, "0B"}, {1023, "1023B"}, {941032, "918.98K"}, {12189696, "11.62M"}, {25276026880, "23.54G"}} {
		if got := bytesToHuman(tc.n); got != tc.want {
			t.Errorf("bytesToHuman(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		s    string
		want int
	}{{"bar", 4}, {"12345", 3}, {"-5", 2}, {"123456789", 5}, {"007", 4}, {strings.Repeat("x", 64), 66}} {
		if got := stringSerializedLen(tc.s); got != tc.want {
			t.Errorf("stringSerializedLen(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
	if got := string(appendRepr(nil, []byte("a\\\"\r\n\t\a\b\x00é"))); got != `"a\\\"\r\n\t\a\b\x00\xc3\xa9"` {
		t.Errorf("appendRepr: %s", got)
	}
	line := string(monitorLine(time.Unix(1700000000, 1000), 0, "1.2.3.4:5", [][]byte{[]byte("HELLO"), []byte("3"), []byte("AUTH"), []byte("u"), []byte("p"), []byte("SETNAME"), []byte("x")}))
	if line != "+1700000000.000001 [0 1.2.3.4:5] \"HELLO\" \"3\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"x\"\r\n" {
		t.Errorf("monitorLine: %q", line)
	}
}
