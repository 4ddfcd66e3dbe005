package tls

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Shoal serves TLS clients on its event loops once their handshake is
// done (docs/tls.md): these tests drive the cases that path must get
// right, each against Redis too.

// dialHeld dials addr and runs a TLS handshake whose client flights after
// the first are held back and sent in one write with the first
// application data, so the server finds a command in the same segment as
// the client's Finished.
func dialHeld(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, replyTimeout)
	testutil.NoErr(t, err)
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(replyTimeout))
	h := &heldConn{Conn: raw}
	cfg = cfg.Clone()
	cfg.MaxVersion = tls.VersionTLS13 // the client finishes first in 1.3
	tc := tls.Client(h, cfg)
	testutil.NoErr(t, tc.Handshake())
	if h.writes != 2 {
		t.Fatalf("the client's handshake took %d writes, not 2", h.writes)
	}
	return tc
}

// heldConn sends its first write and holds the others until one comes
// after Release.
type heldConn struct {
	net.Conn
	writes int
	held   []byte
}

func (h *heldConn) Write(b []byte) (int, error) {
	h.writes++
	if h.writes == 1 {
		return h.Conn.Write(b)
	}
	h.held = append(h.held, b...)
	if h.writes <= 2 {
		return len(b), nil // the client's Finished flight
	}
	_, err := h.Conn.Write(h.held)
	h.held = nil
	return len(b), err
}

// trickleConn writes one byte at a time.
type trickleConn struct{ net.Conn }

func (c trickleConn) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := c.Conn.Write(b[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(b), nil
}

// roundTrip writes req and reads n reply lines.
func roundTrip(t *testing.T, conn net.Conn, req string, n int) string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(replyTimeout))
	_, err := conn.Write([]byte(req))
	testutil.NoErr(t, err)
	r := bufio.NewReader(conn)
	var lines []string
	for range n {
		l, err := r.ReadString('\n')
		testutil.NoErr(t, err)
		lines = append(lines, strings.TrimRight(l, "\r\n"))
	}
	return strings.Join(lines, "|")
}

// TestTLSFirstCommandWithFinished: a command that arrives in the same
// segment as the handshake's last flight is served; a client whose every
// byte (handshake included) arrives alone is served too.
func TestTLSFirstCommandWithFinished(t *testing.T) {
	c := newCerts(t)
	cfg := c.clientConfig(t, c.clientCert, c.clientKey)
	for _, kind := range kinds {
		n := start(t, kind, c)
		tc := dialHeld(t, n.tlsAddr, cfg)
		testutil.Equal(t, roundTrip(t, tc, "PING\r\nECHO held\r\n", 3), "+PONG|$4|held")
		raw, err := net.DialTimeout("tcp", n.tlsAddr, replyTimeout)
		testutil.NoErr(t, err)
		t.Cleanup(func() { raw.Close() })
		raw.SetDeadline(time.Now().Add(4 * replyTimeout))
		slow := tls.Client(trickleConn{raw}, cfg)
		testutil.NoErr(t, slow.Handshake())
		testutil.Equal(t, roundTrip(t, slow, "*3\r\n$3\r\nSET\r\n$1\r\nt\r\n$7\r\ntrickle\r\nGET t\r\n", 3), "+OK|$7|trickle")
	}
}

// TestTLSPipelinesAndBigValues: pipelines of thousands of commands and
// values of several records each, in both directions, under TLS 1.2 and
// 1.3, read back as Redis reads them back.
func TestTLSPipelinesAndBigValues(t *testing.T) {
	c := newCerts(t)
	ctx := context.Background()
	sizes := []int{0, 1, 100, 16*1024 - 30, 16 * 1024, 70 * 1000, 1 << 20}
	got := map[string]string{}
	for _, kind := range kinds {
		n := start(t, kind, c)
		for _, ver := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			cfg := c.clientConfig(t, c.clientCert, c.clientKey)
			cfg.MaxVersion = ver
			cl := goRedis(t, n.tlsAddr, cfg)
			p := cl.Pipeline()
			for i := range 3000 {
				p.Set(ctx, fmt.Sprint("k", i), strings.Repeat("v", i%300), 0)
			}
			for i, sz := range sizes {
				p.Set(ctx, fmt.Sprint("big", i), strings.Repeat(string(rune('a'+i)), sz), 0)
			}
			_, err := p.Exec(ctx)
			testutil.NoErr(t, err)
			p = cl.Pipeline()
			var gets []*redis.StringCmd
			for i := range 3000 {
				gets = append(gets, p.Get(ctx, fmt.Sprint("k", i)))
			}
			for i := range sizes {
				gets = append(gets, p.Get(ctx, fmt.Sprint("big", i)))
			}
			_, err = p.Exec(ctx)
			testutil.NoErr(t, err)
			var sum strings.Builder
			for i, g := range gets {
				v := g.Val()
				if i < 3000 && v != strings.Repeat("v", i%300) {
					t.Fatalf("%s: GET k%d = %d bytes", kind, i, len(v))
				}
				fmt.Fprintf(&sum, "%d,", len(v))
			}
			got[kind] += sum.String() + ";"
		}
	}
	testutil.Equal(t, got["shoal"], got["redis"])
}

