package einsatzraum_test

import (
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// TestTrackFromJoining: a lead who adds a user to their room sees the
// user's track from the moment they joined, not where they were before
// (once, adding a user was enough to read their whole history).
func TestTrackFromJoining(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	f.svc.Start(f.ctx)
	t.Cleanup(f.svc.Close)
	// The member moves about while only in the fixture's room.
	before := f.clock.Now()
	for i := range 3 {
		p := geo.Position{Lat: 53.5 + float64(i)/100, Lon: 10, TS: f.clock.Now()}
		if _, _, err := f.svc.ReportPositions(f.ctx, f.member, []geo.Position{p}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
	}
	// Another lead's room: the member is added, then moves on.
	other := f.lead
	room, err := f.svc.CreateRoom(f.ctx, other, "Neuer Raum", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutMember(f.ctx, other, room.ID, f.member.User.ID, einsatzraum.RoleMember); err != nil {
		t.Fatal(err)
	}
	joined := f.clock.Now()
	f.clock.Advance(time.Minute)
	after := geo.Position{Lat: 53.6, Lon: 10.1, TS: f.clock.Now()}
	if _, _, err := f.svc.ReportPositions(f.ctx, f.member, []geo.Position{after}); err != nil {
		t.Fatal(err)
	}
	track := func(roomID string) []geo.Position {
		for range 200 { // the track writer flushes on its ticker
			f.clock.Advance(250 * time.Millisecond)
			ts, err := f.svc.Tracks(f.ctx, other, roomID, []string{f.member.User.ID}, before.Add(-time.Minute), f.clock.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) == 1 && ts[0].Points[len(ts[0].Points)-1].TS.Equal(after.TS) {
				return ts[0].Points
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatalf("the track in %s never showed the last point", roomID)
		return nil
	}
	if ps := track(f.room); len(ps) != 4 {
		t.Fatalf("the first room sees %d points, want all 4", len(ps))
	}
	ps := track(room.ID)
	if len(ps) != 1 || ps[0].TS.Before(joined) {
		t.Fatalf("the new room sees %d points (first at %v), want only the one after joining at %v", len(ps), ps[0].TS, joined)
	}
}
