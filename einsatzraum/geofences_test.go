package einsatzraum_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// TestGeofenceCrossings: a lead draws a geofenced cordon; a member walks
// in, the GPS jitters at the edge, and they walk out: the room sees
// exactly two geofence.crossed events, at once (before the report is
// answered), with who, where and when. A restarted service loads the
// fences from the store; a deleted drawing stops reporting.
func TestGeofenceCrossings(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	_, watch := f.connect(t, f.lead, 0)
	watch.untilSubscribed(t)
	const lat, west = 50.015, 11.50
	cordon := geometry(t, "Polygon", [][][2]float64{{{west, 50.01}, {11.52, 50.01}, {11.52, 50.02}, {west, 50.02}, {west, 50.01}}})
	d, err := f.svc.CreateDrawing(f.ctx, f.lead, f.room, einsatzraum.DrawingInput{Geometry: cordon, Label: ptr("Absperrung"),
		Category: ptr("cordon"), Geofence: &einsatzraum.Geofence{On: "both"}})
	if err != nil {
		t.Fatal(err)
	}
	watch.nextEvent(t) // drawing.created

	east := func(m float64) float64 { return west + m/(111_195*math.Cos(lat*math.Pi/180)) }
	report := func(svc *einsatzraum.Service, metres float64) {
		t.Helper()
		f.clock.Advance(5 * time.Second)
		p := geo.Position{Lat: lat, Lon: east(metres), TS: f.clock.Now()}
		if _, rej, err := svc.ReportPositions(f.ctx, f.member, []geo.Position{p}); err != nil || len(rej) > 0 {
			t.Fatalf("report: %v %+v", err, rej)
		}
	}
	// crossings reads the events up to a sentinel message and returns the
	// geofence.crossed among them.
	crossings := func() []einsatzraum.GeofenceCrossing {
		t.Helper()
		f.post(t, f.svc, "sentinel")
		var out []einsatzraum.GeofenceCrossing
		for {
			e := watch.nextEvent(t)
			switch e.Type {
			case einsatzraum.EventGeofenceCrossed:
				var c einsatzraum.GeofenceCrossing
				if err := json.Unmarshal(e.Data, &c); err != nil {
					t.Fatal(err)
				}
				if e.Subject != f.member.User.ID {
					t.Fatalf("subject %q", e.Subject)
				}
				out = append(out, c)
			case "message.created":
				return out
			}
		}
	}

	for _, m := range []float64{-300, -40, -8, 6, 40, 9, -11, 12, -13, 200, -20, -5, -60} {
		report(f.svc, m)
	}
	got := crossings()
	if len(got) != 2 || got[0].Transition != "enter" || got[1].Transition != "leave" {
		t.Fatalf("crossings %+v, want exactly enter then leave", got)
	}
	enter := got[0]
	if enter.Drawing != d.ID || enter.Label != "Absperrung" || enter.User != f.member.User.ID ||
		math.Abs(enter.Lon-east(40)) > 1e-9 || enter.Lat != lat || enter.At.IsZero() {
		t.Fatalf("enter event %+v", enter)
	}

	log, err := f.svc.GeofenceCrossings(f.ctx, f.lead, f.room, 10)
	if err != nil || len(log) != 2 || log[0].Transition != "leave" || log[1].Transition != "enter" || log[1].Label != "Absperrung" {
		t.Fatalf("the log, newest first: %+v %v", log, err)
	}

	// A restarted node knows the fence from the store.
	restarted := einsatzraum.NewService(f.db, nil, einsatzraum.Config{Clock: f.clock, EmailDomains: []string{"polizei.example"}})
	restarted.Start(f.ctx)
	t.Cleanup(restarted.Close)
	report(restarted, -100) // first sight: quiet
	report(restarted, 100)
	if got := crossings(); len(got) != 1 || got[0].Transition != "enter" {
		t.Fatalf("after a restart: %+v", got)
	}

	// Off: a deleted drawing reports nothing.
	if err := f.svc.DeleteDrawing(f.ctx, f.lead, d.ID); err != nil {
		t.Fatal(err)
	}
	report(f.svc, -100)
	report(f.svc, 100)
	if got := crossings(); len(got) != 0 {
		t.Fatalf("a deleted drawing reported %+v", got)
	}
}
