package einsatzraum_test

import (
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// TestPositionFloodIsLimited: one device reporting as fast as it can (the
// same entry REST, WebSocket and TAK reports go through) gets its burst
// and then the sustained rate; points older than MaxAge are refused. It
// once wrote 60,000 points in 0.3 s, and 7-day-old ones.
func TestPositionFloodIsLimited(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	phone := &einsatzraum.Actor{User: f.member.User, Device: &einsatzraum.Device{ID: "dev_phone", UserID: f.member.User.ID}}
	report := func(ts time.Time) (int, []einsatzraum.Rejected, error) {
		return f.svc.ReportPositions(f.ctx, phone, []geo.Position{{Lat: 53.5, Lon: 10, AccuracyM: 5, TS: ts}})
	}
	taken, limited := 0, 0
	for range 5000 {
		n, _, err := report(f.clock.Now())
		switch de := einsatzraum.AsError(err); {
		case err == nil:
			taken += n
		case de != nil && de.Code == "rate_limited":
			limited++
		default:
			t.Fatal(err)
		}
	}
	if taken != 1000 || limited != 4000 {
		t.Fatalf("%d points taken, %d refused at once; want the burst of 1000 and 4000 refused", taken, limited)
	}
	f.clock.Advance(time.Minute) // 300 more
	taken = 0
	for range 400 {
		if n, _, err := report(f.clock.Now()); err == nil {
			taken += n
		}
	}
	if taken != 300 {
		t.Fatalf("%d points taken in the next minute, want 300", taken)
	}
	// A batch over the budget: the newest points are taken, the older ones
	// named with rate_limited.
	f.clock.Advance(10 * time.Second) // 50 tokens
	batch := make([]geo.Position, 60)
	for i := range batch {
		batch[i] = geo.Position{Lat: 53.5, Lon: 10, TS: f.clock.Now().Add(time.Duration(i-60) * time.Second)}
	}
	n, rej, err := f.svc.ReportPositions(f.ctx, phone, batch)
	if err != nil || n != 50 || len(rej) != 10 || rej[0].Code != "rate_limited" || rej[9].Index != 9 {
		t.Fatalf("batch of 60 with 50 tokens: %d taken, rejected %+v, %v", n, rej, err)
	}
	// Another device of the same user has its own budget; a day-old point
	// is refused.
	other := &einsatzraum.Actor{User: f.member.User, Device: &einsatzraum.Device{ID: "dev_tablet", UserID: f.member.User.ID}}
	if n, _, err := f.svc.ReportPositions(f.ctx, other, []geo.Position{{Lat: 53.5, Lon: 10, TS: f.clock.Now()}}); err != nil || n != 1 {
		t.Fatalf("the second device: %d, %v", n, err)
	}
	_, rej, err = f.svc.ReportPositions(f.ctx, other, []geo.Position{{Lat: 53.5, Lon: 10, TS: f.clock.Now().Add(-25 * time.Hour)}})
	if err != nil || len(rej) != 1 {
		t.Fatalf("a 25-hour-old point: rejected %+v, %v", rej, err)
	}
}
