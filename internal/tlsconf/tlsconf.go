package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Settings are the tls-* directives, as CONFIG GET shows them.
type Settings struct {
	CertFile, KeyFile, KeyFilePass                   string
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string
	CACertFile, CACertDir                            string
	DHParamsFile                                     string
	Protocols, Ciphers, Ciphersuites                 string
	AuthClients                                      string // "yes", "no" or "optional"
	PreferServerCiphers                              bool
	SessionCaching                                   bool
	SessionCacheSize, SessionCacheTimeout            int64
	// Cluster and Replication are tls-cluster and tls-replication: with
	// either, a CA is required (the peers' certificates are verified).
	Cluster, Replication bool
}

// Configs is one loaded TLS configuration.
type Configs struct {
	// Server is the client port's, per tls-auth-clients value ("no",
	// "optional", "yes"): Redis reads that directive at each accept.
	Server map[string]*tls.Config
	// Bus is the cluster bus's listening side: a peer must present a
	// certificate the CA signed (Redis accepts bus links with
	// TLS_CLIENT_AUTH_YES whatever tls-auth-clients says).
	Bus *tls.Config
	// Client is for outbound links: it presents tls-client-cert-file (or
	// tls-cert-file) and verifies the peer's chain against the CA, without
	// a host name check, as Redis does.
	Client *tls.Config
}

// Load builds the configurations for s. Its error is the line Redis logs
// for the same fault.
func Load(s Settings) (*Configs, error) {
	if s.CertFile == "" {
		return nil, errors.New("No tls-cert-file configured!")
	}
	if s.KeyFile == "" {
		return nil, errors.New("No tls-key-file configured!")
	}
	if (s.AuthClients != "no" || s.Cluster || s.Replication) && s.CACertFile == "" && s.CACertDir == "" {
		return nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	minV, maxV, err := parseProtocols(s.Protocols)
	if err != nil {
		return nil, err
	}
	suites, err := parseCiphers(s.Ciphers)
	if err != nil {
		return nil, err
	}
	if err := checkCiphersuites(s.Ciphersuites); err != nil {
		return nil, err
	}
	cert, err := loadPair(s.CertFile, s.KeyFile, s.KeyFilePass)
	if err != nil {
		return nil, err
	}
	clientCert := cert
	if s.ClientCertFile != "" && s.ClientKeyFile != "" {
		if clientCert, err = loadPair(s.ClientCertFile, s.ClientKeyFile, s.ClientKeyFilePass); err != nil {
			return nil, err
		}
	}
	var pool *x509.CertPool
	if s.CACertFile != "" || s.CACertDir != "" {
		if pool, err = loadCAs(s.CACertFile, s.CACertDir); err != nil {
			return nil, err
		}
	}
	if s.DHParamsFile != "" {
		// Go negotiates ECDHE only; the file is checked to exist and be
		// PEM DH parameters, as Redis fails on a missing or bad file.
		if err := checkDHParams(s.DHParamsFile); err != nil {
			return nil, err
		}
	}

	// Records are filled up to 16 KB from the first byte, as OpenSSL
	// fills them (Go otherwise starts a connection with small records,
	// which a pipelined reply pays for in seals and writes).
	base := func() *tls.Config {
		return &tls.Config{MinVersion: minV, MaxVersion: maxV, CipherSuites: suites, DynamicRecordSizingDisabled: true}
	}
	// The server names no acceptable CAs in its certificate request
	// (OpenSSL's default, which Redis keeps): clients send the certificate
	// they have, and it is verified against the CA here.
	srv := base()
	srv.Certificates = []tls.Certificate{cert}
	srv.ClientAuth = tls.RequireAnyClientCert
	srv.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return nil // optional, and none given
		}
		certs := make([]*x509.Certificate, 0, len(raw))
		for _, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return err
			}
			certs = append(certs, c)
		}
		return verifyChain(certs, pool, x509.ExtKeyUsageClientAuth)
	}
	sessions(srv, s)
	servers := map[string]*tls.Config{"yes": srv}
	for mode, auth := range map[string]tls.ClientAuthType{"no": tls.NoClientCert, "optional": tls.RequestClientCert} {
		c := srv.Clone()
		c.ClientAuth = auth
		sessions(c, s)
		servers[mode] = c
	}
	bus := srv // a peer's certificate is always required on the bus

	cl := base()
	cl.Certificates = []tls.Certificate{clientCert}
	// Redis verifies the peer's chain (SSL_VERIFY_PEER) but sets no host
	// name to match: nodes are dialled by IP.
	cl.InsecureSkipVerify = true
	cl.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyChain(cs.PeerCertificates, pool, x509.ExtKeyUsageServerAuth)
	}
	return &Configs{Server: servers, Bus: bus, Client: cl}, nil
}

