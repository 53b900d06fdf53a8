package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestRecoverPanics: a handler that panics answers 500 in the wire format
// with Connection: close, the panic is logged, and the app serves the next
// request.
func TestRecoverPanics(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(log)})
	app.Use(recoverPanics(log))
	app.Get("/boom", func(c *fiber.Ctx) error {
		lo, hi := 12, 6
		_ = make([]byte, 6)[lo:hi] // the slice bounds fault the EXIF reader once had
		return nil
	})
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("ok") })

	resp, err := app.Test(httptest.NewRequest("GET", "/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"code":"internal"`) || !resp.Close {
		t.Fatalf("panic answered %d %q (close %v)", resp.StatusCode, body, resp.Close)
	}
	if !strings.Contains(logged.String(), "handler panicked") || !strings.Contains(logged.String(), "slice bounds") {
		t.Fatalf("panic not logged: %s", logged.String())
	}
	resp, err = app.Test(httptest.NewRequest("GET", "/ok", nil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the panic: %v %v", resp, err)
	}
}
