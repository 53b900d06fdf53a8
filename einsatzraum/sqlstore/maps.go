package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

const poiColumns = `id, room_id, name, category, lat, lon, description, created_by, created_at`

func scanPOI(row interface{ Scan(...any) error }) (*einsatzraum.POI, error) {
	var p einsatzraum.POI
	var created int64
	if err := row.Scan(&p.ID, &p.Room, &p.Name, &p.Category, &p.Lat, &p.Lon, &p.Description, &p.CreatedBy, &created); err != nil {
		return nil, one(err)
	}
	p.CreatedAt = fromMicros(created)
	return &p, nil
}

func (t *txn) CreatePOI(ctx context.Context, p *einsatzraum.POI) error {
	_, err := t.exec(ctx, `INSERT INTO pois (`+poiColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Room, p.Name, p.Category, p.Lat, p.Lon, p.Description, p.CreatedBy, micros(p.CreatedAt))
	return err
}

func (t *txn) POIByID(ctx context.Context, id string) (*einsatzraum.POI, error) {
	return scanPOI(t.queryRow(ctx, `SELECT `+poiColumns+` FROM pois WHERE id = ? AND deleted_at IS NULL`, id))
}

func (t *txn) POIs(ctx context.Context, roomID string) ([]einsatzraum.POI, error) {
	rows, err := t.query(ctx, `SELECT `+poiColumns+` FROM pois WHERE room_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, roomID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.POI{}
	for rows.Next() {
		p, err := scanPOI(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *p)
	}
	return out, closeRows(rows)
}

func (t *txn) DeletePOI(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, `UPDATE pois SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, micros(at), id)
}

func (t *txn) InsertPositions(ctx context.Context, ps []geo.Position, receivedAt time.Time) error {
	for len(ps) > 0 {
		n := min(len(ps), 100)
		q := `INSERT INTO positions (user_id, ts, lat, lon, accuracy_m, heading, speed_mps, received_at) VALUES `
		args := make([]any, 0, n*8)
		for i, p := range ps[:n] {
			if i > 0 {
				q += ","
			}
			q += "(?, ?, ?, ?, ?, ?, ?, ?)"
			args = append(args, p.User, micros(p.TS), p.Lat, p.Lon, p.AccuracyM, nullFloat(p.Heading), nullFloat(p.SpeedMps), micros(receivedAt))
		}
		if _, err := t.exec(ctx, q, args...); err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

func (t *txn) Track(ctx context.Context, users []string, from, to time.Time, limit int) ([]geo.Position, error) {
	out := []geo.Position{}
	if len(users) == 0 {
		return out, nil
	}
	args := []any{}
	for _, u := range users {
		args = append(args, u)
	}
	args = append(args, micros(from), micros(to), limit)
	rows, err := t.query(ctx, `SELECT user_id, ts, lat, lon, accuracy_m, heading, speed_mps FROM positions
		WHERE user_id IN (`+placeholders(len(users))+`) AND ts >= ? AND ts <= ? ORDER BY user_id, ts LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p geo.Position
		var ts int64
		var heading, speed sql.NullFloat64
		if err := rows.Scan(&p.User, &ts, &p.Lat, &p.Lon, &p.AccuracyM, &heading, &speed); err != nil {
			rows.Close()
			return nil, err
		}
		p.TS = fromMicros(ts)
		if heading.Valid {
			p.Heading = &heading.Float64
		}
		if speed.Valid {
			p.SpeedMps = &speed.Float64
		}
		out = append(out, p)
	}
	return out, closeRows(rows)
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}
