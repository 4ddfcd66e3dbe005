package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fatal(line int, text, reason string) string {
	return "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line " +
		strconv.Itoa(line) + "\n>>> '" + text + "'\n" + reason + "\n"
}

// TestLoadErrors: every expected text was printed by redis-server 7.0.15
// for the same file and arguments.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, file string
		args       []string
		want       string
	}{
		{"bad int", "port 6379\nport abc\n", nil, fatal(2, "port abc", "argument couldn't be parsed into an integer")},
		{"out of range", "port 70000\n", nil, fatal(1, "port 70000", "argument must be between 0 and 65535 inclusive")},
		{"bad bool", "appendonly maybe\n", nil, fatal(1, "appendonly maybe", "argument must be 'yes' or 'no'")},
		{"bad enum", "loglevel loud\n", nil, fatal(1, "loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning")},
		{"arg count", "port 1 2\n", nil, fatal(1, "port 1 2", "wrong number of arguments")},
		{"unknown", "foo bar\n", nil, fatal(1, "foo bar", "Bad directive or wrong number of arguments")},
		{"bad memory", "maxmemory 1x\n", nil, fatal(1, "maxmemory 1x", "argument must be a memory value")},
		{"negative memory", "maxmemory -1\n", nil, fatal(1, "maxmemory -1", "argument must be a memory value")},
		{"save odd", "save 1\n", nil, fatal(1, "save 1", "Invalid save parameters")},
		{"quotes", "bind \"unbalanced\n", nil, fatal(1, "bind \"unbalanced", "Unbalanced quotes in configuration line")},
		{"percent", "maxmemory-clients 200%\n", nil, fatal(1, "maxmemory-clients 200%", "percentage argument must be less or equal to 100")},
		{"no dir", "dir /nonexistent-shoal-dir\n", nil, fatal(1, "dir /nonexistent-shoal-dir", "No such file or directory")},
		{"octal", "unixsocketperm 999\n", nil, fatal(1, "unixsocketperm 999", "argument couldn't be parsed as an octal number")},
		{"cmdline", "port 7000\n", []string{"--port", "abc"}, fatal(3, `port "abc"`, "argument couldn't be parsed into an integer")},
		{"cmdline no value", "", []string{"--port"}, fatal(2, "port", "wrong number of arguments")},
		{"replicaof port", "replicaof 1.2.3.4 99999\n", nil, fatal(1, "replicaof 1.2.3.4 99999", "Invalid master port")},
		{"nke", "notify-keyspace-events Q\n", nil, fatal(1, "notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")},
		{"hostname", "cluster-announce-hostname a_b\n", nil, fatal(1, "cluster-announce-hostname a_b", "Hostnames may only contain alphanumeric characters, hyphens or dots")},
		{"dbfilename", "dbfilename a/b\n", nil, fatal(1, "dbfilename a/b", "dbfilename can't be a path, just a filename")},
		{"upper name", "PORT 99999\n", nil, fatal(1, "PORT 99999", "argument must be between 0 and 65535 inclusive")},
		{"obuf", "client-output-buffer-limit normal 1 2\n", nil, fatal(1, "client-output-buffer-limit normal 1 2", "Wrong number of arguments in buffer limit configuration.")},
		{"unsigned", "maxclients 0\n", nil, fatal(1, "maxclients 0", "argument must be between 1 and 4294967295 inclusive")},
		{"daemonize", "daemonize yes\n", nil, fatal(1, "daemonize yes", DaemonizeRefused)},
		{"cluster replica", "cluster-enabled yes\nreplicaof 1.2.3.4 6379\n", nil,
			"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConf(t, tc.file), tc.args)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", err.Error(), tc.want)
			}
			if _, ok := err.(*FileError); !ok {
				t.Errorf("error is %T, want *FileError", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("/nonexistent-shoal.conf", nil)
	want := "Fatal error, can't open config file '/nonexistent-shoal.conf': No such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestLoadValues(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(inc, []byte("maxmemory 2gb\nhash-max-ziplist-entries 100\n"), 0o644)
	file := "# comment\n\n  port 7001  \r\n" +
		"bind 127.0.0.1 ::1\n" +
		"save 900 1\nsave 300 10\n" +
		"include " + inc + "\n" +
		"slaveof 10.0.0.1 6380\n" +
		"maxmemory-policy ALLKEYS-LRU\n" +
		"requirepass \"p\\x41ss\\n\"\n" +
		"masterauth 'it\\'s'\n" +
		"cluster-node-timeout 5000\n" +
		"notify-keyspace-events KEA\n" +
		"list-max-ziplist-entries 5\n" + // deprecated, ignored
		"rename-command FLUSHALL \"\"\n" +
		"mymod.opt 3\n" +
		"hz 0\n" +
		"shutdown-on-sigterm save now\n" +
		"maxmemory-clients 10%\n"
	c, err := Load(writeConf(t, file), []string{"--appendonly", "yes", "--save", "--databases", "4"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("Port", c.Port, 7001)
	check("Bind", c.Bind, []string{"127.0.0.1", "::1"})
	check("Save", len(c.Save), 0) // --save at the end of a group means save ""
	check("Maxmemory", c.Maxmemory, int64(2<<30))
	check("HashMaxListpackEntries", c.HashMaxListpackEntries, int64(100))
	check("ReplicaOf", [2]any{c.ReplicaOfHost, c.ReplicaOfPort}, [2]any{"10.0.0.1", 6380})
	check("MaxmemoryPolicy", c.MaxmemoryPolicy, "allkeys-lru")
	check("Requirepass", c.Requirepass, "pAss\n")
	check("Masterauth", c.Masterauth, "it's")
	check("ClusterNodeTimeout", c.ClusterNodeTimeout, int64(5000))
	check("NotifyKeyspaceEvents", c.NotifyKeyspaceEvents, "AKE")
	check("RenameCommands", len(c.RenameCommands), 1)
	if r := c.RenameCommands[0]; r.Old != "FLUSHALL" || r.New != "" || r.Text != `rename-command FLUSHALL ""` || r.Line == 0 {
		t.Errorf("RenameCommands[0] = %+v", r)
	}
	check("ModuleConfigs", c.ModuleConfigs, map[string]string{"mymod.opt": "3"})
	check("Hz", c.Hz, 1)
	check("Appendonly", c.Appendonly, true)
	check("Databases", c.Databases, 4)
	v, _ := c.Value("shutdown-on-sigterm")
	check("shutdown-on-sigterm", v, "save now")
	v, _ = c.Value("maxmemory-clients")
	check("maxmemory-clients", v, "10%")
	v, _ = c.Value("slaveof")
	check("slaveof", v, "10.0.0.1 6380")
}

// TestSaveAccumulates: in a file the first save line replaces the defaults
// and later lines add to it; with no save line the defaults stay.
func TestSaveAccumulates(t *testing.T) {
	c, err := parse("save 900 1\nsave 300 10\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Get("save")[0][1]; got != "900 1 300 10" {
		t.Errorf("save = %q", got)
	}
	c, _ = parse("port 1\n")
	if got := c.Get("save")[0][1]; got != "3600 1 300 100 60 10000" {
		t.Errorf("default save = %q", got)
	}
}

func TestArgsToOptions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--port", "7001", "--bind", "127.0.0.1"}, `port "7001" ` + "\n" + `bind "127.0.0.1" `},
		{[]string{"--save", "", "--appendonly", "no"}, `save "" ` + "\n" + `appendonly "no" `},
		{[]string{"--save", "--port", "1"}, `save ""` + "\n" + `port "1" `},
		{[]string{"--port"}, `port `},
		{[]string{"--save"}, `save ""`},
		{[]string{"--bind", "a", "b"}, `bind "a" "b" `},
		{[]string{"--port 7001"}, `port 7001 `},
	}
	for _, tc := range cases {
		if got := argsToOptions(tc.args); got != tc.want {
			t.Errorf("argsToOptions(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
