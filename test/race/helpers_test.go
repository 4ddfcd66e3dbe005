package race_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// requireNoRace fails the test with the detector's reports, if any.
func requireNoRace(t *testing.T, nodes ...*testutil.Node) {
	t.Helper()
	for _, n := range nodes {
		if r := n.RaceReports(); r != "" {
			if len(r) > 20000 {
				r = r[:20000] + "\n…"
			}
			t.Fatalf("%s reported data races:\n%s", n.Addr, r)
		}
	}
}

// requireAlive fails the test when n no longer answers PING.
func requireAlive(t *testing.T, n *testutil.Node) {
	t.Helper()
	if err := testutil.Ping(n.Addr, 10*time.Second); err != nil {
		t.Fatalf("%s is gone: %v", n.Addr, err)
	}
}

// infoField returns one field of INFO section on c ("" if absent).
func infoField(t *testing.T, c *testutil.Conn, section, field string) string {
	t.Helper()
	v := c.MustDo(t, "INFO", section)
	for _, line := range strings.Split(string(v.Str), "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == field {
			return val
		}
	}
	return ""
}

// mustStr fails unless v is a simple or bulk string equal to want.
func mustStr(t *testing.T, what string, v resp.Value, want string) {
	t.Helper()
	if v.IsError() || v.Null || string(v.Str) != want {
		t.Fatalf("%s: got %s, want %q", what, v, want)
	}
}

// benchmark runs redis-benchmark against addr with args, bounded by d.
func benchmark(t *testing.T, d time.Duration, port string, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	argv := append([]string{"-h", "127.0.0.1", "-p", port, "-q"}, args...)
	out, err := exec.CommandContext(ctx, "redis-benchmark", argv...).CombinedOutput()
	if err != nil && ctx.Err() == nil {
		t.Logf("redis-benchmark %q: %v\n%s", args, err, out)
	}
	return err
}
