package ops

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestShutdownNosaveDuringBusyScript: a script that wrote and then loops
// cannot be killed (UNKILLABLE), other commands get BUSY, and SHUTDOWN
// NOSAVE still stops the server, as on redis-server 7.0 (unit/scripting
// "SHUTDOWN NOSAVE can kill a timedout script anyway").
func TestShutdownNosaveDuringBusyScript(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			c := s.node.Dial(t)
			c.MustDo(t, "CONFIG", "SET", "lua-time-limit", "10")
			runner := s.node.Dial(t)
			testutil.NoErr(t, runner.Send("EVAL", "redis.call('set',KEYS[1],'y'); while true do end", "1", "x"))
			testutil.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
				if v, _ := c.Do("PING"); !strings.HasPrefix(string(v.Str), "BUSY") {
					return errors.New("PING: " + string(v.Str))
				}
				return nil
			})
			if v, _ := c.Do("SCRIPT", "KILL"); !strings.HasPrefix(string(v.Str), "UNKILLABLE") {
				t.Fatalf("SCRIPT KILL: %q", v.Str)
			}
			c.Send("SHUTDOWN", "NOSAVE")
			testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
				if s.node.Running() {
					return errors.New("still running")
				}
				return nil
			})
		})
	}
}
