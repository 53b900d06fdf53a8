package sqlstore

import (
	"context"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// sealedAlarm is what an alarm row keeps sealed.
type sealedAlarm struct {
	Lat         *float64               `json:"lat,omitempty"`
	Lon         *float64               `json:"lon,omitempty"`
	Text        string                 `json:"text,omitempty"`
	Acks        []einsatzraum.AlarmAck `json:"acks,omitempty"`
	CancelledBy string                 `json:"cancelled_by,omitempty"`
}

func (t *txn) PutAlarm(ctx context.Context, a *einsatzraum.Alarm) error {
	sealed, err := t.sealJSON(sealedAlarm{Lat: a.Lat, Lon: a.Lon, Text: a.Text, Acks: a.Acks, CancelledBy: a.CancelledBy})
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO alarms (id, room_id, user_id, kind, state, created_at, updated_at, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, sealed = excluded.sealed`,
		a.ID, a.Room, a.User, a.Kind, a.State, micros(a.CreatedAt), micros(a.UpdatedAt), sealed)
	return err
}

const alarmColumns = `id, room_id, user_id, kind, state, created_at, updated_at, sealed`

func (t *txn) scanAlarm(row interface{ Scan(...any) error }) (*einsatzraum.Alarm, error) {
	var a einsatzraum.Alarm
	var created, updated int64
	var sealed []byte
	if err := row.Scan(&a.ID, &a.Room, &a.User, &a.Kind, &a.State, &created, &updated, &sealed); err != nil {
		return nil, one(err)
	}
	var sa sealedAlarm
	if err := t.openJSON(sealed, &sa); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	a.Lat, a.Lon, a.Text, a.Acks, a.CancelledBy = sa.Lat, sa.Lon, sa.Text, sa.Acks, sa.CancelledBy
	if a.Acks == nil {
		a.Acks = []einsatzraum.AlarmAck{}
	}
	return &a, nil
}

func (t *txn) AlarmByID(ctx context.Context, id string) (*einsatzraum.Alarm, error) {
	return t.scanAlarm(t.queryRow(ctx, `SELECT `+alarmColumns+` FROM alarms WHERE id = ?`, id))
}

func (t *txn) Alarms(ctx context.Context, roomID, state string, since time.Time) ([]einsatzraum.Alarm, error) {
	q := `SELECT ` + alarmColumns + ` FROM alarms WHERE room_id = ? AND created_at >= ?`
	args := []any{roomID, micros(since)}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	rows, err := t.query(ctx, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.Alarm{}
	for rows.Next() {
		a, err := t.scanAlarm(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *a)
	}
	return out, closeRows(rows)
}
