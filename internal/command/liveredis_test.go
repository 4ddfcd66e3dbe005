package command

import (
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// liveRedis is a real redis-server 7.0 for differential tests of command
// families, started on a free loopback port and stopped by pid at cleanup
// (testutil). Its replies come back as raw RESP text.
type liveRedis struct{ c *testutil.Conn }

// startLiveRedis skips under -short; without redis-server it skips, or
// fails in CI (testutil.SkipIfNoRedis).
func startLiveRedis(t *testing.T) *liveRedis {
	t.Helper()
	if testing.Short() {
		t.Skip("differential test against redis-server")
	}
	testutil.SkipIfNoRedis(t)
	n := testutil.StartRedis(t)
	return &liveRedis{c: n.Dial(t)}
}

// do sends one command and returns its raw reply.
func (r *liveRedis) do(t *testing.T, args ...string) string {
	t.Helper()
	if err := r.c.Send(args...); err != nil {
		t.Fatal(err)
	}
	_, raw, err := r.c.Read()
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return string(raw)
}
