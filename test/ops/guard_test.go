package ops

import (
	"testing"

	"github.com/shoal-db/shoal/internal/testutil"
)

// sameReplies runs each command on every server and requires the same
// reply from all of them.
func sameReplies(t *testing.T, srvs []server, cmds [][]string) {
	t.Helper()
	conns := make([]*testutil.Conn, len(srvs))
	for i, s := range srvs {
		conns[i] = s.node.Dial(t)
	}
	for _, c := range cmds {
		var first string
		for i, s := range srvs {
			v, err := conns[i].Do(c...)
			testutil.NoErr(t, err)
			got := v.String()
			if i == 0 {
				first = got
				continue
			}
			if got != first {
				t.Errorf("%q: %s replied %s, %s replied %s", c, srvs[0].name, first, s.name, got)
			}
		}
	}
}

// DEBUG and protected CONFIG SETs are refused with Redis's errors unless
// enable-debug-command / enable-protected-configs allow them; "local"
// allows a loopback client (issue #13: DEBUG ran although the setting was no).
func TestDebugAndProtectedConfigsGated(t *testing.T) {
	cmds := [][]string{
		{"DEBUG", "SLEEP", "0"},
		{"DEBUG", "SET-ACTIVE-EXPIRE", "1"},
		{"CONFIG", "SET", "dir", "."},
		{"CONFIG", "SET", "dbfilename", "x.rdb"},
		{"CONFIG", "SET", "maxmemory", "0", "dir", "."},
		{"MULTI"}, {"DEBUG", "SLEEP", "0"}, {"SET", "a", "1"}, {"EXEC"},
		{"EXISTS", "a"},
	}
	for _, level := range []string{"no", "local", "yes"} {
		t.Run(level, func(t *testing.T) {
			srvs := both(t, "--enable-debug-command", level, "--enable-protected-configs", level)
			sameReplies(t, srvs, cmds)
			v := srvs[1].node.Dial(t).MustDo(t, "DEBUG", "SLEEP", "0")
			if (level == "no") != v.IsError() {
				t.Errorf("enable-debug-command %s: DEBUG replied %s", level, v.String())
			}
		})
	}
}

// DEBUG PROTOCOL replies byte for byte as Redis's, in RESP2 and RESP3.
func TestDebugProtocolAsRedis(t *testing.T) {
	srvs := both(t)
	types := []string{"string", "integer", "double", "bignum", "null", "array", "set", "map",
		"attrib", "push", "verbatim", "true", "false", "nosuch"}
	for _, proto := range []string{"2", "3"} {
		raw := map[string][]string{}
		for _, s := range srvs {
			c := s.node.Dial(t)
			c.MustDo(t, "HELLO", proto)
			for _, ty := range types {
				testutil.NoErr(t, c.Send("DEBUG", "PROTOCOL", ty))
				var got []byte
				for {
					v, b, err := c.Read()
					testutil.NoErr(t, err)
					got = append(got, b...)
					if v.Kind != '>' {
						break
					}
				}
				raw[s.name] = append(raw[s.name], ty+": "+string(got))
			}
		}
		testutil.DeepEqual(t, raw["shoal"], raw["redis"])
	}
}
