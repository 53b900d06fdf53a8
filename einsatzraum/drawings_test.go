package einsatzraum_test

import (
	"encoding/json"
	"testing"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func geometry(t *testing.T, typ string, coords any) *einsatzraum.DrawingGeometry {
	t.Helper()
	b, err := json.Marshal(coords)
	if err != nil {
		t.Fatal(err)
	}
	return &einsatzraum.DrawingGeometry{Type: typ, Coordinates: b}
}

func ptr[T any](v T) *T { return &v }

// TestDrawings: a member draws a cordon with a geofence, the room sees it
// come, change and go as events; only who drew it or a lead changes it;
// bad geometries, categories and colours are 400s naming the field.
func TestDrawings(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	_, watch := f.connect(t, f.lead, 0)
	watch.untilSubscribed(t)
	cordon := geometry(t, "Polygon", [][][2]float64{{{11.50, 50.01}, {11.52, 50.01}, {11.52, 50.02}, {11.50, 50.02}, {11.50, 50.01}}})
	d, err := f.svc.CreateDrawing(f.ctx, f.member, f.room, einsatzraum.DrawingInput{Geometry: cordon, Label: ptr("Absperrung Nord"),
		Category: ptr("cordon"), Color: ptr("#d50000"), Geofence: &einsatzraum.Geofence{On: "both"}})
	if err != nil || d.Geofence == nil || d.Label != "Absperrung Nord" {
		t.Fatalf("create: %+v %v", d, err)
	}
	if e := watch.nextEvent(t); e.Type != einsatzraum.EventDrawingCreated {
		t.Fatalf("event %s", e.Type)
	}
	moved := geometry(t, "Polygon", [][][2]float64{{{11.50, 50.01}, {11.53, 50.01}, {11.53, 50.02}, {11.50, 50.02}, {11.50, 50.01}}})
	if d, err = f.svc.UpdateDrawing(f.ctx, f.lead, d.ID, einsatzraum.DrawingInput{Geometry: moved}); err != nil || d.Label != "Absperrung Nord" {
		t.Fatalf("a lead moves a vertex: %+v %v", d, err)
	}
	if e := watch.nextEvent(t); e.Type != einsatzraum.EventDrawingUpdated {
		t.Fatalf("event %s", e.Type)
	}
	circle, err := f.svc.CreateDrawing(f.ctx, f.lead, f.room, einsatzraum.DrawingInput{Geometry: geometry(t, "Point", [2]float64{11.51, 50.015}),
		RadiusM: ptr(150.0), Category: ptr("area"), Label: ptr("Bereitstellungsraum")})
	if err != nil || circle.RadiusM != 150 {
		t.Fatalf("a circle: %+v %v", circle, err)
	}
	if _, err := f.svc.UpdateDrawing(f.ctx, f.member, circle.ID, einsatzraum.DrawingInput{Label: ptr("meins")}); codeOf(err) != "forbidden_edit_drawing" {
		t.Fatalf("a member changes the lead's drawing: %v", err)
	}
	ds, err := f.svc.Drawings(f.ctx, f.member, f.room)
	if err != nil || len(ds) != 2 {
		t.Fatalf("drawings: %+v %v", ds, err)
	}
	for name, in := range map[string]einsatzraum.DrawingInput{
		"invalid_geometry": {Geometry: geometry(t, "Polygon", [][][2]float64{{{11.5, 50}, {11.6, 50}, {11.6, 50.1}}}), Category: ptr("area")},
		"invalid_category": {Geometry: geometry(t, "Point", [2]float64{11.5, 50}), Category: ptr("party")},
		"invalid_color":    {Geometry: geometry(t, "Point", [2]float64{11.5, 50}), Category: ptr("marker"), Color: ptr("red")},
		"invalid_geofence": {Geometry: geometry(t, "LineString", [][2]float64{{11.5, 50}, {11.6, 50}}), Category: ptr("route"), Geofence: &einsatzraum.Geofence{On: "enter"}},
		"invalid_radius":   {Geometry: geometry(t, "LineString", [][2]float64{{11.5, 50}, {11.6, 50}}), Category: ptr("route"), RadiusM: ptr(10.0)},
	} {
		if _, err := f.svc.CreateDrawing(f.ctx, f.member, f.room, in); codeOf(err) != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := f.svc.CreateDrawing(f.ctx, f.member, f.room, einsatzraum.DrawingInput{Geometry: geometry(t, "Point", [2]float64{200, 50}), Category: ptr("marker")}); codeOf(err) != "invalid_geometry" {
		t.Errorf("a point off the globe: %v", err)
	}
	if err := f.svc.DeleteDrawing(f.ctx, f.member, d.ID); err != nil {
		t.Fatal(err)
	}
	for e := watch.nextEvent(t); e.Type != einsatzraum.EventDrawingDeleted; e = watch.nextEvent(t) {
	}
	if err := f.svc.DeleteDrawing(f.ctx, f.member, d.ID); codeOf(err) != "drawing_not_found" {
		t.Fatalf("deleting twice: %v", err)
	}
}
