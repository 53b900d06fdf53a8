package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/web/ui"
)

// TestDashboardInBrowser runs the dashboard and the field view in Debian's
// Chromium (playwright-core, web/ui/test/e2e.mjs) against a real server
// with the demo: login, moving officers, a layer toggle, a POI added and
// deleted, a message seen in a second browser, a photo, and a phone's
// (mocked) location on the dashboard. Screenshots: web/ui/test-results.
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel() // the longest test: it overlaps the others
	uiDir, _ := filepath.Abs("../../web/ui")
	missing := ""
	switch {
	case !ui.Built():
		missing = "the dashboard is not built into the test binary (make test builds it)"
	case fileMissing(filepath.Join(uiDir, "node_modules", "playwright-core")):
		missing = "web/ui/node_modules is missing (npm ci)"
	case fileMissing("/usr/bin/chromium"):
		missing = "Debian's chromium is not installed"
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test cannot run in CI: %s", missing)
		}
		t.Skip(missing)
	}
	ts := startServer(t, func(c *serveConfig) { c.Basemap = buildDemoBasemap(t) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	acc, err := seedDemo(ctx, ts.srv.svc, "polizei.example", log)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := readDemoExtract(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemoLayers(ctx, ts.srv.svc, ext, log); err != nil {
		t.Fatal(err)
	}
	go simulatePatrols(ctx, ts.srv.svc, acc.actors, demoRoutes(ext), 2*time.Second, log)
	// A second officer (in both demo chats) with a known password: the
	// second browser context logs in as them, so read markers, unread
	// badges and the reader list have another reader.
	second := acc.actors[1].User
	secondPassword := randomPassword()
	if err := ts.srv.svc.SetPassword(ctx, nil, second.ID, secondPassword); err != nil {
		t.Fatal(err)
	}

	// An administrator with a known password (the administration page).
	admin, err := ts.srv.svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: "it-admin@polizei.example", Name: "IT Admin",
		Password: testPassword, Roles: []einsatzraum.GlobalRole{einsatzraum.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, "node", "test/e2e.mjs")
	cmd.Dir = uiDir
	cmd.Env = append(os.Environ(), "EZ_URL="+ts.URL, "EZ_EMAIL="+acc.login.Email, "EZ_PASSWORD="+acc.login.Password,
		"EZ_EMAIL2="+second.Email, "EZ_PASSWORD2="+secondPassword, "EZ_ADMIN_EMAIL="+admin.Email, "EZ_ADMIN_PASSWORD="+testPassword,
		"EZ_SHOTS="+filepath.Join(uiDir, "test-results"))
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}
}

func fileMissing(path string) bool {
	_, err := os.Stat(path)
	return err != nil
}
