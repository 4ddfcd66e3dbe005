package tls

import (
	"crypto/tls"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// serverCN dials addr and returns the CN of the certificate it presents.
func serverCN(t *testing.T, addr string, cfg *tls.Config) string {
	t.Helper()
	d := &net.Dialer{Timeout: replyTimeout}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func cliPlain(t *testing.T, n *node, args ...string) string {
	t.Helper()
	out, _ := run(t, cliTimeout, testutil.RedisCLI(), append([]string{"-p", itoa(n.Port)}, args...)...)
	return strings.TrimRight(out, "\n")
}

// TestConfigSetReload: CONFIG SET of the certificate files reloads them
// for new connections without a restart (also when the name is the same
// and the file changed), a bad file is refused with Redis's error and
// leaves the old configuration in force, and tls-port moves the listener.
func TestConfigSetReload(t *testing.T) {
	c := newCerts(t)
	results := map[string][]string{}
	for _, kind := range kinds {
		n := start(t, kind, c)
		cfg := c.clientConfig(t, c.clientCert, c.clientKey)
		testutil.Equal(t, serverCN(t, n.tlsAddr, cfg), "Shoal node")
		old := goRedis(t, n.tlsAddr, cfg)
		testutil.NoErr(t, old.Ping(t.Context()).Err())

		var res []string
		res = append(res, cliPlain(t, n, "config", "set", "tls-cert-file", c.node2Cert, "tls-key-file", c.node2Key))
		testutil.Equal(t, serverCN(t, n.tlsAddr, cfg), "Shoal node reloaded")
		testutil.NoErr(t, old.Ping(t.Context()).Err()) // an open connection is kept

		// A file that cannot be loaded: Redis's error, old values kept.
		res = append(res, cliPlain(t, n, "config", "set", "tls-cert-file", "/nonexistent/cert.pem"))
		res = append(res, cliPlain(t, n, "config", "get", "tls-cert-file"))
		res = append(res, cliPlain(t, n, "config", "set", "tls-key-file", c.nodeKey)) // does not match node2.crt
		testutil.Equal(t, serverCN(t, n.tlsAddr, cfg), "Shoal node reloaded")

		// The same file name, new contents: a reload reads it again.
		copyFile(t, c.node2Cert, c.nodeCert)
		copyFile(t, c.node2Key, c.nodeKey)
		res = append(res, cliPlain(t, n, "config", "set", "tls-cert-file", c.node2Cert))
		testutil.Equal(t, serverCN(t, n.tlsAddr, cfg), "Shoal node")
		copyFile(t, c.node2Cert, c.node2Cert+".orig") // put back for the next kind
		copyFile(t, c.node2Key, c.node2Key+".orig")

		// tls-port moves the listener.
		np := freePort(t)
		res = append(res, cliPlain(t, n, "config", "set", "tls-port", itoa(np)))
		r, err := tlsPing(net.JoinHostPort("127.0.0.1", itoa(np)), cfg)
		testutil.NoErr(t, err)
		testutil.Equal(t, r, "+PONG")
		if _, err := tlsPing(n.tlsAddr, cfg); err == nil {
			t.Errorf("%s: old tls-port still listening", kind)
		}
		res = append(res, cliPlain(t, n, "config", "set", "tls-port", "0"))
		if _, err := tlsPing(net.JoinHostPort("127.0.0.1", itoa(np)), cfg); err == nil {
			t.Errorf("%s: tls-port 0 still listening", kind)
		}
		res = append(res, cliPlain(t, n, "config", "get", "tls-port"))
		results[kind] = res
	}
	testutil.DeepEqual(t, results["shoal"], results["redis"])
	testutil.Equal(t, results["shoal"][1], "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.")
}

// copyFile copies src over dst, keeping dst's old contents in dst.orig
// the first time.
func copyFile(t *testing.T, dst, src string) {
	t.Helper()
	if _, err := os.Stat(dst + ".orig"); err != nil && !strings.HasSuffix(dst, ".orig") {
		b, err := os.ReadFile(dst)
		testutil.NoErr(t, err)
		testutil.NoErr(t, os.WriteFile(dst+".orig", b, 0o600))
	}
	b, err := os.ReadFile(src)
	testutil.NoErr(t, err)
	testutil.NoErr(t, os.WriteFile(dst, b, 0o600))
}

// TestEncryptedKeyAndTLSOnly: tls-key-file-pass opens an encrypted key,
// and with port 0 only the TLS port listens.
func TestEncryptedKeyAndTLSOnly(t *testing.T) {
	c := newCerts(t)
	for _, kind := range kinds {
		bin := testutil.RedisBinary()
		if kind == "shoal" {
			bin = testutil.ShoalServerPath(t)
		}
		tp := freePort(t)
		dir := t.TempDir()
		cmd := startProc(t, bin, dir, "--port", "0", "--bind", "127.0.0.1", "--tls-port", itoa(tp), "--save", "",
			"--tls-cert-file", c.nodeCert, "--tls-key-file", c.encKey, "--tls-key-file-pass", c.encPass,
			"--tls-ca-cert-file", c.ca)
		addr := net.JoinHostPort("127.0.0.1", itoa(tp))
		cfg := c.clientConfig(t, c.clientCert, c.clientKey)
		testutil.CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error { _, err := tlsPing(addr, cfg); return err })
		out := mustRun(t, testutil.RedisCLI(), append(c.cliArgs(), "-p", itoa(tp), "config", "get", "port")...)
		testutil.Equal(t, out, "port\n0")
		// INFO's tcp_port is the TLS port when port is 0, as in Redis.
		inf := mustRun(t, testutil.RedisCLI(), append(c.cliArgs(), "-p", itoa(tp), "info", "server")...)
		if !strings.Contains(inf, "tcp_port:"+itoa(tp)+"\r") && !strings.Contains(inf, "tcp_port:"+itoa(tp)+"\n") {
			t.Errorf("%s: INFO lacks tcp_port:%d:\n%s", kind, tp, inf)
		}
		cmd.Process.Kill()
	}
}

// TestStartupRefusals: TLS that cannot be configured stops the server
// at startup with Redis's log lines.
func TestStartupRefusals(t *testing.T) {
	c := newCerts(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert-file", c.nodeCert, "--tls-key-file", c.nodeKey}, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"},
		{[]string{"--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca}, "No tls-cert-file configured!"},
		{[]string{"--tls-cert-file", c.nodeCert, "--tls-key-file", c.encKey, "--tls-ca-cert-file", c.ca, "--tls-key-file-pass", "wrong"}, "Failed to load private key: " + c.encKey},
		{[]string{"--tls-cert-file", c.nodeCert, "--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca, "--tls-protocols", "TLSv9"}, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."},
		{[]string{"--tls-cert-file", c.nodeCert, "--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca, "--tls-ciphers", "NOSUCHCIPHER"}, "Failed to configure ciphers: NOSUCHCIPHER"},
	}
	for _, kind := range kinds {
		bin := testutil.RedisBinary()
		if kind == "shoal" {
			bin = testutil.ShoalServerPath(t)
		}
		for _, tc := range cases {
			args := append([]string{"--port", "0", "--bind", "127.0.0.1", "--tls-port", itoa(freePort(t)), "--save", "", "--dir", t.TempDir()}, tc.args...)
			out, err := run(t, 10*time.Second, bin, args...)
			if err == nil || !strings.Contains(out, tc.want) || !strings.Contains(out, "Failed to configure TLS. Check logs for more info.") {
				t.Errorf("%s %q: err %v, output lacks %q:\n%s", kind, tc.args, err, tc.want, out)
			}
		}
	}
}
