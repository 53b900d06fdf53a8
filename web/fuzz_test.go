package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// FuzzDecodeMessageBody feeds arbitrary bytes to the JSON body decoder as
// a message draft: it must answer with a domain error or a draft, never
// panic, and a decoded draft must validate or be refused with a code.
func FuzzDecodeMessageBody(f *testing.F) {
	for _, s := range []string{`{"kind":"text","text":"Lage ruhig","client_id":"c1"}`, `{"kind":"location","location":{"lat":53.5,"lon":9.9}}`,
		`{"kind":"poi","poi":{"id":"poi_1"}}`, `{"kind":"text","text":1}`, `{"kind":"location","location":{"lat":1e999}}`, `[]`, `{"a":`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var d chat.Draft
		err := decodeBytes(body, &d)
		if err != nil {
			if einsatzraum.AsError(err) == nil {
				t.Fatalf("decode error without a kind: %v", err)
			}
			return
		}
		if d.Location != nil && (math.IsNaN(d.Location.Lat) || math.IsInf(d.Location.Lon, 0)) {
			if d.Validate() == nil {
				t.Fatalf("a non-finite location validated: %+v", d.Location)
			}
		}
	})
}

// FuzzDecodePosition feeds arbitrary JSON to the position decoder: a point
// it accepts has finite coordinates in range.
func FuzzDecodePosition(f *testing.F) {
	for _, s := range []string{`{"lat":53.55,"lon":9.99,"accuracy_m":5,"heading":90,"speed_mps":1.2,"ts":"2026-11-24T10:00:00Z"}`,
		`{"lat":"x"}`, `{"lat":91,"lon":0,"ts":"2026-11-24T10:00:00Z"}`, `{"lat":0,"lon":0,"ts":"yesterday"}`, `null`, `{"lat":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var it positionItem
		it.in, it.rej = decodePositionIn(json.RawMessage(raw))
		p, rej := it.point()
		if rej != nil {
			if rej.Code == "" || rej.Field == "" {
				t.Fatalf("rejection without a code or field: %+v", rej)
			}
			return
		}
		if err := p.Validate(p.TS, time.Minute, 100*365*24*time.Hour); err == nil {
			if math.IsNaN(p.Lat) || math.IsNaN(p.Lon) || math.Abs(p.Lat) > 90 || math.Abs(p.Lon) > 180 {
				t.Fatalf("an invalid point validated: %+v", p)
			}
		}
	})
}

// FuzzMultipart feeds arbitrary bodies to the streaming multipart reader
// behind uploads: every answer is a status below 500.
func FuzzMultipart(f *testing.F) {
	const boundary = "XBOUNDARYX"
	f.Add([]byte("--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nLage\r\n--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 x\r\n--XBOUNDARYX--\r\n"))
	f.Add([]byte("--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"))
	f.Add([]byte("garbage"))
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil))), DisableStartupMessage: true, StreamRequestBody: true, DisablePreParseMultipartForm: true})
	app.Post("/", func(c *fiber.Ctx) error {
		fields := map[string]string{}
		return readMultipart(c, 1<<16, fields, func(_ string, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for a client's body", resp.StatusCode)
		}
	})
}
