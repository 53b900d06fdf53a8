package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a real server on a free port, in this process.
type testServer struct {
	URL  string
	Data string
	srv  *server
	stop func(t testing.TB) // shuts the server down (once); also when the test ends
}

// startServer starts "serve" on 127.0.0.1:0 with a fresh data dir; it is
// shut down when the test ends.
func startServer(t testing.TB, edit ...func(*serveConfig)) *testServer {
	t.Helper()
	cfg := serveConfig{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), EmailDomains: []string{"polizei.example"},
		LogLevel: "warn", ShutdownTimeout: 5 * time.Second, MetricsToken: testMetricsToken,
	}
	for _, e := range edit {
		e(&cfg)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func(t testing.TB) {
		once.Do(func() {
			// Connections the client dialled but never sent a request on
			// count as busy for fasthttp's graceful shutdown until their
			// read times out (30 s); a client that leaves closes them.
			http.DefaultClient.CloseIdleConnections()
			cancel()
			if err := <-done; err != nil {
				var dump strings.Builder
				_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
				t.Errorf("serve: %v; goroutines:\n%s", err, dump.String())
			}
			srv.Close()
		})
	}
	t.Cleanup(func() { stop(t) })
	return &testServer{URL: "http://" + ln.Addr().String(), Data: cfg.DataDir, srv: srv, stop: stop}
}

// startServerIn starts "serve" like startServer on the data dir dir (to
// start again on the same data).
func startServerIn(t testing.TB, dir string, edit ...func(*serveConfig)) *testServer {
	t.Helper()
	return startServer(t, append([]func(*serveConfig){func(c *serveConfig) { c.DataDir = dir }}, edit...)...)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// addUser runs "einsatzraum user add" against the server's data dir, as an
// operator would while the server runs, and returns the new user's ID.
func (ts *testServer) addUser(t testing.TB, email, name string, roles ...string) string {
	t.Helper()
	args := []string{"user", "add", "--data", ts.Data, "--email", email, "--name", name, "--callsign", "CS " + name}
	for _, r := range roles {
		args = append(args, "--role", r)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(testPassword+"\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("user add %s: %v\n%s", email, err, errOut.String())
	}
	_, id, ok := strings.Cut(out.String(), "id=")
	if !ok {
		t.Fatalf("user add printed no id: %q", out.String())
	}
	return strings.Fields(id)[0]
}

const testPassword = "correct-horse-battery"

// testMetricsToken is the /metrics bearer token of test servers.
const testMetricsToken = "metrics-test-token"

// reply is a decoded HTTP answer.
type reply struct {
	Status int
	Body   map[string]any
	Raw    []byte
	header http.Header
}

// call does one API request with an optional token and JSON body (a string
// is sent as is, anything else is marshalled).
func (ts *testServer) call(t testing.TB, method, path, token string, body any) reply {
	t.Helper()
	var headers map[string]string
	if token != "" {
		headers = map[string]string{"Authorization": "Bearer " + token}
	}
	return ts.callWithHeaders(t, method, path, headers, body)
}

// callWithHeaders is call with request headers of the caller's choice.
func (ts *testServer) callWithHeaders(t testing.TB, method, path string, headers map[string]string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Raw: raw, header: resp.Header}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: reply is not JSON: %v: %s", method, path, err, raw)
		}
	}
	return r
}

// want fails the test unless the reply has status (and, for errors, code).
func (r reply) want(t testing.TB, status int, code ...string) reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if len(code) > 0 && r.errCode() != code[0] {
		t.Fatalf("error code %q, want %q: %s", r.errCode(), code[0], r.Raw)
	}
	return r
}

func (r reply) errCode() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r reply) str(key string) string { s, _ := r.Body[key].(string); return s }

func (r reply) items() []map[string]any {
	list, _ := r.Body["items"].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i], _ = x.(map[string]any)
	}
	return out
}

// login logs email in and returns the token.
func (ts *testServer) login(t testing.TB, email string) string {
	t.Helper()
	r := ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": testPassword, "device_name": "test"})
	r.want(t, 200)
	return r.str("token")
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
