package tlsconf

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestParseProtocols(t *testing.T) {
	cases := []struct {
		in       string
		min, max uint16
		err      bool
	}{
		{"", tls.VersionTLS12, tls.VersionTLS13, false},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, false},
		{"tlsv1.3", tls.VersionTLS13, tls.VersionTLS13, false},
		{"TLSv1 TLSv1.1", tls.VersionTLS10, tls.VersionTLS11, false},
		{"TLSv1 TLSv1.3", tls.VersionTLS10, tls.VersionTLS13, false}, // a gap is served as the span
		{"TLSv1.2  TLSv1.3", 0, 0, true},                             // an empty token, as sdssplitlen gives
		{"SSLv3", 0, 0, true},
	}
	for _, c := range cases {
		lo, hi, err := parseProtocols(c.in)
		if (err != nil) != c.err || !c.err && (lo != c.min || hi != c.max) {
			t.Errorf("parseProtocols(%q) = %x, %x, %v", c.in, lo, hi, err)
		}
	}
}

func TestParseCiphers(t *testing.T) {
	ids, err := parseCiphers("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
	if err != nil || len(ids) != 2 || ids[0] != tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 {
		t.Fatalf("named suites: %v %v", ids, err)
	}
	if ids, err := parseCiphers("HIGH:!aNULL:!MD5"); err != nil || ids != nil {
		t.Fatalf("keywords keep the default: %v %v", ids, err)
	}
	if _, err := parseCiphers("NOSUCH"); err == nil || err.Error() != "Failed to configure ciphers: NOSUCH" {
		t.Fatalf("unknown: %v", err)
	}
	if err := checkCiphersuites("TLS_AES_256_GCM_SHA384:TLS_BOGUS"); err != nil {
		t.Fatal(err)
	}
	if err := checkCiphersuites("TLS_BOGUS"); err == nil {
		t.Fatal("unknown ciphersuites accepted")
	}
}

func TestLoadRefusals(t *testing.T) {
	cases := []struct {
		s    Settings
		want string
	}{
		{Settings{}, "No tls-cert-file configured!"},
		{Settings{CertFile: "c"}, "No tls-key-file configured!"},
		{Settings{CertFile: "c", KeyFile: "k", AuthClients: "yes"}, "Either tls-ca-cert-file or tls-ca-cert-dir"},
		{Settings{CertFile: "c", KeyFile: "k", AuthClients: "no", Replication: true}, "Either tls-ca-cert-file"},
		{Settings{CertFile: "/nonexistent", KeyFile: "k", AuthClients: "no"}, "Failed to load certificate: /nonexistent"},
	}
	for _, c := range cases {
		if _, err := Load(c.s); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Load(%+v) = %v, want %q", c.s, err, c.want)
		}
	}
}

// FuzzDirectives: the directive parsers never panic, and what they accept
// is consistent.
func FuzzDirectives(f *testing.F) {
	for _, s := range []string{"", "TLSv1.2 TLSv1.3", "tlsv1", "ECDHE-RSA-AES128-GCM-SHA256:HIGH", "!aNULL:+RSA",
		"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", "a b  c", ":::", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if lo, hi, err := parseProtocols(s); err == nil && (lo > hi || lo < tls.VersionTLS10 || hi > tls.VersionTLS13) {
			t.Fatalf("parseProtocols(%q) = %x..%x", s, lo, hi)
		}
		if ids, err := parseCiphers(s); err == nil {
			for _, id := range ids {
				if tls.CipherSuiteName(id) == "" {
					t.Fatalf("parseCiphers(%q): unknown id %x", s, id)
				}
			}
		}
		checkCiphersuites(s)
	})
}
