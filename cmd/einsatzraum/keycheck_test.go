package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMasterKeyIsChecked: a server started with another key than its
// data's refuses to start, before it writes anything; a deleted master.key
// is not silently replaced; back on the right key, everything reads. The
// database files are the owner's alone.
func TestMasterKeyIsChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServerIn(t, dir)
	ts.addUser(t, "lead@polizei.example", "Lea")
	lead := ts.login(t, "lead@polizei.example")
	room := ts.call(t, "POST", "/api/v1/rooms", lead, map[string]any{"name": "Lage"}).want(t, 201).str("id")
	ts.stop(t)

	for _, f := range []string{"einsatzraum.db", "einsatzraum.db-wal", "master.key"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	keyFile := filepath.Join(dir, "master.key")
	rightKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	cfg := serveConfig{Listen: "127.0.0.1:0", DataDir: dir, EmailDomains: []string{"polizei.example"}, ShutdownTimeout: time.Second}

	// Another key: refused.
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(other)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newServer(context.Background(), cfg, log); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("started with another key: %v", err)
	}
	// No key: none is made up for a store that holds data.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := newServer(context.Background(), cfg, log); err == nil || !strings.Contains(err.Error(), "restore the key") {
		t.Fatalf("started without its key: %v", err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("a new master.key was left behind: %v", err)
	}
	// The right key again: the room and its replay read as before.
	if err := os.WriteFile(keyFile, rightKey, 0o600); err != nil {
		t.Fatal(err)
	}
	ts = startServerIn(t, dir)
	lead = ts.login(t, "lead@polizei.example")
	r := ts.call(t, "GET", "/api/v1/rooms/"+room, lead, nil).want(t, 200)
	if r.str("name") != "Lage" || !bytes.Contains(r.Raw, []byte(room)) {
		t.Fatalf("room after the refused starts: %s", r.Raw)
	}
	ts.call(t, "GET", "/api/v1/rooms", lead, nil).want(t, 200)
}