// TestTLSCloseAndKill: QUIT answers +OK and closes; CLIENT KILL of a TLS
// client (found in CLIENT LIST by its address) closes it; a TLS client
// that only hangs up is gone from CLIENT LIST.
func TestTLSCloseAndKill(t *testing.T) {
	c := newCerts(t)
	cfg := c.clientConfig(t, c.clientCert, c.clientKey)
	for _, kind := range kinds {
		n := start(t, kind, c)
		admin := goRedis(t, n.tlsAddr, cfg)
		ctx := context.Background()

		q, err := tls.Dial("tcp", n.tlsAddr, cfg)
		testutil.NoErr(t, err)
		testutil.Equal(t, roundTrip(t, q, "QUIT\r\n", 1), "+OK")
		q.SetDeadline(time.Now().Add(replyTimeout))
		if _, err := q.Read(make([]byte, 1)); err == nil {
			t.Fatalf("%s: read after QUIT succeeded", kind)
		}

		victim, err := tls.Dial("tcp", n.tlsAddr, cfg)
		testutil.NoErr(t, err)
		testutil.Equal(t, roundTrip(t, victim, "CLIENT SETNAME victim\r\n", 1), "+OK")
		addr := victim.LocalAddr().String()
		list, err := admin.ClientList(ctx).Result()
		testutil.NoErr(t, err)
		if !strings.Contains(list, "addr="+addr+" ") || !strings.Contains(list, "name=victim") {
			t.Fatalf("%s: CLIENT LIST lacks the TLS client %s:\n%s", kind, addr, list)
		}
		testutil.NoErr(t, admin.Do(ctx, "CLIENT", "KILL", addr).Err())
		victim.SetDeadline(time.Now().Add(replyTimeout))
		if _, err := victim.Read(make([]byte, 1)); err == nil {
			t.Fatalf("%s: read after CLIENT KILL succeeded", kind)
		}

		gone, err := tls.Dial("tcp", n.tlsAddr, cfg)
		testutil.NoErr(t, err)
		testutil.Equal(t, roundTrip(t, gone, "CLIENT SETNAME gone\r\n", 1), "+OK")
		gone.Close()
		testutil.CheckFor(t, replyTimeout, 20*time.Millisecond, func() error {
			list, err := admin.ClientList(ctx).Result()
			if err != nil {
				return err
			}
			if strings.Contains(list, "name=gone") || strings.Contains(list, "name=victim") {
				return fmt.Errorf("closed clients still listed:\n%s", list)
			}
			return nil
		})
	}
}

// TestTLSOutputBufferLimit: a TLS subscriber that does not read is closed
// by client-output-buffer-limit pubsub, and the publisher then reaches no
// one; a reading subscriber keeps getting every message.
func TestTLSOutputBufferLimit(t *testing.T) {
	c := newCerts(t)
	cfg := c.clientConfig(t, c.clientCert, c.clientKey)
	for _, kind := range kinds {
		n := start(t, kind, c)
		ctx := context.Background()
		pub := goRedis(t, n.tlsAddr, cfg)
		testutil.NoErr(t, pub.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 256kb 0 0").Err())

		// A subscriber that reads everything.
		reader, err := tls.Dial("tcp", n.tlsAddr, cfg)
		testutil.NoErr(t, err)
		t.Cleanup(func() { reader.Close() })
		testutil.Equal(t, roundTrip(t, reader, "SUBSCRIBE live\r\n", 6), "*3|$9|subscribe|$4|live|:1")
		var wg sync.WaitGroup
		received := make(chan int, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			reader.SetReadDeadline(time.Now().Add(syncTimeout))
			r := bufio.NewReader(reader)
			count := 0
			for count < 200 {
				l, err := r.ReadString('\n')
				if err != nil {
					break
				}
				if strings.HasPrefix(l, "$10000") {
					count++
				}
			}
			received <- count
		}()

		// A subscriber that never reads.
		stuck, err := tls.Dial("tcp", n.tlsAddr, cfg)
		testutil.NoErr(t, err)
		t.Cleanup(func() { stuck.Close() })
		testutil.Equal(t, roundTrip(t, stuck, "SUBSCRIBE slow\r\n", 6), "*3|$9|subscribe|$4|slow|:1")

		msg := strings.Repeat("m", 10000)
		for range 200 {
			testutil.NoErr(t, pub.Publish(ctx, "live", msg).Err())
		}
		wg.Wait()
		testutil.Equal(t, <-received, 200)
		testutil.CheckFor(t, syncTimeout, 10*time.Millisecond, func() error {
			got, err := pub.Publish(ctx, "slow", msg).Result()
			if err != nil {
				return err
			}
			if got != 0 {
				return fmt.Errorf("%s: the unread subscriber still receives", kind)
			}
			return nil
		})
		// Its connection ends once its buffered bytes are read.
		stuck.SetReadDeadline(time.Now().Add(replyTimeout))
		if _, err := io.Copy(io.Discard, stuck); err != nil && strings.Contains(err.Error(), "timeout") {
			t.Fatalf("%s: the closed subscriber's connection stays open: %v", kind, err)
		}
	}
}
