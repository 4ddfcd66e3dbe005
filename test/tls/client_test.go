package tls

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

var kinds = []string{"shoal", "redis"}

// TestClientCertificates: go-redis and redis-cli reach the TLS port with a
// client certificate, on Shoal as on Redis, and see the same replies.
func TestClientCertificates(t *testing.T) {
	c := newCerts(t)
	got := map[string]string{}
	for _, kind := range kinds {
		n := start(t, kind, c)
		ctx := context.Background()
		cl := goRedis(t, n.tlsAddr, c.clientConfig(t, c.clientCert, c.clientKey))
		testutil.NoErr(t, cl.Set(ctx, "k", "over tls", 0).Err())
		v, err := cl.Get(ctx, "k").Result()
		testutil.NoErr(t, err)
		testutil.Equal(t, v, "over tls")
		// redis-cli, a pipeline of several commands.
		args := append(c.cliArgs(), "-p", itoa(n.tlsPort))
		out := mustRun(t, testutil.RedisCLI(), append(args, "incrby", "n", "5")...)
		out += "|" + mustRun(t, testutil.RedisCLI(), append(args, "get", "k")...)
		out += "|" + mustRun(t, testutil.RedisCLI(), append(args, "config", "get", "tls-auth-clients")...)
		out += "|" + mustRun(t, testutil.RedisCLI(), append(args, "--sni", "localhost", "ping")...)
		got[kind] = out
		// The plaintext port still serves (plaintext stays on its transport).
		testutil.Equal(t, mustRun(t, testutil.RedisCLI(), "-p", itoa(n.Port), "get", "k"), "over tls")
	}
	testutil.Equal(t, got["shoal"], got["redis"])
	testutil.Equal(t, got["shoal"], "5|over tls|tls-auth-clients\nyes|PONG")
}

// TestShoalCLI: shoal-cli speaks TLS with redis-cli's flags.
func TestShoalCLI(t *testing.T) {
	c := newCerts(t)
	n := start(t, "shoal", c)
	cli := shoalCLI(t)
	args := append(c.cliArgs(), "-p", itoa(n.tlsPort))
	testutil.Equal(t, mustRun(t, cli, append(args, "set", "a", "1")...), "OK")
	testutil.Equal(t, mustRun(t, cli, append(args, "--sni", "localhost", "get", "a")...), "1")
	// --insecure skips verifying the server, but the server still wants
	// a client certificate.
	testutil.Equal(t, mustRun(t, cli, "--tls", "--insecure", "--cert", c.clientCert, "--key", c.clientKey, "-p", itoa(n.tlsPort), "ping"), "PONG")
	// Refusals read as redis-cli's: an unverified server, a bad CA file,
	// no client certificate (or one without its key), plaintext to TLS.
	p := itoa(n.tlsPort)
	for _, args := range [][]string{
		{"--tls", "--cert", c.clientCert, "--key", c.clientKey, "-p", p, "ping"},
		{"--tls", "--cacert", "/nonexistent", "-p", p, "ping"},
		{"--tls", "--cacert", c.ca, "-p", p, "ping"},
		{"--tls", "--cacert", c.ca, "--cert", c.clientCert, "-p", p, "ping"},
		{"-p", p, "ping"},
	} {
		want, werr := run(t, cliTimeout, testutil.RedisCLI(), args...)
		got, gerr := run(t, cliTimeout, cli, args...)
		if got != want || (werr == nil) != (gerr == nil) {
			t.Errorf("shoal-cli %q: %q (%v), redis-cli: %q (%v)", args, got, gerr, want, werr)
		}
	}
	// A refused certificate: the server's close races the client's PING
	// (redis-cli against redis-server says either, too).
	out, err := run(t, cliTimeout, cli, "--tls", "--cacert", c.ca, "--cert", c.strangerCert, "--key", c.strangerKey, "-p", p, "ping")
	if err == nil || out != "Error: Server closed the connection\n" && out != "Error: Connection reset by peer\n" {
		t.Errorf("stranger certificate: %q, %v", out, err)
	}
	// A URI with rediss:// turns TLS on, as in redis-cli.
	testutil.Equal(t, mustRun(t, cli, "--cacert", c.ca, "--cert", c.clientCert, "--key", c.clientKey, "-u", "rediss://127.0.0.1:"+itoa(n.tlsPort), "ping"), "PONG")
}