// sessions sets session resumption: tls-session-caching no turns it off;
// otherwise tickets older than tls-session-cache-timeout seconds are not
// resumed (Go keeps no server-side cache, so tls-session-cache-size has
// nothing to bound).
func sessions(c *tls.Config, s Settings) {
	if !s.SessionCaching {
		c.SessionTicketsDisabled = true
		return
	}
	ttl := s.SessionCacheTimeout
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		t, err := c.EncryptTicket(cs, ss)
		if err != nil {
			return nil, err
		}
		b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(t)), uint64(time.Now().Unix()))
		return append(b, t...), nil
	}
	c.UnwrapSession = func(id []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		if len(id) < 8 {
			return nil, nil
		}
		born := int64(binary.BigEndian.Uint64(id))
		if time.Now().Unix()-born > ttl {
			return nil, nil // expired: a full handshake
		}
		return c.DecryptTicket(id[8:], cs)
	}
}

// verifyChain checks a peer's certificate chain against pool for use
// (a certificate without extended key usages fits any use, as in OpenSSL).
func verifyChain(certs []*x509.Certificate, pool *x509.CertPool, use x509.ExtKeyUsage) error {
	if len(certs) == 0 {
		return errors.New("no peer certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{use}})
	return err
}

// loadPair reads a certificate chain and its private key, decrypting a
// legacy encrypted PEM key with pass.
func loadPair(certFile, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	if b, _ := pem.Decode(certPEM); b == nil || b.Type != "CERTIFICATE" {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate: %s: no PEM certificate", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	if keyPEM, err = decryptKey(keyPEM, pass); err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	return pair, nil
}

// decryptKey returns keyPEM with its first private key decrypted if it is
// a legacy (Proc-Type: 4,ENCRYPTED) PEM block.
func decryptKey(keyPEM []byte, pass string) ([]byte, error) {
	rest := keyPEM
	for {
		b, r := pem.Decode(rest)
		if b == nil {
			return keyPEM, nil
		}
		rest = r
		if b.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("PKCS#8 encrypted keys are not supported; use a legacy encrypted PEM key or none")
		}
		//lint:ignore SA1019 the legacy PEM encryption is what openssl's -aes256/-des3 write.
		if !x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck
			continue
		}
		if pass == "" {
			return nil, errors.New("bad decrypt: the key is encrypted and tls-key-file-pass is empty")
		}
		der, err := x509.DecryptPEMBlock(b, []byte(pass)) //nolint:staticcheck
		if err != nil {
			return nil, fmt.Errorf("bad decrypt: %v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: der}), nil
	}
}

// loadCAs reads the CA file and every certificate file in the CA dir.
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	add := func(path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				return nil
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return err
			}
			pool.AddCert(c)
			n++
		}
	}
	if file != "" {
		if err := add(file); err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			// Unreadable or non-certificate files are skipped, as OpenSSL
			// looks certificates up by hash and ignores the rest.
			add(filepath.Join(dir, e.Name()))
		}
	}
	if file != "" && n == 0 {
		return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: no certificate in %s", file)
	}
	return pool, nil
}

