package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the einsatzraum binary: with
// EINSATZRAUM_TEST_MAIN=1 it runs main, so process tests exercise the real
// flag parsing, environment fallbacks and signal handling.
func TestMain(m *testing.M) {
	if os.Getenv("EINSATZRAUM_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command returns the einsatzraum "binary" with args and env.
func command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "EINSATZRAUM_TEST_MAIN=1")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// process is a running "einsatzraum serve".
type process struct {
	cmd  *exec.Cmd
	URL  string
	logs chan string
	done chan error
}

var listenLine = regexp.MustCompile(`msg=listening url=(https?://\S+)`)

// startProcess runs "einsatzraum serve" with env, and waits until it listens.
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := command(context.Background(), env, append([]string{"serve"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: make(chan string, 1000), done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := listenLine.FindStringSubmatch(line); m != nil {
				urlc <- m[1]
			}
			select {
			case p.logs <- line:
			default:
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case p.URL = <-urlc:
	case err := <-p.done:
		t.Fatalf("serve exited before listening: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not listen within 20s")
	}
	return p
}

// TestProcessEnvCLIAndGracefulShutdown runs the real command line: serve
// configured by environment variables, "user add" in a second process on the
// same data dir while the server runs (the server sees the user at once),
// and SIGTERM while a request is in flight: the request completes, new
// connections are refused, the process exits cleanly.
func TestProcessEnvCLIAndGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	env := []string{"EINSATZRAUM_LISTEN=127.0.0.1:0", "EINSATZRAUM_DATA=" + data, "EINSATZRAUM_EMAIL_DOMAINS=polizei.example,bund.example"}
	p := startProcess(t, env)

	add := command(context.Background(), []string{"EINSATZRAUM_DATA=" + data, "EINSATZRAUM_EMAIL_DOMAINS=bund.example"},
		"user", "add", "--email", "bea@bund.example", "--name", "Bea Bund", "--role", "admin")
	add.Stdin = strings.NewReader(testPassword + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	bad := command(context.Background(), []string{"EINSATZRAUM_DATA=" + data}, "user", "add", "--email", "x@gmail.com", "--name", "X")
	bad.Stdin = strings.NewReader(testPassword + "\n")
	if out, err := bad.CombinedOutput(); err == nil || !strings.Contains(string(out), "email_domain_not_allowed") {
		t.Fatalf("user add outside the domains: err %v, output %s", err, out)
	}

	ts := &testServer{URL: p.URL}
	ts.login(t, "bea@bund.example")

	// Open a login request and send only half of its body.
	addr := strings.TrimPrefix(p.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := fmt.Sprintf(`{"email":"bea@bund.example","password":%q,"device_name":"slow"}`, testPassword)
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(200 * time.Millisecond)

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get(p.URL + "/healthz"); err == nil {
		t.Error("a new connection was accepted after SIGTERM")
	}
	fmt.Fprint(conn, body[10:])
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request was not completed: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("in-flight login: status %d", resp.StatusCode)
	}
	resp.Body.Close()
	conn.Close()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
}
