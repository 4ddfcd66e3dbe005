package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/testutil"
)

// certs is a set of PEM files in a temp dir: a CA, a node certificate
// (server and client use, for 127.0.0.1, as Redis's gen-test-certs.sh
// makes), a client certificate, an expired client certificate, a second
// node certificate (another CN, for reload tests), and a client
// certificate from a CA the nodes do not trust.
type certs struct {
	dir                       string
	ca                        string
	nodeCert, nodeKey         string
	node2Cert, node2Key       string
	clientCert, clientKey     string
	expiredCert, expiredKey   string
	strangerCert, strangerKey string
	encKey, encPass           string // nodeKey encrypted (legacy PEM) with encPass
	caKey                     *ecdsa.PrivateKey
	caTmpl                    *x509.Certificate
	otherCAKey                *ecdsa.PrivateKey
	otherCATmpl               *x509.Certificate
	serial                    int64
}

func newCerts(t *testing.T) *certs {
	t.Helper()
	c := &certs{dir: t.TempDir()}
	c.caKey, c.caTmpl = c.makeCA(t, "Shoal Test CA")
	c.ca = c.writeCert(t, "ca.crt", c.caTmpl.Raw)
	c.otherCAKey, c.otherCATmpl = c.makeCA(t, "Stranger CA")
	now := time.Now()
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	c.nodeCert, c.nodeKey = c.issue(t, "node", "Shoal node", both, now.Add(-time.Hour), now.Add(24*time.Hour), c.caTmpl, c.caKey)
	c.node2Cert, c.node2Key = c.issue(t, "node2", "Shoal node reloaded", both, now.Add(-time.Hour), now.Add(24*time.Hour), c.caTmpl, c.caKey)
	c.clientCert, c.clientKey = c.issue(t, "client", "Shoal client", client, now.Add(-time.Hour), now.Add(24*time.Hour), c.caTmpl, c.caKey)
	c.expiredCert, c.expiredKey = c.issue(t, "expired", "Expired client", client, now.Add(-48*time.Hour), now.Add(-24*time.Hour), c.caTmpl, c.caKey)
	c.strangerCert, c.strangerKey = c.issue(t, "stranger", "Stranger client", client, now.Add(-time.Hour), now.Add(24*time.Hour), c.otherCATmpl, c.otherCAKey)
	// The node key again, encrypted as `openssl ec -aes256` writes it.
	der, err := os.ReadFile(c.nodeKey)
	testutil.NoErr(t, err)
	blk, _ := pem.Decode(der)
	c.encPass = "s3cret"
	enc, err := x509.EncryptPEMBlock(rand.Reader, blk.Type, blk.Bytes, []byte(c.encPass), x509.PEMCipherAES256) //nolint:staticcheck
	testutil.NoErr(t, err)
	c.encKey = filepath.Join(c.dir, "node-enc.key")
	testutil.NoErr(t, os.WriteFile(c.encKey, pem.EncodeToMemory(enc), 0o600))
	return c
}

func (c *certs) makeCA(t *testing.T, cn string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	testutil.NoErr(t, err)
	c.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(c.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	testutil.NoErr(t, err)
	parsed, err := x509.ParseCertificate(der)
	testutil.NoErr(t, err)
	return key, parsed
}

func (c *certs) issue(t *testing.T, name, cn string, eku []x509.ExtKeyUsage, from, to time.Time, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	testutil.NoErr(t, err)
	c.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(c.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: from, NotAfter: to, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	testutil.NoErr(t, err)
	certFile = c.writeCert(t, name+".crt", der)
	kb, err := x509.MarshalECPrivateKey(key)
	testutil.NoErr(t, err)
	keyFile = filepath.Join(c.dir, name+".key")
	testutil.NoErr(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

func (c *certs) writeCert(t *testing.T, name string, der []byte) string {
	t.Helper()
	p := filepath.Join(c.dir, name)
	testutil.NoErr(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return p
}

// serverArgs are a node's TLS arguments on tlsPort.
func (c *certs) serverArgs(tlsPort int, extra ...string) []string {
	args := []string{"--tls-port", itoa(tlsPort), "--tls-cert-file", c.nodeCert, "--tls-key-file", c.nodeKey,
		"--tls-ca-cert-file", c.ca}
	return append(args, extra...)
}
