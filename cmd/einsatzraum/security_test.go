package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSignedCert writes a certificate and key for 127.0.0.1 to dir.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "einsatzraum test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSAndSecurityHeaders serves HTTPS with a given certificate: answers
// carry the security headers (HSTS too), cross-origin requests get no CORS
// permission, and plain HTTP is not spoken.
func TestTLSAndSecurityHeaders(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	p := startProcess(t, nil, "--listen", "127.0.0.1:0", "--data", dir, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("listening on %s, want https", p.URL)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("OPTIONS", p.URL+"/api/v1/me", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("CORS preflight from another origin allowed: %q", got)
	}
	resp, err = client.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for header, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"Strict-Transport-Security": "max-age=", "Content-Security-Policy": "frame-ancestors 'none'",
	} {
		if got := resp.Header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", header, got, want)
		}
	}
	plain := strings.Replace(p.URL, "https://", "http://", 1)
	if resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(plain + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
}

// TestIdleTokenExpires: a device token unused for longer than the idle
// time stops working; one in use keeps working.
func TestIdleTokenExpires(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	ts := startServer(t, func(c *serveConfig) { c.now = clk.now; c.TokenIdle = time.Hour })
	ts.addUser(t, "anna@polizei.example", "Anna")
	ts.addUser(t, "ben@polizei.example", "Ben")
	idle, busy := ts.login(t, "anna@polizei.example"), ts.login(t, "ben@polizei.example")
	for range 3 {
		clk.advance(40 * time.Minute)
		ts.call(t, "GET", "/api/v1/me", busy, nil).want(t, 200)
	}
	ts.call(t, "GET", "/api/v1/me", idle, nil).want(t, 401, "token_expired")
}
