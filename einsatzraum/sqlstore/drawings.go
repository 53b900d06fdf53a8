package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

const drawingColumns = `id, room_id, created_by, created_at, updated_at, sealed`

// sealedDrawing is what a drawing row keeps sealed: all it says.
type sealedDrawing struct {
	Geometry einsatzraum.DrawingGeometry `json:"geometry"`
	RadiusM  float64                     `json:"radius_m,omitempty"`
	Label    string                      `json:"label"`
	Category string                      `json:"category"`
	Color    string                      `json:"color,omitempty"`
	Geofence *einsatzraum.Geofence       `json:"geofence,omitempty"`
	TakUID   string                      `json:"tak_uid,omitempty"`
}

func (t *txn) sealDrawing(d *einsatzraum.Drawing) ([]byte, error) {
	return t.sealJSON(sealedDrawing{Geometry: d.Geometry, RadiusM: d.RadiusM, Label: d.Label, Category: d.Category, Color: d.Color, Geofence: d.Geofence, TakUID: d.TakUID})
}

func (t *txn) scanDrawing(row interface{ Scan(...any) error }) (*einsatzraum.Drawing, error) {
	var d einsatzraum.Drawing
	var created, updated int64
	var sealed []byte
	if err := row.Scan(&d.ID, &d.Room, &d.CreatedBy, &created, &updated, &sealed); err != nil {
		return nil, one(err)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	var sd sealedDrawing
	if err := t.openJSON(sealed, &sd); err != nil {
		return nil, err
	}
	d.Geometry, d.RadiusM, d.Label, d.Category, d.Color, d.Geofence, d.TakUID = sd.Geometry, sd.RadiusM, sd.Label, sd.Category, sd.Color, sd.Geofence, sd.TakUID
	return &d, nil
}

func (t *txn) CreateDrawing(ctx context.Context, d *einsatzraum.Drawing) error {
	sealed, err := t.sealDrawing(d)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO drawings (`+drawingColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		d.ID, d.Room, d.CreatedBy, micros(d.CreatedAt), micros(d.UpdatedAt), sealed)
	return err
}

func (t *txn) UpdateDrawing(ctx context.Context, d *einsatzraum.Drawing) error {
	sealed, err := t.sealDrawing(d)
	if err != nil {
		return err
	}
	return t.execOne(ctx, `UPDATE drawings SET sealed = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, sealed, micros(d.UpdatedAt), d.ID)
}

func (t *txn) DrawingByID(ctx context.Context, id string) (*einsatzraum.Drawing, error) {
	return t.scanDrawing(t.queryRow(ctx, `SELECT `+drawingColumns+` FROM drawings WHERE id = ? AND deleted_at IS NULL`, id))
}

func (t *txn) Drawings(ctx context.Context, roomID string) ([]einsatzraum.Drawing, error) {
	return t.scanDrawings(t.query(ctx, `SELECT `+drawingColumns+` FROM drawings WHERE room_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, roomID))
}

func (t *txn) AllDrawings(ctx context.Context) ([]einsatzraum.Drawing, error) {
	return t.scanDrawings(t.query(ctx, `SELECT `+drawingColumns+` FROM drawings WHERE deleted_at IS NULL ORDER BY room_id, created_at, id`))
}

// scanDrawings reads the rows of a drawings query.
func (t *txn) scanDrawings(rows *sql.Rows, err error) ([]einsatzraum.Drawing, error) {
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.Drawing{}
	for rows.Next() {
		d, err := t.scanDrawing(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *d)
	}
	return out, closeRows(rows)
}

func (t *txn) DeleteDrawing(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, `UPDATE drawings SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, micros(at), id)
}