func checkDHParams(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Failed to load %s: %v", path, err)
	}
	if blk, _ := pem.Decode(b); blk == nil || blk.Type != "DH PARAMETERS" {
		return fmt.Errorf("%s: failed to read DH params.", path)
	}
	return nil
}

// parseProtocols is parseProtocolsConfig: space-separated TLSv1, TLSv1.1,
// TLSv1.2, TLSv1.3 (any case); empty is TLSv1.2 and TLSv1.3. Go takes a
// range, so a set with gaps is served as its whole span.
func parseProtocols(s string) (minV, maxV uint16, err error) {
	if s == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, tok := range strings.Split(s, " ") {
		var v uint16
		switch strings.ToLower(tok) {
		case "tlsv1":
			v = tls.VersionTLS10
		case "tlsv1.1":
			v = tls.VersionTLS11
		case "tlsv1.2":
			v = tls.VersionTLS12
		case "tlsv1.3":
			v = tls.VersionTLS13
		default:
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		if minV == 0 || v < minV {
			minV = v
		}
		if v > maxV {
			maxV = v
		}
	}
	return minV, maxV, nil
}

// openSSLNames maps OpenSSL's names of the TLS 1.2-and-below suites Go
// implements to Go's IDs.
var openSSLNames = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
}

// openSSLKeywords are cipher-string words that select a class of suites;
// a string made only of them (and exclusions) keeps Go's default list.
var openSSLKeywords = map[string]bool{"DEFAULT": true, "ALL": true, "HIGH": true, "MEDIUM": true,
	"COMPLEMENTOFDEFAULT": true, "COMPLEMENTOFALL": true, "ECDHE": true, "EECDH": true, "AESGCM": true,
	"CHACHA20": true, "AES": true, "AES128": true, "AES256": true, "SECURE128": true, "SECURE192": true,
	"TLSv1.2": true, "SSLv3": true, "kECDHE": true, "aRSA": true, "aECDSA": true, "ECDSA": true, "RSA": true}

// parseCiphers reads an OpenSSL cipher string (tls-ciphers, TLS 1.2 and
// below): the suites it names, in its order; nil keeps Go's default. Like
// SSL_CTX_set_cipher_list it fails only when it selects nothing.
func parseCiphers(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	var ids []uint16
	keyword := false
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if strings.HasPrefix(tok, "@") || strings.HasPrefix(tok, "!") || strings.HasPrefix(tok, "-") || strings.HasPrefix(tok, "+") {
			continue
		}
		if id, ok := openSSLNames[tok]; ok {
			ids = append(ids, id)
			continue
		}
		for _, part := range strings.Split(tok, "+") {
			if openSSLKeywords[part] {
				keyword = true
			}
		}
	}
	if len(ids) == 0 && !keyword {
		return nil, fmt.Errorf("Failed to configure ciphers: %s", s)
	}
	return ids, nil
}

// tls13Suites are the TLS 1.3 ciphersuite names OpenSSL knows.
var tls13Suites = map[string]bool{"TLS_AES_128_GCM_SHA256": true, "TLS_AES_256_GCM_SHA384": true,
	"TLS_CHACHA20_POLY1305_SHA256": true, "TLS_AES_128_CCM_SHA256": true, "TLS_AES_128_CCM_8_SHA256": true}

// checkCiphersuites checks tls-ciphersuites (TLS 1.3, colon-separated).
// Go does not let the TLS 1.3 suites be chosen (all three it implements
// are always offered); a list naming none OpenSSL knows fails as in Redis.
func checkCiphersuites(s string) error {
	if s == "" {
		return nil
	}
	for _, tok := range strings.Split(s, ":") {
		if tls13Suites[tok] {
			return nil
		}
	}
	return fmt.Errorf("Failed to configure ciphersuites: %s", s)
}
