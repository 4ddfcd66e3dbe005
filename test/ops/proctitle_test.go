package ops

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// procTitle is /proc/PID/cmdline with its NULs as spaces, as ps shows it.
func procTitle(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	testutil.NoErr(t, err)
	return strings.Join(strings.FieldsFunc(string(b), func(r rune) bool { return r == 0 }), " ")
}

// proc-title-template sets the process title at start and on CONFIG SET,
// with every variable Redis 7.0 expands, beside redis-server.
func TestProcTitleAsRedis(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "node.conf")
	testutil.NoErr(t, os.WriteFile(conf, []byte("cluster-enabled yes\n"), 0o644))
	for _, s := range both(t, conf) {
		t.Run(s.name, func(t *testing.T) {
			argv0 := s.node.Cmd.Args[0]
			want := fmt.Sprintf("%s 127.0.0.1:%d [cluster]", argv0, s.node.Port)
			if got := procTitle(t, s.node.Pid); got != want {
				t.Fatalf("%s: title at start %q, want %q", s.name, got, want)
			}
			c := s.node.Dial(t)
			c.MustDo(t, "CONFIG", "SET", "proc-title-template", "TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file}")
			// No unixsocket: its variable is empty, the two spaces around it stay.
			want = fmt.Sprintf("TEST %s 127.0.0.1:%d %d 0  %s", argv0, s.node.Port, s.node.Port, conf)
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.node.Pid)); strings.TrimRight(string(b), "\x00") != want {
				t.Fatalf("%s: title after CONFIG SET %q, want %q", s.name, b, want)
			}
			r, err := c.Do("CONFIG", "SET", "proc-title-template", "{invalid-var}")
			testutil.NoErr(t, err)
			const msg = "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"
			if !r.IsError() || string(r.Str) != msg {
				t.Fatalf("%s: bad template: %v, want %q", s.name, r, msg)
			}
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.node.Pid)); strings.TrimRight(string(b), "\x00") != want {
				t.Fatalf("%s: title after a refused template %q, want %q", s.name, b, want)
			}
			// {{ is a literal brace, a lone } is literal.
			c.MustDo(t, "CONFIG", "SET", "proc-title-template", "{{x}} {port}")
			want = fmt.Sprintf("{x}} %d", s.node.Port)
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.node.Pid)); !strings.HasPrefix(string(b), want+"\x00") {
				t.Fatalf("%s: title %q, want %q", s.name, b, want)
			}
			// Longer than the command line (into the environment's memory)
			// and than Redis's 255-byte limit: cut at 255.
			long := "{title}" + strings.Repeat("y", 300)
			c.MustDo(t, "CONFIG", "SET", "proc-title-template", long)
			want = (argv0 + strings.Repeat("y", 300))[:255]
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.node.Pid)); !strings.HasPrefix(string(b), want+"\x00") {
				t.Fatalf("%s: long title %q, want %q", s.name, b, want)
			}
			c.MustDo(t, "PING")
		})
	}
}
