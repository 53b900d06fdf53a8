// Package testenv gives tests the real PostgreSQL and Redis they need, each
// test in its own schema or key prefix so that runs never collide. Where a
// service does not answer, the test is skipped on a developer machine and
// fails in CI (CI=true), where both must run.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgresURL is the database tests use; EINSATZRAUM_TEST_POSTGRES overrides it.
func PostgresURL() string {
	if u := os.Getenv("EINSATZRAUM_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// RedisURL is the Redis tests use; EINSATZRAUM_TEST_REDIS overrides it.
func RedisURL() string {
	if u := os.Getenv("EINSATZRAUM_TEST_REDIS"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Unique returns a fresh lower-case name with prefix, for a schema or key prefix.
func Unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// unavailable skips t, or fails it in CI.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", what, err)
	}
	t.Skipf("%s not reachable (%v); set CI=true to make this a failure", what, err)
}

// PostgresSchema returns a DSN whose search_path is a new schema, dropped
// with everything in it when the test ends.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("parse %s: %v", base, err)
	}
	db := stdlib.OpenDB(*cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		unavailable(t, "PostgreSQL", err)
	}
	schema := Unique("ertest")
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return withParam(base, "search_path", schema)
}

// OpenPostgres opens a plain connection to the tests' database, for
// checks beside the code under test.
func OpenPostgres(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

// Redis returns the Redis URL and a key prefix of the test's own.
func Redis(t testing.TB) (url, prefix string) {
	t.Helper()
	url = RedisURL()
	host := strings.TrimPrefix(url, "redis://")
	host, _, _ = strings.Cut(host, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		unavailable(t, "Redis", err)
	}
	c.Close()
	return url, Unique("ertest")
}

func withParam(dsn, key, value string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + key + "=" + value
}

// RedisServer is a redis-server of the test's own on a spare port, for
// fault tests that stop and restart it without touching the shared one.
type RedisServer struct {
	t    testing.TB
	Port int
	URL  string
	cmd  *exec.Cmd
}

// StartRedisServer starts a private redis-server; it is stopped when the
// test ends.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(t, "redis-server", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	rs := &RedisServer{t: t, Port: port, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	rs.Start()
	t.Cleanup(rs.Stop)
	return rs
}

// Start (re)starts the server on its port and waits until it answers.
func (rs *RedisServer) Start() {
	rs.t.Helper()
	if rs.cmd != nil {
		return
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(rs.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", rs.t.TempDir())
	if err := cmd.Start(); err != nil {
		rs.t.Fatalf("start redis-server: %v", err)
	}
	rs.cmd = cmd
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", rs.Port))
		if err == nil {
			c.Close()
			return
		}
	}
	rs.t.Fatalf("redis-server on port %d did not start", rs.Port)
}

// Stop kills the server (as a crash or an outage would) and waits for it.
func (rs *RedisServer) Stop() {
	if rs.cmd == nil {
		return
	}
	_ = rs.cmd.Process.Kill()
	_ = rs.cmd.Wait()
	rs.cmd = nil
}
