package cot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// ATAK's own shapes as it writes them (shape fixtures of open TAK servers):
// a closed freehand polygon, a rectangle and a circle.
const (
	atakPolygon   = `<event version="2.0" uid="3f1c9d2e-7b1a-4c55-9d1e-1a2b3c4d5e6f" type="u-d-f" time="2026-12-03T09:00:00.000Z" start="2026-12-03T09:00:00.000Z" stale="2027-12-03T09:00:00.000Z" how="h-e"><point lat="49.99" lon="11.55" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail><link point="49.989,11.548"/><link point="49.989,11.552"/><link point="49.991,11.552"/><link point="49.991,11.548"/><link point="49.989,11.548"/><strokeColor value="-65536"/><strokeWeight value="4.0"/><fillColor value="-1761673216"/><contact callsign="Sperrkreis TAK"/><remarks/><archive/><labels_on value="true"/><color value="-65536"/></detail></event>`
	atakRectangle = `<event version="2.0" uid="rect-1" type="u-d-r" time="2026-12-03T09:00:00.000Z" start="2026-12-03T09:00:00.000Z" stale="2027-12-03T09:00:00.000Z" how="h-e"><point lat="49.99" lon="11.55" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail><link point="49.989,11.548,0"/><link point="49.989,11.552,0"/><link point="49.991,11.552,0"/><link point="49.991,11.548,0"/><strokeColor value="-16776961"/><contact callsign="Rechteck"/><labels_on value="false"/></detail></event>`
	atakCircle    = `<event version="2.0" uid="circle-1" type="u-d-c-c" time="2026-12-03T09:00:00.000Z" start="2026-12-03T09:00:00.000Z" stale="2027-12-03T09:00:00.000Z" how="h-e"><point lat="49.99" lon="11.55" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail><shape><ellipse major="250.5" minor="250.5" angle="360"/></shape><strokeColor value="-16711936"/><fillColor value="1677786880"/><contact callsign="Bereitstellung"/><labels_on value="true"/></detail></event>`
)

func read(t *testing.T, xml string) *Event {
	t.Helper()
	ev, err := NewReader(strings.NewReader(xml), 1<<16).Next()
	if err != nil {
		t.Fatalf("%v in %s", err, xml)
	}
	return ev
}

func TestShapeInputFromATAK(t *testing.T) {
	for _, tc := range []struct {
		name, xml, typ, coords, label, color, category string
		radius                                         float64
	}{
		{"polygon", atakPolygon, "Polygon", `[[[11.548,49.989],[11.552,49.989],[11.552,49.991],[11.548,49.991],[11.548,49.989]]]`, "Sperrkreis TAK", "#ff0000", "area", 0},
		{"rectangle", atakRectangle, "Polygon", `[[[11.548,49.989],[11.552,49.989],[11.552,49.991],[11.548,49.991],[11.548,49.989]]]`, "Rechteck", "#0000ff", "area", 0},
		{"circle", atakCircle, "Point", `[11.55,49.99]`, "Bereitstellung", "#00ff00", "area", 250.5},
		{"open line", strings.Replace(atakPolygon, `<link point="49.989,11.548"/><strokeColor`, `<strokeColor`, 1), "LineString",
			`[[11.548,49.989],[11.552,49.989],[11.552,49.991],[11.548,49.991]]`, "Sperrkreis TAK", "#ff0000", "route", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ShapeInput(read(t, tc.xml))
			if err != nil {
				t.Fatal(err)
			}
			if in.Geometry.Type != tc.typ || string(in.Geometry.Coordinates) != tc.coords || *in.Label != tc.label || *in.Color != tc.color || *in.Category != tc.category {
				t.Fatalf("got %s %s label %q colour %q category %q", in.Geometry.Type, in.Geometry.Coordinates, *in.Label, *in.Color, *in.Category)
			}
			if (tc.radius == 0) != (in.RadiusM == nil) || (in.RadiusM != nil && *in.RadiusM != tc.radius) {
				t.Fatalf("radius %v", in.RadiusM)
			}
		})
	}
	for name, xml := range map[string]string{
		"circle without ellipse": strings.Replace(atakCircle, `<shape><ellipse major="250.5" minor="250.5" angle="360"/></shape>`, "", 1),
		"vertex not a number":    strings.Replace(atakPolygon, `49.991,11.552`, `north,east`, 1),
		"one vertex":             `<event version="2.0" uid="x" type="u-d-f" time="2026-12-03T09:00:00.000Z" start="2026-12-03T09:00:00.000Z" stale="2027-12-03T09:00:00.000Z"><point lat="0" lon="0" hae="0" ce="0" le="0"/><detail><link point="49.989,11.548"/></detail></event>`,
	} {
		if _, err := ShapeInput(read(t, xml)); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

// TestDrawingShapeRoundTrip: a polygon, a rectangle, a line and a circle
// go out as TAK shapes and come back as the same drawing.
func TestDrawingShapeRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		typ, coords, wantCoT string
		radius               float64
	}{
		{"Polygon", `[[[11.548,49.989],[11.553,49.9895],[11.551,49.992],[11.548,49.989]]]`, shapeFreehand, 0},
		{"Polygon", `[[[11.548,49.989],[11.552,49.989],[11.552,49.991],[11.548,49.991],[11.548,49.989]]]`, shapeRectangle, 0},
		{"LineString", `[[11.548,49.989],[11.553,49.9895],[11.551,49.992]]`, shapeFreehand, 0},
		{"Point", `[11.55,49.99]`, shapeCircle, 175},
	} {
		d := &einsatzraum.Drawing{ID: "drw_1", Geometry: einsatzraum.DrawingGeometry{Type: tc.typ, Coordinates: json.RawMessage(tc.coords)},
			RadiusM: tc.radius, Label: "Abschnitt <1>", Category: "sector", Color: "#d50000", UpdatedAt: now}
		ev, err := drawingEvent(d, now)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		back := read(t, string(b))
		if back.Type != tc.wantCoT || back.UID != "einsatzraum.drawing.drw_1" || back.Detail.LabelsOn == nil || back.Detail.LabelsOn.Value != "true" ||
			back.Detail.StrokeColor == nil || back.Detail.StrokeColor.Value != "-2818048" {
			t.Fatalf("%s out as %s", tc.typ, b)
		}
		in, err := ShapeInput(back)
		if err != nil {
			t.Fatalf("%v in %s", err, b)
		}
		if in.Geometry.Type != tc.typ || string(in.Geometry.Coordinates) != tc.coords || *in.Label != "Abschnitt <1>" || *in.Color != "#d50000" {
			t.Fatalf("%s back as %s %s %q %q from %s", tc.typ, in.Geometry.Type, in.Geometry.Coordinates, *in.Label, *in.Color, b)
		}
		if tc.radius != 0 && (in.RadiusM == nil || *in.RadiusM != tc.radius) {
			t.Fatalf("radius back %v", in.RadiusM)
		}
	}
}
