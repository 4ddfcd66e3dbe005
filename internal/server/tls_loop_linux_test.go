//go:build linux

package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestTLSPipeTrack: during the handshake the pipe's reads stop at record
// boundaries, whatever size tls.Conn asks for.
func TestTLSPipeTrack(t *testing.T) {
	rec := func(n int) []byte {
		b := []byte{22, 3, 3, byte(n >> 8), byte(n)}
		return append(b, bytes.Repeat([]byte{7}, n)...)
	}
	var stream []byte
	var ends []int // offsets where a record ends
	for _, n := range []int{0, 1, 300, 5, 16384, 2} {
		stream = append(stream, rec(n)...)
		ends = append(ends, len(stream))
	}
	for _, ask := range []int{1, 2, 5, 7, 512, 1 << 16} {
		p := &tlsPipe{}
		src := bytes.NewReader(stream)
		p.raw.Store(&pipeRaw{c: readerConn{src}, exact: true})
		off := 0
		buf := make([]byte, ask)
		for off < len(stream) {
			n, err := p.Read(buf)
			if err != nil {
				t.Fatalf("ask %d: %v at %d", ask, err, off)
			}
			for _, e := range ends {
				if off < e && off+n > e {
					t.Fatalf("ask %d: read [%d,%d) crosses the record end %d", ask, off, off+n, e)
				}
			}
			if !bytes.Equal(buf[:n], stream[off:off+n]) {
				t.Fatalf("ask %d: wrong bytes at %d", ask, off)
			}
			off += n
		}
	}
}

// readerConn is a net.Conn that reads from r.
type readerConn struct{ r io.Reader }

func (c readerConn) Read(b []byte) (int, error)     { return c.r.Read(b) }
func (readerConn) Write(b []byte) (int, error)      { return len(b), nil }
func (readerConn) Close() error                     { return nil }
func (readerConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (readerConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (readerConn) SetDeadline(time.Time) error      { return nil }
func (readerConn) SetReadDeadline(time.Time) error  { return nil }
func (readerConn) SetWriteDeadline(time.Time) error { return nil }

// TestTLSPipeWouldBlock: after the handshake, a tls.Conn over the pipe fed
// ciphertext in pieces of any size (one byte, a record and a half, …)
// answers errWouldBlock while a record is incomplete, never fails for
// it, and decrypts every byte the client sent. This is the crypto/tls
// behaviour the event loops rely on (readRecordOrCCS keeps temporary
// errors out of the connection's state).
func TestTLSPipeWouldBlock(t *testing.T) {
	cert := selfSigned(t)
	for _, ver := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, chunk := range []int{1, 3, 100, 16384 + 29, 1 << 20} {
			cli, srv := net.Pipe()
			p := &tlsPipe{}
			p.raw.Store(&pipeRaw{c: srv, exact: true})
			st := tls.Server(p, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: ver, SessionTicketsDisabled: true})
			ct := tls.Client(cli, &tls.Config{InsecureSkipVerify: true, MaxVersion: ver})
			done := make(chan error, 1)
			go func() { done <- ct.Handshake() }()
			srv.SetDeadline(time.Now().Add(10 * time.Second))
			if err := st.Handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			// The client's application data, captured as ciphertext.
			want := make([]byte, 100000)
			for i := range want {
				want[i] = byte(i * 7)
			}
			go func() {
				for off := 0; off < len(want); off += 777 {
					ct.Write(want[off:min(off+777, len(want))])
				}
				cli.Close()
			}()
			cipher, _ := io.ReadAll(srv)
			p.raw.Store(nil) // on the loop from now on
			var got []byte
			buf := make([]byte, 64*1024)
			for off := 0; off < len(cipher); off += chunk {
				p.src = cipher[off:min(off+chunk, len(cipher))]
				for {
					n, err := st.Read(buf)
					got = append(got, buf[:n]...)
					if err != nil {
						if !errors.Is(err, errWouldBlock) {
							t.Fatalf("v%x chunk %d: %v", ver, chunk, err)
						}
						break
					}
				}
				if len(p.src) != 0 {
					t.Fatalf("v%x chunk %d: %d bytes left in the pipe", ver, chunk, len(p.src))
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("v%x chunk %d: got %d bytes, want %d", ver, chunk, len(got), len(want))
			}
		}
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
