package tls

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// TestLDBSession: a SCRIPT DEBUG SYNC session over TLS ends with
// <endsession>, the EVAL's reply and the connection closed, the same
// bytes from Shoal as from Redis. (Shoal's session takes the tls.Conn off
// its event loop and closed it before the loop's flush of the reply,
// which was lost: the session sends the reply itself.)
func TestLDBSession(t *testing.T) {
	c := newCerts(t)
	got := map[string]string{}
	for _, kind := range kinds {
		n := start(t, kind, c)
		raw, err := net.DialTimeout("tcp", n.tlsAddr, replyTimeout)
		testutil.NoErr(t, err)
		conn := tls.Client(raw, c.clientConfig(t, c.clientCert, c.clientKey))
		t.Cleanup(func() { conn.Close() })
		tc := &testutil.Conn{C: conn, R: bufio.NewReader(conn)}
		if v := tc.MustDo(t, "SCRIPT", "DEBUG", "SYNC"); string(v.Str) != "OK" {
			t.Fatalf("%s: SCRIPT DEBUG SYNC = %+v", kind, v)
		}
		testutil.NoErr(t, tc.Send("EVAL", "local x = 5\nreturn x", "0"))
		_, start, err := tc.Read()
		testutil.NoErr(t, err)
		testutil.NoErr(t, tc.Send("s"))
		_, step, err := tc.Read()
		testutil.NoErr(t, err)
		testutil.NoErr(t, tc.Send("c"))
		conn.SetReadDeadline(time.Now().Add(replyTimeout))
		rest, err := io.ReadAll(tc.R)
		if err != nil {
			t.Fatalf("%s: after continue: %q %v", kind, rest, err)
		}
		got[kind] = string(start) + string(step) + string(rest)
	}
	if got["shoal"] != got["redis"] {
		t.Fatalf("session bytes differ\nredis: %q\nshoal: %q", got["redis"], got["shoal"])
	}
	if want := "*1\r\n+<endsession>\r\n:5\r\n"; !strings.HasSuffix(got["shoal"], want) {
		t.Fatalf("session does not end with %q: %q", want, got["shoal"])
	}
}
