package failover

import (
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// quiet is how long a paused command is watched for a reply that must not
// come. A reply arriving later than this would not fail the test, so it
// only bounds the wait; it is no timing goal.
const quiet = 300 * time.Millisecond

// TestClientPause runs one script against redis-server and shoal-server:
// under CLIENT PAUSE WRITE a read answers and a write (also one queued in
// MULTI, and EVAL) waits until CLIENT UNPAUSE; under ALL a PING waits too;
// the replies, once they come, are the same.
func TestClientPause(t *testing.T) {
	for _, kind := range []string{"redis", "shoal"} {
		t.Run(kind, func(t *testing.T) {
			var n *testutil.Node
			if kind == "redis" {
				n = testutil.StartRedis(t)
			} else {
				n = testutil.StartShoal(t)
			}
			admin, c := n.Dial(t), n.Dial(t)
			for _, cmd := range [][]string{{"CLIENT", "PAUSE", "x"}, {"CLIENT", "PAUSE", "-1"}, {"CLIENT", "PAUSE", "10", "SOME"}} {
				v := admin.MustDo(t, cmd...)
				want := map[string]string{"x": "ERR timeout is not an integer or out of range",
					"-1": "ERR timeout is negative", "10": "ERR CLIENT PAUSE mode must be WRITE or ALL"}[cmd[2]]
				if !v.IsError() || string(v.Str) != want {
					t.Fatalf("%v: %q, want %q", cmd, v.Str, want)
				}
			}
			expect := func(c *testutil.Conn, want string, args ...string) {
				t.Helper()
				if v := c.MustDo(t, args...); string(v.Str) != want {
					t.Fatalf("%v: %q, want %q", args, v.Str, want)
				}
			}
			// waits sends args and requires no reply within quiet; the
			// reply is read by replied after the unpause.
			waits := func(args ...string) {
				t.Helper()
				testutil.NoErr(t, c.Send(args...))
				if v, _, err := c.ReadWithin(quiet); err == nil {
					t.Fatalf("%v answered %q while paused", args, v.Str)
				}
			}
			replied := func(want string) {
				t.Helper()
				v, _, err := c.ReadWithin(5 * time.Second)
				testutil.NoErr(t, err)
				if string(v.Str) != want {
					t.Fatalf("after unpause: %q, want %q", v.Str, want)
				}
			}
			expect(admin, "OK", "SET", "k", "1")
			expect(admin, "OK", "CLIENT", "PAUSE", "60000", "WRITE")
			expect(c, "1", "GET", "k")
			expect(c, "PONG", "PING")
			waits("SET", "k", "2")
			expect(admin, "OK", "CLIENT", "UNPAUSE")
			replied("OK")
			expect(c, "2", "GET", "k")

			expect(admin, "OK", "CLIENT", "PAUSE", "60000", "WRITE")
			waits("EVAL", "return 1", "0")
			expect(admin, "OK", "CLIENT", "UNPAUSE")
			replied("")

			expect(c, "OK", "MULTI")
			expect(admin, "OK", "CLIENT", "PAUSE", "60000", "WRITE")
			waits("INCR", "k")
			expect(admin, "OK", "CLIENT", "UNPAUSE")
			replied("QUEUED")
			expect(c, "OK", "DISCARD")

			expect(admin, "OK", "CLIENT", "PAUSE", "60000") // ALL
			waits("PING")
			// Under ALL every connection waits, CLIENT UNPAUSE too.
			testutil.NoErr(t, admin.Send("CLIENT", "UNPAUSE"))
			if _, _, err := admin.ReadWithin(quiet); err == nil {
				t.Fatal("CLIENT UNPAUSE answered under PAUSE ALL")
			}
		})
	}
}
