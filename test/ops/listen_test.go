package ops

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// CONFIG SET port and bind move the listener as Redis 7.0 does: the new
// port serves, the old one is closed, connected clients stay; a port or
// address that cannot be bound is refused with Redis's error and the old
// listener keeps serving, every value of that CONFIG SET restored; bind "" closes every TCP listener. Replies are compared with a live redis-server
// byte for byte (the port numbers written as P1, P2, BUSY).
func TestConfigSetPortRebinds(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	run := func(kind string) []string {
		n := testutil.StartKind(t, kind)
		c := n.Dial(t)
		p2, err := testutil.FreePort()
		testutil.NoErr(t, err)
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		testutil.NoErr(t, err)
		defer busy.Close()
		busyPort := busy.Addr().(*net.TCPAddr).Port
		names := strings.NewReplacer(strconv.Itoa(n.Port), "P1", strconv.Itoa(p2), "P2", strconv.Itoa(busyPort), "BUSY")
		var out []string
		say := func(c *testutil.Conn, args ...string) {
			out = append(out, names.Replace(rawReply(t, c, args...)))
		}
		say(c, "CONFIG", "SET", "port", strconv.Itoa(p2))
		say(c, "PING") // the client connected on the old port stays
		say(c, "CONFIG", "GET", "port")
		_, err = testutil.DialTimeout(n.Addr, 2*time.Second)
		testutil.True(t, err != nil, kind+": the old port still accepts connections")
		addr2 := "127.0.0.1:" + strconv.Itoa(p2)
		c2 := testutil.Dial(t, addr2)
		say(c2, "PING")
		info := rawReply(t, c2, "INFO", "server")
		testutil.True(t, strings.Contains(info, "tcp_port:"+strconv.Itoa(p2)+"\r\n"), kind+": INFO server does not give the new port")

		// A port taken by another process: refused, the old one serves.
		say(c2, "CONFIG", "SET", "port", strconv.Itoa(busyPort))
		say(c2, "CONFIG", "GET", "port")
		c3 := testutil.Dial(t, addr2)
		say(c3, "PING")
		// The failed port takes back every value of its CONFIG SET, the
		// ones set and applied before it included.
		say(c3, "CONFIG", "SET", "maxmemory", "10000001", "port", strconv.Itoa(busyPort), "client-query-buffer-limit", "10m")
		say(c3, "CONFIG", "GET", "maxmemory")
		say(c3, "CONFIG", "GET", "client-query-buffer-limit")

		// An address that is not this host's: refused, nothing moves.
		say(c3, "CONFIG", "SET", "bind", "192.0.2.1")
		say(c3, "CONFIG", "GET", "bind")
		c4 := testutil.Dial(t, addr2)
		say(c4, "PING")

		// port and bind in one CONFIG SET.
		say(c4, "CONFIG", "SET", "bind", "127.0.0.1 -::1", "port", strconv.Itoa(n.Port))
		say(c4, "CONFIG", "GET", "bind")
		c5 := testutil.Dial(t, n.Addr)
		say(c5, "PING")

		// port 0 closes the plaintext listener.
		say(c5, "CONFIG", "SET", "port", "0")
		_, err = testutil.DialTimeout(n.Addr, 2*time.Second)
		testutil.True(t, err != nil, kind+": port 0 still accepts connections")
		say(c5, "CONFIG", "SET", "port", strconv.Itoa(p2))
		c6 := testutil.Dial(t, addr2)
		say(c6, "PING")

		// bind "" listens on no TCP address; a bind again listens.
		say(c6, "CONFIG", "SET", "bind", "")
		say(c6, "CONFIG", "GET", "bind")
		_, err = testutil.DialTimeout(addr2, 2*time.Second)
		testutil.True(t, err != nil, kind+": bind \"\" still accepts connections")
		say(c6, "CONFIG", "SET", "bind", "127.0.0.1")
		say(testutil.Dial(t, addr2), "PING")
		return out
	}
	want, got := run("redis"), run("shoal")
	testutil.DeepEqual(t, got, want)
	testutil.True(t, strings.Contains(want[4], "Unable to listen on this port"), want[4])
}
