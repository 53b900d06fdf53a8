package web

import (
	"encoding/json"
	"fmt"
	"testing"
)

// positionBodies are bodies as clients send them (the field page, the
// loadtest, the bench, a batch with nulls and exponents) and bodies the
// fast decoder must leave to encoding/json.
var (
	plainPositionBodies = []string{
		`{"items":[{"lat":53.551086,"lon":9.993682,"accuracy_m":12.5,"ts":"2026-12-03T10:00:00.123Z"}]}`,
		`{"items":[{"lat":53.5,"lon":9.9,"accuracy_m":5,"ts":"2026-12-03T10:00:00Z","heading":270,"speed_mps":1.4}]}`,
		` { "items" : [ { "ts" : "2026-12-03T10:00:00Z" , "lon" : -0.5e-3 , "lat" : 5E1 } , {"lat":1,"lon":2,"heading":null,"speed_mps":null,"ts":"x"} ] } `,
		`{"items":[]}`,
		`{"items":[{}]}`,
		`{"items":[{"lat":0,"lon":-0,"ts":"2026-12-03T10:00:00Z"},{"lat":-90,"lon":180,"accuracy_m":0.0,"ts":"2026-12-03T10:00:00+01:00"}]}`,
		"{\n\t\"items\": [\r\n{\"lat\": 1, \"lat\": 2, \"lon\": 3, \"ts\": \"t\"}]}",
	}
	otherPositionBodies = []string{
		`{"Items":[]}`, `{"items":null}`, `{"items":[null]}`, `{"items":[{"lat":"53"}]}`, `{"items":[{"lat":1e400,"lon":0,"ts":"t"}]}`,
		`{"items":[{"lat":01,"lon":0,"ts":"t"}]}`, `{"items":[{"LAT":1,"lon":0,"ts":"t"}]}`, `{"items":[{"lat":1,"lon":0,"ts":"2026-12-03T10:00:00\u005a"}]}`,
		`{"items":[{"lat":1,"lon":0,"ts":null}]}`, `{"items":[{"lat":1,"lon":0,"ts":"t","extra":{"a":1}}]}`, `{"items":[]} x`, `{"items":[],"more":1}`,
		`{"items":[{"lat":1,}]}`, `{"items":[{"lat":-,"lon":0}]}`, `{"items":[{"lat":1.,"lon":0}]}`, `{"items":[{"lat":1e,"lon":0}]}`, `[]`, ``, `{"items":[{"lat":nul}]}`,
		"{\"items\":[{\"ts\":\"\xff\"}]}",
	}
)

// TestClientPositionBodiesTakeTheFastPath: the bodies clients send are
// read by hand, the others are left to encoding/json, and both paths
// agree on every body here.
func TestClientPositionBodiesTakeTheFastPath(t *testing.T) {
	for _, body := range plainPositionBodies {
		if _, ok := decodePositionsFast([]byte(body)); !ok {
			t.Errorf("not read by hand: %s", body)
		}
		checkFastAgrees(t, []byte(body))
	}
	for _, body := range otherPositionBodies {
		if items, ok := decodePositionsFast([]byte(body)); ok {
			t.Errorf("read by hand (%+v): %s", items, body)
		}
	}
}

// FuzzPositionsFastPath: whatever the hand decoder accepts, encoding/json
// decodes to the same items.
func FuzzPositionsFastPath(f *testing.F) {
	for _, s := range append(append([]string{}, plainPositionBodies...), otherPositionBodies...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFastAgrees(t, body) })
}

// checkFastAgrees fails when decodePositionsFast accepts body and
// encoding/json (the path it stands in for) reads it otherwise.
func checkFastAgrees(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := decodePositionsFast(body)
	if !ok {
		return
	}
	var in struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := decodeBytes(body, &in); err != nil {
		t.Fatalf("read by hand, refused by encoding/json (%v): %q", err, body)
	}
	if len(in.Items) != len(fast) {
		t.Fatalf("%d items by hand, %d by encoding/json: %q", len(fast), len(in.Items), body)
	}
	for i, raw := range in.Items {
		slow, rej := decodePositionIn(raw)
		if rej != nil {
			t.Fatalf("item %d read by hand, refused by encoding/json (%+v): %q", i, rej, body)
		}
		if a, b := showPositionIn(fast[i]), showPositionIn(slow); a != b {
			t.Fatalf("item %d: by hand %s, by encoding/json %s: %q", i, a, b, body)
		}
	}
}

func showPositionIn(in positionIn) string {
	f := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprintf("%b", *p) // exact bits, -0 apart from 0
	}
	return fmt.Sprintf("lat=%s lon=%s acc=%s hdg=%s spd=%s ts=%q", f(in.Lat), f(in.Lon), f(in.AccuracyM), f(in.Heading), f(in.SpeedMps), in.TS)
}

// BenchmarkDecodePositions: a batch of 20 points as the field client sends it.
func BenchmarkDecodePositions(b *testing.B) {
	body := []byte(`{"items":[`)
	for i := range 20 {
		if i > 0 {
			body = append(body, ',')
		}
		body = fmt.Appendf(body, `{"lat":%.6f,"lon":%.6f,"accuracy_m":5,"ts":"2026-12-03T10:00:%02d.123Z"}`, 53.5+float64(i)/1000, 9.9, i)
	}
	body = append(body, "]}"...)
	b.ReportAllocs()
	for b.Loop() {
		if items, ok := decodePositionsFast(body); !ok || len(items) != 20 {
			b.Fatal("not read by hand")
		}
	}
}
