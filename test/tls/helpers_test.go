package tls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/testutil"
)

// Bounds of every wait in this package.
const (
	cliTimeout   = 60 * time.Second // one redis-cli run (create waits for the join)
	replyTimeout = 5 * time.Second  // one command or handshake
	syncTimeout  = 30 * time.Second // a replica in sync, a cluster agreed
)

func itoa(i int) string { return strconv.Itoa(i) }

// freePort is a free loopback port whose bus port (port+10000) is free
// too and below 65536.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p, err := testutil.FreePort()
		testutil.NoErr(t, err)
		if p+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(p+10000)))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	t.Fatal("no free port pair")
	return 0
}

// node is a started server with a TLS port.
type node struct {
	*testutil.Node
	kind    string
	tlsPort int
	tlsAddr string
}

// start starts kind ("shoal" or "redis") with the harness's plaintext port
// and a TLS port, plus args. SHOAL_TLS_RACE=1 runs the race-enabled build.
func start(t *testing.T, kind string, c *certs, args ...string) *node {
	t.Helper()
	tp := freePort(t)
	all := append(c.serverArgs(tp), args...)
	var n *testutil.Node
	switch {
	case kind == "redis":
		n = testutil.StartRedis(t, all...)
	case os.Getenv("SHOAL_TLS_RACE") != "":
		// The race-enabled build; its reports fail the test.
		n = testutil.StartShoalRace(t, all...)
		t.Cleanup(func() {
			n.Stop()
			if r := n.RaceReports(); r != "" {
				t.Errorf("data race in shoal-server:\n%s", r)
			}
		})
	default:
		n = testutil.StartShoal(t, all...)
	}
	return &node{Node: n, kind: kind, tlsPort: tp, tlsAddr: net.JoinHostPort("127.0.0.1", itoa(tp))}
}

// clientConfig trusts the test CA and presents cert/key (none if "").
func (c *certs) clientConfig(t *testing.T, cert, key string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(c.ca)
	testutil.NoErr(t, err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		testutil.NoErr(t, err)
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

// goRedis is a go-redis client of addr over TLS with cfg.
func goRedis(t *testing.T, addr string, cfg *tls.Config) *redis.Client {
	t.Helper()
	cl := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, DialTimeout: replyTimeout,
		ReadTimeout: replyTimeout, WriteTimeout: replyTimeout, MaxRetries: -1, PoolSize: 2})
	t.Cleanup(func() { cl.Close() })
	return cl
}

// tlsPing dials addr with cfg, sends PING and returns the reply line or
// the error (a refused certificate shows as a handshake or read error).
func tlsPing(addr string, cfg *tls.Config) (string, error) {
	d := net.Dialer{Timeout: replyTimeout}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(replyTimeout))
	conn := tls.Client(raw, cfg)
	if err := conn.Handshake(); err != nil {
		return "", fmt.Errorf("handshake: %w", err)
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(buf[:n]), "\r\n"), nil
}

// run runs a tool (redis-cli, shoal-cli, redis-benchmark), bounded.
func run(t *testing.T, d time.Duration, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s %q: no answer within %v", bin, args, d)
	}
	return string(out), err
}

// tlsCLIArgs are redis-cli's TLS flags with the client certificate.
func (c *certs) cliArgs() []string {
	return []string{"--tls", "--cacert", c.ca, "--cert", c.clientCert, "--key", c.clientKey}
}

// mustRun is run that fails the test on an error; output without its
// trailing newline.
func mustRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := run(t, cliTimeout, bin, args...)
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", bin, args, err, out)
	}
	return strings.TrimRight(out, "\n")
}

// shoalCLI is the path of shoal-cli, built beside shoal-server.
func shoalCLI(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testutil.BuildBinaries(t), "shoal-cli")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shoal-cli not built: %v", err)
	}
	return p
}

// startProc starts bin with args in dir (output to dir/out.log) and kills
// it at cleanup; for servers the harness cannot start (port 0).
func startProc(t *testing.T, bin, dir string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, "out.log"))
	testutil.NoErr(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	testutil.NoErr(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", bin, b)
		}
	})
	return cmd
}
