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

	"github.com/einsatzraum/einsatzraum/einsatzraum/clocktest"
	"github.com/einsatzraum/einsatzraum/web"
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
	t.Parallel()
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
	t.Parallel()
	clk := &clocktest.Shifted{}
	ts := startServer(t, func(c *serveConfig) { c.clock = clk; c.TokenIdle = time.Hour })
	ts.addUser(t, "anna@polizei.example", "Anna")
	ts.addUser(t, "ben@polizei.example", "Ben")
	idle, busy := ts.login(t, "anna@polizei.example"), ts.login(t, "ben@polizei.example")
	for range 3 {
		clk.Advance(40 * time.Minute)
		ts.call(t, "GET", "/api/v1/me", busy, nil).want(t, 200)
	}
	ts.call(t, "GET", "/api/v1/me", idle, nil).want(t, 401, "token_expired")
}

// TestDeviceApproval: with --device-approval a new device may only say who
// it is until an administrator approves it; administrators' own devices
// need no approval.
func TestDeviceApproval(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *serveConfig) { c.DeviceApproval = true })
	ts.addUser(t, "admin@polizei.example", "Adam", "admin")
	ts.addUser(t, "anna@polizei.example", "Anna")
	admin := ts.login(t, "admin@polizei.example")
	ts.call(t, "GET", "/api/v1/rooms", admin, nil).want(t, 200)
	res := ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "anna@polizei.example", "password": testPassword, "device_name": "Diensthandy"}).want(t, 200)
	anna, dev := res.str("token"), res.Body["device"].(map[string]any)["id"].(string)
	ts.call(t, "GET", "/api/v1/me", anna, nil).want(t, 200)
	ts.call(t, "GET", "/api/v1/rooms", anna, nil).want(t, 403, "device_not_approved")
	ts.call(t, "POST", "/api/v1/rooms", anna, map[string]any{"name": "X"}).want(t, 403, "device_not_approved")
	if _, resp, err := wsDialer().Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/api/v1/ws?access_token="+anna, nil); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("live connection of a waiting device: %v", err)
	}
	ts.call(t, "POST", "/api/v1/admin/devices/"+dev+"/approve", anna, nil).want(t, 403)
	pending := ts.call(t, "GET", "/api/v1/admin/devices", admin, nil).want(t, 200).items()
	if len(pending) != 1 || pending[0]["id"] != dev {
		t.Fatalf("pending devices = %v, want Anna's", pending)
	}
	ts.call(t, "POST", "/api/v1/admin/devices/dev_unknown/approve", admin, nil).want(t, 404)
	ts.call(t, "POST", "/api/v1/admin/devices/"+dev+"/approve", admin, nil).want(t, 204)
	ts.call(t, "GET", "/api/v1/rooms", anna, nil).want(t, 200)
	if pending := ts.call(t, "GET", "/api/v1/admin/devices", admin, nil).want(t, 200).items(); len(pending) != 0 {
		t.Fatalf("still pending after approval: %v", pending)
	}
}

// TestRequestHardening: the login takes JSON only; a token in the URL
// counts only for the WebSocket and file downloads; X-Forwarded-For names
// the client only when a trusted proxy sent it; TLS 1.2 offers no CBC or
// SHA-1 suite.
func TestRequestHardening(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	ts := startServer(t, func(c *serveConfig) {
		c.RateLimits.LoginAttemptsPerAddress = 3
		proxies, err := web.ParseProxies([]string{"127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		c.TrustedProxies = proxies
	})
	ts.addUser(t, "anna@polizei.example", "Anna")

	// A cross-site form post of the login is not JSON.
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"anna@polizei.example","password":"`+testPassword+`"}`))
	req.Header.Set("Content-Type", "text/plain")
	if r := ts.do(t, req); r.Status != 415 || r.errCode() != "json_required" {
		t.Fatalf("text/plain login: %d %s", r.Status, r.Raw)
	}

	// The per-address limit counts the client behind the trusted proxy
	// (here the test itself, at 127.0.0.1): each forwarded client has its
	// own budget of 3.
	login := func(xff string) int {
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"anna@polizei.example","password":"`+testPassword+`","device_name":"t"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		return ts.do(t, req).Status
	}
	for range 3 {
		if s := login("203.0.113.7"); s != 200 {
			t.Fatalf("login through the proxy: %d", s)
		}
	}
	if s := login("203.0.113.7"); s != 429 {
		t.Fatalf("fourth login of one client: %d, want 429", s)
	}
	if s := login("203.0.113.8"); s != 200 {
		t.Fatalf("another client behind the proxy: %d, want 200", s)
	}
	// A client cannot pick its address by writing one in front.
	if s := login("198.51.100.1, 203.0.113.7"); s != 429 {
		t.Fatalf("a forged first hop gave a fresh budget: %d", s)
	}

	// A token in the URL: only for the WebSocket and downloads.
	tok := ts.login(t, "anna@polizei.example") // the test's own address has its budget left
	ts.call(t, "GET", "/api/v1/me?access_token="+tok, "", nil).want(t, 401)
	ts.call(t, "GET", "/api/v1/me", tok, nil).want(t, 200)
	ts.call(t, "GET", "/api/v1/attachments/at_nope?access_token="+tok, "", nil).want(t, 404)

	// TLS 1.2 with only CBC suites: no handshake.
	p := startProcess(t, nil, "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "tls"), "--tls-cert", certFile, "--tls-key", keyFile)
	cbc := &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}}
	conn, err := tls.Dial("tcp", strings.TrimPrefix(p.URL, "https://"), cbc)
	if err == nil {
		conn.Close()
		t.Fatalf("a TLS 1.2 handshake with CBC suites only succeeded (%x)", conn.ConnectionState().CipherSuite)
	}
	gcm := &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}
	conn, err = tls.Dial("tcp", strings.TrimPrefix(p.URL, "https://"), gcm)
	if err != nil {
		t.Fatalf("a TLS 1.2 handshake with the default suites: %v", err)
	}
	conn.Close()
}
