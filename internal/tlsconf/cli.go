package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
)

// CLIOptions are redis-cli's TLS flags (--cacert, --cacertdir, --cert,
// --key, --sni, --insecure, --tls-ciphers, --tls-ciphersuites).
type CLIOptions struct {
	CACert, CACertDir, Cert, Key, SNI string
	Ciphers, Ciphersuites             string
	Insecure                          bool
}

// CLIConfig is cliSecureConnection's SSL_CTX: the server's chain is
// verified against the CA (the system's when none is given) unless
// Insecure, with no host name check, as redis-cli does; SNI only names the
// server. Errors are redis-cli's texts.
func CLIConfig(o CLIOptions) (*tls.Config, error) {
	var pool *x509.CertPool
	var err error
	if o.CACert != "" || o.CACertDir != "" {
		if pool, err = loadCAs(o.CACert, o.CACertDir); err != nil {
			return nil, errors.New("Invalid CA Certificate File/Directory")
		}
	} else if pool, err = x509.SystemCertPool(); err != nil {
		return nil, errors.New("Failed to use default CA paths")
	}
	cfg := &tls.Config{ServerName: o.SNI, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}
	if o.Cert != "" {
		b, err := os.ReadFile(o.Cert)
		if blk, _ := pem.Decode(b); err != nil || blk == nil || blk.Type != "CERTIFICATE" {
			return nil, errors.New("Invalid client certificate")
		}
		// A certificate without --key is loaded but never sent (no key
		// to sign with), as with OpenSSL.
		if o.Key != "" {
			pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
			if err != nil {
				return nil, errors.New("Invalid private key")
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	if o.Ciphers != "" {
		if cfg.CipherSuites, err = parseCiphers(o.Ciphers); err != nil {
			return nil, errors.New("Error while configuring ciphers")
		}
	}
	if checkCiphersuites(o.Ciphersuites) != nil {
		return nil, errors.New("Error while setting cypher suites")
	}
	if !o.Insecure {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyChain(cs.PeerCertificates, pool, x509.ExtKeyUsageServerAuth)
		}
	}
	return cfg, nil
}
