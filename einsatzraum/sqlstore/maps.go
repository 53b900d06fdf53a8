package sqlstore

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

const poiColumns = `id, room_id, name, category, lat, lon, description, created_by, created_at, sealed`

// sealedPOI is what a POI row keeps sealed: all it says.
type sealedPOI struct {
	Name        string  `json:"name"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
}

func (t *txn) scanPOI(row interface{ Scan(...any) error }) (*einsatzraum.POI, error) {
	var p einsatzraum.POI
	var created int64
	var sealed []byte
	if err := row.Scan(&p.ID, &p.Room, &p.Name, &p.Category, &p.Lat, &p.Lon, &p.Description, &p.CreatedBy, &created, &sealed); err != nil {
		return nil, one(err)
	}
	p.CreatedAt = fromMicros(created)
	if sealed != nil { // rows from before sealing keep their clear columns
		var sp sealedPOI
		if err := t.openJSON(sealed, &sp); err != nil {
			return nil, err
		}
		p.Name, p.Category, p.Description, p.Lat, p.Lon = sp.Name, sp.Category, sp.Description, sp.Lat, sp.Lon
	}
	return &p, nil
}

func (t *txn) CreatePOI(ctx context.Context, p *einsatzraum.POI) error {
	sealed, err := t.sealJSON(sealedPOI{Name: p.Name, Category: p.Category, Description: p.Description, Lat: p.Lat, Lon: p.Lon})
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO pois (`+poiColumns+`) VALUES (?, ?, '', '', 0, 0, '', ?, ?, ?)`,
		p.ID, p.Room, p.CreatedBy, micros(p.CreatedAt), sealed)
	return err
}

func (t *txn) POIByID(ctx context.Context, id string) (*einsatzraum.POI, error) {
	return t.scanPOI(t.queryRow(ctx, `SELECT `+poiColumns+` FROM pois WHERE id = ? AND deleted_at IS NULL`, id))
}

func (t *txn) POIs(ctx context.Context, roomID string) ([]einsatzraum.POI, error) {
	rows, err := t.query(ctx, `SELECT `+poiColumns+` FROM pois WHERE room_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, roomID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.POI{}
	for rows.Next() {
		p, err := t.scanPOI(rows)
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

// sealedPoint is what a track row keeps sealed: where the user was.
type sealedPoint struct {
	Lat       float64  `json:"lat"`
	Lon       float64  `json:"lon"`
	AccuracyM float64  `json:"acc,omitempty"`
	Heading   *float64 `json:"hdg,omitempty"`
	SpeedMps  *float64 `json:"spd,omitempty"`
}

// InsertPositions writes ps in statements of 128, 64, ... 1 rows, so
// that a few fixed statements serve every batch from the statement cache.
func (t *txn) InsertPositions(ctx context.Context, ps []geo.Position, receivedAt time.Time) error {
	for len(ps) > 0 {
		n := maxPositionRows
		for n > len(ps) {
			n /= 2
		}
		points := make([][]byte, n)
		for i, p := range ps[:n] {
			points[i] = appendSealedPoint(nil, p)
		}
		sealed := t.sealMany(points)
		args := make([]any, 0, n*4)
		for i, p := range ps[:n] {
			args = append(args, p.User, micros(p.TS), micros(receivedAt), sealed[i])
		}
		if _, err := t.exec(ctx, insertPositionsSQL(n), args...); err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

// appendSealedPoint appends p as the JSON of sealedPoint, written by hand
// (as json.Marshal writes it: the point history's hottest encoding).
func appendSealedPoint(b []byte, p geo.Position) []byte {
	b = append(b, `{"lat":`...)
	b = appendJSONFloat(b, p.Lat)
	b = append(b, `,"lon":`...)
	b = appendJSONFloat(b, p.Lon)
	if p.AccuracyM != 0 {
		b = append(b, `,"acc":`...)
		b = appendJSONFloat(b, p.AccuracyM)
	}
	if p.Heading != nil {
		b = append(b, `,"hdg":`...)
		b = appendJSONFloat(b, *p.Heading)
	}
	if p.SpeedMps != nil {
		b = append(b, `,"spd":`...)
		b = appendJSONFloat(b, *p.SpeedMps)
	}
	return append(b, '}')
}

// appendJSONFloat writes f as encoding/json does: the shortest form,
// exponents only for very small or large values.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// maxPositionRows is the most rows of one position insert (a power of two).
const maxPositionRows = 128

// insertPositionsSQL is the INSERT of n positions (the plain columns are
// zero; the values are sealed).
func insertPositionsSQL(n int) string {
	const row = "(?, ?, 0, 0, 0, NULL, NULL, ?, ?)"
	return `INSERT INTO positions (user_id, ts, lat, lon, accuracy_m, heading, speed_mps, received_at, sealed) VALUES ` +
		strings.Repeat(row+", ", n-1) + row
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
	rows, err := t.query(ctx, `SELECT user_id, ts, lat, lon, accuracy_m, heading, speed_mps, sealed FROM positions
		WHERE user_id IN (`+placeholders(len(users))+`) AND ts >= ? AND ts <= ? ORDER BY user_id, ts LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		p, err := t.scanPoint(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	return out, closeRows(rows)
}

func (t *txn) LatestPositions(ctx context.Context, since time.Time) ([]geo.Position, error) {
	rows, err := t.query(ctx, `SELECT p.user_id, p.ts, p.lat, p.lon, p.accuracy_m, p.heading, p.speed_mps, p.sealed FROM positions p
		JOIN (SELECT user_id, MAX(ts) AS ts FROM positions WHERE ts >= ? GROUP BY user_id) l ON l.user_id = p.user_id AND l.ts = p.ts`, micros(since))
	if err != nil {
		return nil, err
	}
	out := []geo.Position{}
	seen := map[string]bool{} // two points of one user at the same instant: one
	for rows.Next() {
		p, err := t.scanPoint(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if !seen[p.User] {
			seen[p.User] = true
			out = append(out, p)
		}
	}
	return out, closeRows(rows)
}

// scanPoint reads a track row: user_id, ts, the clear columns of rows
// from before sealing, and sealed.
func (t *txn) scanPoint(row interface{ Scan(...any) error }) (geo.Position, error) {
	var p geo.Position
	var ts int64
	var heading, speed sql.NullFloat64
	var sealed []byte
	if err := row.Scan(&p.User, &ts, &p.Lat, &p.Lon, &p.AccuracyM, &heading, &speed, &sealed); err != nil {
		return p, err
	}
	p.TS = fromMicros(ts)
	if heading.Valid {
		p.Heading = &heading.Float64
	}
	if speed.Valid {
		p.SpeedMps = &speed.Float64
	}
	if sealed != nil {
		var sp sealedPoint
		if err := t.openJSON(sealed, &sp); err != nil {
			return p, err
		}
		p.Lat, p.Lon, p.AccuracyM, p.Heading, p.SpeedMps = sp.Lat, sp.Lon, sp.AccuracyM, sp.Heading, sp.SpeedMps
	}
	return p, nil
}
