package einsatzraum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Alarms: an officer in trouble raises one for their room (the emergency
// button); every member of the room gets it, whatever their chats; someone
// takes it on (ack); the raiser or a lead cancels it. Alarms are room
// events, so a client that reconnects gets them in its replay; open ones
// are listed for a dashboard that opens later.

// Alarm kinds and states.
const (
	AlarmEmergency   = "emergency"    // the emergency button, TAK's 911
	AlarmOfficerDown = "officer_down" // a fall or no-movement detector
	AlarmOpen        = "open"
	AlarmCancelled   = "cancelled"
)

// Room events of alarms, with the alarm as "alarm".
const (
	EventAlarmRaised    = "alarm.raised"
	EventAlarmAcked     = "alarm.acked"
	EventAlarmCancelled = "alarm.cancelled"
)

// Alarm is one raised alarm.
type Alarm struct {
	ID          string     `json:"id"`
	Room        string     `json:"room"`
	User        string     `json:"user"`
	Kind        string     `json:"kind"`
	State       string     `json:"state"`
	Lat         *float64   `json:"lat,omitempty"`
	Lon         *float64   `json:"lon,omitempty"`
	Text        string     `json:"text,omitempty"`
	Acks        []AlarmAck `json:"acks"`
	CancelledBy string     `json:"cancelled_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// AlarmAck says who took an alarm on, and when.
type AlarmAck struct {
	User string    `json:"user"`
	At   time.Time `json:"at"`
}

// NewAlarm is the input of RaiseAlarm.
type NewAlarm struct {
	Kind string   `json:"kind"`
	Lat  *float64 `json:"lat"`
	Lon  *float64 `json:"lon"`
	Text string   `json:"text"`
}

// Alarm limits: a stuck button must not flood a room.
const (
	alarmsPerWindow = 5
	alarmWindow     = 10 * time.Minute
	maxAlarmText    = 500
)

// RaiseAlarm raises an alarm in the room for the caller (any member but
// observers), at the given position or, without one, at the caller's live
// position. While the caller has an open alarm of the same kind in the
// room, that one is returned (a second press is not a second alarm).
// Errors: 400 for a bad kind, position or text; 404 for a room the caller
// is not in; 403 for observers; 429 past alarmsPerWindow per alarmWindow.
func (s *Service) RaiseAlarm(ctx context.Context, a *Actor, roomID string, in NewAlarm) (*Alarm, bool, error) {
	kind := strings.TrimSpace(in.Kind)
	if kind == "" {
		kind = AlarmEmergency
	}
	if kind != AlarmEmergency && kind != AlarmOfficerDown {
		return nil, false, Errorf(KindInvalid, "invalid_kind", "kind must be emergency or officer_down")
	}
	if (in.Lat == nil) != (in.Lon == nil) {
		return nil, false, Errorf(KindInvalid, "invalid_position", "give lat and lon together, or neither")
	}
	if in.Lat != nil {
		if err := geo.ValidateLatLon(*in.Lat, *in.Lon); err != nil {
			return nil, false, err
		}
	} else if p, ok := s.tracker.Latest(a.User.ID); ok {
		lat, lon := p.Lat, p.Lon
		in.Lat, in.Lon = &lat, &lon
	}
	if err := checkText("text", in.Text, 0, maxAlarmText); err != nil {
		return nil, false, err
	}
	// A second press returns the open alarm and counts nothing; a new
	// alarm counts against the caller's budget in the room.
	var al *Alarm
	err := s.view(ctx, "raise_alarm_check", func(tx Tx) (err error) {
		if _, err := requireRoom(ctx, tx, a, roomID, ActEditMap); err != nil {
			return err
		}
		al, err = openAlarmOf(ctx, tx, roomID, a.User.ID, kind, s.VisibleSince())
		return err
	})
	if err != nil || al != nil {
		return al, false, err
	}
	if err := s.limitAlarms(ctx, a, roomID); err != nil {
		return nil, false, err
	}
	created := false
	err = s.update(ctx, "raise_alarm", func(w *write) error {
		if _, err := requireRoom(ctx, w, a, roomID, ActEditMap); err != nil {
			return err
		}
		var err error
		if al, err = openAlarmOf(ctx, w, roomID, a.User.ID, kind, s.VisibleSince()); err != nil || al != nil {
			return err // raised meanwhile
		}
		al = &Alarm{ID: NewID("al"), Room: roomID, User: a.User.ID, Kind: kind, State: AlarmOpen, Lat: in.Lat, Lon: in.Lon,
			Text: strings.TrimSpace(in.Text), Acks: []AlarmAck{}, CreatedAt: w.now, UpdatedAt: w.now}
		if err := w.PutAlarm(ctx, al); err != nil {
			return err
		}
		created = true
		if err := w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "raise_alarm", Target: al.ID, Detail: "room " + roomID + ", " + kind}); err != nil {
			return err
		}
		_, err = w.emit(ctx, roomID, EventAlarmRaised, "", a.User.ID, map[string]any{"alarm": al})
		return err
	})
	if err != nil || !created {
		return al, created, err
	}
	return al, true, nil
}

// openAlarmOf returns the user's open alarm of kind in the room, or nil.
func openAlarmOf(ctx context.Context, tx Tx, roomID, userID, kind string, since time.Time) (*Alarm, error) {
	open, err := tx.Alarms(ctx, roomID, AlarmOpen, since)
	if err != nil {
		return nil, err
	}
	for i := range open {
		if open[i].User == userID && open[i].Kind == kind {
			return &open[i], nil
		}
	}
	return nil, nil
}

// limitAlarms counts an alarm against the caller's budget in the room.
func (s *Service) limitAlarms(ctx context.Context, a *Actor, roomID string) error {
	return s.limit(ctx, "alarm:"+roomID+":"+a.User.ID, alarmsPerWindow, alarmWindow,
		fmt.Sprintf("at most %d alarms per %s", alarmsPerWindow, alarmWindow))
}

// AckAlarm records that the caller takes the alarm on (any member of the
// room, observers too: a control room may take it on). Acking twice is
// one ack. Errors: 404 alarm_not_found; 409 alarm_closed.
func (s *Service) AckAlarm(ctx context.Context, a *Actor, alarmID string) (*Alarm, error) {
	return s.changeAlarm(ctx, a, alarmID, "ack_alarm", func(w *write, al *Alarm) (string, error) {
		for _, k := range al.Acks {
			if k.User == a.User.ID {
				return "", nil
			}
		}
		al.Acks = append(al.Acks, AlarmAck{User: a.User.ID, At: w.now})
		return EventAlarmAcked, nil
	})
}

// CancelAlarm closes an alarm: its raiser or a lead of the room may.
// Errors: 404 alarm_not_found; 403 not_raiser; 409 alarm_closed.
func (s *Service) CancelAlarm(ctx context.Context, a *Actor, alarmID string) (*Alarm, error) {
	return s.changeAlarm(ctx, a, alarmID, "cancel_alarm", func(w *write, al *Alarm) (string, error) {
		if al.User != a.User.ID {
			role, err := w.RoomRole(ctx, al.Room, a.User.ID)
			if err != nil || role != RoleLead {
				return "", Errorf(KindForbidden, "not_raiser", "only who raised the alarm or a lead of the room cancels it")
			}
		}
		al.State, al.CancelledBy = AlarmCancelled, a.User.ID
		return EventAlarmCancelled, nil
	})
}

// changeAlarm loads an open alarm the caller's room holds, applies change
// and, when it names an event, stores the alarm, emits the event and
// writes the audit entry.
func (s *Service) changeAlarm(ctx context.Context, a *Actor, alarmID, op string, change func(*write, *Alarm) (string, error)) (*Alarm, error) {
	var al *Alarm
	err := s.update(ctx, op, func(w *write) error {
		var err error
		al, err = w.AlarmByID(ctx, alarmID)
		if err != nil {
			return notFound(err, "alarm_not_found", "no such alarm")
		}
		if _, err := requireRoom(ctx, w, a, al.Room, ActViewRoom); err != nil {
			return Errorf(KindNotFound, "alarm_not_found", "no such alarm")
		}
		if al.State != AlarmOpen {
			return Errorf(KindConflict, "alarm_closed", "the alarm is %s", al.State)
		}
		event, err := change(w, al)
		if err != nil || event == "" {
			return err
		}
		al.UpdatedAt = w.now
		if err := w.PutAlarm(ctx, al); err != nil {
			return err
		}
		if err := w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: op, Target: al.ID, Detail: "room " + al.Room}); err != nil {
			return err
		}
		_, err = w.emit(ctx, al.Room, event, "", al.User, map[string]any{"alarm": al})
		return err
	})
	return al, err
}

// Alarms lists the room's alarms within the visible retention, newest
// first; state "open" or "cancelled" filters.
func (s *Service) Alarms(ctx context.Context, a *Actor, roomID, state string) ([]Alarm, error) {
	if state != "" && state != AlarmOpen && state != AlarmCancelled {
		return nil, Errorf(KindInvalid, "invalid_state", "state must be open or cancelled")
	}
	var out []Alarm
	err := s.view(ctx, "alarms", func(tx Tx) (err error) {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		out, err = tx.Alarms(ctx, roomID, state, s.VisibleSince())
		return err
	})
	return out, err
}
