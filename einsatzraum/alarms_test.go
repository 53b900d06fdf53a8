package einsatzraum_test

import (
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// TestAlarms: a member raises an alarm at their live position; every
// member's socket gets it (whatever their chats); a second press returns
// the same alarm; another member takes it on; an observer may not raise
// one; only the raiser or a lead cancels; the open list and a reconnect's
// replay show it; a stuck button is rate-limited.
func TestAlarms(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	obs, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "olga@polizei.example", Name: "Olga", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	observer := &einsatzraum.Actor{User: obs}
	if _, err := f.svc.PutMember(f.ctx, f.lead, f.room, obs.ID, einsatzraum.RoleObserver); err != nil {
		t.Fatal(err)
	}
	_, watch := f.connect(t, observer, 0) // in no chat: alarms reach them all the same
	watch.untilSubscribed(t)
	if _, _, err := f.svc.ReportPositions(f.ctx, f.member, []geo.Position{{Lat: 53.55, Lon: 9.97, TS: f.clock.Now()}}); err != nil {
		t.Fatal(err)
	}

	al, created, err := f.svc.RaiseAlarm(f.ctx, f.member, f.room, einsatzraum.NewAlarm{Text: "Angriff"})
	if err != nil || !created || al.State != "open" || al.Lat == nil || *al.Lat != 53.55 || al.Kind != "emergency" {
		t.Fatalf("raise: %+v %v %v", al, created, err)
	}
	if e := watch.nextEvent(t); e.Type != einsatzraum.EventAlarmRaised {
		t.Fatalf("observer got %s, want alarm.raised", e.Type)
	}
	again, created, err := f.svc.RaiseAlarm(f.ctx, f.member, f.room, einsatzraum.NewAlarm{})
	if err != nil || created || again.ID != al.ID {
		t.Fatalf("a second press: %+v %v %v", again, created, err)
	}
	if _, _, err := f.svc.RaiseAlarm(f.ctx, observer, f.room, einsatzraum.NewAlarm{}); codeOf(err) == "" {
		t.Fatal("an observer raised an alarm")
	}
	acked, err := f.svc.AckAlarm(f.ctx, observer, al.ID)
	if err != nil || len(acked.Acks) != 1 || acked.Acks[0].User != obs.ID {
		t.Fatalf("ack: %+v %v", acked, err)
	}
	if e := watch.nextEvent(t); e.Type != einsatzraum.EventAlarmAcked {
		t.Fatalf("observer got %s, want alarm.acked", e.Type)
	}
	if _, err := f.svc.CancelAlarm(f.ctx, observer, al.ID); codeOf(err) != "not_raiser" {
		t.Fatalf("the observer cancelled: %v", err)
	}
	open, err := f.svc.Alarms(f.ctx, f.lead, f.room, "open")
	if err != nil || len(open) != 1 {
		t.Fatalf("open alarms: %+v %v", open, err)
	}
	// A reconnect's replay carries the alarm.
	_, late := f.connect(t, f.lead, 0)
	seen := map[string]bool{}
	for {
		switch fr := late.next(t).(type) {
		case *einsatzraum.EventFrame:
			seen[fr.Event.Type] = true
			continue
		case *einsatzraum.SubscribedFrame:
		default:
			continue
		}
		break
	}
	if !seen[einsatzraum.EventAlarmRaised] || !seen[einsatzraum.EventAlarmAcked] {
		t.Fatalf("replay lacks the alarm: %v", seen)
	}
	if c, err := f.svc.CancelAlarm(f.ctx, f.lead, al.ID); err != nil || c.State != "cancelled" {
		t.Fatalf("the lead cancels: %+v %v", c, err)
	}
	if _, err := f.svc.AckAlarm(f.ctx, observer, al.ID); codeOf(err) != "alarm_closed" {
		t.Fatalf("ack after cancel: %v", err)
	}
	// A stuck button: 5 alarms per 10 minutes (raise and cancel in a loop).
	var limited bool
	for range 6 {
		a, _, err := f.svc.RaiseAlarm(f.ctx, f.member, f.room, einsatzraum.NewAlarm{})
		if codeOf(err) == "rate_limited" {
			limited = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CancelAlarm(f.ctx, f.member, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if !limited {
		t.Fatal("a stuck button was not limited")
	}
	f.clock.Advance(11 * time.Minute)
	if _, _, err := f.svc.RaiseAlarm(f.ctx, f.member, f.room, einsatzraum.NewAlarm{}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
