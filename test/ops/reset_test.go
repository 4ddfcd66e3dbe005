package ops

import (
	"strings"
	"testing"
)

// TestResetClearsTracking: RESET turns CLIENT TRACKING off and clears the
// name, so CLIENT LIST shows flags=N as on redis-server 7.0 (unit/other
// "RESET clears client state").
func TestResetClearsTracking(t *testing.T) {
	for _, s := range both(t) {
		t.Run(s.name, func(t *testing.T) {
			c := s.node.Dial(t)
			c.MustDo(t, "CLIENT", "SETNAME", "test-client")
			c.MustDo(t, "CLIENT", "TRACKING", "ON")
			if got := string(c.MustDo(t, "RESET").Str); got != "RESET" {
				t.Fatalf("RESET: %q", got)
			}
			line := string(c.MustDo(t, "CLIENT", "INFO").Str)
			for _, want := range []string{" name= ", " flags=N ", " redir=-1 "} {
				if !strings.Contains(line, want) {
					t.Errorf("CLIENT INFO after RESET has no %q: %s", want, line)
				}
			}
			if got := c.MustDo(t, "CLIENT", "TRACKINGINFO").Elems[1]; len(got.Elems) != 1 || string(got.Elems[0].Str) != "off" {
				t.Errorf("CLIENT TRACKINGINFO flags after RESET: %+v", got)
			}
		})
	}
}