// TestWrongProtocolRefused: plaintext to the TLS port and TLS to the
// plaintext port fail at once, without a hang, and the server lives on.
func TestWrongProtocolRefused(t *testing.T) {
	c := newCerts(t)
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			n := start(t, kind, c)
			// Plaintext to the TLS port: the connection is closed.
			conn, err := net.DialTimeout("tcp", n.tlsAddr, replyTimeout)
			testutil.NoErr(t, err)
			conn.SetDeadline(time.Now().Add(replyTimeout))
			conn.Write([]byte("*1\r\n$4\r\nPING\r\n"))
			buf := make([]byte, 256)
			nr, err := conn.Read(buf)
			conn.Close()
			if err == nil && strings.Contains(string(buf[:nr]), "PONG") {
				t.Fatalf("plaintext PING answered on the TLS port: %q", buf[:nr])
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("plaintext to the TLS port hung: %v", err)
			}
			// TLS to the plaintext port: the handshake fails. Redis reads
			// the ClientHello as an inline command and waits for its
			// newline, so the client times out; Shoal closes at once.
			if r, err := tlsPing(n.Addr, c.clientConfig(t, c.clientCert, c.clientKey)); err == nil {
				t.Fatalf("TLS to the plaintext port answered %q", r)
			} else if kind == "shoal" && strings.Contains(err.Error(), "timeout") {
				t.Fatalf("TLS to the plaintext port hung: %v", err)
			}
			// Both ports still serve.
			r, err := tlsPing(n.tlsAddr, c.clientConfig(t, c.clientCert, c.clientKey))
			testutil.NoErr(t, err)
			testutil.Equal(t, r, "+PONG")
			testutil.NoErr(t, testutil.Ping(n.Addr, replyTimeout))
		})
	}
}

// TestCertificatesRefused: with tls-auth-clients yes (the default) a
// client without a certificate, with an expired one or with one from an
// unknown CA is refused; with optional only a bad certificate is; with no,
// nothing is asked.
func TestCertificatesRefused(t *testing.T) {
	c := newCerts(t)
	type cas struct {
		name, cert, key string
	}
	cases := []cas{{"none", "", ""}, {"good", c.clientCert, c.clientKey}, {"expired", c.expiredCert, c.expiredKey},
		{"stranger", c.strangerCert, c.strangerKey}}
	want := map[string]map[string]bool{ // mode → case → accepted
		"yes":      {"none": false, "good": true, "expired": false, "stranger": false},
		"optional": {"none": true, "good": true, "expired": false, "stranger": false},
		"no":       {"none": true, "good": true, "expired": true, "stranger": true},
	}
	for _, kind := range kinds {
		n := start(t, kind, c)
		for _, mode := range []string{"yes", "optional", "no"} {
			testutil.Equal(t, mustRun(t, testutil.RedisCLI(), "-p", itoa(n.Port), "config", "set", "tls-auth-clients", mode), "OK")
			for _, k := range cases {
				r, err := tlsPing(n.tlsAddr, c.clientConfig(t, k.cert, k.key))
				ok := err == nil && r == "+PONG"
				if ok != want[mode][k.name] {
					t.Errorf("%s, tls-auth-clients %s, %s certificate: reply %q, err %v; want accepted=%v",
						kind, mode, k.name, r, err, want[mode][k.name])
				}
				if err != nil && strings.Contains(err.Error(), "timeout") {
					t.Errorf("%s %s %s: hung: %v", kind, mode, k.name, err)
				}
			}
		}
		testutil.NoErr(t, testutil.Ping(n.Addr, replyTimeout))
	}
}

// TestBlockingOverTLS: a blocked command on a TLS connection (the
// goroutine transport reads the connection while it waits) is served by a
// push, and the connection goes on serving; a client that hangs up while
// blocked is let go.
func TestBlockingOverTLS(t *testing.T) {
	c := newCerts(t)
	n := start(t, "shoal", c)
	cfg := c.clientConfig(t, c.clientCert, c.clientKey)
	ctx := context.Background()
	waiter, pusher := goRedis(t, n.tlsAddr, cfg), goRedis(t, n.tlsAddr, cfg)
	for round := range 3 {
		got := make(chan []string, 1)
		go func() {
			v, _ := waiter.BLPop(ctx, 4*time.Second, "q").Result()
			got <- v
		}()
		testutil.CheckFor(t, replyTimeout, 20*time.Millisecond, func() error {
			if b := info(n, "clients", "blocked_clients"); b != "1" {
				return fmt.Errorf("blocked_clients %q", b)
			}
			return nil
		})
		testutil.NoErr(t, pusher.RPush(ctx, "q", fmt.Sprint("v", round)).Err())
		select {
		case v := <-got:
			testutil.DeepEqual(t, v, []string{"q", fmt.Sprint("v", round)})
		case <-time.After(replyTimeout):
			t.Fatal("BLPOP over TLS not served")
		}
		testutil.NoErr(t, waiter.Ping(ctx).Err())
	}
	// A client blocked over TLS hangs up: the server frees it.
	raw, err := tls.Dial("tcp", n.tlsAddr, cfg)
	testutil.NoErr(t, err)
	raw.Write([]byte("*3\r\n$5\r\nBLPOP\r\n$2\r\nq2\r\n$1\r\n0\r\n"))
	testutil.CheckFor(t, replyTimeout, 20*time.Millisecond, func() error {
		if b := info(n, "clients", "blocked_clients"); b != "1" {
			return fmt.Errorf("blocked_clients %q", b)
		}
		return nil
	})
	raw.Close()
	testutil.CheckFor(t, replyTimeout, 20*time.Millisecond, func() error {
		if b := info(n, "clients", "blocked_clients"); b != "0" {
			return fmt.Errorf("blocked_clients %q after hang-up", b)
		}
		return nil
	})
}
